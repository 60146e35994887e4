using FileSwarm.Interop.Testing;
using FileSwarm.Rpc.RobustnessTests.Http2;
using FileSwarm.Rpc.RobustnessTests.Infrastructure;

namespace FileSwarm.Rpc.RobustnessTests;

/// <summary>grpc-timeout as the server reads and enforces it.</summary>
public sealed class DeadlineTests
{
    [Theory]
    [InlineData("1n")]
    [InlineData("0n")]
    public async Task Expired_deadline_is_deadline_exceeded(string timeout)
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var response = await RawCalls.CallAsync(connection, GrpcWire.EmptyCall, GrpcWire.Frame(new Empty()), [new("grpc-timeout", timeout)]);

        Assert.Equal(200, response.HttpStatus);
        Assert.Equal((int)StatusCode.DeadlineExceeded, response.GrpcStatus);
        Assert.Empty(response.Messages());
        await server.AssertServesAsync(connection);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("123456789S")] // nine digits: over the limit of eight
    [InlineData("10x")]
    public async Task Malformed_timeout_is_ignored(string timeout)
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var response = await RawCalls.CallAsync(connection, GrpcWire.EmptyCall, GrpcWire.Frame(new Empty()), [new("grpc-timeout", timeout)]);

        Assert.Equal(0, response.GrpcStatus);
        Assert.Single(response.Messages());
        Assert.Contains(server.Logs.Entries, e => e.EventId.Name == "InvalidTimeout" && e.Message.Contains(timeout, StringComparison.Ordinal));
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Server_deadline_on_a_waiting_handler_sends_deadline_exceeded_then_resets_with_cancel()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        // FullDuplexCall waits for a request message that never comes; the stream stays open.
        var stream = connection.NextStreamId();
        await connection.SendHeadersAsync(
            stream, GrpcWire.RequestHeaders(GrpcWire.FullDuplexCall, [new("grpc-timeout", "100m")]), endStream: false);
        var response = await connection.ReadResponseAsync(stream, RobustnessServer.Timeout);

        Assert.Equal(200, response.HttpStatus);
        Assert.True(response.EndStream, response.ToString());
        Assert.Equal((int)StatusCode.DeadlineExceeded, response.GrpcStatus);
        Assert.Equal(Http2ErrorCode.Cancel, await connection.WaitForResetAsync(stream, RobustnessServer.Timeout));
        await server.AssertServesAsync(connection);
    }
}
