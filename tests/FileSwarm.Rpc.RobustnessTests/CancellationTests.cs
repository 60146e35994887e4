using FileSwarm.Interop.Testing;
using FileSwarm.Rpc.RobustnessTests.Http2;
using FileSwarm.Rpc.RobustnessTests.Infrastructure;

namespace FileSwarm.Rpc.RobustnessTests;

/// <summary>Clients that reset their stream in the middle of a call: not an error, and the server carries on.</summary>
public sealed class CancellationTests
{
    [Fact]
    public async Task Reset_during_full_duplex_call_is_no_error()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var request = new StreamingOutputCallRequest { ResponseParameters = { new ResponseParameters { Size = 10 } } };
        var stream = await RawCalls.StartAsync(connection, GrpcWire.FullDuplexCall, GrpcWire.Frame(request), endStream: false);
        await connection.WaitForDataAsync(stream, 5 + 12, RobustnessServer.Timeout); // the first response: payload of 10 bytes
        await connection.SendRstStreamAsync(stream, Http2ErrorCode.Cancel);

        await WaitForCompletionAsync(server, GrpcWire.FullDuplexCall);
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Reset_during_client_streaming_call_is_no_error()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var request = new StreamingInputCallRequest { Payload = new Payload { Body = Google.Protobuf.ByteString.CopyFrom(new byte[100]) } };
        var stream = await RawCalls.StartAsync(connection, GrpcWire.StreamingInputCall, GrpcWire.Frame(request), endStream: false);
        await server.Logs.WaitForAsync(
            e => e.EventId.Name == "CallStarting" && e.Message.Contains(GrpcWire.StreamingInputCall, StringComparison.Ordinal),
            RobustnessServer.Timeout,
            "the call to start");
        await connection.SendDataAsync(stream, GrpcWire.Frame(request), endStream: false);
        await connection.SendRstStreamAsync(stream, Http2ErrorCode.Cancel);

        await WaitForCompletionAsync(server, GrpcWire.StreamingInputCall);
        await server.AssertServesAsync(connection);
    }

    /// <summary>Waits until the server has finished the call, and checks it counted it as cancelled.</summary>
    private static async Task WaitForCompletionAsync(RobustnessServer server, string method)
    {
        var completed = await server.Logs.WaitForAsync(
            e => e.EventId.Name == "CallCompleted" && e.Message.Contains(method, StringComparison.Ordinal),
            RobustnessServer.Timeout,
            $"{method} to complete");
        Assert.Contains("Cancelled", completed.Message, StringComparison.Ordinal);
    }
}
