using FileSwarm.Peer.Tests.Infrastructure;
using FileSwarm.Peer.Transfers;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Peer.Tests.Transfers;

/// <summary>
/// Where a download's bytes go: pieces assembled in memory within <see cref="DownloadOptions.PieceMemoryBudget"/>
/// reach the store once, through WritePiece; beyond the budget blocks are written as they arrive and read back.
/// </summary>
public sealed class DownloadPieceMemoryTests
{
    private const int PieceLength = 16384;
    private const int BlockSize = 4096;

    [Fact]
    public async Task With_the_default_budget_every_piece_is_written_once_as_a_whole()
    {
        var file = TestFile.Create(200_000, PieceLength, seed: 31);
        var seeder = new FakePeer("seeder", file.Seed());
        var half = new FakePeer("half", file.Partial(p => p % 2 == 0));
        using var store = new RecordingPieceStore(file.Empty());
        var options = DownloadTests.FastOptions();
        Assert.Equal(16 * 1024 * 1024, options.PieceMemoryBudget);
        var download = new Download(store, new FakeSwarm(seeder, half), new FakeConnector(seeder, half), options, NullLogger.Instance);

        await DownloadTests.RunAsync(download);

        Assert.Equal(file.Content, Inner(store).Content.ToArray());
        Assert.True(Inner(store).IsFinalised);
        Assert.Equal((0, 0), (store.BlocksWritten, store.Verifies));
        Assert.Equal((file.Metainfo.PieceCount, 0), (store.PiecesAccepted, store.PiecesRejected));
    }

    [Fact]
    public async Task With_no_budget_blocks_are_written_as_they_arrive_and_read_back()
    {
        var file = TestFile.Create(200_000, PieceLength, seed: 32);
        var seeder = new FakePeer("seeder", file.Seed());
        var half = new FakePeer("half", file.Partial(p => p % 2 == 0));
        using var store = new RecordingPieceStore(file.Empty());
        var options = DownloadTests.FastOptions() with { PieceMemoryBudget = 0 };
        var download = new Download(store, new FakeSwarm(seeder, half), new FakeConnector(seeder, half), options, NullLogger.Instance);

        var progress = await DownloadTests.RunAsync(download);

        Assert.Equal(DownloadState.Complete, progress.State);
        Assert.Equal(file.Content, Inner(store).Content.ToArray());
        Assert.True(Inner(store).IsFinalised);
        Assert.Equal(0, store.PiecesWritten);

        // Each block's first copy once (200_000 bytes: 12 pieces of 4 blocks and a last piece of one), each piece read back once.
        Assert.Equal((12 * 4) + 1, store.BlocksWritten);
        Assert.Equal(file.Metainfo.PieceCount, store.Verifies);
    }

    [Fact]
    public async Task With_a_budget_of_two_pieces_the_rest_go_block_by_block_and_the_file_completes()
    {
        var file = TestFile.Create(32 * PieceLength, PieceLength, seed: 33);
        var peers = Enumerable.Range(0, 3).Select(i => new FakePeer($"seeder{i}", file.Seed())).ToArray();
        using var store = new RecordingPieceStore(file.Empty());

        // The last block of the first three pieces to ask for one waits until a block has gone to the store: three
        // pieces are then half-assembled at once, so one of them (at least) cannot have a buffer.
        var held = new HashSet<int>();
        Task Gate(int piece, int offset, CancellationToken token)
        {
            lock (held)
            {
                if (offset != PieceLength - BlockSize || (!held.Contains(piece) && !(held.Count < 3 && held.Add(piece))))
                {
                    return Task.CompletedTask;
                }
            }

            return store.FirstBlockWritten.WaitAsync(token);
        }

        foreach (var peer in peers)
        {
            peer.Gate = Gate;
        }

        var options = DownloadTests.FastOptions() with { PieceMemoryBudget = 2 * PieceLength };
        var download = new Download(store, new FakeSwarm(peers), new FakeConnector(peers), options, NullLogger.Instance);

        await DownloadTests.RunAsync(download);

        Assert.Equal(file.Content, Inner(store).Content.ToArray());
        Assert.True(Inner(store).IsFinalised);
        Assert.True(store.PiecesAccepted > 0, "no piece was assembled in memory");
        Assert.True(store.BlocksWritten > 0, "no block was written to the store");
        Assert.Equal(0, store.PiecesRejected);
        Assert.Equal(file.Metainfo.PieceCount, store.PiecesAccepted + store.Verifies);
    }

    [Fact]
    public async Task A_corrupting_peers_pieces_in_memory_never_reach_the_store_and_it_is_still_struck()
    {
        var file = TestFile.Create(32 * 8192, 8192, seed: 34);
        var honest = new FakePeer("honest", file.Seed());
        var corrupt = new FakePeer("corrupt", file.Seed()) { Corrupt = true };
        var swarm = new FakeSwarm(corrupt);
        using var store = new RecordingPieceStore(file.Empty());
        var options = DownloadTests.FastOptions() with { StrikesBeforeDrop = 3 };
        var download = new Download(store, swarm, new FakeConnector(honest, corrupt), options, NullLogger.Instance);
        var run = download.RunAsync(CancellationToken.None);

        await Poll.UntilAsync(() => download.Progress.Peers.Any(p => p is { PeerId: "corrupt", Dropped: true }), "the corrupting peer is dropped");

        // Only the corrupting peer has sent anything: its pieces were refused whole, and not one byte was written.
        Assert.True(store.PiecesRejected >= 3, $"{store.PiecesRejected} pieces refused");
        Assert.Equal((0, 0, 0), (store.PiecesAccepted, store.BlocksWritten, store.Verifies));
        Assert.True(Inner(store).Content.IndexOfAnyExcept((byte)0) < 0, "bytes of a bad piece reached the store");

        swarm.Peers = [corrupt, honest];
        await Poll.WithinAsync(run, "the download");

        Assert.Equal(file.Content, Inner(store).Content.ToArray());
        var bad = download.Progress.Peers.Single(p => p.PeerId == "corrupt");
        Assert.True(bad.Dropped);
        Assert.True(bad.Strikes >= 3, $"{bad.Strikes} strikes");
        Assert.Equal(0, bad.PiecesReceived);
        Assert.Equal(file.Metainfo.PieceCount, store.PiecesAccepted);
        Assert.Equal((0, 0), (store.BlocksWritten, store.Verifies));
    }

    [Fact]
    public void A_negative_budget_is_refused_with_the_option_named()
    {
        var error = Assert.Throws<ArgumentException>(() => (DownloadTests.FastOptions() with { PieceMemoryBudget = -1 }).Validate());
        Assert.Contains(nameof(DownloadOptions.PieceMemoryBudget), error.Message, StringComparison.Ordinal);

        var file = TestFile.Create(PieceLength, PieceLength);
        using var store = file.Empty();
        Assert.Throws<ArgumentException>(() => new Download(store, new FakeSwarm(), new FakeConnector(), DownloadTests.FastOptions() with { PieceMemoryBudget = long.MinValue }, NullLogger.Instance));
        (DownloadTests.FastOptions() with { PieceMemoryBudget = 0 }).Validate();
    }

    private static FileSwarm.Core.Pieces.MemoryPieceStore Inner(RecordingPieceStore store) => (FileSwarm.Core.Pieces.MemoryPieceStore)store.Inner;
}
