using System.IO.Pipelines;
using System.Net;
using FileSwarm.Rpc.Internal;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace FileSwarm.Rpc.Server.Internal;

/// <summary>
/// One call on the server: reads request messages, writes response messages, runs the deadline and
/// ends the call with exactly one status. Writes and the deadline take one lock, so a status is never
/// written twice and never in the middle of a message.
/// </summary>
internal sealed class ServerCall<TRequest, TResponse> : IServerCallState, IAsyncStreamReader<TRequest>, IAsyncStreamWriter<TResponse>, IAsyncDisposable
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly HttpContext _http;
    private readonly Method<TRequest, TResponse> _method;
    private readonly ServerRuntime _runtime;
    private readonly int? _maxReceiveSize;
    private readonly CancellationTokenSource _cts;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly long _started;
    private string? _requestEncoding;
    private ITimer? _deadlineTimer;
    private Task? _deadlineTask;
    private bool _headersSent;
    private bool _completed;
    private volatile bool _deadlineExceeded;
    private volatile bool _requestStreamAborted;
    private TRequest? _current;

    public ServerCall(HttpContext http, Method<TRequest, TResponse> method, ServerRuntime runtime, int? maxReceiveSize)
    {
        _http = http;
        _method = method;
        _runtime = runtime;
        _maxReceiveSize = maxReceiveSize;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        _started = runtime.TimeProvider.GetTimestamp();
        Context = null!;
    }

    public ServerCallContext Context { get; private set; }

    public CancellationToken CancellationToken => _cts.Token;

    public TRequest Current => _current ?? throw new InvalidOperationException("MoveNext has not returned a message.");

    /// <summary>Reads the call's headers; answers at once and returns false when the call cannot run.</summary>
    public async Task<bool> StartAsync()
    {
        var request = _http.Request;
        var now = _runtime.TimeProvider.GetUtcNow().UtcDateTime;
        var deadline = DateTime.MaxValue;
        TimeSpan? timeout = null;
        var timeoutHeader = request.Headers[GrpcProtocol.TimeoutHeader].ToString();
        if (timeoutHeader.Length > 0)
        {
            if (GrpcProtocol.TryParseTimeout(timeoutHeader, out var parsed))
            {
                timeout = parsed;
                deadline = parsed >= DateTime.MaxValue - now ? DateTime.MaxValue : now + parsed;
            }
            else
            {
                _runtime.Logger.InvalidTimeout(_method.FullName, timeoutHeader);
            }
        }

        var metadata = new Metadata();
        foreach (var (name, values) in request.Headers)
        {
            GrpcProtocol.AddHeaderToMetadata(metadata, name, values!);
        }

        var connection = _http.Connection;
        var remote = connection.RemoteIpAddress is { } ip ? new IPEndPoint(ip, connection.RemotePort) : null;
        Context = new ServerCallContext(this, _method.FullName, metadata, deadline, remote);
        RpcMetrics.ServerCallStarted(_method.FullName);
        _runtime.Logger.CallStarting(_method.FullName);

        var encoding = request.Headers[GrpcProtocol.EncodingHeader].ToString();
        _requestEncoding = encoding.Length == 0 ? null : encoding;
        if (!MessageFraming.IsSupportedEncoding(_requestEncoding))
        {
            await EndEarlyAsync(new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding value '{encoding}'. Supported encodings: {GrpcProtocol.AcceptedEncodings}"));
            return false;
        }

        if (timeout is { } t)
        {
            if (t <= TimeSpan.Zero || _runtime.TimeProvider.GetUtcNow().UtcDateTime >= deadline)
            {
                _deadlineExceeded = true;
                await EndEarlyAsync(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
                return false;
            }

            _deadlineTimer = _runtime.TimeProvider.CreateTimer(
                static state => ((ServerCall<TRequest, TResponse>)state!).OnDeadline(), this, t, Timeout.InfiniteTimeSpan);
        }

        // Message size is policed per message; streams may run long and slow.
        if (_http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        if (_http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }

        return true;
    }

    /// <summary>The one request message of a unary or server-streaming call.</summary>
    public async Task<TRequest> ReadSingleMessageAsync()
    {
        var message = await ReadMessageAsync(_cts.Token)
            ?? throw new RpcException(StatusCode.Internal, "Request did not include a message.");
        if (await ReadMessageAsync(_cts.Token) is not null)
        {
            throw new RpcException(StatusCode.Internal, "Request included more than one message for a single-message method.");
        }

        return message;
    }

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        // Handlers usually pass the call's own token (context.CancellationToken): no link needed then.
        using var linked = cancellationToken.CanBeCanceled && cancellationToken != _cts.Token
            ? CancellationTokenSource.CreateLinkedTokenSource(_cts.Token, cancellationToken)
            : null;
        _current = await ReadMessageAsync(linked?.Token ?? _cts.Token);
        return _current is not null;
    }

    public Task WriteAsync(TResponse message, CancellationToken cancellationToken = default) =>
        WriteMessageAsync(message, flush: true, cancellationToken);

    public async Task WriteMessageAsync(TResponse message, bool flush, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var token = cancellationToken.CanBeCanceled ? cancellationToken : _cts.Token;
        await _writeLock.WaitAsync(token);
        try
        {
            if (_completed)
            {
                throw new InvalidOperationException("Can't write the message: the call is complete.");
            }

            var response = _http.Response;
            if (!_headersSent)
            {
                GrpcResponse.SetResponseHeaders(response, null);
                _headersSent = true;
            }

            var size = MessageFraming.WriteMessage(response.BodyWriter, message, _runtime.Options.MaxSendMessageSize);
            RpcMetrics.ServerMessageSent(size);
            if (flush)
            {
                var result = await response.BodyWriter.FlushAsync(_cts.Token);
                if (result.IsCanceled)
                {
                    throw new OperationCanceledException(_cts.Token);
                }
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task WriteResponseHeadersAsync(Metadata headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        await _writeLock.WaitAsync(_cts.Token);
        try
        {
            if (_headersSent || _completed)
            {
                throw new InvalidOperationException("Response headers can only be sent once per call, before any message.");
            }

            GrpcResponse.SetResponseHeaders(_http.Response, headers);
            _headersSent = true;
            await _http.Response.BodyWriter.FlushAsync(_cts.Token);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Ends the call normally, with the status the handler left in its context.</summary>
    public async Task CompleteAsync()
    {
        if (_deadlineExceeded)
        {
            await EndWithDeadlineAsync();
            return;
        }

        await _writeLock.WaitAsync();
        try
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            await WriteStatusAsync(Context.Status, Context.ResponseTrailers);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// The one place where anything a handler or the transport throws becomes a status. Internals
    /// reach the caller only when detailed errors are on.
    /// </summary>
    public async Task FailAsync(Exception exception)
    {
        if (_deadlineExceeded)
        {
            // The handler failed because the deadline cancelled it (or after it passed). Whichever of
            // this and the deadline timer gets here first ends the call; waiting for the timer's task
            // instead would race with its start.
            await EndWithDeadlineAsync();
            return;
        }

        Status status;
        var trailers = Context?.ResponseTrailers ?? new Metadata();
        if (exception is RpcException rpc)
        {
            status = rpc.Status;
            foreach (var entry in rpc.Trailers)
            {
                trailers.Add(entry);
            }
        }
        else if (_requestStreamAborted || _http.RequestAborted.IsCancellationRequested)
        {
            // The caller reset the stream or went away: nothing can be written, and it is no error.
            _runtime.Logger.CallCancelledByClient(_method.FullName);
            await MarkCompletedAsync();
            RecordCompletion(StatusCode.Cancelled);
            return;
        }
        else
        {
            _runtime.Logger.HandlerError(_method.FullName, exception);
            var detail = "Exception was thrown by handler.";
            if (_runtime.Options.EnableDetailedErrors)
            {
                detail += $" {exception.GetType().Name}: {exception.Message}";
            }

            status = new Status(StatusCode.Unknown, detail);
        }

        await _writeLock.WaitAsync();
        try
        {
            if (_completed)
            {
                _runtime.Logger.ErrorAfterCompletion(_method.FullName, exception);
                return;
            }

            _completed = true;
            await WriteStatusAsync(status, trailers);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_deadlineTimer is not null)
        {
            // Waits for a running callback, so the deadline task, if any, is known afterwards.
            await _deadlineTimer.DisposeAsync();
        }

        if (_deadlineTask is not null)
        {
            await _deadlineTask;
        }

        _cts.Dispose();
        _writeLock.Dispose();
    }

    private async Task EndEarlyAsync(Status status)
    {
        await MarkCompletedAsync();
        RecordCompletion(status.Code);
        await GrpcResponse.WriteEarlyErrorAsync(_http, StatusCodes.Status200OK, status,
            status.Code == StatusCode.Unimplemented ? new Metadata().Add(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.AcceptedEncodings) : null);
    }

    private async Task MarkCompletedAsync()
    {
        await _writeLock.WaitAsync();
        _completed = true;
        _writeLock.Release();
    }

    /// <summary>Writes the status: Trailers-Only before any message, trailers after. Called under the write lock.</summary>
    private async Task WriteStatusAsync(Status status, Metadata trailers)
    {
        var response = _http.Response;
        if (!_headersSent && !response.HasStarted)
        {
            GrpcResponse.SetTrailersOnly(response, StatusCodes.Status200OK, status, trailers);
        }
        else
        {
            GrpcResponse.SetTrailers(response, status, trailers);
        }

        RecordCompletion(status.Code);
        try
        {
            await response.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client went away while the status was on its way; nothing more can be done.
            _runtime.Logger.StatusNotDelivered(_method.FullName, ex);
        }
    }

    private async Task<TRequest?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var reader = _http.Request.BodyReader;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // The client reset the stream or the connection broke. Kestrel signals RequestAborted
                // later, from the thread pool, so remember it here: this is a cancellation, not an error.
                _requestStreamAborted = true;
                throw;
            }

            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            try
            {
                if (MessageFraming.TryReadMessage(ref buffer, _maxReceiveSize, out var compressed, out var payload))
                {
                    var message = MessageFraming.Parse(_method.RequestParser, payload, compressed, _requestEncoding, _maxReceiveSize);
                    RpcMetrics.ServerMessageReceived((int)payload.Length + GrpcProtocol.MessageHeaderSize);
                    AdvanceTo(reader, buffer.Start, buffer.Start);
                    return message;
                }
            }
            catch
            {
                AdvanceTo(reader, result.Buffer.Start, result.Buffer.End);
                throw;
            }

            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    AdvanceTo(reader, buffer.End, buffer.End);
                    throw new RpcException(StatusCode.Internal, "Incomplete message: the request stream ended inside a message.");
                }

                AdvanceTo(reader, buffer.End, buffer.End);
                return null;
            }

            AdvanceTo(reader, buffer.Start, buffer.End);
        }
    }

    /// <summary>Kestrel reports a client reset from AdvanceTo as well as from ReadAsync: note it the same way.</summary>
    private void AdvanceTo(PipeReader reader, SequencePosition consumed, SequencePosition examined)
    {
        try
        {
            reader.AdvanceTo(consumed, examined);
        }
        catch (IOException)
        {
            _requestStreamAborted = true;
            throw;
        }
    }

    private void OnDeadline()
    {
        _deadlineExceeded = true;
        _deadlineTask = DeadlineExceededAsync();
    }

    /// <summary>
    /// The server's own deadline: cancel the handler (and any write stuck on flow control), send
    /// DEADLINE_EXCEEDED, then reset the stream so the caller stops sending.
    /// </summary>
    private async Task DeadlineExceededAsync()
    {
        try
        {
            await _cts.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        await EndWithDeadlineAsync();
    }

    /// <summary>
    /// Ends the call with DEADLINE_EXCEEDED, then resets the stream (RST_STREAM CANCEL) so the caller
    /// stops sending; does nothing when the call has already ended. Safe to call from either side.
    /// </summary>
    private async Task EndWithDeadlineAsync()
    {
        try
        {
            await _writeLock.WaitAsync();
            try
            {
                if (_completed)
                {
                    return;
                }

                _completed = true;
                _runtime.Logger.DeadlineExceeded(_method.FullName);
                await WriteStatusAsync(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), Context.ResponseTrailers);
                _http.Features.Get<IHttpResetFeature>()?.Reset((int)GrpcProtocol.Http2Cancel);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            _runtime.Logger.StatusNotDelivered(_method.FullName, ex);
        }
    }

    private void RecordCompletion(StatusCode code)
    {
        var elapsed = _runtime.TimeProvider.GetElapsedTime(_started);
        RpcMetrics.ServerCallCompleted(_method.FullName, code, elapsed.TotalSeconds);
        _runtime.Logger.CallCompleted(_method.FullName, code, elapsed.TotalMilliseconds);
    }
}
