using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace FileSwarm.Rpc.RobustnessTests.Http2;

/// <summary>
/// A deliberately small HTTP/2 client for sending requests a well-behaved client never would. It
/// speaks the connection-level protocol properly (preface, SETTINGS and acks, PING acks, generous
/// flow-control windows, HPACK decoding, CONTINUATION) and leaves every stream-level choice to the
/// caller. It does not police its own send window: tests send far less than the initial windows.
/// Every wait is bounded by a timeout.
/// </summary>
public sealed class RawHttp2Connection : IAsyncDisposable
{
    private const int MaxWindow = int.MaxValue;
    private const int DefaultWindow = 65_535;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly HpackDecoder _decoder = new(maxTableSize: 0);
    private readonly Lock _lock = new();
    private readonly Dictionary<int, StreamState> _streams = [];
    private readonly List<Http2Frame> _received = [];
    private readonly CancellationTokenSource _disposed = new();
    private TaskCompletionSource _changed = NewSignal();
    private Task _readLoop = Task.CompletedTask;
    private HeaderBlockInProgress? _pendingBlock;
    private int _nextStreamId = 1;
    private int _peerMaxFrameSize = Http2FrameCodec.DefaultMaxFrameSize;
    private bool _settingsReceived;
    private bool _settingsAcked;
    private bool _closed;
    private Exception? _readError;
    private GoAway? _goAway;

    private RawHttp2Connection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    /// <summary>The GOAWAY the server sent, if any.</summary>
    public GoAway? GoAway
    {
        get
        {
            lock (_lock)
            {
                return _goAway;
            }
        }
    }

    /// <summary>Every frame received so far, in order.</summary>
    public IReadOnlyList<Http2Frame> ReceivedFrames
    {
        get
        {
            lock (_lock)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>True once the server closed the connection (or it broke).</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>
    /// Connects, sends the preface, SETTINGS (HEADER_TABLE_SIZE 0, push off, the largest window)
    /// and a connection WINDOW_UPDATE, and waits for the server's SETTINGS and its ack of ours.
    /// </summary>
    public static async Task<RawHttp2Connection> ConnectAsync(IPEndPoint endPoint, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var tcp = new TcpClient(endPoint.AddressFamily) { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(endPoint, cts.Token);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }

        var connection = new RawHttp2Connection(tcp);
        try
        {
            var settings = Http2FrameCodec.EncodeSettings(
            [
                (Http2SettingId.HeaderTableSize, 0),
                (Http2SettingId.EnablePush, 0),
                (Http2SettingId.InitialWindowSize, MaxWindow),
            ]);
            var hello = new List<byte>(Http2FrameCodec.ClientPreface.ToArray());
            hello.AddRange(Http2FrameCodec.EncodeFrame(Http2FrameType.Settings, Http2Flags.None, 0, settings));
            hello.AddRange(Http2FrameCodec.EncodeFrame(
                Http2FrameType.WindowUpdate, Http2Flags.None, 0, Http2FrameCodec.EncodeUInt32(MaxWindow - DefaultWindow)));
            await connection.WriteAsync([.. hello]);
            connection._readLoop = Task.Run(connection.ReadLoopAsync);
            await connection.WaitUntilAsync(c => c._settingsReceived && c._settingsAcked, timeout, "the server's SETTINGS and SETTINGS ack");
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The next unused client stream id (odd, increasing).</summary>
    public int NextStreamId()
    {
        lock (_lock)
        {
            var id = _nextStreamId;
            _nextStreamId += 2;
            return id;
        }
    }

    /// <summary>Sends a header block as literals without indexing: HEADERS, plus CONTINUATION frames when it is long.</summary>
    public async Task SendHeadersAsync(int streamId, IEnumerable<HeaderField> headers, bool endStream)
    {
        lock (_lock)
        {
            _nextStreamId = Math.Max(_nextStreamId, streamId + 2);
        }

        var block = HpackEncoder.Encode(headers);
        var maxFrame = PeerMaxFrameSize;
        var frames = new List<byte>();
        var offset = 0;
        var first = true;
        do
        {
            var length = Math.Min(maxFrame, block.Length - offset);
            var last = offset + length == block.Length;
            var flags = (byte)((last ? Http2Flags.EndHeaders : 0) | (first && endStream ? Http2Flags.EndStream : 0));
            frames.AddRange(Http2FrameCodec.EncodeFrame(
                first ? Http2FrameType.Headers : Http2FrameType.Continuation, flags, streamId, block.AsSpan(offset, length)));
            offset += length;
            first = false;
        }
        while (offset < block.Length);
        await WriteAsync([.. frames]);
    }

    /// <summary>Sends bytes as DATA frames no larger than the server allows; an empty array with END_STREAM sends one empty frame.</summary>
    public async Task SendDataAsync(int streamId, ReadOnlyMemory<byte> data, bool endStream)
    {
        var maxFrame = PeerMaxFrameSize;
        var frames = new List<byte>();
        var offset = 0;
        do
        {
            var length = Math.Min(maxFrame, data.Length - offset);
            var last = offset + length == data.Length;
            frames.AddRange(Http2FrameCodec.EncodeFrame(
                Http2FrameType.Data, last && endStream ? Http2Flags.EndStream : Http2Flags.None, streamId, data.Span.Slice(offset, length)));
            offset += length;
        }
        while (offset < data.Length);
        await WriteAsync([.. frames]);
    }

    public Task SendRstStreamAsync(int streamId, Http2ErrorCode errorCode) =>
        SendRawFrameAsync(Http2FrameType.RstStream, Http2Flags.None, streamId, Http2FrameCodec.EncodeUInt32((uint)errorCode));

    public Task SendRawFrameAsync(Http2FrameType type, byte flags, int streamId, ReadOnlyMemory<byte> payload) =>
        WriteAsync(Http2FrameCodec.EncodeFrame(type, flags, streamId, payload.Span));

    /// <summary>
    /// Waits until the stream ends (END_STREAM or RST_STREAM from the server), the server's GOAWAY
    /// excludes it, or the connection closes, and returns what the stream received.
    /// </summary>
    /// <exception cref="TimeoutException">None of that happened in time; the message lists the frames received.</exception>
    public async Task<RawResponse> ReadResponseAsync(int streamId, TimeSpan timeout)
    {
        await WaitUntilAsync(
            c =>
            {
                var s = c.Stream(streamId);
                return s.EndStream || s.Reset is not null || c._closed || (c._goAway is { } g && g.LastStreamId < streamId);
            },
            timeout,
            $"the end of stream {streamId}");
        return Snapshot(streamId);
    }

    /// <summary>Waits for the server to reset the stream and returns the error code.</summary>
    public async Task<Http2ErrorCode> WaitForResetAsync(int streamId, TimeSpan timeout)
    {
        await WaitUntilAsync(c => c.Stream(streamId).Reset is not null, timeout, $"RST_STREAM on stream {streamId}");
        return Snapshot(streamId).ResetCode!.Value;
    }

    /// <summary>Waits until the stream has received at least this many DATA bytes.</summary>
    public Task WaitForDataAsync(int streamId, int bytes, TimeSpan timeout) =>
        WaitUntilAsync(c => c.Stream(streamId).Data.Length >= bytes, timeout, $"{bytes} DATA bytes on stream {streamId}");

    /// <summary>Waits until the server has closed the connection.</summary>
    public Task WaitForCloseAsync(TimeSpan timeout) => WaitUntilAsync(c => c._closed, timeout, "the connection to close");

    /// <summary>What the stream has received so far.</summary>
    public RawResponse Snapshot(int streamId)
    {
        lock (_lock)
        {
            var s = Stream(streamId);
            return new RawResponse(
                s.HeaderBlocks.Count > 0 ? s.HeaderBlocks[0] : [],
                s.Data.ToArray(),
                s.DataFrames,
                s.HeaderBlocks.Count > 1 ? s.HeaderBlocks[1] : null,
                s.EndStream,
                s.Reset,
                _goAway);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync();
        _tcp.Dispose();
        try
        {
            await _readLoop;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            // The read loop records its own errors; a closing socket is expected here.
        }

        await _reader.CompleteAsync();
        _disposed.Dispose();
        _writeLock.Dispose();
    }

    private int PeerMaxFrameSize
    {
        get
        {
            lock (_lock)
            {
                return _peerMaxFrameSize;
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task WriteAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync(_disposed.Token);
        try
        {
            await _stream.WriteAsync(bytes, _disposed.Token);
            await _stream.FlushAsync(_disposed.Token);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task WaitUntilAsync(Func<RawHttp2Connection, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (condition(this))
                {
                    return;
                }

                changed = _changed.Task;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}. {Describe()}");
            }

            try
            {
                await changed.WaitAsync(remaining);
            }
            catch (TimeoutException)
            {
                // Checked once more at the top, then reported with the frames seen.
            }
        }
    }

    private string Describe()
    {
        lock (_lock)
        {
            return $"Closed: {_closed} ({_readError?.Message ?? "no error"}). Frames received: "
                + (_received.Count == 0 ? "none" : string.Join("; ", _received));
        }
    }

    private StreamState Stream(int streamId)
    {
        if (!_streams.TryGetValue(streamId, out var state))
        {
            state = new StreamState();
            _streams[streamId] = state;
        }

        return state;
    }

    private void Changed()
    {
        // Under _lock: wake every waiter, then arm a fresh signal.
        _changed.TrySetResult();
        _changed = NewSignal();
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(_disposed.Token);
                var buffer = result.Buffer;
                while (Http2FrameCodec.TryReadFrame(ref buffer, Http2FrameCodec.DefaultMaxFrameSize, out var frame))
                {
                    await OnFrameAsync(frame);
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                _readError = ex;
            }
        }
        finally
        {
            lock (_lock)
            {
                _closed = true;
                Changed();
            }
        }
    }

    private async Task OnFrameAsync(Http2Frame frame)
    {
        byte[]? reply = null;
        lock (_lock)
        {
            _received.Add(frame);
            if (_pendingBlock is { } pending && (frame.Type != Http2FrameType.Continuation || frame.StreamId != pending.StreamId))
            {
                throw new InvalidDataException($"Expected CONTINUATION on stream {pending.StreamId}, got {frame}.");
            }

            switch (frame.Type)
            {
                case Http2FrameType.Settings when frame.HasFlag(Http2Flags.Ack):
                    _settingsAcked = true;
                    break;
                case Http2FrameType.Settings:
                    foreach (var (id, value) in Http2FrameCodec.ParseSettings(frame.Payload))
                    {
                        if (id == Http2SettingId.MaxFrameSize)
                        {
                            _peerMaxFrameSize = (int)value;
                        }
                    }

                    _settingsReceived = true;
                    reply = Http2FrameCodec.EncodeFrame(Http2FrameType.Settings, Http2Flags.Ack, 0, []);
                    break;
                case Http2FrameType.Ping when !frame.HasFlag(Http2Flags.Ack):
                    reply = Http2FrameCodec.EncodeFrame(Http2FrameType.Ping, Http2Flags.Ack, 0, frame.Payload);
                    break;
                case Http2FrameType.GoAway:
                    _goAway = Http2FrameCodec.ParseGoAway(frame.Payload);
                    break;
                case Http2FrameType.RstStream:
                    Stream(frame.StreamId).Reset = Http2FrameCodec.ParseRstStream(frame.Payload);
                    break;
                case Http2FrameType.Headers:
                    _pendingBlock = new HeaderBlockInProgress(frame.StreamId, frame.HasFlag(Http2Flags.EndStream));
                    _pendingBlock.Fragments.AddRange(Http2FrameCodec.UnpaddedContent(frame).ToArray());
                    if (frame.HasFlag(Http2Flags.EndHeaders))
                    {
                        CompleteHeaderBlock();
                    }

                    break;
                case Http2FrameType.Continuation:
                    if (_pendingBlock is null)
                    {
                        throw new InvalidDataException($"CONTINUATION without HEADERS: {frame}.");
                    }

                    _pendingBlock.Fragments.AddRange(frame.Payload);
                    if (frame.HasFlag(Http2Flags.EndHeaders))
                    {
                        CompleteHeaderBlock();
                    }

                    break;
                case Http2FrameType.Data:
                    var state = Stream(frame.StreamId);
                    state.Data.Write(Http2FrameCodec.UnpaddedContent(frame).Span);
                    state.DataFrames++;
                    state.EndStream |= frame.HasFlag(Http2Flags.EndStream);
                    if (frame.Payload.Length > 0)
                    {
                        // Keep the connection window wide open; streams start at the maximum and responses are small.
                        reply = Http2FrameCodec.EncodeFrame(
                            Http2FrameType.WindowUpdate, Http2Flags.None, 0, Http2FrameCodec.EncodeUInt32((uint)frame.Payload.Length));
                    }

                    break;
                default:
                    // WINDOW_UPDATE, PRIORITY, PING acks and unknown types need nothing from this client.
                    break;
            }

            Changed();
        }

        if (reply is not null)
        {
            await WriteAsync(reply);
        }
    }

    private void CompleteHeaderBlock()
    {
        var block = _pendingBlock!;
        _pendingBlock = null;
        var fields = _decoder.Decode(block.Fragments.ToArray());
        var state = Stream(block.StreamId);
        state.HeaderBlocks.Add(fields);
        state.EndStream |= block.EndStream;
    }

    private sealed class StreamState
    {
        public List<List<HeaderField>> HeaderBlocks { get; } = [];

        public MemoryStream Data { get; } = new();

        public int DataFrames { get; set; }

        public bool EndStream { get; set; }

        public Http2ErrorCode? Reset { get; set; }
    }

    private sealed record HeaderBlockInProgress(int StreamId, bool EndStream)
    {
        public List<byte> Fragments { get; } = [];
    }
}
