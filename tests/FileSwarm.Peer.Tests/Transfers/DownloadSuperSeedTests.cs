using FileSwarm.Peer.Serving;
using FileSwarm.Peer.Tests.Infrastructure;
using FileSwarm.Peer.Transfers;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Peer.Tests.Transfers;

/// <summary>Downloads from a super-seeding seeder: every piece leaves it about once, and nothing stalls.</summary>
public sealed class DownloadSuperSeedTests
{
    private const int PieceLength = 16384;
    private const int BlockSize = 4096;

    private static DownloadOptions Options(string self) => DownloadTests.FastOptions() with
    {
        SelfPeerId = self,
        BlockSize = BlockSize,
        PartialPeerPollInterval = TimeSpan.FromMilliseconds(5),
    };

    [Fact]
    public async Task Downloaders_started_together_fetch_each_piece_from_a_super_seeding_seeder_about_once()
    {
        var file = TestFile.Create(64 * PieceLength, PieceLength, seed: 41);
        // A cap of 16 pieces a second: each of the four downloaders is offered a few pieces at a time.
        var seeder = new FakePeer("seeder", file.Seed()) { SuperSeeder = new SuperSeeder(16 * PieceLength) };
        var stores = Enumerable.Range(0, 4).Select(_ => file.Empty()).ToArray();
        var downloaders = stores.Select((store, i) => new FakePeer($"d{i}", store)).ToArray();
        FakePeer[] everyone = [seeder, .. downloaders];
        var swarm = new FakeSwarm(everyone);
        var connector = new FakeConnector(everyone);
        var downloads = stores.Select((store, i) => new Download(store, swarm, connector, Options($"d{i}"), NullLogger.Instance)).ToArray();

        await Task.WhenAll(downloads.Select(d => DownloadTests.RunAsync(d)));

        foreach (var store in stores)
        {
            Assert.Equal(file.Content, store.Content.ToArray());
        }

        var blocks = file.Metainfo.PieceCount * (PieceLength / BlockSize);
        var twice = Enumerable.Range(0, file.Metainfo.PieceCount).Count(p => seeder.RequestsFor(p) > PieceLength / BlockSize);
        Assert.True(seeder.BlocksServed <= blocks * 1.1, $"the seeder served {seeder.BlocksServed} blocks of a file of {blocks}; {twice} pieces more than once");
        Assert.True(downloaders.Sum(d => d.BlocksServed) >= blocks * 3 * 0.9, "the downloaders did not get the rest from each other");
    }

    [Fact]
    public async Task A_lone_downloader_gets_the_whole_file_from_a_super_seeding_seeder()
    {
        var file = TestFile.Create((32 * PieceLength) + 1000, PieceLength, seed: 42);
        // The smallest offer: two pieces at a time, renewed as they arrive.
        var seeder = new FakePeer("seeder", file.Seed()) { SuperSeeder = new SuperSeeder(1) };
        using var store = file.Empty();
        var download = new Download(store, new FakeSwarm(seeder), new FakeConnector(seeder), Options("self"), NullLogger.Instance);

        var progress = await DownloadTests.RunAsync(download);

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.Equal(file.Metainfo.TotalLength, Assert.Single(progress.Peers).BytesReceived);
    }

    [Fact]
    public async Task A_super_seeding_seeder_is_not_asked_for_pieces_another_peer_holds()
    {
        var file = TestFile.Create(32 * PieceLength, PieceLength, seed: 43);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A cap that offers every piece at once, so only the rule keeps the even pieces away from the seeder.
        var seeder = new FakePeer("seeder", file.Seed())
        {
            SuperSeeder = new SuperSeeder(file.Metainfo.TotalLength),
            BitfieldGate = gate.Task,
        };
        var half = new FakePeer("half", file.Partial(p => p % 2 == 0));
        using var store = file.Empty();
        var download = new Download(store, new FakeSwarm(seeder, half), new FakeConnector(seeder, half), Options("self"), NullLogger.Instance);
        var run = download.RunAsync(CancellationToken.None);

        // The seeder answers once the partial peer is in use, while most even pieces are still missing.
        await Poll.UntilAsync(() => download.Progress.CompletedPieces >= 1, "a piece from the partial peer");
        gate.SetResult();
        await Poll.WithinAsync(run, "the download");

        Assert.Equal(file.Content, store.Content.ToArray());
        Assert.NotEmpty(seeder.PiecesRequested);
        Assert.All(seeder.PiecesRequested, p => Assert.True(p % 2 == 1, $"piece {p} was asked of the seeder though the partial peer holds it"));
    }
}
