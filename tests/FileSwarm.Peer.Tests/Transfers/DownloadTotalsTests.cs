using FileSwarm.Peer.Tests.Infrastructure;
using FileSwarm.Peer.Transfers;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Peer.Tests.Transfers;

/// <summary>The transfer totals the engine counts and announces: verified piece bytes fetched, and the bytes uploaded.</summary>
public sealed class DownloadTotalsTests
{
    private const int PieceLength = 8192;

    [Fact]
    public async Task Announces_report_the_verified_bytes_fetched_this_time_and_the_bytes_uploaded_so_far()
    {
        var file = TestFile.Create(48 * PieceLength, PieceLength, seed: 51);
        var honest = new FakePeer("honest", file.Seed());
        var corrupt = new FakePeer("corrupt", file.Seed()) { Corrupt = true };
        var swarm = new FakeSwarm(corrupt);
        // A quarter of the pieces are on disk already (a resumed download): they were not fetched this time.
        using var store = file.Partial(p => p % 4 == 0);
        var totals = new TransferTotals();
        totals.AddUploaded(1000);
        var options = DownloadTests.FastOptions() with { StrikesBeforeDrop = 2 };
        var download = new Download(store, swarm, new FakeConnector(honest, corrupt), options, NullLogger.Instance, null, totals);
        var run = download.RunAsync(CancellationToken.None);

        // Bad pieces are received but never verified, so they count for nothing.
        await Poll.UntilAsync(() => download.Progress.Peers.Any(p => p is { PeerId: "corrupt", Dropped: true }), "the corrupting peer is dropped");
        totals.AddUploaded(234);
        swarm.Peers = [corrupt, honest];
        await Poll.WithinAsync(run, "the download");

        Assert.Equal(file.Content, store.Content.ToArray());
        var reports = swarm.Reports;
        Assert.Equal(new AnnounceReport(SwarmEvent.Started, 12, 1000, 0), reports[0]);
        Assert.Equal(new AnnounceReport(SwarmEvent.Completed, 48, 1234, 36 * PieceLength), reports[^1]);
        Assert.All(reports, r => Assert.Equal((long)(r.Pieces - 12) * PieceLength, r.Downloaded));
        Assert.True(download.Progress.Peers.Sum(p => p.BytesReceived) > 36 * PieceLength, "the corrupting peer's bytes were received as well");
        Assert.Equal(36 * PieceLength, totals.Downloaded);
    }

    [Fact]
    public async Task A_run_after_an_interrupted_one_adds_to_the_totals_it_fetched()
    {
        var file = TestFile.Create(16 * PieceLength, PieceLength, seed: 52);
        var half = new FakePeer("half", file.Partial(p => p % 2 == 0));
        var seeder = new FakePeer("seeder", file.Seed());
        using var store = file.Empty();
        var totals = new TransferTotals();
        using var stop = new CancellationTokenSource();
        var first = new Download(store, new FakeSwarm(half), new FakeConnector(half), DownloadTests.FastOptions(), NullLogger.Instance, null, totals);
        var firstRun = first.RunAsync(stop.Token);
        await Poll.UntilAsync(() => first.Progress.CompletedPieces == 8, "the even pieces are in");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => firstRun);
        Assert.Equal(8 * PieceLength, totals.Downloaded);

        var swarm = new FakeSwarm(seeder);
        var second = new Download(store, swarm, new FakeConnector(seeder), DownloadTests.FastOptions(), NullLogger.Instance, null, totals);
        await DownloadTests.RunAsync(second);

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.Equal(8, Assert.Single(second.Progress.Peers).PiecesReceived);
        Assert.Equal(new AnnounceReport(SwarmEvent.Completed, 16, 0, 16 * PieceLength), swarm.Reports[^1]);
    }
}
