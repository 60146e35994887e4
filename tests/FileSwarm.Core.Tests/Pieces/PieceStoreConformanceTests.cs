using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;
using FileSwarm.Core.Tests.Infrastructure;

namespace FileSwarm.Core.Tests.Pieces;

/// <summary>
/// The contract every <see cref="IPieceStore"/> keeps. Each implementation derives from this class and only says
/// how to create a store; every test here runs against each of them.
/// </summary>
public abstract class PieceStoreConformanceTests : IDisposable
{
    protected const int PieceLength = 16384;

    protected TempDirectory Temp { get; } = new();

    /// <summary>Creates an empty store for <paramref name="metainfo"/>.</summary>
    protected abstract IPieceStore CreateStore(TorrentMetainfo metainfo);

    /// <summary>Content of three files (sizes chosen so pieces span file boundaries) and its handler.</summary>
    protected static (TorrentMetainfo Metainfo, byte[] Content) MultiFileContent(params int[] sizes)
    {
        sizes = sizes.Length == 0 ? [10_000, 0, 30_000, 15_000] : sizes;
        var content = TestData.Bytes(sizes.Sum(), seed: 7);
        var hashes = PieceHasher.Hash(content, PieceLength);
        var metainfo = new MetainfoBuilder
        {
            Name = "content",
            PieceLength = PieceLength,
            PieceHashes = hashes.PieceHashes,
            Files = sizes.Select((size, i) => new MetainfoFileEntry(["dir", $"file{i}"], size)).ToArray(),
            ContentSha1 = hashes.ContentSha1,
        }.Build();
        return (metainfo, content);
    }

    protected static void WritePiece(IPieceStore store, byte[] content, int piece, int blockSize = 5000)
    {
        var start = (int)store.Metainfo.GetPieceOffset(piece);
        var size = store.Metainfo.GetPieceSize(piece);

        // Blocks out of order, to show that order does not matter.
        var offsets = Enumerable.Range(0, (size + blockSize - 1) / blockSize).Select(i => i * blockSize).Reverse();
        foreach (var offset in offsets)
        {
            store.WriteBlock(piece, offset, content.AsSpan(start + offset, Math.Min(blockSize, size - offset)));
        }
    }

    [Fact]
    public void A_new_store_has_no_pieces()
    {
        var (metainfo, _) = MultiFileContent();
        using var store = CreateStore(metainfo);
        Assert.Same(metainfo, store.Metainfo);
        Assert.Equal(metainfo.PieceCount, store.GetBitfield().Length);
        Assert.True(store.GetBitfield().IsEmpty);
        Assert.False(store.IsComplete);
        Assert.False(store.HasPiece(0));
    }

    [Fact]
    public void Written_pieces_verify_read_back_and_complete_the_store()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = CreateStore(metainfo);
        for (var piece = metainfo.PieceCount - 1; piece >= 0; piece--)
        {
            Assert.False(store.IsComplete);
            WritePiece(store, content, piece);
            Assert.True(store.VerifyPiece(piece));
            Assert.True(store.HasPiece(piece));
        }

        Assert.True(store.IsComplete);
        Assert.True(store.GetBitfield().IsComplete);
        var readBack = new byte[content.Length];
        for (var piece = 0; piece < metainfo.PieceCount; piece++)
        {
            var offset = (int)metainfo.GetPieceOffset(piece);
            var size = metainfo.GetPieceSize(piece);
            store.ReadBlock(piece, 0, readBack.AsSpan(offset, 100));
            store.ReadBlock(piece, 100, readBack.AsSpan(offset + 100, size - 100));
        }

        Assert.Equal(content, readBack);
    }

    [Fact]
    public void A_corrupt_piece_fails_verification_and_stays_absent()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = CreateStore(metainfo);
        var corrupt = (byte[])content.Clone();
        corrupt[PieceLength + 5] ^= 1;
        WritePiece(store, corrupt, 1);
        Assert.False(store.VerifyPiece(1));
        Assert.False(store.HasPiece(1));
        WritePiece(store, content, 1);
        Assert.True(store.VerifyPiece(1));
        Assert.Equal(1, store.GetBitfield().CountSet);
    }

    [Fact]
    public void Unverified_pieces_cannot_be_read_and_verified_ones_cannot_be_overwritten()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = CreateStore(metainfo);
        var buffer = new byte[10];
        Assert.Throws<InvalidOperationException>(() => store.ReadBlock(0, 0, buffer));
        WritePiece(store, content, 0);
        Assert.Throws<InvalidOperationException>(() => store.ReadBlock(0, 0, buffer));
        Assert.True(store.VerifyPiece(0));
        store.ReadBlock(0, 0, buffer);
        Assert.Equal(content.AsSpan(0, 10).ToArray(), buffer);
        Assert.Throws<InvalidOperationException>(() => store.WriteBlock(0, 0, buffer));
    }

    [Fact]
    public void Blocks_outside_a_piece_are_refused()
    {
        var (metainfo, _) = MultiFileContent();
        using var store = CreateStore(metainfo);
        var last = metainfo.PieceCount - 1;
        var lastSize = metainfo.GetPieceSize(last);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.WriteBlock(0, PieceLength - 1, new byte[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.WriteBlock(0, -1, new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.WriteBlock(last, lastSize, new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.WriteBlock(metainfo.PieceCount, 0, new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.WriteBlock(-1, 0, new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.VerifyPiece(metainfo.PieceCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.HasPiece(-1));
        store.WriteBlock(last, lastSize - 1, new byte[1]);
    }

    [Fact]
    public void Verify_all_finds_every_written_piece()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = CreateStore(metainfo);
        WritePiece(store, content, 0);
        WritePiece(store, content, 2);
        var reports = new List<int>();
        Assert.Equal(2, store.VerifyAll(new InlineProgress(reports.Add)));
        Assert.Equal(Enumerable.Range(1, metainfo.PieceCount), reports);
        Assert.Equal("1010", store.GetBitfield().ToString());
    }

    [Fact]
    public void Empty_content_is_complete_at_once()
    {
        var (metainfo, _) = MultiFileContent(0, 0);
        using var store = CreateStore(metainfo);
        Assert.True(store.IsComplete);
        Assert.Equal(0, store.VerifyAll());
    }

    [Fact]
    public async Task Concurrent_writers_on_distinct_pieces_complete_the_store()
    {
        var (metainfo, content) = MultiFileContent(100_000, 1, 60_000, 33_000);
        using var store = CreateStore(metainfo);
        await Parallel.ForEachAsync(Enumerable.Range(0, metainfo.PieceCount), (piece, _) =>
        {
            WritePiece(store, content, piece, blockSize: 4096);
            Assert.True(store.VerifyPiece(piece));
            return ValueTask.CompletedTask;
        });
        Assert.True(store.IsComplete);
    }

    [Fact]
    public void Disposed_stores_refuse_io()
    {
        var (metainfo, content) = MultiFileContent();
        var store = CreateStore(metainfo);
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.WriteBlock(0, 0, content.AsSpan(0, 10)));
        Assert.Throws<ObjectDisposedException>(() => store.VerifyPiece(0));
    }

    [Fact]
    public void Whole_pieces_that_match_their_hash_are_written_recorded_and_complete_the_store()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = CreateStore(metainfo);
        for (var piece = metainfo.PieceCount - 1; piece >= 0; piece--)
        {
            Assert.False(store.IsComplete);
            Assert.True(store.WritePiece(piece, PieceOf(metainfo, content, piece)));
            Assert.True(store.HasPiece(piece));
            var readBack = new byte[metainfo.GetPieceSize(piece)];
            store.ReadBlock(piece, 0, readBack);
            Assert.Equal(PieceOf(metainfo, content, piece).ToArray(), readBack);
        }

        Assert.True(store.IsComplete);
        Assert.Equal(metainfo.PieceCount, store.VerifyAll());
    }

    [Fact]
    public void A_whole_piece_that_does_not_match_its_hash_is_not_written()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = CreateStore(metainfo);

        // The right bytes are in place but unverified: if the bad piece reached the store, they would no longer verify.
        WritePiece(store, content, 1);
        var corrupt = PieceOf(metainfo, content, 1).ToArray();
        corrupt[^1] ^= 0x40;
        Assert.False(store.WritePiece(1, corrupt));
        Assert.False(store.HasPiece(1));
        Assert.Throws<InvalidOperationException>(() => store.ReadBlock(1, 0, new byte[1]));
        Assert.True(store.VerifyPiece(1));

        // The short last piece too, into a store that holds nothing of it.
        var last = metainfo.PieceCount - 1;
        var badLast = PieceOf(metainfo, content, last).ToArray();
        badLast[0] ^= 1;
        Assert.False(store.WritePiece(last, badLast));
        Assert.False(store.HasPiece(last));
        Assert.False(store.VerifyPiece(last));
        Assert.True(store.WritePiece(last, PieceOf(metainfo, content, last)));
        Assert.Equal(2, store.GetBitfield().CountSet);
    }

    [Fact]
    public void A_whole_piece_of_the_wrong_size_is_refused()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = CreateStore(metainfo);
        var last = metainfo.PieceCount - 1;
        var lastSize = metainfo.GetPieceSize(last);
        Assert.NotEqual(PieceLength, lastSize);

        Assert.ThrowsAny<ArgumentException>(() => store.WritePiece(0, content.AsSpan(0, PieceLength - 1)));
        Assert.ThrowsAny<ArgumentException>(() => store.WritePiece(0, content.AsSpan(0, PieceLength + 1)));
        Assert.ThrowsAny<ArgumentException>(() => store.WritePiece(0, []));
        Assert.ThrowsAny<ArgumentException>(() => store.WritePiece(last, content.AsSpan(0, PieceLength)));
        Assert.ThrowsAny<ArgumentException>(() => store.WritePiece(last, content.AsSpan((int)metainfo.GetPieceOffset(last), lastSize - 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.WritePiece(metainfo.PieceCount, content.AsSpan(0, lastSize)));
        Assert.True(store.GetBitfield().IsEmpty);
    }

    [Fact]
    public void A_whole_piece_already_present_is_refused()
    {
        var (metainfo, content) = MultiFileContent();
        using var store = CreateStore(metainfo);
        Assert.True(store.WritePiece(0, PieceOf(metainfo, content, 0)));
        Assert.Throws<InvalidOperationException>(() => store.WritePiece(0, PieceOf(metainfo, content, 0)));

        WritePiece(store, content, 2);
        Assert.True(store.VerifyPiece(2));
        Assert.Throws<InvalidOperationException>(() => store.WritePiece(2, PieceOf(metainfo, content, 2)));
        Assert.Equal("1010", store.GetBitfield().ToString());
    }

    [Fact]
    public void Whole_pieces_and_blocks_mix_and_the_last_write_completes_the_store()
    {
        var (metainfo, content) = MultiFileContent(100_000, 1, 60_000, 33_000);
        using var store = CreateStore(metainfo);
        for (var piece = 0; piece < metainfo.PieceCount; piece++)
        {
            if (piece % 2 == 0)
            {
                Assert.True(store.WritePiece(piece, PieceOf(metainfo, content, piece)));
            }
            else
            {
                WritePiece(store, content, piece, blockSize: 3333);
                Assert.True(store.VerifyPiece(piece));
            }

            Assert.Equal(piece == metainfo.PieceCount - 1, store.IsComplete);
        }

        var readBack = new byte[content.Length];
        for (var piece = 0; piece < metainfo.PieceCount; piece++)
        {
            store.ReadBlock(piece, 0, readBack.AsSpan((int)metainfo.GetPieceOffset(piece), metainfo.GetPieceSize(piece)));
        }

        Assert.Equal(content, readBack);
    }

    [Fact]
    public async Task Concurrent_whole_piece_writers_complete_the_store()
    {
        var (metainfo, content) = MultiFileContent(100_000, 1, 60_000, 33_000);
        using var store = CreateStore(metainfo);
        await Parallel.ForEachAsync(Enumerable.Range(0, metainfo.PieceCount), (piece, _) =>
        {
            Assert.True(store.WritePiece(piece, PieceOf(metainfo, content, piece)));
            return ValueTask.CompletedTask;
        });
        Assert.True(store.IsComplete);
        Assert.Equal(metainfo.PieceCount, store.VerifyAll());
    }

    [Fact]
    public void A_disposed_store_refuses_whole_pieces()
    {
        var (metainfo, content) = MultiFileContent();
        var store = CreateStore(metainfo);
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.WritePiece(0, PieceOf(metainfo, content, 0)));
    }

    protected static ReadOnlySpan<byte> PieceOf(TorrentMetainfo metainfo, byte[] content, int piece) =>
        content.AsSpan((int)metainfo.GetPieceOffset(piece), metainfo.GetPieceSize(piece));

    public void Dispose()
    {
        Temp.Dispose();
        GC.SuppressFinalize(this);
    }

    protected sealed class InlineProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}

/// <summary>The memory-backed store against the shared contract (the file-backed one is <see cref="FilePieceStoreTests"/>).</summary>
public sealed class MemoryPieceStoreTests : PieceStoreConformanceTests
{
    protected override IPieceStore CreateStore(TorrentMetainfo metainfo) => new MemoryPieceStore(metainfo);
}
