using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Tests.Infrastructure;
using FileSwarm.Peer.Transfers;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Peer.Tests.Transfers;

public sealed class DownloadFailureTests
{
    [Fact]
    public async Task A_corrupting_peer_is_dropped_after_its_strikes_and_the_file_is_still_right()
    {
        var file = TestFile.Create(64 * 8192, 8192, seed: 11);
        var honest = new FakePeer("honest", file.Seed());
        var corrupt = new FakePeer("corrupt", file.Seed()) { Corrupt = true };
        var options = DownloadTests.FastOptions() with { StrikesBeforeDrop = 3 };
        using var counts = new MetricCounts(options.Metrics!);
        var swarm = new FakeSwarm(corrupt);
        using var store = file.Empty();
        var download = new Download(store, swarm, new FakeConnector(honest, corrupt), options, NullLogger.Instance);
        var run = download.RunAsync(CancellationToken.None);

        // Alone, the corrupting peer supplies every block of its pieces: each bad piece is a strike.
        await Poll.UntilAsync(() => download.Progress.Peers.Any(p => p is { PeerId: "corrupt", Dropped: true }), "the corrupting peer is dropped");
        var requestsWhenDropped = corrupt.Requests;
        swarm.Peers = [corrupt, honest];
        await Poll.WithinAsync(run, "the download");
        var progress = download.Progress;
        Assert.Equal(requestsWhenDropped, corrupt.Requests);

        Assert.Equal(file.Content, store.Content.ToArray());
        var bad = progress.Peers.Single(p => p.PeerId == "corrupt");
        Assert.True(bad.Dropped);
        Assert.True(bad.Strikes >= 3, $"{bad.Strikes} strikes");
        Assert.Equal(0, bad.PiecesReceived);
        var good = progress.Peers.Single(p => p.PeerId == "honest");
        Assert.Equal((0, false, 64), (good.Strikes, good.Dropped, good.PiecesReceived));
        Assert.True(counts["fileswarm.transfers.hash_failures"] >= 3);
        Assert.Equal(1, counts["fileswarm.transfers.peers_dropped"]);
        Assert.Equal(64, counts["fileswarm.transfers.pieces_verified"]);
    }

    [Fact]
    public async Task A_peer_sending_blocks_of_the_wrong_length_is_struck_and_dropped()
    {
        var file = TestFile.Create(32 * 8192, 8192, seed: 12);
        var honest = new FakePeer("honest", file.Seed());
        var broken = new FakePeer("broken", file.Seed()) { WrongLength = true };
        var swarm = new FakeSwarm(broken);
        using var store = file.Empty();
        var download = new Download(store, swarm, new FakeConnector(honest, broken), DownloadTests.FastOptions(), NullLogger.Instance);
        var run = download.RunAsync(CancellationToken.None);

        await Poll.UntilAsync(() => download.Progress.Peers.Any(p => p is { PeerId: "broken", Dropped: true }), "the broken peer is dropped");
        swarm.Peers = [broken, honest];
        await Poll.WithinAsync(run, "the download");
        var progress = download.Progress;

        Assert.Equal(file.Content, store.Content.ToArray());
        var bad = progress.Peers.Single(p => p.PeerId == "broken");
        Assert.True(bad.Dropped);
        Assert.Equal(0, bad.BytesReceived);
    }

    [Fact]
    public async Task A_peer_failing_mid_download_gives_its_blocks_back_to_the_others()
    {
        var file = TestFile.Create(48 * 8192, 8192, seed: 13);
        var flaky = new FakePeer("flaky", file.Seed()) { FailAfterBlocks = 10 };
        var steady = new FakePeer("steady", file.Seed());
        var swarm = new FakeSwarm(flaky);
        using var store = file.Empty();
        var download = new Download(store, swarm, new FakeConnector(flaky, steady), DownloadTests.FastOptions(), NullLogger.Instance);
        var run = download.RunAsync(CancellationToken.None);

        await Poll.UntilAsync(() => flaky.Requests > flaky.BlocksServed, "requests to the flaky peer fail");
        swarm.Peers = [flaky, steady];
        await Poll.WithinAsync(run, "the download");
        var progress = download.Progress;

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.True(progress.Peers.Single(p => p.PeerId == "flaky").BytesReceived <= 10 * 4096);
        // Every block counted once: the failed ones came from the steady peer.
        Assert.Equal(file.Metainfo.TotalLength, progress.Peers.Sum(p => p.BytesReceived));
    }

    [Fact]
    public async Task A_peer_that_keeps_failing_is_dropped_after_max_failures()
    {
        var file = TestFile.Create(16 * 8192, 8192, seed: 18);
        var dead = new FakePeer("dead", file.Seed()) { FailAfterBlocks = 0 };
        var seeder = new FakePeer("seeder", file.Seed());
        var swarm = new FakeSwarm(dead);
        var connector = new FakeConnector(dead, seeder);
        var options = DownloadTests.FastOptions() with { MaxPeerFailures = 3 };
        using var counts = new MetricCounts(options.Metrics!);
        using var store = file.Empty();
        var download = new Download(store, swarm, connector, options, NullLogger.Instance);
        var run = download.RunAsync(CancellationToken.None);

        await Poll.UntilAsync(() => download.Progress.Peers.Any(p => p is { PeerId: "dead", Dropped: true }), "the dead peer is dropped");
        Assert.Equal(3, connector.Connects);
        swarm.Peers = [dead, seeder];
        await Poll.WithinAsync(run, "the download");

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.Equal(4, connector.Connects);
        Assert.Equal(1, counts["fileswarm.transfers.peers_dropped"]);
    }

    [Fact]
    public async Task A_peer_that_fails_once_is_retried_after_a_backoff()
    {
        var file = TestFile.Create(32 * 8192, 8192, seed: 14);
        var flaky = new FakePeer("flaky", file.Seed()) { FailAfterBlocks = 4 };
        using var store = file.Empty();
        var connector = new FakeConnector(flaky);
        var download = new Download(store, new FakeSwarm(flaky), connector, DownloadTests.FastOptions(), NullLogger.Instance);
        var run = download.RunAsync(CancellationToken.None);

        await Poll.UntilAsync(() => connector.Connects >= 2, "the peer is connected again");
        flaky.FailAfterBlocks = null;
        await Poll.WithinAsync(run, "the download");

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.False(download.Progress.Peers.Single().Dropped);
    }

    [Fact]
    public async Task A_stale_bitfield_is_refreshed_instead_of_punished()
    {
        var file = TestFile.Create(32 * 8192, 8192, seed: 15);
        var all = new Bitfield(32);
        all.SetAll(true);
        var stale = new FakePeer("stale", file.Partial(p => p % 2 == 0)) { Advertised = all };
        var seeder = new FakePeer("seeder", file.Seed());
        using var store = file.Empty();
        var download = new Download(store, new FakeSwarm(stale, seeder), new FakeConnector(stale, seeder), DownloadTests.FastOptions(), NullLogger.Instance);

        var progress = await DownloadTests.RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        var peer = progress.Peers.Single(p => p.PeerId == "stale");
        Assert.False(peer.Dropped);
        Assert.Equal(0, peer.Strikes);
    }

    [Fact]
    public async Task A_busy_peer_is_paused_not_dropped()
    {
        var file = TestFile.Create(16 * 8192, 8192, seed: 16);
        var busy = new FakePeer("busy", file.Seed()) { BusyAnswers = 20 };
        using var store = file.Empty();
        var download = new Download(store, new FakeSwarm(busy), new FakeConnector(busy), DownloadTests.FastOptions(), NullLogger.Instance);

        var progress = await DownloadTests.RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.False(progress.Peers.Single().Dropped);
        Assert.True(busy.Requests >= 20 + 32);
    }

    [Fact]
    public async Task A_store_that_cannot_write_fails_the_download()
    {
        var file = TestFile.Create(8 * 8192, 8192, seed: 17);
        var seeder = new FakePeer("seeder", file.Seed());
        var store = file.Empty();
        store.Dispose();
        var download = new Download(store, new FakeSwarm(seeder), new FakeConnector(seeder), DownloadTests.FastOptions(), NullLogger.Instance);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => download.RunAsync(CancellationToken.None).WaitAsync(Poll.DefaultTimeout));
        Assert.Equal(DownloadState.Failed, download.Progress.State);
        Assert.NotNull(download.Progress.Error);
    }
}
