using System.Runtime.CompilerServices;

namespace FileSwarm.Rpc.Client;

/// <summary>What every call in flight offers: its response headers, its status and trailers once it has finished, and cancellation by disposal.</summary>
public abstract class AsyncCall : IDisposable
{
    private readonly IDisposable _call;
    private readonly Func<Status> _status;
    private readonly Func<Metadata> _trailers;

    private protected AsyncCall(Task<Metadata> headers, Func<Status> status, Func<Metadata> trailers, IDisposable call)
    {
        ResponseHeadersAsync = headers;
        _status = status;
        _trailers = trailers;
        _call = call;
    }

    public Task<Metadata> ResponseHeadersAsync { get; }

    /// <summary>The call's status; throws until the call has finished.</summary>
    public Status GetStatus() => _status();

    /// <summary>The call's trailing metadata; throws until the call has finished.</summary>
    public Metadata GetTrailers() => _trailers();

    /// <summary>Cancels the call when it has not finished (RST_STREAM CANCEL) and releases it.</summary>
    public void Dispose()
    {
        _call.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A unary call in flight. Await it (or <see cref="ResponseAsync"/>) for the response; dispose to cancel.</summary>
public sealed class AsyncUnaryCall<TResponse> : AsyncCall
{
    internal AsyncUnaryCall(Task<TResponse> response, Task<Metadata> headers, Func<Status> status, Func<Metadata> trailers, IDisposable call)
        : base(headers, status, trailers, call)
    {
        ResponseAsync = response;
    }

    public Task<TResponse> ResponseAsync { get; }

    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();
}

/// <summary>A server-streaming call in flight: read <see cref="ResponseStream"/> to its end; dispose to cancel.</summary>
public sealed class AsyncServerStreamingCall<TResponse> : AsyncCall
{
    internal AsyncServerStreamingCall(IAsyncStreamReader<TResponse> responses, Task<Metadata> headers, Func<Status> status, Func<Metadata> trailers, IDisposable call)
        : base(headers, status, trailers, call)
    {
        ResponseStream = responses;
    }

    public IAsyncStreamReader<TResponse> ResponseStream { get; }
}

/// <summary>A client-streaming call in flight: write to <see cref="RequestStream"/>, complete it, then await the response.</summary>
public sealed class AsyncClientStreamingCall<TRequest, TResponse> : AsyncCall
{
    internal AsyncClientStreamingCall(IClientStreamWriter<TRequest> requests, Task<TResponse> response, Task<Metadata> headers, Func<Status> status, Func<Metadata> trailers, IDisposable call)
        : base(headers, status, trailers, call)
    {
        RequestStream = requests;
        ResponseAsync = response;
    }

    public IClientStreamWriter<TRequest> RequestStream { get; }

    public Task<TResponse> ResponseAsync { get; }

    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();
}

/// <summary>A bidirectional call in flight: write requests and read responses concurrently; dispose to cancel.</summary>
public sealed class AsyncDuplexStreamingCall<TRequest, TResponse> : AsyncCall
{
    internal AsyncDuplexStreamingCall(IClientStreamWriter<TRequest> requests, IAsyncStreamReader<TResponse> responses, Task<Metadata> headers, Func<Status> status, Func<Metadata> trailers, IDisposable call)
        : base(headers, status, trailers, call)
    {
        RequestStream = requests;
        ResponseStream = responses;
    }

    public IClientStreamWriter<TRequest> RequestStream { get; }

    public IAsyncStreamReader<TResponse> ResponseStream { get; }
}
