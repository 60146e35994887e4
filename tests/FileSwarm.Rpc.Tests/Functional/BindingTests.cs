using System.Net;
using FileSwarm.Rpc.Server;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;

namespace FileSwarm.Rpc.Tests.Functional;

public sealed class BindingTests
{
    private static Task<Payload> Echo(Payload request, ServerCallContext context) => Task.FromResult(request);

    [Fact]
    public void A_handler_with_the_wrong_message_types_is_rejected()
    {
        var builder = new RpcServiceBuilder(TestServer.ProbeService);
        var request = Assert.Throws<ArgumentException>(() => builder.Unary<Other, Payload>("Unary", (_, _) => Task.FromResult(new Payload())));
        Assert.Contains("fileswarm.rpc.test.Payload", request.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => builder.Unary<Payload, Other>("Unary", (_, _) => Task.FromResult(new Other())));
    }

    [Fact]
    public void A_handler_of_the_wrong_call_shape_is_rejected()
    {
        var builder = new RpcServiceBuilder(TestServer.ProbeService);
        Assert.Throws<ArgumentException>(() => builder.Unary<Payload, Payload>("ServerStream", Echo));
        Assert.Throws<ArgumentException>(() => builder.ServerStreaming<Payload, Payload>("Unary", (_, _, _) => Task.CompletedTask));
        Assert.Throws<ArgumentException>(() => builder.ClientStreaming<Payload, Payload>("Duplex", (_, _) => Task.FromResult(new Payload())));
        Assert.Throws<ArgumentException>(() => builder.Duplex<Payload, Payload>("ClientStream", (_, _, _) => Task.CompletedTask));
    }

    [Fact]
    public void An_unknown_method_name_is_rejected()
    {
        var builder = new RpcServiceBuilder(TestServer.ProbeService);
        Assert.Throws<ArgumentException>(() => builder.Unary<Payload, Payload>("NoSuchMethod", Echo));
        Assert.Throws<ArgumentException>(() => builder.Unary<Payload, Payload>("unary", Echo)); // names are case-sensitive
    }

    [Fact]
    public void A_method_bound_twice_is_rejected()
    {
        var builder = new RpcServiceBuilder(TestServer.ProbeService).Unary<Payload, Payload>("Unary", Echo);
        Assert.Throws<ArgumentException>(() => builder.Unary<Payload, Payload>("Unary", Echo));
    }

    [Fact]
    public async Task A_service_registered_twice_fails_the_start()
    {
        var options = new RpcServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var server = new RpcServer(options)
            .AddService(new RpcServiceBuilder(TestServer.ProbeService))
            .AddService(new RpcServiceBuilder(TestServer.ProbeService));

        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());
    }

    [Fact]
    public async Task Server_options_are_validated_at_start()
    {
        await using var noEndPoint = new RpcServer(new RpcServerOptions());
        await Assert.ThrowsAsync<ArgumentException>(() => noEndPoint.StartAsync());

        var options = new RpcServerOptions { MaxReceiveMessageSize = 0 };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var badLimit = new RpcServer(options);
        await Assert.ThrowsAsync<ArgumentException>(() => badLimit.StartAsync());
    }

    [Fact]
    public async Task An_unbound_method_of_a_served_service_answers_UNIMPLEMENTED()
    {
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", Echo));
        var channel = server.CreateChannel();

        Assert.Equal("x", (await channel.UnaryAsync(TestServer.Unary, new Payload { Text = "x" })).Text);
        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unbound, new Payload()));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);

        using var stream = channel.DuplexStreamingCall(TestServer.Duplex);
        var streamEx = await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Unimplemented, streamEx.StatusCode);
    }

    [Fact]
    public void The_channel_refuses_a_method_called_in_the_wrong_shape()
    {
        using var channel = new Client.RpcChannel(new Uri("http://127.0.0.1:1"));
        Assert.Throws<ArgumentException>(() => channel.UnaryCall(TestServer.ServerStream, new Payload()));
        Assert.Throws<ArgumentException>(() => channel.DuplexStreamingCall(TestServer.Unary));
    }
}
