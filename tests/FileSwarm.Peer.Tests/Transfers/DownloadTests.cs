using FileSwarm.Peer.Tests.Infrastructure;
using FileSwarm.Peer.Transfers;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Peer.Tests.Transfers;

public sealed class DownloadTests
{
    internal static DownloadOptions FastOptions() => new()
    {
        SelfPeerId = "self",
        BlockSize = 4096,
        RequestsPerPeer = 4,
        ProgressAnnounceInterval = TimeSpan.FromMilliseconds(20),
        PeerRefreshInterval = TimeSpan.FromMilliseconds(100),
        PeerRetryDelay = TimeSpan.FromMilliseconds(10),
        MaxPeerRetryDelay = TimeSpan.FromMilliseconds(50),
        BusyBackoff = TimeSpan.FromMilliseconds(5),
        AnnounceRetryDelay = TimeSpan.FromMilliseconds(10),
        RequestTimeout = TimeSpan.FromSeconds(30),
        Metrics = new TransferMetrics(),
    };

    internal static async Task<DownloadProgress> RunAsync(Download download, TimeSpan? timeout = null)
    {
        await Poll.WithinAsync(download.RunAsync(CancellationToken.None), "the download", timeout);
        return download.Progress;
    }

    [Fact]
    public async Task Downloads_from_one_seeder_byte_for_byte()
    {
        var file = TestFile.Create(200_000, 16384);
        var seeder = new FakePeer("seeder", file.Seed());
        var swarm = new FakeSwarm(seeder);
        using var store = file.Empty();
        var download = new Download(store, swarm, new FakeConnector(seeder), FastOptions(), NullLogger.Instance);

        var progress = await RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.True(store.IsFinalised);
        Assert.Equal(DownloadState.Complete, progress.State);
        Assert.Equal(file.Metainfo.TotalLength, progress.CompletedBytes);
        Assert.Equal(file.Metainfo.PieceCount, progress.CompletedPieces);
        var stats = Assert.Single(progress.Peers);
        Assert.Equal(("seeder", file.Metainfo.TotalLength, file.Metainfo.PieceCount), (stats.PeerId, stats.BytesReceived, stats.PiecesReceived));
        Assert.Equal(SwarmEvent.Started, swarm.Announces[0].Event);
        Assert.Equal(SwarmEvent.Completed, swarm.Announces[^1].Event);
    }

    [Fact]
    public async Task A_peer_with_half_the_pieces_is_asked_only_for_those()
    {
        var file = TestFile.Create(32 * 8192, 8192, seed: 2);
        var seeder = new FakePeer("seeder", file.Seed());
        var half = new FakePeer("half", file.Partial(p => p % 2 == 0));
        using var store = file.Empty();
        var download = new Download(store, new FakeSwarm(seeder, half), new FakeConnector(seeder, half), FastOptions(), NullLogger.Instance);

        var progress = await RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.All(half.PiecesRequested, p => Assert.True(p % 2 == 0, $"piece {p} was asked of a peer without it"));
        Assert.Equal(file.Metainfo.TotalLength, progress.Peers.Sum(p => p.BytesReceived));
    }

    [Fact]
    public async Task Peers_that_appear_later_through_the_swarm_are_used()
    {
        var file = TestFile.Create(16 * 8192, 8192, seed: 3);
        var half = new FakePeer("half", file.Partial(p => p % 2 == 0));
        var seeder = new FakePeer("seeder", file.Seed());
        var swarm = new FakeSwarm(half);
        using var store = file.Empty();
        var download = new Download(store, swarm, new FakeConnector(half, seeder), FastOptions(), NullLogger.Instance);
        var run = download.RunAsync(CancellationToken.None);

        await Poll.UntilAsync(() => download.Progress.CompletedPieces == 8, "the even pieces are in");
        Assert.False(run.IsCompleted);
        swarm.Peers = [half, seeder];
        await Poll.WithinAsync(run, "the download");

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.Equal(8 * 8192, download.Progress.Peers.Single(p => p.PeerId == "seeder").BytesReceived);
        Assert.All(seeder.PiecesRequested, p => Assert.True(p % 2 == 1));
    }

    [Fact]
    public async Task Partial_peers_are_polled_for_new_pieces_when_the_swarm_is_unreachable()
    {
        var file = TestFile.Create(16 * 8192, 8192, seed: 4);
        var source = file.Partial(p => p < 8);
        var growing = new FakePeer("growing", source);
        var swarm = new FakeSwarm(growing) { Fail = (e, _) => e == SwarmEvent.Update };
        using var store = file.Empty();
        var download = new Download(store, swarm, new FakeConnector(growing), FastOptions(), NullLogger.Instance);
        var run = download.RunAsync(CancellationToken.None);

        await Poll.UntilAsync(() => download.Progress.CompletedPieces == 8, "the first half is in");
        for (var piece = 8; piece < 16; piece++)
        {
            source.WriteBlock(piece, 0, file.Content.AsSpan(piece * 8192, 8192));
            Assert.True(source.VerifyPiece(piece));
        }

        await Poll.WithinAsync(run, "the download");

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.True(growing.BitfieldCalls > 0);
        Assert.Equal(SwarmEvent.Completed, swarm.Announces[^1].Event);
    }

    [Fact]
    public async Task Pieces_already_in_the_store_are_never_requested()
    {
        var file = TestFile.Create(32 * 8192, 8192, seed: 5);
        var a = new FakePeer("a", file.Seed());
        var b = new FakePeer("b", file.Seed());
        using var store = file.Partial(p => p % 3 == 0);
        var download = new Download(store, new FakeSwarm(a, b), new FakeConnector(a, b), FastOptions(), NullLogger.Instance);

        await RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        for (var piece = 0; piece < 32; piece += 3)
        {
            Assert.Equal(0, a.RequestsFor(piece) + b.RequestsFor(piece));
        }

        Assert.Equal(file.Metainfo.TotalLength - (11 * 8192), download.Progress.Peers.Sum(p => p.BytesReceived));
    }

    [Fact]
    public async Task Cancelling_keeps_verified_pieces_and_a_resume_fetches_only_the_rest()
    {
        var file = TestFile.Create(32 * 8192, 8192, seed: 6);
        var stalling = new FakePeer("stalling", file.Seed()) { Hang = p => p >= 12 };
        using var store = file.Empty();
        var options = FastOptions() with { PieceSelector = new FileSwarm.Peer.Transfers.Picking.SequentialSelector() };
        var download = new Download(store, new FakeSwarm(stalling), new FakeConnector(stalling), options, NullLogger.Instance);
        using var cts = new CancellationTokenSource();
        var run = download.RunAsync(cts.Token);

        await Poll.UntilAsync(() => download.Progress.CompletedPieces == 12, "the first 12 pieces are in");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Poll.DefaultTimeout));
        Assert.Equal(DownloadState.Stopped, download.Progress.State);
        Assert.Equal(Enumerable.Range(0, 12), store.GetBitfield().SetIndices());
        Assert.False(store.IsFinalised);

        var seeder = new FakePeer("seeder", file.Seed());
        var resumed = new Download(store, new FakeSwarm(seeder), new FakeConnector(seeder), FastOptions(), NullLogger.Instance);
        await RunAsync(resumed);

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.All(seeder.PiecesRequested, p => Assert.True(p >= 12));
    }

    [Fact]
    public async Task The_download_goes_on_while_the_swarm_is_unreachable()
    {
        var file = TestFile.Create(16 * 8192, 8192, seed: 7);
        var seeder = new FakePeer("seeder", file.Seed());
        var swarm = new FakeSwarm(seeder) { Fail = (e, i) => i < 2 || e == SwarmEvent.Update };
        using var store = file.Empty();
        var download = new Download(store, swarm, new FakeConnector(seeder), FastOptions(), NullLogger.Instance);

        await RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        var announces = swarm.Announces;
        Assert.Equal([SwarmEvent.Started, SwarmEvent.Started, SwarmEvent.Started], announces.Take(3).Select(a => a.Event));
        Assert.Equal((SwarmEvent.Completed, 16), announces[^1]);
    }

    [Fact]
    public async Task A_complete_store_announces_completion_and_fetches_nothing()
    {
        var file = TestFile.Create(4 * 8192, 8192, seed: 8);
        var seeder = new FakePeer("seeder", file.Seed());
        var swarm = new FakeSwarm(seeder);
        using var store = file.Seed();
        var download = new Download(store, swarm, new FakeConnector(seeder), FastOptions(), NullLogger.Instance);

        var progress = await RunAsync(download);

        Assert.Equal(DownloadState.Complete, progress.State);
        Assert.Equal(0, seeder.Requests);
        Assert.Equal([(SwarmEvent.Completed, 4)], swarm.Announces);
    }

    [Fact]
    public async Task The_rate_limiter_is_asked_for_every_byte_requested()
    {
        var file = TestFile.Create(100_000, 16384, seed: 9);
        var seeder = new FakePeer("seeder", file.Seed());
        var limiter = new CountingRateLimiter();
        using var store = file.Empty();
        var download = new Download(store, new FakeSwarm(seeder), new FakeConnector(seeder), FastOptions() with { DownloadRateLimiter = limiter }, NullLogger.Instance);

        await RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.Equal(file.Metainfo.TotalLength, seeder.BytesRequested);
        Assert.Equal(seeder.BytesRequested, limiter.Permits);
        Assert.Equal(seeder.Requests, limiter.Leases);
    }

    [Fact]
    public async Task A_limiter_smaller_than_a_block_is_taken_in_chunks()
    {
        var file = TestFile.Create(64 * 1024, 16384, seed: 10);
        var seeder = new FakePeer("seeder", file.Seed());
        using var limiter = new System.Threading.RateLimiting.TokenBucketRateLimiter(new()
        {
            TokenLimit = 2048,
            TokensPerPeriod = 2048,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(1),
            QueueLimit = 1 << 20,
        });
        using var store = file.Empty();
        var options = FastOptions() with { DownloadRateLimiter = limiter, BlockSize = 16384 };
        var download = new Download(store, new FakeSwarm(seeder), new FakeConnector(seeder), options, NullLogger.Instance);

        await RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
    }

    [Fact]
    public void Invalid_options_are_refused_with_the_option_named()
    {
        var file = TestFile.Create(16384, 16384);
        using var store = file.Empty();
        var error = Assert.Throws<ArgumentException>(() => new Download(store, new FakeSwarm(), new FakeConnector(), FastOptions() with { BlockSize = 2 << 20 }, NullLogger.Instance));
        Assert.Contains("BlockSize", error.Message, StringComparison.Ordinal);
    }
}
