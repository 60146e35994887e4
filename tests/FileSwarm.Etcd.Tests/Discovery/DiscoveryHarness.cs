using FileSwarm.Etcd.Tests.Infrastructure;
using FileSwarm.Peer.Discovery;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Etcd.Tests.Discovery;

/// <summary>In-process etcd discoveries on one etcd and one prefix, as peers of one swarm would have.</summary>
public sealed class DiscoveryHarness(Uri endpoint, TimeSpan? leaseTtl = null) : IAsyncDisposable
{
    private readonly List<EtcdDiscovery> _started = [];

    public string Prefix { get; } = EtcdServer.NewPrefix();

    public async Task<EtcdDiscovery> StartAsync(string peerId, int port)
    {
        var discovery = new EtcdDiscovery(
            new EtcdDiscoveryOptions { Endpoints = [endpoint], Prefix = Prefix, LeaseTtl = leaseTtl ?? TimeSpan.FromSeconds(5), PublishDelay = TimeSpan.FromMilliseconds(100), RequestTimeout = TimeSpan.FromSeconds(3) },
            () => new DiscoveryIdentity(peerId, port, null),
            NullLoggerFactory.Instance);
        await discovery.StartAsync(CancellationToken.None);
        _started.Add(discovery);
        return discovery;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var discovery in _started)
        {
            await discovery.DisposeAsync();
        }
    }
}
