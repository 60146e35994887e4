using System.Collections.Concurrent;
using FileSwarm.Rpc.Client.Internal;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Rpc.Client;

/// <summary>
/// Calls to one server address over HTTP/2 (h2c for <c>http://</c>, TLS for <c>https://</c>).
/// Connections are pooled and reused; when a connection's stream limit is reached another is
/// opened. A channel is meant to live long and be shared; it is thread-safe.
/// </summary>
public sealed class RpcChannel : IDisposable
{
    internal const string UserAgent = "grpc-csharp-fileswarm/1.0";

    private readonly ConcurrentDictionary<string, Uri> _methodUris = new(StringComparer.Ordinal);

    public RpcChannel(Uri address, RpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"A channel address must be http:// or https://, not '{address}'.", nameof(address));
        }

        Address = address;
        Options = options ?? new RpcChannelOptions();
        if (Options.MaxReceiveMessageSize is <= 0 || Options.MaxSendMessageSize is <= 0)
        {
            throw new ArgumentException("Message size limits must be positive, or null for none.", nameof(options));
        }

        Logger = (Options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("FileSwarm.Rpc.Client");
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = Options.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            InitialHttp2StreamWindowSize = Options.InitialHttp2StreamWindowSize,
            KeepAlivePingPolicy = Options.KeepAlivePingPolicy,
            KeepAlivePingTimeout = Options.KeepAlivePingTimeout,
            // The client's own connection, read ahead in large receives (see ReadAheadStream).
            ConnectCallback = static (context, token) => ReadAheadStream.ConnectAsync(context.DnsEndPoint, token),
        };
        if (Options.KeepAlivePingDelay is { } delay)
        {
            handler.KeepAlivePingDelay = delay;
        }

        if (Options.RemoteCertificateValidation is { } validate)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = validate;
        }

        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>A channel for <c>http://host:port</c>, <c>https://host:port</c>, or a bare <c>host:port</c> (h2c).</summary>
    public static RpcChannel ForAddress(string address, RpcChannelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        var uri = address.Contains("://", StringComparison.Ordinal) ? new Uri(address) : new Uri("http://" + address);
        return new RpcChannel(uri, options);
    }

    public Uri Address { get; }

    public RpcChannelOptions Options { get; }

    internal HttpMessageInvoker Invoker { get; }

    internal ILogger Logger { get; }

    internal TimeProvider TimeProvider => Options.TimeProvider;

    public AsyncUnaryCall<TResponse> UnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = Start(method, MethodType.Unary, options, request);
        return new AsyncUnaryCall<TResponse>(call.ReadSingleResponseAsync(), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call);
    }

    /// <summary>Runs a unary call to its end and returns the response, or throws <see cref="RpcException"/>.</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        using var call = UnaryCall(method, request, options);
        return await call.ResponseAsync;
    }

    /// <summary>
    /// Runs a unary call to its end and hands the response's serialized bytes to <paramref name="decoder"/> instead of
    /// parsing a message: for responses carrying a large bytes field the caller copies straight into its own buffer
    /// (no message object, no per-call array). The decoder runs once, on the received bytes (decompressed if needed),
    /// before they are released; an <see cref="InvalidProtocolBufferException"/> it throws fails the call with
    /// INTERNAL, an <see cref="RpcException"/> with its own status.
    /// </summary>
    public async Task<TResult> UnaryAsync<TRequest, TResponse, TResult>(Method<TRequest, TResponse> method, TRequest request, ResponseDecoder<TResult> decoder, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decoder);
        using var call = Start(method, MethodType.Unary, options, request);
        return await call.ReadSingleResponseAsync(decoder);
    }

    public AsyncServerStreamingCall<TResponse> ServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = Start(method, MethodType.ServerStreaming, options, request);
        return new AsyncServerStreamingCall<TResponse>(call, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call);
    }

    public AsyncClientStreamingCall<TRequest, TResponse> ClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = Start(method, MethodType.ClientStreaming, options, null);
        return new AsyncClientStreamingCall<TRequest, TResponse>(call, call.ReadSingleResponseAsync(), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call);
    }

    public AsyncDuplexStreamingCall<TRequest, TResponse> DuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = Start(method, MethodType.DuplexStreaming, options, null);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call, call, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call);
    }

    public void Dispose() => Invoker.Dispose();

    internal Uri MethodUri(string fullName) => _methodUris.GetOrAdd(fullName, static (path, address) => new Uri(address, path), Address);

    private ClientCall<TRequest, TResponse> Start<TRequest, TResponse>(Method<TRequest, TResponse> method, MethodType expected, CallOptions options, TRequest? request)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Type != expected)
        {
            throw new ArgumentException($"Method '{method.FullName}' is {method.Type}, not {expected}.", nameof(method));
        }

        var call = new ClientCall<TRequest, TResponse>(this, method, options);
        call.Start(request);
        return call;
    }
}
