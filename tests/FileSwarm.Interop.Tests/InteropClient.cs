using FileSwarm.Interop.Testing;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Client;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace FileSwarm.Interop.Tests;

/// <summary>
/// The interop test cases (grpc/grpc doc/interop-test-descriptions.md) on FileSwarm's client, against
/// any TestService server. Each case throws when the server's behaviour differs from the description.
/// </summary>
public sealed class InteropClient(RpcChannel channel)
{
    public static readonly string[] CaseNames =
    [
        "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "empty_stream",
        "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server", "custom_metadata",
        "status_code_and_message", "special_status_message", "unimplemented_method", "unimplemented_service",
    ];

    private static readonly ServiceDescriptor TestService = TestReflection.Descriptor.Services.Single(s => s.Name == "TestService");
    private static readonly ServiceDescriptor UnimplementedService = TestReflection.Descriptor.Services.Single(s => s.Name == "UnimplementedService");
    private static readonly Method<Empty, Empty> EmptyCall = Method.Create<Empty, Empty>(TestService, "EmptyCall");
    private static readonly Method<SimpleRequest, SimpleResponse> UnaryCall = Method.Create<SimpleRequest, SimpleResponse>(TestService, "UnaryCall");
    private static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> StreamingOutputCall =
        Method.Create<StreamingOutputCallRequest, StreamingOutputCallResponse>(TestService, "StreamingOutputCall");
    private static readonly Method<StreamingInputCallRequest, StreamingInputCallResponse> StreamingInputCall =
        Method.Create<StreamingInputCallRequest, StreamingInputCallResponse>(TestService, "StreamingInputCall");
    private static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> FullDuplexCall =
        Method.Create<StreamingOutputCallRequest, StreamingOutputCallResponse>(TestService, "FullDuplexCall");
    private static readonly Method<Empty, Empty> UnimplementedCall = Method.Create<Empty, Empty>(TestService, "UnimplementedCall");
    private static readonly Method<Empty, Empty> UnimplementedServiceCall = Method.Create<Empty, Empty>(UnimplementedService, "UnimplementedCall");

    private static readonly (int Request, int Response)[] PingPongSizes = [(27182, 31415), (8, 9), (1828, 2653), (45904, 58979)];

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public Task RunAsync(string name) => name switch
    {
        "empty_unary" => EmptyUnaryAsync(),
        "large_unary" => LargeUnaryAsync(),
        "client_streaming" => ClientStreamingAsync(),
        "server_streaming" => ServerStreamingAsync(),
        "ping_pong" => PingPongAsync(),
        "empty_stream" => EmptyStreamAsync(),
        "cancel_after_begin" => CancelAfterBeginAsync(),
        "cancel_after_first_response" => CancelAfterFirstResponseAsync(),
        "timeout_on_sleeping_server" => TimeoutOnSleepingServerAsync(),
        "custom_metadata" => CustomMetadataAsync(),
        "status_code_and_message" => StatusCodeAndMessageAsync(),
        "special_status_message" => SpecialStatusMessageAsync(),
        "unimplemented_method" => ExpectUnimplementedAsync(UnimplementedCall),
        "unimplemented_service" => ExpectUnimplementedAsync(UnimplementedServiceCall),
        _ => throw new ArgumentException($"Unknown interop case '{name}'.", nameof(name)),
    };

    private static CallOptions Timed(Metadata? headers = null) => CallOptions.WithTimeout(CallTimeout, headers: headers);

    private async Task EmptyUnaryAsync()
    {
        var response = await channel.UnaryAsync(EmptyCall, new Empty(), Timed());
        Assert.Equal(new Empty(), response);
    }

    private async Task LargeUnaryAsync()
    {
        var response = await channel.UnaryAsync(UnaryCall, new SimpleRequest { ResponseSize = 314159, Payload = Zeros(271828) }, Timed());
        AssertZeros(response.Payload, 314159);
    }

    private async Task ClientStreamingAsync()
    {
        using var call = channel.ClientStreamingCall(StreamingInputCall, Timed());
        foreach (var size in new[] { 27182, 8, 1828, 45904 })
        {
            await call.RequestStream.WriteAsync(new StreamingInputCallRequest { Payload = Zeros(size) });
        }

        await call.RequestStream.CompleteAsync();
        var response = await call.ResponseAsync;
        Assert.Equal(74922, response.AggregatedPayloadSize);
    }

    private async Task ServerStreamingAsync()
    {
        int[] sizes = [31415, 9, 2653, 58979];
        var request = new StreamingOutputCallRequest();
        request.ResponseParameters.AddRange(sizes.Select(size => new ResponseParameters { Size = size }));
        using var call = channel.ServerStreamingCall(StreamingOutputCall, request, Timed());
        var received = new List<int>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            AssertZeros(response.Payload, response.Payload.Body.Length);
            received.Add(response.Payload.Body.Length);
        }

        Assert.Equal(sizes, received);
        Assert.Equal(StatusCode.OK, call.GetStatus().Code);
    }

    private async Task PingPongAsync()
    {
        using var call = channel.DuplexStreamingCall(FullDuplexCall, Timed());
        foreach (var (requestSize, responseSize) in PingPongSizes)
        {
            await call.RequestStream.WriteAsync(Ping(requestSize, responseSize));
            Assert.True(await call.ResponseStream.MoveNext(), "The server ended the stream before answering a ping.");
            AssertZeros(call.ResponseStream.Current.Payload, responseSize);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(), "The server sent more responses than pings.");
        Assert.Equal(StatusCode.OK, call.GetStatus().Code);
    }

    private async Task EmptyStreamAsync()
    {
        using var call = channel.DuplexStreamingCall(FullDuplexCall, Timed());
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(), "The server answered an empty stream.");
        Assert.Equal(StatusCode.OK, call.GetStatus().Code);
    }

    private async Task CancelAfterBeginAsync()
    {
        using var cts = new CancellationTokenSource();
        using var call = channel.ClientStreamingCall(StreamingInputCall, CallOptions.WithTimeout(CallTimeout, cts.Token));
        await cts.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    private async Task CancelAfterFirstResponseAsync()
    {
        using var cts = new CancellationTokenSource();
        using var call = channel.DuplexStreamingCall(FullDuplexCall, CallOptions.WithTimeout(CallTimeout, cts.Token));
        await call.RequestStream.WriteAsync(Ping(27182, 31415));
        Assert.True(await call.ResponseStream.MoveNext());
        AssertZeros(call.ResponseStream.Current.Payload, 31415);
        await cts.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    private async Task TimeoutOnSleepingServerAsync()
    {
        using var call = channel.DuplexStreamingCall(FullDuplexCall, new CallOptions(Deadline: DateTime.UtcNow.AddMilliseconds(1)));
        try
        {
            await call.RequestStream.WriteAsync(new StreamingOutputCallRequest { Payload = Zeros(27182) });
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
        {
            // The deadline may pass before the write: that is the expected outcome too.
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    private async Task CustomMetadataAsync()
    {
        const string initialValue = "test_initial_metadata_value";
        byte[] trailingValue = [0xab, 0xab, 0xab];
        Metadata Headers() => new Metadata().Add(TestServiceImpl.EchoInitialKey, initialValue).Add(TestServiceImpl.EchoTrailingKey, trailingValue);

        using (var unary = channel.UnaryCall(UnaryCall, new SimpleRequest { ResponseSize = 314159, Payload = Zeros(271828) }, Timed(Headers())))
        {
            AssertZeros((await unary.ResponseAsync).Payload, 314159);
            AssertEchoed(await unary.ResponseHeadersAsync, unary.GetTrailers(), initialValue, trailingValue);
        }

        using var duplex = channel.DuplexStreamingCall(FullDuplexCall, Timed(Headers()));
        await duplex.RequestStream.WriteAsync(Ping(271828, 314159));
        Assert.True(await duplex.ResponseStream.MoveNext());
        AssertZeros(duplex.ResponseStream.Current.Payload, 314159);
        await duplex.RequestStream.CompleteAsync();
        Assert.False(await duplex.ResponseStream.MoveNext());
        AssertEchoed(await duplex.ResponseHeadersAsync, duplex.GetTrailers(), initialValue, trailingValue);
    }

    private async Task StatusCodeAndMessageAsync()
    {
        var status = new EchoStatus { Code = 2, Message = "test status message" };
        var unary = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(UnaryCall, new SimpleRequest { ResponseStatus = status }, Timed()));
        Assert.Equal(new Status(StatusCode.Unknown, status.Message), unary.Status);

        using var duplex = channel.DuplexStreamingCall(FullDuplexCall, Timed());
        await duplex.RequestStream.WriteAsync(new StreamingOutputCallRequest { ResponseStatus = status });
        await duplex.RequestStream.CompleteAsync();
        var streamed = await Assert.ThrowsAsync<RpcException>(() => duplex.ResponseStream.MoveNext());
        Assert.Equal(new Status(StatusCode.Unknown, status.Message), streamed.Status);
    }

    private async Task SpecialStatusMessageAsync()
    {
        const string message = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";
        var request = new SimpleRequest { ResponseStatus = new EchoStatus { Code = 2, Message = message } };
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(UnaryCall, request, Timed()));
        Assert.Equal(new Status(StatusCode.Unknown, message), error.Status);
    }

    private async Task ExpectUnimplementedAsync(Method<Empty, Empty> method)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(method, new Empty(), Timed()));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    private static void AssertEchoed(Metadata headers, Metadata trailers, string initial, byte[] trailing)
    {
        Assert.Equal(initial, Assert.Single(headers.GetAll(TestServiceImpl.EchoInitialKey)).Value);
        Assert.Equal(trailing, Assert.Single(trailers.GetAll(TestServiceImpl.EchoTrailingKey)).ValueBytes);
    }

    private static StreamingOutputCallRequest Ping(int requestSize, int responseSize)
    {
        var request = new StreamingOutputCallRequest { Payload = Zeros(requestSize) };
        request.ResponseParameters.Add(new ResponseParameters { Size = responseSize });
        return request;
    }

    private static Payload Zeros(int size) => new() { Body = ByteString.CopyFrom(new byte[size]) };

    private static void AssertZeros(Payload? payload, int size)
    {
        Assert.NotNull(payload);
        Assert.Equal(size, payload.Body.Length);
        Assert.True(payload.Body.Span.IndexOfAnyExcept((byte)0) < 0, "The payload is not all zeros.");
    }
}
