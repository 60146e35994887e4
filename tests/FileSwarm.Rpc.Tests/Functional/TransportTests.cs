using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;

namespace FileSwarm.Rpc.Tests.Functional;

public sealed class TransportTests
{
    [Fact]
    public async Task Nothing_listening_is_UNAVAILABLE()
    {
        // A bound socket that never listens: connections to its port are refused, and no one else can take it.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var channel = new RpcChannel(new Uri($"http://{socket.LocalEndPoint}"));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Poll.WithinAsync(channel.UnaryAsync(TestServer.Unary, new Payload()), "the call to fail"));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }

    [Fact]
    public async Task Calls_of_every_shape_work_over_tls_with_a_certificate_the_client_accepts()
    {
        using var certificate = TestCertificates.CreateServerCertificate();
        var validated = 0;
        await using var server = await TestServer.StartAsync(AllShapes.Bind, options => options.Certificate = certificate);
        Assert.Equal("https", server.Address.Scheme);
        var channel = server.CreateChannel(options => options.RemoteCertificateValidation = (_, presented, _, _) =>
        {
            Interlocked.Increment(ref validated);
            return presented is not null && presented.GetCertHashString() == certificate.GetCertHashString();
        });

        await AllShapes.AssertAsync(channel);
        Assert.True(Volatile.Read(ref validated) > 0);
    }

    [Fact]
    public async Task A_tls_server_whose_certificate_the_client_refuses_is_UNAVAILABLE()
    {
        using var certificate = TestCertificates.CreateServerCertificate();
        await using var server = await TestServer.StartAsync(AllShapes.Bind, options => options.Certificate = certificate);
        var channel = server.CreateChannel(options => options.RemoteCertificateValidation = (_, _, _, _) => false);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, new Payload()));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }

    [Fact]
    public async Task The_channel_opens_more_connections_when_the_stream_limit_is_reached()
    {
        const int calls = 6;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ports = new ConcurrentBag<int>();
        await using var server = await TestServer.StartAsync(
            probe => probe.Unary<Payload, Payload>("Unary", async (request, context) =>
            {
                ports.Add(context.RemoteEndPoint!.Port);
                await gate.Task.WaitAsync(context.CancellationToken);
                return new Payload { Count = request.Count };
            }),
            options => options.MaxStreamsPerConnection = 2);
        var channel = server.CreateChannel();

        var running = Enumerable.Range(0, calls).Select(i => channel.UnaryAsync(TestServer.Unary, new Payload { Count = i })).ToList();

        // All six handlers run at once, which two streams per connection only allow on three connections.
        await Poll.UntilAsync(() => ports.Count == calls, "every call reaches its handler");
        gate.SetResult();
        var responses = await Poll.WithinAsync(Task.WhenAll(running), "the calls to complete");

        Assert.Equal(Enumerable.Range(0, calls), responses.Select(r => r.Count));
        Assert.True(ports.Distinct().Count() >= calls / 2, $"Remote ports seen: {string.Join(", ", ports.Distinct())}");
    }
}
