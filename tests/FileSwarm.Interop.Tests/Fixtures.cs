using System.Diagnostics;
using System.Net;
using FileSwarm.Rpc.Server;

namespace FileSwarm.Interop.Tests;

/// <summary>FileSwarm's server with grpc.testing.TestService on 127.0.0.1, port 0.</summary>
public sealed class FileSwarmServerFixture : IAsyncLifetime
{
    private RpcServer? _server;

    public int Port => Server.EndPoints[0].Port;

    public RpcServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync()
    {
        var options = new RpcServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        _server = new RpcServer(options).AddService(TestServiceImpl.Bind());
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>The grpc-js TestService server as a child process.</summary>
public sealed class NodeServerFixture : IAsyncLifetime
{
    private Process? _process;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        (_process, Port) = await NodeHarness.StartServerAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            // The harness exits when its stdin closes.
            process.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        _process?.Dispose();
    }
}
