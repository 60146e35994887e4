using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Server;
using FileSwarm.Rpc.Tests.Protos;

namespace FileSwarm.Rpc.Tests.Infrastructure;

/// <summary>Handlers for all four call shapes of the Probe service, and a client run that checks them.</summary>
public static class AllShapes
{
    public static void Bind(RpcServiceBuilder probe) => probe
        .Unary<Payload, Payload>("Unary", (request, _) => Task.FromResult(new Payload { Text = request.Text + "!" }))
        .ServerStreaming<Payload, Payload>("ServerStream", async (request, responses, _) =>
        {
            for (var i = 0; i < request.Count; i++)
            {
                await responses.WriteAsync(new Payload { Count = i });
            }
        })
        .ClientStreaming<Payload, Payload>("ClientStream", async (requests, context) =>
        {
            var sum = 0;
            await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
            {
                sum += request.Count;
            }

            return new Payload { Count = sum };
        })
        .Duplex<Payload, Payload>("Duplex", async (requests, responses, context) =>
        {
            await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
            {
                await responses.WriteAsync(new Payload { Count = request.Count * 2 });
            }
        });

    public static async Task AssertAsync(RpcChannel channel)
    {
        Assert.Equal("hi!", (await channel.UnaryAsync(TestServer.Unary, new Payload { Text = "hi" })).Text);

        using (var serverStream = channel.ServerStreamingCall(TestServer.ServerStream, new Payload { Count = 5 }))
        {
            var counts = new List<int>();
            await foreach (var response in serverStream.ResponseStream.ReadAllAsync())
            {
                counts.Add(response.Count);
            }

            Assert.Equal([0, 1, 2, 3, 4], counts);
            Assert.Equal(Status.Ok, serverStream.GetStatus());
        }

        using (var clientStream = channel.ClientStreamingCall(TestServer.ClientStream))
        {
            foreach (var count in new[] { 27182, 8, 1828, 45904 })
            {
                await clientStream.RequestStream.WriteAsync(new Payload { Count = count });
            }

            await clientStream.RequestStream.CompleteAsync();
            Assert.Equal(74922, (await clientStream).Count);
        }

        using var duplex = channel.DuplexStreamingCall(TestServer.Duplex);
        for (var i = 1; i <= 3; i++)
        {
            await duplex.RequestStream.WriteAsync(new Payload { Count = i });
            Assert.True(await duplex.ResponseStream.MoveNext());
            Assert.Equal(i * 2, duplex.ResponseStream.Current.Count);
        }

        await duplex.RequestStream.CompleteAsync();
        Assert.False(await duplex.ResponseStream.MoveNext());
        Assert.Equal(Status.Ok, duplex.GetStatus());
    }
}
