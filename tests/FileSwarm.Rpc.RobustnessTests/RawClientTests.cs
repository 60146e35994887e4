using FileSwarm.Interop.Testing;
using FileSwarm.Interop.Tests;
using FileSwarm.Rpc.RobustnessTests.Http2;
using FileSwarm.Rpc.RobustnessTests.Infrastructure;

namespace FileSwarm.Rpc.RobustnessTests;

/// <summary>The raw client itself against the server: a normal call, and header blocks too big for one frame.</summary>
public sealed class RawClientTests
{
    [Fact]
    public async Task Well_formed_unary_call_succeeds_with_headers_message_and_trailers()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var response = await RawCalls.CallAsync(connection, GrpcWire.UnaryCall, GrpcWire.Frame(new SimpleRequest { ResponseSize = 3 }));

        Assert.Equal(200, response.HttpStatus);
        Assert.False(response.IsTrailersOnly);
        Assert.NotNull(response.Trailers);
        Assert.Equal("0", response.Trailer("grpc-status"));
        Assert.Equal(3, SimpleResponse.Parser.ParseFrom(Assert.Single(response.Messages()).Payload).Payload.Body.Length);
    }

    [Fact]
    public async Task Header_blocks_larger_than_a_frame_use_continuation_both_ways()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        // Just under Kestrel's 16 KiB request header field limit; echoed back with the response's
        // own headers it no longer fits one 16 KiB frame, so both sides need CONTINUATION.
        var value = new string('v', 16_300);
        var response = await RawCalls.CallAsync(
            connection, GrpcWire.UnaryCall, GrpcWire.Frame(new SimpleRequest { ResponseSize = 1 }), [new(TestServiceImpl.EchoInitialKey, value)]);

        Assert.Equal(0, response.GrpcStatus);
        Assert.Equal(value, response.Header(TestServiceImpl.EchoInitialKey));
        Assert.Contains(connection.ReceivedFrames, f => f.Type == Http2FrameType.Continuation);
    }
}
