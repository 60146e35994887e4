using FileSwarm.Etcd.Tests.Infrastructure;
using FileSwarm.Tracker.Registry;
using FileSwarm.Tracker.Tests.Infrastructure;
using FileSwarm.Tracker.Tests.Registry;

namespace FileSwarm.Etcd.Tests.Registry;

/// <summary>
/// The memory registry's conformance suite, unchanged, against etcd. Expiry in both registries follows the injected
/// clock (last-seen stamps, not etcd leases), so the suite's fake clock controls it here as well; each registry gets
/// its own key prefix.
/// </summary>
[Collection(EtcdRegistryCollection.Name)]
public sealed class EtcdSwarmRegistryTests(EtcdServer etcd) : SwarmRegistryConformance
{
    private readonly List<EtcdClient> _clients = [];

    protected override Task<ISwarmRegistry> CreateRegistryAsync(SwarmRegistryOptions options, TimeProvider clock)
    {
        var client = etcd.CreateClient();
        return Task.FromResult<ISwarmRegistry>(new EtcdSwarmRegistry(client, options, clock, EtcdServer.NewPrefix(), ownsClient: true));
    }

    [Fact]
    public async Task Two_registries_on_one_prefix_share_the_catalog_and_the_swarms()
    {
        var prefix = EtcdServer.NewPrefix();
        await using var first = new EtcdSwarmRegistry(etcd.CreateClient(), DefaultOptions, Clock, prefix, ownsClient: true);
        await using var second = new EtcdSwarmRegistry(etcd.CreateClient(), DefaultOptions, Clock, prefix, ownsClient: true);
        var metainfo = TestTorrents.Create("shared.bin", 16);

        Assert.True((await first.RegisterFileAsync(metainfo)).Created);
        Assert.False((await second.RegisterFileAsync(metainfo)).Created);
        await first.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "seed", "10.9.0.1:9000", true, default, 10));
        var answer = await second.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "leech", "10.9.0.2:9000", false, TestTorrents.Pieces(16), 10));

        Assert.Equal("seed", Assert.Single(answer!.Peers).PeerId);
        Assert.Equal(metainfo.InfoHash, (await second.FindFileAsync(metainfo.ContentSha1!.Value))?.InfoHash);
        Assert.Equal(new SwarmCounts(1, 1), await first.RemovePeerAsync(metainfo.InfoHash, "nobody"));
    }
}

[Collection(EtcdRegistryCollection.Name)]
public sealed class EtcdSwarmRegistryErrorTests
{
    [Fact]
    public async Task An_unreachable_etcd_is_unavailable_for_the_trackers_callers()
    {
        var client = new EtcdClient(new EtcdClientOptions { Endpoints = [new Uri($"http://127.0.0.1:{KvTests.DeadPort()}")], RequestTimeout = TimeSpan.FromSeconds(2) });
        await using var registry = new EtcdSwarmRegistry(client, ownsClient: true);

        var error = await Assert.ThrowsAsync<Rpc.RpcException>(async () => await registry.RegisterFileAsync(TestTorrents.Create("unreachable.bin")));

        Assert.Equal(Rpc.StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("cannot be reached", error.Status.Detail, StringComparison.Ordinal);
    }
}
