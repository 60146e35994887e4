using FileSwarm.Interop.Testing;
using FileSwarm.Interop.Tests;
using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.RobustnessTests.Infrastructure;

namespace FileSwarm.Rpc.RobustnessTests;

/// <summary>A handler that throws an ordinary exception: UNKNOWN, with internals only when detailed errors are on.</summary>
public sealed class HandlerErrorTests
{
    private const string Path = "/grpc.testing.TestService/UnimplementedCall";
    private const string Secret = "secret-internal-detail-42";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Plain_exception_is_unknown_and_detailed_only_when_enabled(bool detailed)
    {
        var service = TestServiceImpl.Bind()
            .Unary<Empty, Empty>("UnimplementedCall", (_, _) => throw new InvalidOperationException(Secret));
        await using var server = await RobustnessServer.StartAsync(options => options.EnableDetailedErrors = detailed, service);
        server.ExpectErrors(e => e.EventId.Name == "HandlerError" && e.Exception is InvalidOperationException { Message: Secret });
        await using var connection = await server.ConnectAsync();

        var response = await RawCalls.CallAsync(connection, Path, GrpcWire.Frame(new Empty()));

        Assert.Equal(200, response.HttpStatus);
        Assert.Equal((int)StatusCode.Unknown, response.GrpcStatus);
        var message = Uri.UnescapeDataString(response.GrpcMessage ?? string.Empty);
        Assert.Equal(detailed, message.Contains(Secret, StringComparison.Ordinal));

        using var channel = server.CreateChannel();
        var method = Method.Create<Empty, Empty>(TestReflection.Descriptor.Services.Single(s => s.Name == "TestService"), "UnimplementedCall");
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(method, new Empty(), CallOptions.WithTimeout(RobustnessServer.Timeout)));
        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.Equal(detailed, error.Status.Detail.Contains(Secret, StringComparison.Ordinal));

        Assert.Contains(server.Logs.Entries, e => e.EventId.Name == "HandlerError");
        await server.AssertServesAsync(connection);
    }
}
