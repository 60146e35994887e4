using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace FileSwarm.Rpc;

/// <summary>The four shapes of a gRPC call.</summary>
public enum MethodType
{
    Unary,
    ClientStreaming,
    ServerStreaming,
    DuplexStreaming,
}

/// <summary>A method of a service: its path, its shape and how its messages are parsed.</summary>
public sealed class Method<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public Method(MethodType type, string serviceName, string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Type = type;
        ServiceName = serviceName;
        Name = name;
        FullName = "/" + serviceName + "/" + name;
        RequestParser = requestParser;
        ResponseParser = responseParser;
    }

    public MethodType Type { get; }

    /// <summary>The fully qualified service name, e.g. <c>grpc.health.v1.Health</c>.</summary>
    public string ServiceName { get; }

    public string Name { get; }

    /// <summary>The HTTP/2 <c>:path</c>: <c>/package.Service/Method</c>.</summary>
    public string FullName { get; }

    public MessageParser<TRequest> RequestParser { get; }

    public MessageParser<TResponse> ResponseParser { get; }

    public override string ToString() => FullName;
}

/// <summary>Builds <see cref="Method{TRequest,TResponse}"/> from protoc-generated descriptors.</summary>
public static class Method
{
    /// <summary>
    /// The method named <paramref name="name"/> of <paramref name="service"/>, checked against the
    /// message types the caller expects so that a mismatch fails at start-up, not on the wire.
    /// </summary>
    public static Method<TRequest, TResponse> Create<TRequest, TResponse>(ServiceDescriptor service, string name)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(service);
        var method = service.FindMethodByName(name)
            ?? throw new ArgumentException($"Service '{service.FullName}' has no method '{name}'.", nameof(name));
        return Create<TRequest, TResponse>(method);
    }

    public static Method<TRequest, TResponse> Create<TRequest, TResponse>(MethodDescriptor method)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        CheckType(method, method.InputType, typeof(TRequest), "request");
        CheckType(method, method.OutputType, typeof(TResponse), "response");
        var type = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            (true, true) => MethodType.DuplexStreaming,
        };
        return new Method<TRequest, TResponse>(
            type,
            method.Service.FullName,
            method.Name,
            (MessageParser<TRequest>)method.InputType.Parser,
            (MessageParser<TResponse>)method.OutputType.Parser);
    }

    private static void CheckType(MethodDescriptor method, MessageDescriptor descriptor, Type expected, string role)
    {
        if (descriptor.ClrType != expected)
        {
            throw new ArgumentException(
                $"Method '{method.FullName}' takes {descriptor.FullName} as its {role}, not {expected.FullName}.");
        }
    }
}
