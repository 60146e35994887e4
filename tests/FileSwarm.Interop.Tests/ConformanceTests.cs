using FileSwarm.Rpc.Client;

namespace FileSwarm.Interop.Tests;

public static class Cases
{
    public static TheoryData<string> All => [.. InteropClient.CaseNames];
}

/// <summary>The grpc-js client drives FileSwarm's server through every case.</summary>
public sealed class GrpcJsClientToFileSwarmServer(FileSwarmServerFixture server) : IClassFixture<FileSwarmServerFixture>
{
    [Theory]
    [MemberData(nameof(Cases.All), MemberType = typeof(Cases))]
    public async Task Case(string name)
    {
        var (exitCode, output) = await NodeHarness.RunClientAsync(server.Port, name, TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, $"grpc-js client case {name} failed (exit {exitCode}): {output}");
    }
}

/// <summary>FileSwarm's client drives the grpc-js server through every case.</summary>
public sealed class FileSwarmClientToGrpcJsServer(NodeServerFixture server) : IClassFixture<NodeServerFixture>
{
    [Theory]
    [MemberData(nameof(Cases.All), MemberType = typeof(Cases))]
    public async Task Case(string name)
    {
        using var channel = RpcChannel.ForAddress($"127.0.0.1:{server.Port}");
        await new InteropClient(channel).RunAsync(name);
    }
}

/// <summary>FileSwarm's client against FileSwarm's server, through the same cases.</summary>
public sealed class FileSwarmClientToFileSwarmServer(FileSwarmServerFixture server) : IClassFixture<FileSwarmServerFixture>
{
    [Theory]
    [MemberData(nameof(Cases.All), MemberType = typeof(Cases))]
    public async Task Case(string name)
    {
        using var channel = RpcChannel.ForAddress($"127.0.0.1:{server.Port}");
        await new InteropClient(channel).RunAsync(name);
    }
}
