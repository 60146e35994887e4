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
}
