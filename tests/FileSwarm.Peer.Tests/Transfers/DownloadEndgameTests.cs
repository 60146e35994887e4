using FileSwarm.Peer.Tests.Infrastructure;
using FileSwarm.Peer.Transfers;
using FileSwarm.Peer.Transfers.Picking;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Peer.Tests.Transfers;

public sealed class DownloadEndgameTests
{
    [Fact]
    public async Task Endgame_finishes_without_a_slow_peer_and_cancels_its_requests()
    {
        var file = TestFile.Create(24 * 8192, 8192, seed: 21);
        // The slow peer never answers; without endgame the download would wait for RequestTimeout (an hour).
        var slow = new FakePeer("slow", file.Seed()) { Hang = _ => true };
        var fast = new FakePeer("fast", file.Seed());
        var options = DownloadTests.FastOptions() with { RequestTimeout = TimeSpan.FromHours(1) };
        var swarm = new FakeSwarm(slow);
        using var store = file.Empty();
        var download = new Download(store, swarm, new FakeConnector(slow, fast), options, NullLogger.Instance);
        var run = download.RunAsync(CancellationToken.None);

        await Poll.UntilAsync(() => slow.Requests == options.RequestsPerPeer, "the slow peer holds a full set of requests");
        swarm.Peers = [slow, fast];
        await Poll.WithinAsync(run, "the download");
        var progress = download.Progress;

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.True(download.EndgameCancellations > 0, "losers were cancelled");
        await Poll.UntilAsync(() => slow.Cancellations == slow.Requests, "every request to the slow peer was cancelled");
        var stats = progress.Peers.Single(p => p.PeerId == "slow");
        Assert.Equal((0L, false), (stats.BytesReceived, stats.Dropped));
    }

    [Fact]
    public async Task Progress_is_announced_in_batches_and_the_last_announce_is_completed()
    {
        var time = new FakeTimeProvider();
        var file = TestFile.Create(64 * 4096, 4096, seed: 22);
        var seeder = new FakePeer("seeder", file.Seed());
        // Each block served moves the clock a quarter of the announce interval: about 16 intervals in all.
        var swarm = new FakeSwarm(seeder);
        var served = 0;
        seeder.OnServe = () =>
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            if (Interlocked.Increment(ref served) == 32)
            {
                // Halfway (8 s on the fake clock) an update must have gone out, however the threads were scheduled.
                Assert.True(SpinWait.SpinUntil(() => swarm.Announces.Any(a => a.Event == SwarmEvent.Update), Poll.DefaultTimeout));
            }
        };
        var options = DownloadTests.FastOptions() with
        {
            ProgressAnnounceInterval = TimeSpan.FromSeconds(1),
            PeerRefreshInterval = TimeSpan.FromHours(1),
            RequestTimeout = TimeSpan.FromHours(1),
        };
        using var store = file.Empty();
        var download = new Download(store, swarm, new FakeConnector(seeder), options, NullLogger.Instance, time);

        var progress = await DownloadTests.RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        var announces = swarm.Announces;
        Assert.Equal(SwarmEvent.Started, announces[0].Event);
        Assert.Equal((SwarmEvent.Completed, 64), announces[^1]);
        var updates = announces.Where(a => a.Event == SwarmEvent.Update).Select(a => a.Pieces).ToArray();
        Assert.NotEmpty(updates);
        Assert.True(announces.Count <= 64 / 3, $"{announces.Count} announces for 64 pieces");
        // Only sent when pieces were added since the last one.
        Assert.Equal(updates.Distinct().Order(), updates);
        Assert.True(updates[0] > 0);
        Assert.True(progress.BytesPerSecond > 0);
    }

    [Fact]
    public async Task Sequential_selection_can_replace_rarest_first()
    {
        var file = TestFile.Create(16 * 4096, 4096, seed: 23);
        var seeder = new FakePeer("seeder", file.Seed());
        var options = DownloadTests.FastOptions() with { RequestsPerPeer = 1, PieceSelector = new SequentialSelector() };
        using var store = file.Empty();
        var download = new Download(store, new FakeSwarm(seeder), new FakeConnector(seeder), options, NullLogger.Instance);

        await DownloadTests.RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.All(Enumerable.Range(0, 16), p => Assert.Equal(1, seeder.RequestsFor(p)));
    }
}
