using System.Net;
using FileSwarm.Rpc.Internal;

namespace FileSwarm.Rpc.Client.Internal;

/// <summary>The body of a unary or server-streaming request: one framed message in pooled memory.</summary>
internal sealed class SingleMessageContent : HttpContent
{
    private PooledBufferWriter? _message;

    public SingleMessageContent(PooledBufferWriter message)
    {
        _message = message;
        Headers.TryAddWithoutValidation("content-type", GrpcProtocol.ContentType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var message = _message ?? throw new ObjectDisposedException(nameof(SingleMessageContent));
        await stream.WriteAsync(message.WrittenMemory, cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _message?.WrittenMemory.Length ?? 0;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Interlocked.Exchange(ref _message, null)?.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// The body of a client-streaming or duplex request: hands the HTTP/2 request stream to the call's
/// writer and stays open until the writer half-closes or the call ends.
/// </summary>
internal sealed class PushStreamContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PushStreamContent()
    {
        Headers.TryAddWithoutValidation("content-type", GrpcProtocol.ContentType);
    }

    public Task<Stream> GetStreamAsync(CancellationToken cancellationToken) => _stream.Task.WaitAsync(cancellationToken);

    /// <summary>Half-close: the transport ends the request stream with END_STREAM.</summary>
    public void Complete() => _done.TrySetResult();

    /// <summary>
    /// The call failed: release the writer, and fail the body so the transport resets the stream.
    /// Ending it normally would send END_STREAM, and the server would take a cut-off request
    /// stream for a whole one.
    /// </summary>
    public void Abort(Exception reason)
    {
        _stream.TrySetException(reason);
        _done.TrySetException(reason);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        // Sends the request headers now, before any message: the server may answer first.
        await stream.FlushAsync(cancellationToken);
        _stream.TrySetResult(stream);
        await _done.Task.WaitAsync(cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
