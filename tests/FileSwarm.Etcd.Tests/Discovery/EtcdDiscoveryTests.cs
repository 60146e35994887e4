using FileSwarm.Core.Pieces;
using FileSwarm.Etcd.Tests.Infrastructure;
using FileSwarm.Peer.Transfers;
using FileSwarm.Tracker.Tests.Infrastructure;

namespace FileSwarm.Etcd.Tests.Discovery;

[Collection(EtcdClientCollection.Name)]
public sealed class EtcdDiscoveryTests(EtcdServer etcd) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly DiscoveryHarness _harness = new(etcd.Endpoint, TimeSpan.FromSeconds(3));
    private readonly EtcdClient _client = etcd.CreateClient();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _client.Dispose();
    }

    [Fact]
    public async Task A_peer_registers_under_a_lease_that_is_renewed_and_revoked_when_it_leaves()
    {
        var alice = await _harness.StartAsync("alice", 9001);
        var registration = await _client.GetAsync(_harness.Prefix + "peers/alice");

        Assert.NotNull(registration);
        Assert.Equal(alice.LeaseId, registration.Lease);
        Assert.Contains("\"127.0.0.1:9001\"", registration.Value.ToStringUtf8(), StringComparison.Ordinal);

        // Past two TTLs the registration is still there: the keep-alive renews it.
        var start = DateTime.UtcNow;
        await Eventually.TrueAsync(() => DateTime.UtcNow - start > TimeSpan.FromSeconds(6) && alice.Metrics.Get(EtcdOperation.LeaseKeepAlive) >= 6, Wait, () => "not renewed");
        Assert.NotNull(await _client.GetAsync(_harness.Prefix + "peers/alice"));

        var bob = await _harness.StartAsync("bob", 9002);
        await Eventually.TrueAsync(() => alice.Peers.ContainsKey("bob") && bob.Peers.ContainsKey("alice"), Wait, () => "the peers do not see each other");

        await bob.DisposeAsync();
        await Eventually.TrueAsync(() => !alice.Peers.ContainsKey("bob"), TimeSpan.FromSeconds(2), () => "bob is still listed after leaving");
        Assert.Empty((await _client.GetPrefixAsync(_harness.Prefix + "peers/bob")).Kvs);
    }

    [Fact]
    public async Task Handlers_and_bitfields_are_published_batched_and_answered_from_the_cache()
    {
        var seeder = await _harness.StartAsync("seeder", 9101);
        var leecher = await _harness.StartAsync("leecher", 9102);
        var metainfo = TestTorrents.Create("batched.bin", pieces: 64);
        await seeder.RegisterAsync(metainfo, CancellationToken.None);
        var full = new Bitfield(64);
        full.SetAll(true);
        await seeder.GetSwarm(metainfo).AnnounceAsync(SwarmEvent.Started, full, 0, 0, CancellationToken.None);

        // The leecher finds it by info-hash and content SHA-1 from its cache, once the watch has brought it.
        await Eventually.TrueAsync(async () => await leecher.FindAsync(metainfo.InfoHash, CancellationToken.None) is not null, Wait, () => "not found");
        Assert.Equal(metainfo.InfoHash, (await leecher.FindAsync(metainfo.ContentSha1!.Value, CancellationToken.None))?.InfoHash);
        var page = await leecher.ListAsync(10, null, "BATCHED", CancellationToken.None);
        Assert.Equal("batched.bin", Assert.Single(page.Files).Name);

        // 63 pieces arriving one by one, each announced: the writes are collected, not one per piece.
        var swarm = leecher.GetSwarm(metainfo);
        var have = new Bitfield(64);
        var peers = await swarm.AnnounceAsync(SwarmEvent.Started, have, 0, 0, CancellationToken.None);
        var writesBefore = leecher.Metrics.Get(EtcdOperation.Txn) + leecher.Metrics.Get(EtcdOperation.Put);
        var rangesBefore = leecher.Metrics.Get(EtcdOperation.Range);
        for (var i = 0; i < 63; i++)
        {
            have[i] = true;
            await swarm.AnnounceAsync(SwarmEvent.Update, have, 0, i, CancellationToken.None);
        }

        var seederView = new Func<Task<bool>>(async () =>
            (await seeder.GetSwarm(metainfo).AnnounceAsync(SwarmEvent.Update, full, 0, 0, CancellationToken.None)).SingleOrDefault()?.Pieces?.CountSet == 63);
        await Eventually.TrueAsync(seederView, Wait, () => "the seeder does not see the leecher's pieces");
        var writes = leecher.Metrics.Get(EtcdOperation.Txn) + leecher.Metrics.Get(EtcdOperation.Put) - writesBefore;

        Assert.Equal("seeder", Assert.Single(peers).PeerId);
        Assert.True(Assert.Single(peers).Complete);
        Assert.InRange(writes, 1, 8);
        Assert.Equal(rangesBefore, leecher.Metrics.Get(EtcdOperation.Range));
    }

    [Fact]
    public async Task A_handler_stays_listed_while_any_peer_offers_it()
    {
        var first = await _harness.StartAsync("first", 9201);
        var second = await _harness.StartAsync("second", 9202);
        var metainfo = TestTorrents.Create("kept.bin");
        var full = new Bitfield(metainfo.PieceCount);
        full.SetAll(true);
        await first.RegisterAsync(metainfo, CancellationToken.None);
        await first.GetSwarm(metainfo).AnnounceAsync(SwarmEvent.Started, full, 0, 0, CancellationToken.None);
        await second.RegisterAsync(metainfo, CancellationToken.None);
        await second.GetSwarm(metainfo).AnnounceAsync(SwarmEvent.Started, full, 0, 0, CancellationToken.None);

        // The last writer of the handler key leaves; the other peer writes it back under its own lease.
        await second.DisposeAsync();

        await Eventually.TrueAsync(async () => (await _client.GetAsync(_harness.Prefix + $"files/{metainfo.InfoHash}/handler"))?.Lease == first.LeaseId, Wait, () => "the handler was not written back");
        await Eventually.TrueAsync(async () => await first.FindAsync(metainfo.InfoHash, CancellationToken.None) is not null, Wait, () => "the handler is not back in the cache");
    }

    [Fact]
    public async Task An_unreachable_etcd_fails_the_start_with_a_clear_message()
    {
        await using var harness = new DiscoveryHarness(new Uri($"http://127.0.0.1:{KvTests.DeadPort()}"));
        var error = await Assert.ThrowsAsync<EtcdException>(() => harness.StartAsync("lonely", 9301));
        Assert.Contains("cannot be reached", error.Message, StringComparison.Ordinal);
    }
}
