using FileSwarm.Rpc.Server;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;

namespace FileSwarm.Rpc.Tests.Functional;

/// <summary>
/// A response that is an <see cref="ISelfSerializingMessage"/> is sent as the bytes it writes, once, at the moment it
/// is sent; an RpcException it throws then ends the call with that status and no message.
/// </summary>
public sealed class SelfSerializingMessageTests
{
    private static readonly Google.Protobuf.Reflection.ServiceDescriptor Service =
        ProbeReflection.Descriptor.Services.Single(s => s.Name == "SelfWriting");

    private static readonly Method<Payload, SelfWritten> Unary = Method.Create<Payload, SelfWritten>(Service, "Unary");
    private static readonly Method<Payload, SelfWritten> ServerStream = Method.Create<Payload, SelfWritten>(Service, "ServerStream");

    [Fact]
    public async Task A_unary_response_reaches_the_client_as_the_bytes_it_writes_when_sent()
    {
        var body = new byte[300_000];
        new Random(7).NextBytes(body);
        var response = new SelfWritten { Produced = body };
        await using var server = await StartAsync((_, _) => Task.FromResult(response));

        var reply = await server.CreateChannel().UnaryAsync(Unary, new Payload());

        Assert.Equal(body, reply.Body.ToByteArray());
        Assert.Equal(1, response.Writes);
        Assert.True(response.Body.IsEmpty);
    }

    [Fact]
    public async Task An_RpcException_while_writing_ends_the_call_with_its_status_and_no_message()
    {
        var response = new SelfWritten { Produced = new byte[1000], Failure = new RpcException(StatusCode.NotFound, "gone meanwhile") };
        await using var server = await StartAsync((_, _) => Task.FromResult(response));

        var error = await Assert.ThrowsAsync<RpcException>(() => server.CreateChannel().UnaryAsync(Unary, new Payload()));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("gone meanwhile", error.Status.Detail);
        Assert.Equal(1, response.Writes);
    }

    [Fact]
    public async Task A_response_over_the_send_limit_is_refused_without_being_asked_to_write()
    {
        var response = new SelfWritten { Produced = new byte[2000] };
        await using var server = await StartAsync((_, _) => Task.FromResult(response), options => options.MaxSendMessageSize = 1000);

        var error = await Assert.ThrowsAsync<RpcException>(() => server.CreateChannel().UnaryAsync(Unary, new Payload()));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(0, response.Writes);
    }

    [Fact]
    public async Task Streamed_responses_are_each_written_by_themselves_in_order()
    {
        var responses = Enumerable.Range(1, 5).Select(i => new SelfWritten { Produced = Enumerable.Repeat((byte)i, i * 10_000).ToArray() }).ToArray();
        await using var server = await TestServer.StartAsync(AllShapes.Bind, null, new RpcServiceBuilder(Service).ServerStreaming<Payload, SelfWritten>("ServerStream", async (_, stream, _) =>
        {
            foreach (var response in responses)
            {
                await stream.WriteAsync(response);
            }
        }));

        using var call = server.CreateChannel().ServerStreamingCall(ServerStream, new Payload());
        var received = new List<byte[]>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            received.Add(message.Body.ToByteArray());
        }

        Assert.Equal(responses.Select(r => r.Produced), received);
        Assert.All(responses, r => Assert.Equal(1, r.Writes));
    }

    private static Task<TestServer> StartAsync(UnaryServerMethod<Payload, SelfWritten> handler, Action<RpcServerOptions>? configure = null) =>
        TestServer.StartAsync(AllShapes.Bind, configure, new RpcServiceBuilder(Service).Unary("Unary", handler));
}
