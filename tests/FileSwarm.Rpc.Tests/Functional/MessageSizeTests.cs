using System.Runtime.CompilerServices;
using FileSwarm.Rpc.Server;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;
using Google.Protobuf;

namespace FileSwarm.Rpc.Tests.Functional;

public sealed class MessageSizeTests
{
    private static readonly Method<Payload, Payload> SecondaryUnary = Method.Create<Payload, Payload>(TestServer.SecondaryService, "Unary");

    /// <summary>Answers with a body of the requested size; counts how often it ran.</summary>
    private static Action<RpcServiceBuilder> SizedEcho(StrongBox<int>? calls = null) => probe => probe
        .Unary<Payload, Payload>("Unary", (request, _) =>
        {
            if (calls is not null)
            {
                Interlocked.Increment(ref calls.Value);
            }

            return Task.FromResult(new Payload { Body = ByteString.CopyFrom(new byte[request.ResponseSize]) });
        })
        .ServerStreaming<Payload, Payload>("ServerStream", async (request, responses, _) =>
        {
            await responses.WriteAsync(new Payload { Text = "small" });
            await responses.WriteAsync(new Payload { Body = ByteString.CopyFrom(new byte[request.ResponseSize]) });
        });

    private static Payload WithBody(int size, int responseSize = 0) =>
        new() { Body = ByteString.CopyFrom(new byte[size]), ResponseSize = responseSize };

    [Fact]
    public async Task A_response_over_the_channels_receive_limit_is_RESOURCE_EXHAUSTED()
    {
        await using var server = await TestServer.StartAsync(SizedEcho());
        var channel = server.CreateChannel(options => options.MaxReceiveMessageSize = 1000);

        var fits = await channel.UnaryAsync(TestServer.Unary, new Payload { ResponseSize = 900 });
        Assert.Equal(900, fits.Body.Length);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, new Payload { ResponseSize = 2000 }));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task A_streamed_response_over_the_receive_limit_fails_after_the_messages_that_fit()
    {
        await using var server = await TestServer.StartAsync(SizedEcho());
        var channel = server.CreateChannel(options => options.MaxReceiveMessageSize = 1000);

        using var call = channel.ServerStreamingCall(TestServer.ServerStream, new Payload { ResponseSize = 5000 });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal("small", call.ResponseStream.Current.Text);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal(StatusCode.ResourceExhausted, call.GetStatus().Code);
    }

    [Fact]
    public async Task A_request_over_the_servers_receive_limit_is_RESOURCE_EXHAUSTED_and_never_reaches_the_handler()
    {
        var calls = new StrongBox<int>();
        await using var server = await TestServer.StartAsync(SizedEcho(calls), options => options.MaxReceiveMessageSize = 1000);
        var channel = server.CreateChannel();

        await channel.UnaryAsync(TestServer.Unary, WithBody(900));
        Assert.Equal(1, calls.Value);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, WithBody(2000)));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal(1, calls.Value);
    }

    [Fact]
    public async Task A_service_can_tighten_the_servers_receive_limit()
    {
        var secondary = new RpcServiceBuilder(TestServer.SecondaryService)
            .WithMaxReceiveMessageSize(100)
            .Unary<Payload, Payload>("Unary", (_, _) => Task.FromResult(new Payload()));
        await using var server = await TestServer.StartAsync(SizedEcho(), null, secondary);
        var channel = server.CreateChannel();

        // The same request is fine for the Probe service, which has the server's 4 MiB.
        await channel.UnaryAsync(TestServer.Unary, WithBody(500));
        await channel.UnaryAsync(SecondaryUnary, WithBody(50));
        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(SecondaryUnary, WithBody(500)));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task A_service_can_lift_the_servers_receive_limit()
    {
        var secondary = new RpcServiceBuilder(TestServer.SecondaryService)
            .WithMaxReceiveMessageSize(null)
            .Unary<Payload, Payload>("Unary", (request, _) => Task.FromResult(new Payload { Count = request.Body.Length }));
        await using var server = await TestServer.StartAsync(SizedEcho(), options => options.MaxReceiveMessageSize = 100, secondary);
        var channel = server.CreateChannel();

        var response = await channel.UnaryAsync(SecondaryUnary, WithBody(10_000));
        Assert.Equal(10_000, response.Count);
        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, WithBody(10_000)));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public void WithMaxReceiveMessageSize_rejects_a_non_positive_limit()
    {
        var builder = new RpcServiceBuilder(TestServer.SecondaryService);
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.WithMaxReceiveMessageSize(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.WithMaxReceiveMessageSize(-1));
    }

    [Fact]
    public async Task A_request_over_the_channels_send_limit_fails_on_the_client_without_a_call()
    {
        var calls = new StrongBox<int>();
        await using var server = await TestServer.StartAsync(SizedEcho(calls));
        var channel = server.CreateChannel(options => options.MaxSendMessageSize = 1000);

        await channel.UnaryAsync(TestServer.Unary, WithBody(900));
        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, WithBody(2000)));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal(1, calls.Value);
    }

    [Fact]
    public async Task A_streamed_request_over_the_channels_send_limit_fails_the_write()
    {
        await using var server = await TestServer.StartAsync(probe => probe.ClientStreaming<Payload, Payload>("ClientStream", async (requests, context) =>
        {
            var count = 0;
            await foreach (var _ in requests.ReadAllAsync(context.CancellationToken))
            {
                count++;
            }

            return new Payload { Count = count };
        }));
        var channel = server.CreateChannel(options => options.MaxSendMessageSize = 1000);

        using var call = channel.ClientStreamingCall(TestServer.ClientStream);
        await call.RequestStream.WriteAsync(WithBody(10));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(WithBody(2000)));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        var end = await Assert.ThrowsAsync<RpcException>(() => Poll.WithinAsync(call.ResponseAsync, "the call to end"));
        Assert.Equal(StatusCode.ResourceExhausted, end.StatusCode);
    }

    [Fact]
    public async Task A_response_over_the_servers_send_limit_is_RESOURCE_EXHAUSTED_for_the_client()
    {
        await using var server = await TestServer.StartAsync(SizedEcho(), options => options.MaxSendMessageSize = 1000);
        var channel = server.CreateChannel();

        await channel.UnaryAsync(TestServer.Unary, new Payload { ResponseSize = 900 });
        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, new Payload { ResponseSize = 2000 }));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        // In a stream, after a message has gone out, the status still arrives in the trailers.
        using var call = channel.ServerStreamingCall(TestServer.ServerStream, new Payload { ResponseSize = 2000 });
        Assert.True(await call.ResponseStream.MoveNext());
        var streamed = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.ResourceExhausted, streamed.StatusCode);
    }
}
