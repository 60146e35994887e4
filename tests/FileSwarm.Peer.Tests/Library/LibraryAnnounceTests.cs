using FileSwarm.Peer.Tests.Infrastructure;
using FileSwarm.Peer.Transfers;

namespace FileSwarm.Peer.Tests.Library;

/// <summary>What a peer's announces tell the swarm about a file: its pieces and its transfer totals in this process.</summary>
public sealed class LibraryAnnounceTests
{
    private const int PieceLength = 16384;

    [Fact]
    public async Task After_downloading_a_file_and_serving_blocks_of_it_the_next_announce_and_the_stopped_one_report_both_totals()
    {
        var file = TestFile.Create(12 * PieceLength, PieceLength, seed: 61);
        var seeder = new FakePeer("seeder", file.Seed());
        await using var peer = await LibraryHarness.StartAsync(remotes: seeder);
        peer.Discovery.Publish(file.Metainfo);
        var hash = file.Metainfo.InfoHash;
        var swarm = peer.Discovery.Swarm(hash);

        var entry = await peer.Library.DownloadAsync(hash, CancellationToken.None);
        await Poll.WithinAsync(entry.Download!.Completion, "the download");
        Assert.Equal(new AnnounceReport(SwarmEvent.Completed, 12, 0, file.Metainfo.TotalLength), swarm.Reports.Single(r => r.Event == SwarmEvent.Completed));

        // Another peer fetches blocks of three sizes from this one.
        var remote = peer.Connect();
        foreach (var (piece, length) in new[] { (0, 4096), (5, PieceLength), (11, 100) })
        {
            await remote.GetBlockAsync(hash, piece, 0, new byte[length], CancellationToken.None);
        }

        const long served = 4096 + PieceLength + 100;
        Assert.Equal(served, entry.Totals.Uploaded);
        await Poll.UntilAsync(() => swarm.Reports.Any(r => r is { Event: SwarmEvent.Update, Uploaded: served }), "an update carries the bytes served");
        Assert.Equal(new AnnounceReport(SwarmEvent.Update, 12, served, file.Metainfo.TotalLength), swarm.Reports.First(r => r.Uploaded == served));

        await peer.Announcer.StopAsync();
        Assert.Equal(new AnnounceReport(SwarmEvent.Stopped, 12, served, file.Metainfo.TotalLength), swarm.Reports[^1]);
    }

    [Fact]
    public async Task Removing_a_file_mid_download_announces_stopped_with_the_bytes_of_the_pieces_verified_so_far()
    {
        var file = TestFile.Create(16 * PieceLength, PieceLength, seed: 62);
        // The only other peer holds twelve pieces of sixteen: the download waits there.
        var partial = new FakePeer("partial", file.Partial(piece => piece < 12));
        await using var peer = await LibraryHarness.StartAsync(remotes: partial);
        peer.Discovery.Publish(file.Metainfo);
        var hash = file.Metainfo.InfoHash;

        var entry = await peer.Library.DownloadAsync(hash, CancellationToken.None);
        await Poll.UntilAsync(() => entry.Download!.Progress.CompletedPieces == 12, "twelve pieces are verified");
        await peer.Library.RemoveAsync(hash, CancellationToken.None);

        Assert.Equal(new AnnounceReport(SwarmEvent.Stopped, 12, 0, 12 * PieceLength), peer.Discovery.Swarm(hash).Reports[^1]);
    }
}
