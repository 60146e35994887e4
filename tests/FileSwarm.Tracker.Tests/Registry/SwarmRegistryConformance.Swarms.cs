using FileSwarm.Core;
using FileSwarm.Core.Metainfo;
using FileSwarm.Tracker.Registry;
using FileSwarm.Tracker.Tests.Infrastructure;

namespace FileSwarm.Tracker.Tests.Registry;

/// <summary>Announces, expiry, removal and sweeping.</summary>
public abstract partial class SwarmRegistryConformance
{
    private const int Pieces = 20;

    [Fact]
    public async Task An_announce_for_a_file_not_in_the_catalog_is_refused_and_records_nothing()
    {
        var unknown = Sha1Hash.Compute("not registered"u8);

        var result = await Registry.AnnounceAsync(new PeerAnnouncement(unknown, "p1", "10.0.0.1:9000", true, default, 50));
        var removed = await Registry.RemovePeerAsync(unknown, "p1");

        Assert.Null(result);
        Assert.Null(removed);
        Assert.Equal(new RegistryStats(0, 0, 0), await Registry.GetStatsAsync());
    }

    [Fact]
    public async Task An_announce_returns_the_other_peers_and_never_the_announcing_one()
    {
        var file = await RegisterAsync();
        var first = await AnnounceAsync(file, "p1", TestTorrents.Pieces(Pieces, 1));
        await AnnounceAsync(file, "p2", TestTorrents.Pieces(Pieces, 2));
        var third = await AnnounceAsync(file, "p3", TestTorrents.Pieces(Pieces, 3));
        var again = await AnnounceAsync(file, "p1", TestTorrents.Pieces(Pieces, 1));

        Assert.Empty(first.Peers);
        Assert.Equal(["p1", "p2"], third.Peers.Select(p => p.PeerId).Order().ToList());
        Assert.Equal(["p2", "p3"], again.Peers.Select(p => p.PeerId).Order().ToList());
        Assert.Equal(new SwarmCounts(0, 3), again.Counts);
        var p2 = third.Peers.Single(p => p.PeerId == "p2");
        Assert.Equal("10.0.0.2:9000", p2.Address);
        Assert.False(p2.Complete);
        Assert.Equal(TestTorrents.Pieces(Pieces, 2), p2.Pieces.ToArray());
    }

    [Fact]
    public async Task Peers_holding_pieces_the_asker_lacks_come_first()
    {
        var file = await RegisterAsync();
        var asker = TestTorrents.Pieces(Pieces, 0, 1, 2);
        var useful = new HashSet<string> { "seed", "has-5", "has-19", "has-1-and-7" };
        await AnnounceAsync(file, "seed", default, complete: true);
        await AnnounceAsync(file, "has-5", TestTorrents.Pieces(Pieces, 5));
        await AnnounceAsync(file, "has-19", TestTorrents.Pieces(Pieces, 19));
        await AnnounceAsync(file, "has-1-and-7", TestTorrents.Pieces(Pieces, 1, 7));
        for (var i = 0; i < 12; i++)
        {
            await AnnounceAsync(file, $"useless-{i}", TestTorrents.Pieces(Pieces, i % 3));
        }

        for (var round = 0; round < 20; round++)
        {
            var exactly = await AnnounceAsync(file, "asker", asker, numWant: 4);
            var more = await AnnounceAsync(file, "asker", asker, numWant: 6);

            Assert.Equal(useful, exactly.Peers.Select(p => p.PeerId).ToHashSet());
            Assert.Equal(useful, more.Peers.Take(4).Select(p => p.PeerId).ToHashSet());
            Assert.All(more.Peers.Skip(4), p => Assert.StartsWith("useless-", p.PeerId, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Pieces_the_asker_lacks_count_wherever_they_are_in_a_long_bitfield()
    {
        // 200 pieces: three 64-bit words and a tail byte. The asker holds pieces in each part; a peer is useful only
        // through a piece it lacks, whether in the first word, a later one or the tail.
        var file = await RegisterAsync(pieces: 200);
        var asker = TestTorrents.Pieces(200, 0, 1, 70, 130, 197);
        var useful = new HashSet<string> { "has-3", "has-0-and-64", "has-1-and-150", "has-70-and-199", "has-127" };
        await AnnounceAsync(file, "has-3", TestTorrents.Pieces(200, 3));
        await AnnounceAsync(file, "has-0-and-64", TestTorrents.Pieces(200, 0, 64));
        await AnnounceAsync(file, "has-1-and-150", TestTorrents.Pieces(200, 1, 150));
        await AnnounceAsync(file, "has-70-and-199", TestTorrents.Pieces(200, 70, 199));
        await AnnounceAsync(file, "has-127", TestTorrents.Pieces(200, 127));
        await AnnounceAsync(file, "useless-0", TestTorrents.Pieces(200, 0, 1));
        await AnnounceAsync(file, "useless-1", TestTorrents.Pieces(200, 70, 130));
        await AnnounceAsync(file, "useless-2", TestTorrents.Pieces(200, 1, 197));
        await AnnounceAsync(file, "useless-3", TestTorrents.Pieces(200));

        for (var round = 0; round < 10; round++)
        {
            var answer = await AnnounceAsync(file, "asker", asker, numWant: 5);

            Assert.Equal(useful, answer.Peers.Select(p => p.PeerId).ToHashSet());
        }
    }

    [Fact]
    public async Task Peers_of_equal_value_are_returned_in_random_order()
    {
        var file = await RegisterAsync();
        for (var i = 0; i < 30; i++)
        {
            await AnnounceAsync(file, $"p{i}", TestTorrents.Pieces(Pieces, 4));
        }

        var seen = new HashSet<string>();
        for (var round = 0; round < 20; round++)
        {
            var result = await AnnounceAsync(file, "seeder", default, complete: true, numWant: 3);
            seen.UnionWith(result.Peers.Select(p => p.PeerId));
        }

        // 20 draws of 3 out of 30 that always hit the same few would mean a fixed order.
        Assert.True(seen.Count > 10, $"only {seen.Count} distinct peers in 20 answers");
    }

    [Fact]
    public async Task The_answer_holds_at_most_num_want_distinct_peers()
    {
        var file = await RegisterAsync();
        for (var i = 0; i < 25; i++)
        {
            await AnnounceAsync(file, $"p{i}", TestTorrents.Pieces(Pieces, i % Pieces));
        }

        var capped = await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces), numWant: 7);
        var none = await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces), numWant: 0);
        var all = await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces), numWant: 1000);

        Assert.Equal(7, capped.Peers.Select(p => p.PeerId).Distinct().Count());
        Assert.Equal(7, capped.Peers.Count);
        Assert.Empty(none.Peers);
        Assert.Equal(25, all.Peers.Select(p => p.PeerId).Distinct().Count());
        Assert.Equal(new SwarmCounts(0, 26), all.Counts);
    }

    [Fact]
    public async Task A_peer_that_stops_announcing_expires_after_the_ttl_without_a_sweep()
    {
        var file = await RegisterAsync();
        await AnnounceAsync(file, "old", TestTorrents.Pieces(Pieces, 1));
        Clock.Advance(Ttl - TimeSpan.FromSeconds(1));
        var beforeExpiry = await AnnounceAsync(file, "young", TestTorrents.Pieces(Pieces, 2));
        Clock.Advance(TimeSpan.FromSeconds(2));
        var afterExpiry = await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces));

        Assert.Equal(["old"], beforeExpiry.Peers.Select(p => p.PeerId).ToList());
        Assert.Equal(["young"], afterExpiry.Peers.Select(p => p.PeerId).ToList());
    }

    [Fact]
    public async Task Announcing_again_keeps_a_peer_alive()
    {
        var file = await RegisterAsync();
        for (var i = 0; i < 5; i++)
        {
            await AnnounceAsync(file, "steady", TestTorrents.Pieces(Pieces, 3));
            Clock.Advance(Ttl / 2);
        }

        var result = await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces));

        Assert.Equal(["steady"], result.Peers.Select(p => p.PeerId).ToList());
    }

    [Fact]
    public async Task A_stopped_peer_is_removed_at_once()
    {
        var file = await RegisterAsync();
        await AnnounceAsync(file, "leaving", default, complete: true);
        await AnnounceAsync(file, "staying", TestTorrents.Pieces(Pieces, 1));

        var counts = await Registry.RemovePeerAsync(file.InfoHash, "leaving");
        var again = await Registry.RemovePeerAsync(file.InfoHash, "leaving");
        var neverThere = await Registry.RemovePeerAsync(file.InfoHash, "stranger");
        var result = await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces));

        Assert.Equal(new SwarmCounts(0, 1), counts);
        Assert.Equal(new SwarmCounts(0, 1), again);
        Assert.Equal(new SwarmCounts(0, 1), neverThere);
        Assert.Equal(["staying"], result.Peers.Select(p => p.PeerId).ToList());
    }

    [Fact]
    public async Task A_peer_that_completes_becomes_a_seed_without_a_bitfield()
    {
        var file = await RegisterAsync();
        await AnnounceAsync(file, "downloader", TestTorrents.Pieces(Pieces, 0, 1));
        var before = await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces, 5));
        var completed = await AnnounceAsync(file, "downloader", default, complete: true);
        var after = await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces, 5));

        Assert.False(Assert.Single(before.Peers).Complete);
        Assert.Equal(new SwarmCounts(1, 1), completed.Counts);
        var seed = Assert.Single(after.Peers);
        Assert.True(seed.Complete);
        Assert.True(seed.Pieces.IsEmpty);
        Assert.Equal(new SwarmCounts(1, 1), after.Counts);
    }

    [Fact]
    public async Task A_peer_in_an_answer_stays_as_it_was_when_it_later_announces_new_pieces_or_moves()
    {
        var file = await RegisterAsync();
        await Registry.AnnounceAsync(new PeerAnnouncement(file.InfoHash, "downloader", "10.0.0.1:9000", false, TestTorrents.Pieces(Pieces, 0, 1), 50));
        var first = Assert.Single((await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces, 5))).Peers);
        var again = Assert.Single((await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces, 5))).Peers);

        await Registry.AnnounceAsync(new PeerAnnouncement(file.InfoHash, "downloader", "10.0.0.1:9000", false, TestTorrents.Pieces(Pieces, 0, 1, 2), 50));
        var grown = Assert.Single((await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces, 5))).Peers);
        await Registry.AnnounceAsync(new PeerAnnouncement(file.InfoHash, "downloader", "10.0.0.2:9100", false, TestTorrents.Pieces(Pieces, 0, 1, 2), 50));
        var moved = Assert.Single((await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces, 5))).Peers);

        Assert.Equal(TestTorrents.Pieces(Pieces, 0, 1), first.Pieces.ToArray());
        Assert.Equal("10.0.0.1:9000", first.Address);
        Assert.Equal(first.Pieces.ToArray(), again.Pieces.ToArray());
        Assert.Equal(TestTorrents.Pieces(Pieces, 0, 1, 2), grown.Pieces.ToArray());
        Assert.Equal("10.0.0.1:9000", grown.Address);
        Assert.Equal("10.0.0.2:9100", moved.Address);
        Assert.Equal(TestTorrents.Pieces(Pieces, 0, 1, 2), moved.Pieces.ToArray());
    }

    [Fact]
    public async Task A_peer_that_moves_keeps_one_entry_with_its_new_address()
    {
        var file = await RegisterAsync();
        await Registry.AnnounceAsync(new PeerAnnouncement(file.InfoHash, "mover", "10.0.0.1:9000", true, default, 50));
        await Registry.AnnounceAsync(new PeerAnnouncement(file.InfoHash, "mover", "10.0.0.99:9100", true, default, 50));

        var result = await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces));

        Assert.Equal("10.0.0.99:9100", Assert.Single(result.Peers).Address);
        Assert.Equal(new SwarmCounts(1, 1), result.Counts);
    }

    [Fact]
    public async Task Sweeping_removes_expired_peers_and_empty_swarms()
    {
        var file = await RegisterAsync();
        var other = await RegisterAsync();
        for (var i = 0; i < 5; i++)
        {
            await AnnounceAsync(file, $"p{i}", TestTorrents.Pieces(Pieces, i));
        }

        await AnnounceAsync(other, "early", default, complete: true);
        Clock.Advance(Ttl / 2);
        await AnnounceAsync(other, "late", default, complete: true);
        Assert.Equal(new RegistryStats(2, 2, 7), await Registry.GetStatsAsync());

        Clock.Advance((Ttl / 2) + TimeSpan.FromSeconds(1));
        var removed = await Registry.SweepAsync();

        Assert.Equal(6, removed);
        Assert.Equal(new RegistryStats(2, 1, 1), await Registry.GetStatsAsync());
        Assert.Equal(0, await Registry.SweepAsync());

        // A swept swarm comes back with the next announce.
        var back = await AnnounceAsync(file, "returning", TestTorrents.Pieces(Pieces, 1));
        Assert.Empty(back.Peers);
        Assert.Equal(new SwarmCounts(0, 1), back.Counts);
    }

    [Fact]
    public async Task Counts_are_exact_after_a_sweep()
    {
        var file = await RegisterAsync();
        await AnnounceAsync(file, "seed-old", default, complete: true);
        await AnnounceAsync(file, "leech-old", TestTorrents.Pieces(Pieces, 1));
        Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        await AnnounceAsync(file, "seed-new", default, complete: true);
        await Registry.SweepAsync();

        var result = await AnnounceAsync(file, "leech-new", TestTorrents.Pieces(Pieces));

        Assert.Equal(new SwarmCounts(1, 1), result.Counts);
        Assert.Equal(["seed-new"], result.Peers.Select(p => p.PeerId).ToList());
    }

    [Fact]
    public async Task A_full_swarm_answers_new_peers_without_recording_them()
    {
        await using var small = await CreateRegistryAsync(DefaultOptions with { MaxPeersPerSwarm = 3 }, Clock);
        var metainfo = TestTorrents.Create("small-swarm", Pieces);
        await small.RegisterFileAsync(metainfo);
        for (var i = 0; i < 3; i++)
        {
            await small.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, $"p{i}", $"10.0.1.{i}:9000", true, default, 50));
        }

        var latecomer = await small.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "late", "10.0.1.9:9000", false, TestTorrents.Pieces(Pieces), 50));
        var member = await small.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, "p0", "10.0.1.0:9000", true, default, 50));

        Assert.Equal(3, latecomer!.Peers.Count);
        Assert.Equal(["p1", "p2"], member!.Peers.Select(p => p.PeerId).Order().ToList());
        Assert.Equal(new SwarmCounts(3, 0), member.Counts);
    }

    [Fact]
    public async Task In_a_swarm_larger_than_the_scan_limit_an_announce_still_returns_live_distinct_peers()
    {
        await using var sampled = await CreateRegistryAsync(DefaultOptions with { AnnounceScanLimit = 40 }, Clock);
        var metainfo = TestTorrents.Create("large-swarm", Pieces);
        await sampled.RegisterFileAsync(metainfo);
        for (var i = 0; i < 150; i++)
        {
            await sampled.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, $"old{i}", $"10.1.0.{i}:9000", true, default, 0));
        }

        Clock.Advance(Ttl / 2);
        for (var i = 0; i < 150; i++)
        {
            await sampled.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, $"new{i}", $"10.2.0.{i}:9000", true, default, 0));
        }

        Clock.Advance((Ttl / 2) + TimeSpan.FromSeconds(1));
        var seen = new HashSet<string>();
        for (var round = 0; round < 30; round++)
        {
            var self = $"new{round}";
            var result = await sampled.AnnounceAsync(new PeerAnnouncement(metainfo.InfoHash, self, $"10.2.0.{round}:9000", false, TestTorrents.Pieces(Pieces), 15));
            Assert.NotNull(result);
            Assert.InRange(result.Peers.Count, 1, 15);
            Assert.Equal(result.Peers.Count, result.Peers.Select(p => p.PeerId).Distinct().Count());
            Assert.All(result.Peers, p => Assert.StartsWith("new", p.PeerId, StringComparison.Ordinal));
            Assert.DoesNotContain(result.Peers, p => p.PeerId == self);
            seen.UnionWith(result.Peers.Select(p => p.PeerId));
        }

        Assert.True(seen.Count > 40, $"samples kept returning the same {seen.Count} peers");
    }

    [Fact]
    public async Task Concurrent_announces_to_one_swarm_are_all_recorded()
    {
        var file = await RegisterAsync();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                var complete = i % 2 == 0;
                await Registry.AnnounceAsync(new PeerAnnouncement(
                    file.InfoHash, $"w{worker}-{i}", $"10.3.{worker}.{i}:9000", complete, complete ? default : TestTorrents.Pieces(Pieces, i % Pieces), 10));
            }
        })));

        var result = await AnnounceAsync(file, "asker", TestTorrents.Pieces(Pieces), numWant: 0);
        Assert.Equal(new SwarmCounts(200, 201), result.Counts);
        Assert.Equal(401, (await Registry.GetStatsAsync()).Peers);
    }

    private async Task<TorrentMetainfo> RegisterAsync(int pieces = Pieces)
    {
        var metainfo = TestTorrents.Create($"swarm-{Guid.NewGuid():N}", pieces);
        await Registry.RegisterFileAsync(metainfo);
        return metainfo;
    }

    private async Task<AnnounceResult> AnnounceAsync(TorrentMetainfo file, string peerId, byte[]? pieces, bool complete = false, int numWant = 50)
    {
        var address = $"10.0.0.{peerId.Length switch { > 1 when char.IsAsciiDigit(peerId[^1]) => peerId[^1] - '0', _ => 200 }}:9000";
        var result = await Registry.AnnounceAsync(new PeerAnnouncement(file.InfoHash, peerId, address, complete, pieces ?? default, numWant));
        Assert.NotNull(result);
        return result;
    }
}
