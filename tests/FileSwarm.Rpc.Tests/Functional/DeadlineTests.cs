using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;

namespace FileSwarm.Rpc.Tests.Functional;

public sealed class DeadlineTests
{
    [Fact]
    public async Task A_client_deadline_ends_the_call_with_DEADLINE_EXCEEDED_and_cancels_the_handler()
    {
        // The client's clock is manual, so its deadline passes only once the handler is running:
        // on a loaded machine a real 200 ms deadline can pass before the request is dispatched.
        var clientClock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", async (_, context) =>
        {
            context.CancellationToken.Register(() => handlerCancelled.TrySetResult());
            handlerStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new Payload();
        }));
        var channel = server.CreateChannel(options => options.TimeProvider = clientClock);

        var call = channel.UnaryAsync(TestServer.Unary, new Payload(), new CallOptions(Deadline: clientClock.GetUtcNow().UtcDateTime.AddMinutes(10)));
        await Poll.WithinAsync(handlerStarted.Task, "the handler to start");
        clientClock.Advance(TimeSpan.FromMinutes(10));

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await Poll.WithinAsync(handlerCancelled.Task, "the handler's cancellation token");
    }

    [Fact]
    public async Task A_deadline_already_past_fails_at_once_without_reaching_the_server()
    {
        var called = 0;
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", (_, _) =>
        {
            Interlocked.Increment(ref called);
            return Task.FromResult(new Payload());
        }));
        var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(TestServer.Unary, new Payload(), new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(-1))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.Equal(0, Volatile.Read(ref called));
    }

    [Fact]
    public async Task The_handler_sees_the_callers_deadline()
    {
        var seen = new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", (_, context) =>
        {
            seen.TrySetResult(context.Deadline);
            return Task.FromResult(new Payload());
        }));
        var channel = server.CreateChannel();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        await channel.UnaryAsync(TestServer.Unary, new Payload(), new CallOptions(Deadline: deadline));

        var handlerDeadline = await Poll.WithinAsync(seen.Task, "the handler");
        Assert.Equal(DateTimeKind.Utc, handlerDeadline.Kind);

        // Sent as a relative timeout, rounded up: never earlier, and late by no more than the trip took.
        Assert.InRange(handlerDeadline, deadline.AddSeconds(-1), deadline.AddSeconds(5));
    }

    [Fact]
    public async Task Without_a_deadline_the_handler_sees_none()
    {
        var seen = new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", (_, context) =>
        {
            seen.TrySetResult(context.Deadline);
            return Task.FromResult(new Payload());
        }));

        await server.CreateChannel().UnaryAsync(TestServer.Unary, new Payload());

        Assert.Equal(DateTime.MaxValue, await Poll.WithinAsync(seen.Task, "the handler"));
    }

    [Fact]
    public async Task The_server_enforces_the_deadline_even_when_the_client_does_not()
    {
        // Both clocks are manual: the client's deadline timer never fires, so only the server's can end the call.
        var clientClock = new ManualTimeProvider();
        var serverClock = new ManualTimeProvider();
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerDeadline = new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            probe => probe.ServerStreaming<Payload, Payload>("ServerStream", async (_, responses, context) =>
            {
                context.CancellationToken.Register(() => handlerCancelled.TrySetResult());
                handlerDeadline.TrySetResult(context.Deadline);
                await responses.WriteAsync(new Payload { Text = "first" });
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }),
            options => options.TimeProvider = serverClock);
        var channel = server.CreateChannel(options => options.TimeProvider = clientClock);

        using var call = channel.ServerStreamingCall(
            TestServer.ServerStream, new Payload(), new CallOptions(Deadline: clientClock.GetUtcNow().UtcDateTime.AddSeconds(5)));
        Assert.True(await call.ResponseStream.MoveNext());

        // The timeout went over the wire exactly: the server's deadline is its own clock plus 5 s.
        Assert.Equal(serverClock.GetUtcNow().UtcDateTime.AddSeconds(5), await Poll.WithinAsync(handlerDeadline.Task, "the handler"));
        Assert.False(handlerCancelled.Task.IsCompleted);

        serverClock.Advance(TimeSpan.FromSeconds(5));

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await Poll.WithinAsync(handlerCancelled.Task, "the handler's cancellation token");
    }

    [Fact]
    public async Task The_server_deadline_before_any_response_gives_DEADLINE_EXCEEDED()
    {
        var clientClock = new ManualTimeProvider();
        var serverClock = new ManualTimeProvider();
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            probe => probe.Unary<Payload, Payload>("Unary", async (_, context) =>
            {
                handlerStarted.TrySetResult();
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
                return new Payload();
            }),
            options => options.TimeProvider = serverClock);
        var channel = server.CreateChannel(options => options.TimeProvider = clientClock);

        var call = channel.UnaryAsync(TestServer.Unary, new Payload(), new CallOptions(Deadline: clientClock.GetUtcNow().UtcDateTime.AddMinutes(1)));
        await Poll.WithinAsync(handlerStarted.Task, "the handler to start");
        serverClock.Advance(TimeSpan.FromMinutes(1));

        var ex = await Assert.ThrowsAsync<RpcException>(() => Poll.WithinAsync(call, "the call to end"));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
    }
}
