using Google.Protobuf;
using Google.Protobuf.Reflection;
using FileSwarm.Rpc.Server.Internal;

namespace FileSwarm.Rpc.Server;

public delegate Task<TResponse> UnaryServerMethod<TRequest, TResponse>(TRequest request, ServerCallContext context);

public delegate Task ServerStreamingServerMethod<TRequest, TResponse>(
    TRequest request, IAsyncStreamWriter<TResponse> responseStream, ServerCallContext context);

public delegate Task<TResponse> ClientStreamingServerMethod<TRequest, TResponse>(
    IAsyncStreamReader<TRequest> requestStream, ServerCallContext context);

public delegate Task DuplexStreamingServerMethod<TRequest, TResponse>(
    IAsyncStreamReader<TRequest> requestStream, IAsyncStreamWriter<TResponse> responseStream, ServerCallContext context);

/// <summary>
/// Binds handlers to the methods of a protoc-generated service descriptor. Each binding is checked
/// against the descriptor's message types and call shape; methods left unbound answer UNIMPLEMENTED.
/// </summary>
public sealed class RpcServiceBuilder
{
    private readonly Dictionary<string, IServerMethod> _methods = new(StringComparer.Ordinal);

    public RpcServiceBuilder(ServiceDescriptor descriptor)
    {
        Descriptor = descriptor ?? throw new ArgumentNullException(nameof(descriptor));
    }

    public ServiceDescriptor Descriptor { get; }

    /// <summary>Receive limit for this service's calls, overriding the server's; null keeps the server's.</summary>
    public int? MaxReceiveMessageSize { get; set; }

    /// <summary>True when <see cref="MaxReceiveMessageSize"/> was set, so that null means "no limit" for this service.</summary>
    internal bool OverridesMaxReceiveMessageSize { get; private set; }

    internal IReadOnlyDictionary<string, IServerMethod> Methods => _methods;

    public RpcServiceBuilder WithMaxReceiveMessageSize(int? bytes)
    {
        if (bytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), "A receive limit must be positive, or null for none.");
        }

        MaxReceiveMessageSize = bytes;
        OverridesMaxReceiveMessageSize = true;
        return this;
    }

    /// <summary>
    /// Binds a unary method. A response that implements <see cref="IDisposable"/> is disposed once it has been
    /// written, so it may hold pooled buffers (as client-streaming responses may).
    /// </summary>
    public RpcServiceBuilder Unary<TRequest, TResponse>(string name, UnaryServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
        => Bind<TRequest, TResponse>(name, MethodType.Unary, handler, m => new ServerMethod<TRequest, TResponse>(m, this, unary: handler));

    public RpcServiceBuilder ServerStreaming<TRequest, TResponse>(string name, ServerStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
        => Bind<TRequest, TResponse>(name, MethodType.ServerStreaming, handler, m => new ServerMethod<TRequest, TResponse>(m, this, serverStreaming: handler));

    public RpcServiceBuilder ClientStreaming<TRequest, TResponse>(string name, ClientStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
        => Bind<TRequest, TResponse>(name, MethodType.ClientStreaming, handler, m => new ServerMethod<TRequest, TResponse>(m, this, clientStreaming: handler));

    public RpcServiceBuilder Duplex<TRequest, TResponse>(string name, DuplexStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
        => Bind<TRequest, TResponse>(name, MethodType.DuplexStreaming, handler, m => new ServerMethod<TRequest, TResponse>(m, this, duplex: handler));

    private RpcServiceBuilder Bind<TRequest, TResponse>(
        string name,
        MethodType expected,
        Delegate handler,
        Func<Method<TRequest, TResponse>, IServerMethod> create)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        var method = Method.Create<TRequest, TResponse>(Descriptor, name);
        if (method.Type != expected)
        {
            throw new ArgumentException($"Method '{method.FullName}' is {method.Type}, not {expected}.", nameof(name));
        }

        if (!_methods.TryAdd(method.FullName, create(method)))
        {
            throw new ArgumentException($"Method '{method.FullName}' is bound twice.", nameof(name));
        }

        return this;
    }
}
