using System.Net;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Client;
using Google.Protobuf;

namespace FileSwarm.Tracker.Tests.Service;

/// <summary>A real tracker on 127.0.0.1, port 0, with small limits, and a client for it; one per test.</summary>
public abstract class TrackerServiceTestBase : IAsyncLifetime
{
    protected static readonly TrackerOptions Options = new()
    {
        EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        AnnounceInterval = TimeSpan.FromSeconds(20),
        MaxTorrentBytes = 64 * 1024,
        DefaultPeersReturned = 3,
        MaxPeersReturned = 5,
    };

    private TrackerServer? _server;
    private RpcChannel? _channel;

    protected TrackerServer Server => _server ?? throw new InvalidOperationException("not started");

    protected TrackerClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = new TrackerServer(Options);
        await _server.StartAsync();
        _channel = new RpcChannel(_server.Address);
        Client = new TrackerClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    protected async Task<SharedFileInfo> RegisterAsync(Core.Metainfo.TorrentMetainfo metainfo) =>
        (await Client.RegisterFileAsync(new RegisterFileRequest { Torrent = ByteString.CopyFrom(metainfo.ToBytes()) })).File;

    protected static async Task<RpcException> FailsWithAsync(StatusCode code, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(code == error.StatusCode, $"expected {code}, got {error.Status}");
        Assert.False(string.IsNullOrWhiteSpace(error.Status.Detail), "the error has no message");
        return error;
    }
}
