using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;

namespace FileSwarm.Rpc.Tests.Functional;

public sealed class CancellationTests
{
    [Fact]
    public async Task A_client_cancellation_gives_CANCELLED_and_cancels_the_handler()
    {
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", async (_, context) =>
        {
            context.CancellationToken.Register(() => handlerCancelled.TrySetResult());
            handlerStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new Payload();
        }));
        var channel = server.CreateChannel();
        using var cts = new CancellationTokenSource();

        var call = channel.UnaryAsync(TestServer.Unary, new Payload(), new CallOptions(CancellationToken: cts.Token));
        await Poll.WithinAsync(handlerStarted.Task, "the handler to start");
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => Poll.WithinAsync(call, "the call to end"));
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        await Poll.WithinAsync(handlerCancelled.Task, "the handler's cancellation token");
    }

    [Fact]
    public async Task Disposing_a_duplex_call_cancels_the_handler()
    {
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(probe => probe.Duplex<Payload, Payload>("Duplex", async (requests, responses, context) =>
        {
            context.CancellationToken.Register(() => handlerCancelled.TrySetResult());
            await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
            {
                await responses.WriteAsync(request, context.CancellationToken);
            }
        }));
        var channel = server.CreateChannel();

        var call = channel.DuplexStreamingCall(TestServer.Duplex);
        await call.RequestStream.WriteAsync(new Payload { Text = "ping" });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal("ping", call.ResponseStream.Current.Text);
        call.Dispose();

        await Poll.WithinAsync(handlerCancelled.Task, "the handler's cancellation token");
        Assert.Equal(StatusCode.Cancelled, call.GetStatus().Code);
    }

    [Fact]
    public async Task A_cancelled_read_on_a_server_stream_ends_the_call_as_CANCELLED()
    {
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(probe => probe.ServerStreaming<Payload, Payload>("ServerStream", async (_, responses, context) =>
        {
            context.CancellationToken.Register(() => handlerCancelled.TrySetResult());
            await responses.WriteAsync(new Payload());
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }));
        var channel = server.CreateChannel();
        using var cts = new CancellationTokenSource();

        using var call = channel.ServerStreamingCall(TestServer.ServerStream, new Payload(), new CallOptions(CancellationToken: cts.Token));
        Assert.True(await call.ResponseStream.MoveNext());
        var next = call.ResponseStream.MoveNext();
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => Poll.WithinAsync(next, "the read to end"));
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        await Poll.WithinAsync(handlerCancelled.Task, "the handler's cancellation token");
    }

    [Fact]
    public async Task Cancelling_a_stream_the_client_is_not_reading_cancels_the_handler()
    {
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(probe => probe.ServerStreaming<Payload, Payload>("ServerStream", async (_, responses, context) =>
        {
            context.CancellationToken.Register(() => handlerCancelled.TrySetResult());
            await responses.WriteAsync(new Payload());
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }));
        var channel = server.CreateChannel();
        using var cts = new CancellationTokenSource();

        using var call = channel.ServerStreamingCall(TestServer.ServerStream, new Payload(), new CallOptions(CancellationToken: cts.Token));
        Assert.True(await call.ResponseStream.MoveNext());
        await cts.CancelAsync();

        await Poll.WithinAsync(handlerCancelled.Task, "the handler's cancellation token");
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task A_client_stream_cancelled_half_way_never_looks_complete_to_the_handler()
    {
        const int calls = 20;
        var received = new SemaphoreSlim(0);
        var cleanEnds = 0;
        var ended = 0;
        await using var server = await TestServer.StartAsync(probe => probe.ClientStreaming<Payload, Payload>("ClientStream", async (requests, context) =>
        {
            try
            {
                await foreach (var _ in requests.ReadAllAsync(context.CancellationToken))
                {
                    received.Release();
                }

                // A clean end of the request stream: the client half-closed, so the upload is whole.
                Interlocked.Increment(ref cleanEnds);
                return new Payload();
            }
            finally
            {
                Interlocked.Increment(ref ended);
            }
        }));
        var channel = server.CreateChannel();

        for (var i = 0; i < calls; i++)
        {
            var call = channel.ClientStreamingCall(TestServer.ClientStream);
            await call.RequestStream.WriteAsync(new Payload { Count = i });
            Assert.True(await received.WaitAsync(Poll.DefaultTimeout), "The handler did not receive the message.");
            call.Dispose();
            Assert.Equal(StatusCode.Cancelled, call.GetStatus().Code);
        }

        await Poll.UntilAsync(() => Volatile.Read(ref ended) == calls, "every handler ends");
        Assert.Equal(0, Volatile.Read(ref cleanEnds));
    }

    [Fact]
    public async Task A_handler_that_aborts_its_call_gives_the_client_an_error_status()
    {
        await using var server = await TestServer.StartAsync(probe => probe.ServerStreaming<Payload, Payload>("ServerStream", async (_, responses, _) =>
        {
            await responses.WriteAsync(new Payload { Text = "partial" });
            throw new RpcException(StatusCode.Aborted, "gave up half way");
        }));
        var channel = server.CreateChannel();

        using var call = channel.ServerStreamingCall(TestServer.ServerStream, new Payload());
        Assert.True(await call.ResponseStream.MoveNext());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(new Status(StatusCode.Aborted, "gave up half way"), ex.Status);
        Assert.Equal(ex.Status, call.GetStatus());
    }

    [Fact]
    public async Task A_handler_cancelling_its_own_work_is_an_error_for_the_client_not_a_success()
    {
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", async (_, _) =>
        {
            using var own = new CancellationTokenSource();
            await own.CancelAsync();
            await Task.Delay(Timeout.Infinite, own.Token);
            return new Payload();
        }));
        server.ExpectErrors = true;
        var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, new Payload()));

        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
    }

    [Fact]
    public async Task Stopping_the_server_mid_call_gives_the_client_an_error_status()
    {
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", async (_, context) =>
        {
            handlerStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new Payload();
        }));
        await using (server)
        {
            var channel = server.CreateChannel();
            var call = channel.UnaryAsync(TestServer.Unary, new Payload());
            await Poll.WithinAsync(handlerStarted.Task, "the handler to start");

            using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            await server.Server.StopAsync(stop.Token);

            var ex = await Assert.ThrowsAsync<RpcException>(() => Poll.WithinAsync(call, "the call to end"));
            Assert.NotEqual(StatusCode.OK, ex.StatusCode);
        }
    }
}
