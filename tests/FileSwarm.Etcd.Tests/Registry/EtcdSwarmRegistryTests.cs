using System.Diagnostics.Metrics;
using FileSwarm.Core;
using FileSwarm.Etcd.Tests.Infrastructure;
using FileSwarm.Tracker;
using FileSwarm.Tracker.Registry;
using FileSwarm.Tracker.Tests.Infrastructure;
using FileSwarm.Tracker.Tests.Registry;

namespace FileSwarm.Etcd.Tests.Registry;

/// <summary>
/// The memory registry's conformance suite, unchanged, against etcd. Expiry in both registries follows the injected
/// clock (last-seen stamps, not etcd leases), so the suite's fake clock controls it here as well; each registry gets
/// its own key prefix. Then what only the etcd registry does: trackers sharing one prefix through the watch.
/// </summary>
[Collection(EtcdRegistryCollection.Name)]
public sealed class EtcdSwarmRegistryTests(EtcdServer etcd) : SwarmRegistryConformance
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    protected override Task<ISwarmRegistry> CreateRegistryAsync(SwarmRegistryOptions options, TimeProvider clock) =>
        Task.FromResult<ISwarmRegistry>(Create(options, EtcdServer.NewPrefix()));

    [Fact]
    public async Task Two_registries_on_one_prefix_share_the_catalog_and_see_each_others_announces_through_the_watch()
    {
        var prefix = EtcdServer.NewPrefix();
        await using var first = Create(DefaultOptions, prefix);
        await using var second = Create(DefaultOptions, prefix);
        var metainfo = TestTorrents.Create("shared.bin", 16);

        Assert.True((await first.RegisterFileAsync(metainfo)).Created);
        Assert.False((await second.RegisterFileAsync(metainfo)).Created);
        await first.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "seed", "10.9.0.1:9000", true, default, 10));
        AnnounceResult? answer = null;
        await Eventually.TrueAsync(
            async () => (answer = await second.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "leech", "10.9.0.2:9000", false, TestTorrents.Pieces(16), 10)))!.Peers.Count == 1,
            Wait,
            () => "the second tracker never saw the first one's seed");

        Assert.Equal("seed", Assert.Single(answer!.Peers).PeerId);
        Assert.Equal(metainfo.InfoHash, (await second.FindFileAsync(metainfo.ContentSha1!.Value))?.InfoHash);
        await Eventually.TrueAsync(
            async () => await first.RemovePeerAsync(metainfo.InfoHash, "nobody") == new SwarmCounts(1, 1),
            Wait,
            () => "the first tracker never saw the second one's leech");
    }

    [Fact]
    public async Task A_file_registered_on_one_tracker_is_found_at_once_on_another()
    {
        var prefix = EtcdServer.NewPrefix();
        await using var first = Create(DefaultOptions, prefix);
        await using var second = Create(DefaultOptions, prefix);
        await second.GetStatsAsync();
        var metainfo = TestTorrents.Create("fresh.bin", 8);

        await first.RegisterFileAsync(metainfo);
        var found = await second.FindFileAsync(metainfo.ContentSha1!.Value);
        var announced = await second.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "p", "10.9.1.1:9000", true, default, 10));

        Assert.Equal(metainfo.InfoHash, found?.InfoHash);
        Assert.NotNull(announced);
    }

    [Fact]
    public async Task A_peer_expires_on_both_trackers_when_one_of_them_sweeps()
    {
        var prefix = EtcdServer.NewPrefix();
        await using var first = Create(DefaultOptions, prefix);
        await using var second = Create(DefaultOptions, prefix);
        var metainfo = TestTorrents.Create("expiring.bin", 8);
        await first.RegisterFileAsync(metainfo);
        await first.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "fading", "10.9.2.1:9000", true, default, 10));
        await Eventually.TrueAsync(async () => (await second.GetStatsAsync()).Peers == 1, Wait, () => "the second tracker never saw the peer");

        Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        var removed = await second.SweepAsync();

        Assert.Equal(1, removed);
        await Eventually.TrueAsync(async () => (await first.GetStatsAsync()).Peers == 0, Wait, () => "the first tracker still holds the swept peer");
        using var client = etcd.CreateClient();
        Assert.Empty((await client.GetPrefixAsync(prefix + "swarms/")).Kvs);
    }

    [Fact]
    public async Task Announces_land_in_etcd_in_batches_with_the_latest_value_of_each_peer()
    {
        var prefix = EtcdServer.NewPrefix();
        await using var registry = Create(DefaultOptions, prefix);
        var metainfo = TestTorrents.Create("batched.bin", 20);
        await registry.RegisterFileAsync(metainfo);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var round = 0; round < 20; round++)
            {
                for (var peer = 0; peer < 50; peer++)
                {
                    await registry.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, $"w{worker}-{peer}", $"10.9.3.{peer}:9000", false, TestTorrents.Pieces(20, round), 0));
                }
            }
        })));

        // Every announce either became a write that landed or replaced a waiting one; each key holds its latest value.
        using var client = etcd.CreateClient();
        var pieces = Convert.ToBase64String(TestTorrents.Pieces(20, 19));
        await Eventually.TrueAsync(
            () => registry.WritesLanded.Writes + registry.CollapsedWrites == 4000,
            Wait,
            () => $"{registry.WritesLanded.Writes} writes landed, {registry.CollapsedWrites} collapsed, {registry.QueuedWrites} queued");
        var (transactions, writes) = registry.WritesLanded;
        var entries = (await client.GetPrefixAsync(prefix + "swarms/")).Kvs;
        Assert.InRange(transactions, 1, writes);
        Assert.Equal(200, entries.Count);
        Assert.All(entries, kv => Assert.Contains(pieces, kv.Value.ToStringUtf8(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Distinct_peers_land_through_several_transactions_in_flight_with_the_latest_value_of_each_and_the_tracker_metrics_count_them()
    {
        var prefix = EtcdServer.NewPrefix();
        await using var registry = new EtcdSwarmRegistry(etcd.CreateClient(), DefaultOptions, Clock, new EtcdRegistryOptions { Prefix = prefix, MaxTransactionsInFlight = 4 }, ownsClient: true);
        using var meters = new ScopedMeterFactory();
        using var metrics = new TrackerMetrics(meters);
        metrics.ObserveEtcdWrites(registry);
        var metainfo = TestTorrents.Create("distinct.bin", 20);
        await registry.RegisterFileAsync(metainfo);

        // 2,400 distinct peers (many transactions' worth), then each of them again: the second writes find their keys
        // waiting, in a transaction in flight, or landed.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var round = 0; round < 2; round++)
            {
                for (var peer = 0; peer < 300; peer++)
                {
                    await registry.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, $"d{worker}-{peer}", $"10.9.6.{worker}:{9000 + peer}", false, TestTorrents.Pieces(20, round), 0));
                }
            }
        })));

        using var client = etcd.CreateClient();
        await Eventually.TrueAsync(
            () => registry.WritesLanded.Writes + registry.CollapsedWrites == 4800 && registry.QueuedWrites == 0,
            Wait,
            () => $"{registry.WritesLanded.Writes} writes landed, {registry.CollapsedWrites} collapsed, {registry.QueuedWrites} queued");
        var entries = (await client.GetPrefixAsync(prefix + "swarms/")).Kvs;
        Assert.Equal(2400, entries.Count);
        var latest = Convert.ToBase64String(TestTorrents.Pieces(20, 1));
        Assert.All(entries, kv => Assert.Contains(latest, kv.Value.ToStringUtf8(), StringComparison.Ordinal));

        var (transactions, writes) = registry.WritesLanded;
        Assert.InRange(transactions, (writes + 127) / 128, writes);
        var observed = meters.Collect();
        Assert.Equal(transactions, observed["fileswarm.tracker.etcd.transactions"]);
        Assert.Equal(writes, observed["fileswarm.tracker.etcd.writes"]);
        Assert.Equal(registry.CollapsedWrites, observed["fileswarm.tracker.etcd.collapsed_writes"]);
        Assert.Equal(0, observed["fileswarm.tracker.etcd.queued_writes"]);
        Assert.Equal(0, observed["fileswarm.tracker.etcd.refused_writes"]);
    }

    private EtcdSwarmRegistry Create(SwarmRegistryOptions options, string prefix) =>
        new(etcd.CreateClient(), options, Clock, new EtcdRegistryOptions { Prefix = prefix }, ownsClient: true);
}

/// <summary>Meters of one test only (their scope is the factory), and the latest value of each observable instrument.</summary>
internal sealed class ScopedMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        _meters.Add(meter);
        return meter;
    }

    public Dictionary<string, long> Collect()
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, this))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}

/// <summary>The registry while etcd is killed and started again: answers from the cache, writes held, the queue's bound.</summary>
[Collection(EtcdRestartCollection.Name)]
public sealed class EtcdSwarmRegistryOutageTests(EtcdServer etcd)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task While_etcd_is_down_announces_answer_from_the_cache_and_collapse_and_land_once_it_is_back()
    {
        var prefix = EtcdServer.NewPrefix();
        using var client = etcd.CreateClient();
        await using var registry = new EtcdSwarmRegistry(etcd.CreateClient(), etcdOptions: new EtcdRegistryOptions { Prefix = prefix }, ownsClient: true);
        var metainfo = TestTorrents.Create("outage.bin", 20);
        await registry.RegisterFileAsync(metainfo);
        await registry.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "seed", "10.9.4.1:9000", true, default, 10));
        await Eventually.TrueAsync(() => registry.QueuedWrites == 0 && registry.WritesLanded.Writes == 1, Wait, () => "the seed's entry never landed");

        await using var restart = new StartAgain(etcd);
        await etcd.KillAsync();
        var answers = new List<AnnounceResult>();
        for (var round = 0; round < 20; round++)
        {
            answers.Add((await registry.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "leech", "10.9.4.2:9000", false, TestTorrents.Pieces(20, round), 10)))!);
        }

        Assert.All(answers, answer => Assert.Equal("seed", Assert.Single(answer.Peers).PeerId));
        Assert.True(registry.CollapsedWrites >= 18, $"only {registry.CollapsedWrites} of 20 writes of one key collapsed");
        Assert.True(registry.QueuedWrites <= 1);

        await etcd.StartAsync();
        KeyValueSnapshot? leech = null;
        await Eventually.TrueAsync(
            async () => (leech = await ReadLeechAsync(client, prefix)) is { } entry && entry.Value.Contains(Convert.ToBase64String(TestTorrents.Pieces(20, 19)), StringComparison.Ordinal),
            Wait,
            () => $"the leech's latest entry is not in etcd: {leech?.Value}");
        Assert.True(leech!.Version <= 2, $"the leech's key was written {leech.Version} times for 20 announces");
        await Eventually.TrueAsync(() => registry.IsWatching, Wait, () => "the watch did not resume");
    }

    [Fact]
    public async Task A_full_write_queue_refuses_new_peers_naming_etcd_and_accepts_them_again_once_it_drains()
    {
        var prefix = EtcdServer.NewPrefix();
        using var client = etcd.CreateClient();
        await using var registry = new EtcdSwarmRegistry(etcd.CreateClient(), etcdOptions: new EtcdRegistryOptions { Prefix = prefix, MaxQueuedWrites = 3 }, ownsClient: true);
        var metainfo = TestTorrents.Create("bounded.bin", 20);
        await registry.RegisterFileAsync(metainfo);
        await registry.GetStatsAsync();

        await using var restart = new StartAgain(etcd);
        await etcd.KillAsync();
        var accepted = new List<string>();
        Rpc.RpcException? refusal = null;
        for (var i = 0; i < 200 && refusal is null; i++)
        {
            try
            {
                await registry.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, $"p{i}", $"10.9.5.{i}:9000", true, default, 10));
                accepted.Add($"p{i}");
            }
            catch (Rpc.RpcException e)
            {
                refusal = e;
            }
        }

        Assert.NotNull(refusal);
        Assert.Contains(refusal.StatusCode, new[] { Rpc.StatusCode.Unavailable, Rpc.StatusCode.ResourceExhausted });
        Assert.Contains("etcd", refusal.Status.Detail, StringComparison.Ordinal);
        Assert.InRange(registry.QueuedWrites, 0, 3);
        Assert.Equal(1, registry.RefusedWrites);
        // A peer whose write is already waiting is still answered: its write replaces the waiting one (or, when the
        // writer took it meanwhile, waits in the room that left).
        var again = await registry.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, accepted[^1], "10.9.5.99:9000", true, default, 1000));
        Assert.Equal(accepted.Count - 1, again!.Peers.Count);

        await etcd.StartAsync();
        await Eventually.TrueAsync(
            async () => (await client.GetPrefixAsync(prefix + "swarms/")).Kvs.Count == accepted.Count,
            Wait,
            () => $"not every accepted peer landed in etcd ({registry.QueuedWrites} queued)");
        var late = await registry.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "late", "10.9.5.200:9000", true, default, 1000));
        Assert.Equal(accepted.Count, late!.Peers.Count);
    }

    private static async Task<KeyValueSnapshot?> ReadLeechAsync(EtcdClient client, string prefix)
    {
        try
        {
            var kvs = (await client.GetPrefixAsync(prefix + "swarms/")).Kvs;
            return kvs.Select(kv => new KeyValueSnapshot(kv.Value.ToStringUtf8(), kv.Version)).FirstOrDefault(kv => kv.Value.Contains("\"leech\"", StringComparison.Ordinal));
        }
        catch (EtcdException)
        {
            return null;
        }
    }

    private sealed record KeyValueSnapshot(string Value, long Version);

    /// <summary>Leaves etcd running for the collection's next test, whatever happened in this one.</summary>
    private sealed class StartAgain(EtcdServer etcd) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (!etcd.IsRunning)
            {
                await etcd.StartAsync();
            }
        }
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

        var registering = await Assert.ThrowsAsync<Rpc.RpcException>(async () => await registry.RegisterFileAsync(TestTorrents.Create("unreachable.bin")));
        var reading = await Assert.ThrowsAsync<Rpc.RpcException>(async () => await registry.FindFileAsync(Sha1Hash.Compute("x"u8)));

        foreach (var error in new[] { registering, reading })
        {
            Assert.Equal(Rpc.StatusCode.Unavailable, error.StatusCode);
            Assert.Contains("cannot be reached", error.Status.Detail, StringComparison.Ordinal);
        }
    }
}
