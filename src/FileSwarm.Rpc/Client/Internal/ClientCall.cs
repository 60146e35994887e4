using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FileSwarm.Rpc.Internal;
using Google.Protobuf;

namespace FileSwarm.Rpc.Client.Internal;

/// <summary>
/// One call on the client, of any shape: sends the request (one message, or a stream the caller
/// writes), reads response messages, and settles on exactly one status — from the trailers, the
/// headers (Trailers-Only), the HTTP status, a reset stream, the deadline or the caller.
/// </summary>
internal sealed class ClientCall<TRequest, TResponse> : IAsyncStreamReader<TResponse>, IClientStreamWriter<TRequest>, IDisposable
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, useZeroByteReads: true);

    private readonly RpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private CancellationTokenSource _callCts = null!;
    private CancellationTokenSource? _deadlineCts;
    private CancellationTokenRegistration _cancellation;
    private HttpResponseMessage? _response;
    private PipeReader? _reader;
    private PushStreamContent? _requestStream;
    private PooledBufferWriter? _writeBuffer;
    private Status? _status;
    private Metadata? _trailers;
    private bool _writing;
    private bool _requestCompleted;
    private TResponse? _current;

    public ClientCall(RpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _method = method;
        _options = options;
    }

    public Task<Metadata> ResponseHeadersAsync => _headers.Task;

    public TResponse Current => _current ?? throw new InvalidOperationException("MoveNext has not returned a message.");

    /// <summary>Starts the call; <paramref name="request"/> is the single request message, or null for a request stream.</summary>
    public void Start(TRequest? request)
    {
        RpcMetrics.ClientCallStarted(_method.FullName);
        _channel.Logger.CallStarting(_method.FullName, _channel.Address);
        TimeSpan? timeout = null;
        if (_options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            var remaining = deadline.ToUniversalTime() - _channel.TimeProvider.GetUtcNow().UtcDateTime;
            if (remaining <= TimeSpan.Zero)
            {
                // Already late: nothing is sent.
                _callCts = new CancellationTokenSource();
                Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), null);
                return;
            }

            timeout = remaining;
            _deadlineCts = new CancellationTokenSource(remaining, _channel.TimeProvider);
        }

        _callCts = _deadlineCts is not null
            ? CancellationTokenSource.CreateLinkedTokenSource(_options.CancellationToken, _deadlineCts.Token)
            : CancellationTokenSource.CreateLinkedTokenSource(_options.CancellationToken);

        HttpContent content;
        if (request is not null)
        {
            var message = new PooledBufferWriter();
            try
            {
                var size = MessageFraming.WriteMessage(message, request, _channel.Options.MaxSendMessageSize);
                RpcMetrics.ClientMessageSent(size);
            }
            catch (RpcException ex)
            {
                message.Dispose();
                Finish(ex.Status, null);
                return;
            }

            content = new SingleMessageContent(message);
        }
        else
        {
            content = _requestStream = new PushStreamContent();
        }

        // The deadline or the caller's token ends the call at once, read or no read pending.
        _cancellation = _callCts.Token.UnsafeRegister(
            static state =>
            {
                var call = (ClientCall<TRequest, TResponse>)state!;
                call.Finish(call.MapException(new OperationCanceledException(call._callCts.Token)), null);
            },
            this);
        _ = SendAsync(BuildRequest(content, timeout));
    }

    public Task<TResponse> ReadSingleResponseAsync() =>
        ReadSingleAsync(this, static (call, payload, compressed) => MessageFraming.Parse(call._method.ResponseParser, payload, compressed, call.ResponseEncoding(), call.MaxReceiveSize));

    /// <summary>The one response of a unary or client-streaming call, decoded from its bytes by <paramref name="decoder"/>.</summary>
    public Task<TResult> ReadSingleResponseAsync<TResult>(ResponseDecoder<TResult> decoder) =>
        ReadSingleAsync((Call: this, Decoder: decoder), static (state, payload, compressed) =>
            MessageFraming.Decode(state.Decoder, static (d, bytes) => d(bytes), payload, compressed, state.Call.ResponseEncoding(), state.Call.MaxReceiveSize));

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        (var read, _current) = await ReadAsync(this, static (call, payload, compressed) => MessageFraming.Parse(call._method.ResponseParser, payload, compressed, call.ResponseEncoding(), call.MaxReceiveSize), cancellationToken);
        return read;
    }

    public Status GetStatus() =>
        _status ?? throw new InvalidOperationException("The call has not finished: read the response to its end first.");

    public Metadata GetTrailers() =>
        _trailers ?? throw new InvalidOperationException("The call has not finished: read the response to its end first.");

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        PushStreamContent requestStream;
        lock (_lock)
        {
            if (_status is { } status)
            {
                throw status.Code == StatusCode.OK
                    ? new InvalidOperationException("Can't write the message: the call is complete.")
                    : new RpcException(status, _trailers ?? new Metadata());
            }

            requestStream = _requestStream ?? throw new InvalidOperationException("This call has no request stream.");

            if (_requestCompleted)
            {
                throw new InvalidOperationException("Can't write the message: the request stream has been completed.");
            }

            if (_writing)
            {
                throw new InvalidOperationException("Can't write the message: the previous write is still in progress.");
            }

            _writing = true;
        }

        using var linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(_callCts.Token, cancellationToken)
            : null;
        var token = linked?.Token ?? _callCts.Token;
        try
        {
            var stream = await requestStream.GetStreamAsync(token);
            var buffer = _writeBuffer ??= new PooledBufferWriter();
            buffer.Reset();
            var size = MessageFraming.WriteMessage(buffer, message, _channel.Options.MaxSendMessageSize);
            await stream.WriteAsync(buffer.WrittenMemory, token);
            await stream.FlushAsync(token);
            RpcMetrics.ClientMessageSent(size);
        }
        catch (RpcException ex) when (_status is null)
        {
            throw Fail(ex.Status);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw SettledOrMapped(ex);
        }
        finally
        {
            lock (_lock)
            {
                _writing = false;
            }
        }
    }

    public Task CompleteAsync()
    {
        lock (_lock)
        {
            _requestCompleted = true;
        }

        _requestStream?.Complete();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        if (_status is null)
        {
            Finish(new Status(StatusCode.Cancelled, "Call disposed before it finished."), null);
        }

        _cancellation.Dispose();
        _reader?.Complete();
        _response?.Dispose();
        _deadlineCts?.Dispose();
        _writeBuffer?.Dispose();
    }

    private HttpRequestMessage BuildRequest(HttpContent content, TimeSpan? timeout)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _channel.MethodUri(_method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = request.Headers;
        headers.TryAddWithoutValidation(GrpcProtocol.TeHeader, GrpcProtocol.TeTrailers);
        headers.TryAddWithoutValidation("user-agent", RpcChannel.UserAgent);
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.AcceptedEncodings);
        if (timeout is { } t)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcProtocol.EncodeTimeout(t));
        }

        if (_options.Headers is { } metadata)
        {
            foreach (var entry in metadata)
            {
                if (!GrpcProtocol.IsReservedHeader(entry.Key))
                {
                    headers.TryAddWithoutValidation(entry.Key, entry.Value);
                }
            }
        }

        return request;
    }

    private async Task SendAsync(HttpRequestMessage request)
    {
        try
        {
            var response = await _channel.Invoker.SendAsync(request, _callCts.Token);
            bool failed;
            lock (_lock)
            {
                _response = response;
                failed = _status is { Code: not StatusCode.OK };
            }

            if (failed)
            {
                // The call ended while the headers were on their way: reset the stream.
                response.Dispose();
            }

            var headers = ResponseStatus.ToMetadata(response.Headers);
            if (ResponseStatus.FromHeaders(response) is { } status)
            {
                // Trailers-Only, or not a gRPC response at all: the call is over.
                Finish(status, headers);
            }

            _headers.TrySetResult(headers);
        }
        catch (Exception ex)
        {
            Finish(_status ?? MapException(ex), null);
        }
    }

    private int? MaxReceiveSize => _channel.Options.MaxReceiveMessageSize;

    private async Task<TResult> ReadSingleAsync<TState, TResult>(TState state, Func<TState, ReadOnlySequence<byte>, bool, TResult> decode)
    {
        var (read, message) = await ReadAsync(state, decode, CancellationToken.None);
        if (!read)
        {
            throw Fail(new Status(StatusCode.Internal, "Failed to deserialize response message: the response has no message."));
        }

        if ((await ReadAsync(state, decode, CancellationToken.None)).Read)
        {
            throw Fail(new Status(StatusCode.Internal, "The response has more than one message for a single-message method."));
        }

        return message!;
    }

    /// <summary>The next response message decoded by <paramref name="decode"/> (payload, compressed flag), or Read false at the end of the stream.</summary>
    private async Task<(bool Read, TResult? Value)> ReadAsync<TState, TResult>(TState state, Func<TState, ReadOnlySequence<byte>, bool, TResult> decode, CancellationToken cancellationToken)
    {
        try
        {
            await _headers.Task;
        }
        catch (RpcException) when (_status is not null)
        {
            // Reported below from the settled status.
        }

        if (_reader is null)
        {
            if (_status is { } early)
            {
                return early.Code == StatusCode.OK ? default : throw new RpcException(early, _trailers ?? new Metadata());
            }

            try
            {
                _reader = PipeReader.Create(await _response!.Content.ReadAsStreamAsync(_callCts.Token), ReaderOptions);
            }
            catch (Exception ex)
            {
                throw SettledOrMapped(ex);
            }
        }

        using var linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(_callCts.Token, cancellationToken)
            : null;
        var token = linked?.Token ?? _callCts.Token;
        var maxSize = _channel.Options.MaxReceiveMessageSize;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _reader.ReadAsync(token);
            }
            catch (Exception ex)
            {
                throw SettledOrMapped(ex);
            }

            var buffer = result.Buffer;
            try
            {
                if (MessageFraming.TryReadMessage(ref buffer, maxSize, out var compressed, out var payload))
                {
                    var message = decode(state, payload, compressed);
                    RpcMetrics.ClientMessageReceived((int)payload.Length + GrpcProtocol.MessageHeaderSize);
                    _reader.AdvanceTo(buffer.Start);
                    return (true, message);
                }
            }
            catch (RpcException ex)
            {
                _reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                throw Fail(ex.Status);
            }

            if (result.IsCompleted)
            {
                _reader.AdvanceTo(buffer.End);
                if (!buffer.IsEmpty)
                {
                    throw Fail(new Status(StatusCode.Internal, "Incomplete message: the response ended inside a message."));
                }

                var trailers = ResponseStatus.ToMetadata(_response!.TrailingHeaders);
                var status = ResponseStatus.FromTrailers(_response.TrailingHeaders);
                Finish(status, trailers);
                return status.Code == StatusCode.OK ? default : throw new RpcException(status, trailers);
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The exception for a transport failure: the status the call already settled on, else the failure's own.</summary>
    private RpcException SettledOrMapped(Exception ex) =>
        _status is { } settled && settled.Code != StatusCode.OK
            ? new RpcException(settled, _trailers ?? new Metadata(), ex)
            : Fail(MapException(ex));

    /// <summary>Settles the call with a status the client decided on, resetting the stream, and returns the exception to throw.</summary>
    private RpcException Fail(Status status)
    {
        Finish(status, null);
        return new RpcException(_status!.Value, _trailers ?? new Metadata());
    }

    /// <summary>
    /// Settles the status once. A failure cancels the HTTP request and disposes the response, which
    /// resets the stream (RST_STREAM CANCEL): once the response headers are in, cancelling the
    /// request's token alone no longer reaches the server.
    /// </summary>
    private void Finish(Status status, Metadata? trailers)
    {
        HttpResponseMessage? response;
        lock (_lock)
        {
            if (_status is not null)
            {
                return;
            }

            _status = status;
            _trailers = trailers ?? new Metadata();
            response = _response;
        }

        RpcMetrics.ClientCallCompleted(_method.FullName, status.Code);
        _channel.Logger.CallFinished(_method.FullName, status);
        if (status.Code == StatusCode.OK)
        {
            _requestStream?.Complete();
        }
        else
        {
            _requestStream?.Abort(new RpcException(status));
            _callCts.Cancel();
            response?.Dispose();
        }

        _headers.TrySetException(new RpcException(status, _trailers));
    }

    private string? ResponseEncoding() =>
        _response!.Headers.TryGetValues(GrpcProtocol.EncodingHeader, out var values) ? values.FirstOrDefault() : null;

    /// <summary>The status of a transport failure: the deadline, the caller's cancellation, a reset stream, or a lost connection.</summary>
    private Status MapException(Exception ex)
    {
        if (_deadlineCts?.IsCancellationRequested == true)
        {
            return new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }

        if (_options.CancellationToken.IsCancellationRequested)
        {
            return new Status(StatusCode.Cancelled, "Call cancelled by the client.");
        }

        _channel.Logger.TransportError(_method.FullName, ex);
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case HttpProtocolException protocol:
                    return new Status(GrpcProtocol.FromHttp2ErrorCode(protocol.ErrorCode), $"Error received from peer: {protocol.Message}");
                case HttpRequestException request when request.HttpRequestError is HttpRequestError.ConnectionError
                    or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError:
                    return new Status(StatusCode.Unavailable, $"Error connecting to {_channel.Address}: {request.Message}");
                case SocketException or IOException:
                    return new Status(StatusCode.Unavailable, $"Connection to {_channel.Address} failed: {inner.Message}");
                default:
                    break;
            }
        }

        return ex is OperationCanceledException
            ? new Status(StatusCode.Cancelled, "Call cancelled.")
            : new Status(StatusCode.Unavailable, $"Error starting gRPC call: {ex.Message}");
    }
}
