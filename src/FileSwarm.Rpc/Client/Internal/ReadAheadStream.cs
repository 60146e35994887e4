using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace FileSwarm.Rpc.Client.Internal;

// The connection stream under the HTTP/2 client. The client reads a frame or so at a time, so a fast response arrived
// as one receive system call per ~8 KiB (bench/transfer/one-to-one.sh, 256 MiB: 32.8k receives); this stream receives
// up to ReceiveBufferSize per call and serves the client's small reads from it (3.3k receives, downloader CPU -4 %).
// Reads larger than the buffer go straight to the socket. The buffer is rented when a receive needs it and given back
// as soon as the client has read it all, so an idle connection holds none. Zero-byte reads (the client's "tell me when
// there is data") complete at once when bytes are buffered, otherwise when the socket has some. Writes pass through.
// Like any stream, one read and one write may run at once, never two reads.
internal sealed class ReadAheadStream(Stream inner) : Stream
{
    internal const int ReceiveBufferSize = 64 * 1024;

    private byte[]? _buffer;
    private int _start;
    private int _end;

    /// <summary>Opens a TCP connection the way the HTTP client does by default (no Nagle), read ahead.</summary>
    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new ReadAheadStream(new NetworkStream(socket, ownsSocket: true));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_buffer is null)
        {
            if (destination.Length is 0 or >= ReceiveBufferSize)
            {
                return await inner.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
            }

            var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
            int received;
            try
            {
                received = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }

            if (!Fill(buffer, received))
            {
                return 0;
            }
        }

        return Drain(destination.Span);
    }

    public override int Read(Span<byte> destination)
    {
        if (_buffer is null)
        {
            if (destination.Length is 0 or >= ReceiveBufferSize)
            {
                return inner.Read(destination);
            }

            var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
            int received;
            try
            {
                received = inner.Read(buffer);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }

            if (!Fill(buffer, received))
            {
                return 0;
            }
        }

        return Drain(destination);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(source, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(ReadOnlySpan<byte> source) => inner.Write(source);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    // A buffer with unread bytes at disposal is left to the garbage collector: a read may still be copying from it.
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private bool Fill(byte[] buffer, int received)
    {
        if (received == 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return false;
        }

        _buffer = buffer;
        _start = 0;
        _end = received;
        return true;
    }

    private int Drain(Span<byte> destination)
    {
        var buffer = _buffer!;
        var count = Math.Min(destination.Length, _end - _start);
        buffer.AsSpan(_start, count).CopyTo(destination);
        _start += count;
        if (_start == _end)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return count;
    }
}
