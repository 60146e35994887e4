using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;

namespace FileSwarm.Rpc.Tests.Functional;

public sealed class StatusAndMetadataTests
{
    private const string AwkwardDetail = "not here: 100% \t tabs, \r\n breaks, caf\u00E9, \U0001F600";

    private static Metadata Trailers() =>
        new Metadata().Add("x-reason", "quota").Add("x-proof-bin", [0xAB, 0xAB, 0xAB, 0x00, 0xFF]);

    private static void AssertTrailers(Metadata trailers)
    {
        Assert.Equal("quota", trailers.GetValue("x-reason"));
        Assert.Equal(new byte[] { 0xAB, 0xAB, 0xAB, 0x00, 0xFF }, trailers.GetValueBytes("x-proof-bin"));
    }

    [Fact]
    public async Task An_RpcException_before_any_message_reaches_the_client_with_its_status_and_trailers()
    {
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", (_, _) =>
            throw new RpcException(new Status(StatusCode.NotFound, AwkwardDetail), Trailers())));
        var channel = server.CreateChannel();

        using var call = channel.UnaryCall(TestServer.Unary, new Payload());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(new Status(StatusCode.NotFound, AwkwardDetail), ex.Status);
        AssertTrailers(ex.Trailers);
        Assert.Equal(ex.Status, call.GetStatus());
        AssertTrailers(call.GetTrailers());
    }

    [Fact]
    public async Task An_RpcException_after_messages_reaches_the_client_in_the_trailers()
    {
        await using var server = await TestServer.StartAsync(probe => probe.ServerStreaming<Payload, Payload>("ServerStream", async (_, responses, _) =>
        {
            await responses.WriteAsync(new Payload { Text = "one" });
            await responses.WriteAsync(new Payload { Text = "two" });
            throw new RpcException(new Status(StatusCode.FailedPrecondition, AwkwardDetail), Trailers());
        }));
        var channel = server.CreateChannel();

        using var call = channel.ServerStreamingCall(TestServer.ServerStream, new Payload());
        var texts = new List<string>();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                texts.Add(response.Text);
            }
        });

        Assert.Equal(["one", "two"], texts);
        Assert.Equal(new Status(StatusCode.FailedPrecondition, AwkwardDetail), ex.Status);
        AssertTrailers(ex.Trailers);
    }

    [Fact]
    public async Task A_status_and_trailers_set_on_the_context_end_a_call_that_returns_normally()
    {
        await using var server = await TestServer.StartAsync(probe => probe.ServerStreaming<Payload, Payload>("ServerStream", async (_, responses, context) =>
        {
            await responses.WriteAsync(new Payload { Text = "one" });
            foreach (var entry in Trailers())
            {
                context.ResponseTrailers.Add(entry);
            }

            context.Status = new Status(StatusCode.OutOfRange, "end of the range");
        }));
        var channel = server.CreateChannel();

        using var call = channel.ServerStreamingCall(TestServer.ServerStream, new Payload());
        Assert.True(await call.ResponseStream.MoveNext());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(new Status(StatusCode.OutOfRange, "end of the range"), ex.Status);
        AssertTrailers(ex.Trailers);
    }

    [Fact]
    public async Task Successful_calls_carry_request_headers_response_headers_and_trailers()
    {
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", async (_, context) =>
        {
            await context.WriteResponseHeadersAsync(new Metadata()
                .Add("x-echo", context.RequestHeaders.GetValue("x-client") ?? "missing")
                .Add("x-echo-bin", context.RequestHeaders.GetValueBytes("x-client-bin") ?? []));
            foreach (var entry in Trailers())
            {
                context.ResponseTrailers.Add(entry);
            }

            return new Payload { Text = "done" };
        }));
        var channel = server.CreateChannel();

        var headers = new Metadata().Add("x-client", "hello").Add("x-client-bin", [1, 2, 3, 4]);
        using var call = channel.UnaryCall(TestServer.Unary, new Payload(), new Client.CallOptions(headers));
        var response = await call.ResponseAsync;

        Assert.Equal("done", response.Text);
        var responseHeaders = await call.ResponseHeadersAsync;
        Assert.Equal("hello", responseHeaders.GetValue("x-echo"));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, responseHeaders.GetValueBytes("x-echo-bin"));
        Assert.Equal(Status.Ok, call.GetStatus());
        AssertTrailers(call.GetTrailers());
    }

    [Fact]
    public async Task A_handler_exception_is_UNKNOWN_without_its_internals()
    {
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", (_, _) =>
            throw new InvalidOperationException("secret connection string")));
        server.ExpectErrors = true;
        var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, new Payload()));

        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
        Assert.DoesNotContain("secret", ex.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(InvalidOperationException), ex.Status.Detail, StringComparison.Ordinal);

        // The server keeps the details for itself, in an error log.
        var error = Assert.Single(server.Logs.Errors);
        Assert.IsType<InvalidOperationException>(error.Exception);
    }

    [Fact]
    public async Task A_handler_exception_carries_its_details_when_detailed_errors_are_on()
    {
        await using var server = await TestServer.StartAsync(
            probe => probe.Unary<Payload, Payload>("Unary", (_, _) => throw new InvalidOperationException("what went wrong")),
            options => options.EnableDetailedErrors = true);
        server.ExpectErrors = true;
        var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, new Payload()));

        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
        Assert.Contains("InvalidOperationException", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("what went wrong", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handler_exception_after_messages_still_ends_the_stream_with_UNKNOWN()
    {
        await using var server = await TestServer.StartAsync(probe => probe.ServerStreaming<Payload, Payload>("ServerStream", async (_, responses, _) =>
        {
            await responses.WriteAsync(new Payload());
            throw new InvalidOperationException("late failure");
        }));
        server.ExpectErrors = true;
        var channel = server.CreateChannel();

        using var call = channel.ServerStreamingCall(TestServer.ServerStream, new Payload());
        Assert.True(await call.ResponseStream.MoveNext());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
        Assert.DoesNotContain("late failure", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task All_call_shapes_work_end_to_end()
    {
        await using var server = await TestServer.StartAsync(AllShapes.Bind);
        await AllShapes.AssertAsync(server.CreateChannel());
    }
}
