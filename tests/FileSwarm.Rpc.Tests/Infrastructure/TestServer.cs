using System.Net;
using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Server;
using FileSwarm.Rpc.Tests.Protos;

namespace FileSwarm.Rpc.Tests.Infrastructure;

/// <summary>
/// An <see cref="RpcServer"/> on 127.0.0.1 port 0 with the test's handlers bound on the Probe service,
/// and a channel to it. Disposing checks that nothing was logged at Error level unless the test said
/// it expects errors.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public static readonly Method<Payload, Payload> Unary = ProbeMethod<Payload, Payload>("Unary");
    public static readonly Method<Payload, Payload> ServerStream = ProbeMethod<Payload, Payload>("ServerStream");
    public static readonly Method<Payload, Payload> ClientStream = ProbeMethod<Payload, Payload>("ClientStream");
    public static readonly Method<Payload, Payload> Duplex = ProbeMethod<Payload, Payload>("Duplex");
    public static readonly Method<Payload, Payload> Unbound = ProbeMethod<Payload, Payload>("Unbound");
    public static readonly Method<Payload, Payload> Metered = ProbeMethod<Payload, Payload>("Metered");

    private readonly List<RpcChannel> _channels = [];

    private TestServer(RpcServer server, RecordingLoggerProvider logs)
    {
        Server = server;
        Logs = logs;
    }

    public RpcServer Server { get; }

    public RecordingLoggerProvider Logs { get; }

    /// <summary>Set by tests whose server is meant to log errors (a handler throwing, for one).</summary>
    public bool ExpectErrors { get; set; }

    public Uri Address => Server.Address;

    public static Google.Protobuf.Reflection.ServiceDescriptor ProbeService => ProbeReflection.Descriptor.Services.Single(s => s.Name == "Probe");

    public static Google.Protobuf.Reflection.ServiceDescriptor SecondaryService => ProbeReflection.Descriptor.Services.Single(s => s.Name == "Secondary");

    public static Method<TRequest, TResponse> ProbeMethod<TRequest, TResponse>(string name)
        where TRequest : class, Google.Protobuf.IMessage<TRequest>
        where TResponse : class, Google.Protobuf.IMessage<TResponse>
        => Method.Create<TRequest, TResponse>(ProbeService, name);

    public static async Task<TestServer> StartAsync(
        Action<RpcServiceBuilder> bind,
        Action<RpcServerOptions>? configure = null,
        params RpcServiceBuilder[] moreServices)
    {
        var logs = new RecordingLoggerProvider();
        var options = new RpcServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        configure?.Invoke(options);
        var probe = new RpcServiceBuilder(ProbeService);
        bind(probe);
        var server = new RpcServer(options, logs.CreateFactory()).AddService(probe);
        foreach (var service in moreServices)
        {
            server.AddService(service);
        }

        await server.StartAsync();
        return new TestServer(server, logs);
    }

    /// <summary>A channel to this server, disposed with it.</summary>
    public RpcChannel CreateChannel(Action<RpcChannelOptions>? configure = null)
    {
        var options = new RpcChannelOptions { LoggerFactory = Logs.CreateFactory() };
        configure?.Invoke(options);
        var channel = new RpcChannel(Address, options);
        _channels.Add(channel);
        return channel;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        await Server.DisposeAsync();
        if (!ExpectErrors)
        {
            Logs.AssertNoErrors();
        }
    }
}
