using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Server;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;
using Google.Protobuf;

namespace FileSwarm.Rpc.Tests.Functional;

/// <summary>
/// A single response that is <see cref="IDisposable"/> (e.g. holding a pooled buffer) is disposed by the server
/// exactly once, after its bytes are written, and also when writing it fails.
/// </summary>
public sealed class DisposableResponseTests
{
    private static readonly Google.Protobuf.Reflection.ServiceDescriptor ReleasingService =
        ProbeReflection.Descriptor.Services.Single(s => s.Name == "Releasing");

    private static readonly Method<Payload, Releasable> Unary = Method.Create<Payload, Releasable>(ReleasingService, "Unary");
    private static readonly Method<Payload, Releasable> ClientStream = Method.Create<Payload, Releasable>(ReleasingService, "ClientStream");

    [Fact]
    public async Task A_unary_response_is_disposed_once_after_it_is_written()
    {
        var responses = new List<Releasable>();
        await using (var server = await StartAsync(new RpcServiceBuilder(ReleasingService).Unary<Payload, Releasable>("Unary", (request, _) =>
        {
            var response = new Releasable { Text = request.Text + "!", Body = ByteString.CopyFrom(new byte[50_000]) };
            lock (responses)
            {
                responses.Add(response);
            }

            return Task.FromResult(response);
        })))
        {
            var channel = server.CreateChannel();
            for (var i = 0; i < 3; i++)
            {
                var reply = await channel.UnaryAsync(Unary, new Payload { Text = $"call {i}" });
                Assert.Equal($"call {i}!", reply.Text);
                Assert.Equal(50_000, reply.Body.Length);
            }
        }

        Assert.Equal(3, responses.Count);
        Assert.All(responses, r => Assert.Equal(1, r.Disposals));
    }

    [Fact]
    public async Task A_client_streaming_response_is_disposed_once_after_it_is_written()
    {
        Releasable? response = null;
        await using (var server = await StartAsync(new RpcServiceBuilder(ReleasingService).ClientStreaming<Payload, Releasable>("ClientStream", async (requests, context) =>
        {
            var count = 0;
            await foreach (var _ in requests.ReadAllAsync(context.CancellationToken))
            {
                count++;
            }

            return response = new Releasable { Text = $"{count} requests" };
        })))
        {
            var channel = server.CreateChannel();
            using var call = channel.ClientStreamingCall(ClientStream);
            await call.RequestStream.WriteAsync(new Payload());
            await call.RequestStream.WriteAsync(new Payload());
            await call.RequestStream.CompleteAsync();
            Assert.Equal("2 requests", (await Poll.WithinAsync(call.ResponseAsync, "the response")).Text);
        }

        Assert.Equal(1, response!.Disposals);
    }

    [Fact]
    public async Task A_response_that_cannot_be_written_is_still_disposed_once()
    {
        var responses = new List<Releasable>();
        await using (var server = await StartAsync(
            new RpcServiceBuilder(ReleasingService).Unary<Payload, Releasable>("Unary", (request, _) =>
            {
                var response = new Releasable { Body = ByteString.CopyFrom(new byte[request.ResponseSize]) };
                lock (responses)
                {
                    responses.Add(response);
                }

                return Task.FromResult(response);
            }),
            options => options.MaxSendMessageSize = 1000))
        {
            var channel = server.CreateChannel();
            var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(Unary, new Payload { ResponseSize = 2000 }));
            Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
            Assert.Equal(900, (await channel.UnaryAsync(Unary, new Payload { ResponseSize = 900 })).Body.Length);
        }

        Assert.Equal(2, responses.Count);
        Assert.All(responses, r => Assert.Equal(1, r.Disposals));
    }

    [Fact]
    public async Task A_response_returned_after_the_client_has_gone_is_still_disposed_once()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var returned = new TaskCompletionSource<Releasable>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(new RpcServiceBuilder(ReleasingService).Unary<Payload, Releasable>("Unary", async (_, context) =>
        {
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (context.CancellationToken.Register(() => cancelled.TrySetResult()))
            {
                started.TrySetResult();
                await cancelled.Task;
            }

            // The client is gone; the handler answers anyway.
            var response = new Releasable { Text = "too late" };
            returned.TrySetResult(response);
            return response;
        }));
        var channel = server.CreateChannel();
        using var cts = new CancellationTokenSource();

        var call = channel.UnaryAsync(Unary, new Payload(), new CallOptions(CancellationToken: cts.Token));
        await Poll.WithinAsync(started.Task, "the handler to start");
        await cts.CancelAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Poll.WithinAsync(call, "the call to end"));
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);

        var response = await Poll.WithinAsync(returned.Task, "the handler to return");
        await Poll.UntilAsync(() => response.Disposals > 0, "the response is disposed");
        await server.Server.DisposeAsync();
        Assert.Equal(1, response.Disposals);
    }

    private static Task<TestServer> StartAsync(RpcServiceBuilder releasing, Action<RpcServerOptions>? configure = null) =>
        TestServer.StartAsync(AllShapes.Bind, configure, releasing);
}
