using FileSwarm.Core.Internal;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;
using FileSwarm.Core.Tests.Infrastructure;
using FsCheck.Fluent;

namespace FileSwarm.Core.Tests.Pieces;

/// <summary>
/// Direct (O_DIRECT) writes in <see cref="FilePieceStore"/> and <see cref="ContentFileSet"/>: whatever the file layout
/// and however the bytes arrive (whole pieces from aligned or unaligned memory, blocks at any offset), the files end
/// up byte-identical to the source; the aligned middle of a write goes through the direct handle and only that; a
/// file system or handle that refuses direct writes falls back to buffered ones.
/// </summary>
public sealed class DirectWriteTests : IDisposable
{
    private const int Page = DirectIo.Alignment;
    private const int PieceLength = 16384;

    private readonly TempDirectory _temp = new();

    /// <summary>How a piece reaches the store.</summary>
    public enum WriteMode
    {
        /// <summary>WritePiece from a page-aligned <see cref="PieceBuffer"/>.</summary>
        WholeFromPieceBuffer,

        /// <summary>WritePiece from an array slice whose address is not page-aligned.</summary>
        WholeFromUnalignedMemory,

        /// <summary>WriteBlock of random lengths at random offsets, from the source array, then VerifyPiece.</summary>
        BlocksFromArray,

        /// <summary>WriteBlock of random lengths at random offsets, from the matching place in a PieceBuffer, then VerifyPiece.</summary>
        BlocksFromPieceBuffer,
    }

    /// <summary>Whether the temp directory's file system takes O_DIRECT (ext4 does; tmpfs only since Linux 6.6): only then are direct writes expected.</summary>
    private bool DirectSupported { get; } = DirectIoWorksIn(Path.GetTempPath());

    [Theory]
    [InlineData(WriteMode.WholeFromPieceBuffer)]
    [InlineData(WriteMode.WholeFromUnalignedMemory)]
    [InlineData(WriteMode.BlocksFromArray)]
    [InlineData(WriteMode.BlocksFromPieceBuffer)]
    public void Files_with_unaligned_boundaries_and_a_short_last_piece_end_up_byte_identical(WriteMode mode)
    {
        // 1 + 4095 + 4097 + 10000 + 70000 = 88193: no file boundary on a page, last piece 6657 bytes.
        AssertDownloadsExactly([1, 4095, 4097, 10_000, 70_000], PieceLength, [mode], seed: (int)mode);
    }

    [Theory]
    [InlineData(WriteMode.WholeFromPieceBuffer)]
    [InlineData(WriteMode.WholeFromUnalignedMemory)]
    [InlineData(WriteMode.BlocksFromArray)]
    [InlineData(WriteMode.BlocksFromPieceBuffer)]
    public void A_single_file_ends_up_byte_identical(WriteMode mode)
    {
        AssertDownloadsExactly([100_003], PieceLength, [mode], seed: 10 + (int)mode);
    }

    [Fact]
    public void Any_layout_written_any_way_ends_up_byte_identical()
    {
        var fileSize = Gen.OneOf(Gen.Elements(0, 1, 4095, 4096, 4097, 8192, 10_000, 70_000), Gen.Choose(1, 100_000));
        var layouts =
            from count in Gen.Choose(1, 5)
            from sizes in fileSize.ArrayOf(count)
            from pieceLength in Gen.Elements(16384, 32768, 65536)
            from modeCount in Gen.Choose(1, 6)
            from modes in Gen.Elements(Enum.GetValues<WriteMode>()).ArrayOf(modeCount)
            from seed in Gen.Choose(0, int.MaxValue)
            where sizes.Sum() > 0
            select (Sizes: sizes, PieceLength: pieceLength, Modes: modes, Seed: seed);
        Properties.Check(
            Prop.ForAll(layouts.ToArbitrary(), layout =>
            {
                AssertDownloadsExactly(layout.Sizes, layout.PieceLength, layout.Modes, layout.Seed);
                return true;
            }),
            maxTest: 60);
    }

    [Fact]
    public void Without_BypassPageCache_nothing_is_written_directly_and_the_content_is_the_same()
    {
        var (metainfo, content) = Content([1, 4095, 4097, 10_000, 70_000]);
        var directory = _temp.Combine("buffered");
        using var store = FilePieceStore.Open(metainfo, directory, new FilePieceStoreOptions { BypassPageCache = false });
        for (var i = 0; i < metainfo.Files.Count; i++)
        {
            Assert.False(store.WritesDirectly(i));
        }

        using var pool = new PoolScope(metainfo.PieceLength);
        var random = new Random(3);
        for (var piece = 0; piece < metainfo.PieceCount; piece++)
        {
            Write(store, pool.Pool, content, piece, (WriteMode)(piece % 4), random);
            Assert.All(Enumerable.Range(0, metainfo.Files.Count), i => Assert.False(store.WritesDirectly(i)));
        }

        Assert.True(store.IsComplete);
        Assert.Equal(content, store.FinalPaths.SelectMany(File.ReadAllBytes).ToArray());
    }

    [Fact]
    public void On_tmpfs_the_store_writes_directly_only_where_the_kernel_allows_and_the_content_is_the_same()
    {
        // tmpfs refused O_DIRECT before Linux 6.6 and takes it since: either way the store must follow the probe and
        // write the right bytes (the refusal itself, a null direct handle, is what BypassPageCache = false gives).
        using var shm = new TempDirectory("/dev/shm");
        var direct = DirectIoWorksIn(shm.Path);
        var (metainfo, content) = Content([1, 4095, 4097, 10_000, 70_000]);
        using var store = FilePieceStore.Open(metainfo, shm.Path);
        using var pool = new PoolScope(metainfo.PieceLength);
        var random = new Random(4);
        for (var piece = 0; piece < metainfo.PieceCount - 1; piece++)
        {
            Write(store, pool.Pool, content, piece, (WriteMode)(piece % 4), random);
        }

        Assert.All(Enumerable.Range(0, metainfo.Files.Count), i => Assert.Equal(direct, store.WritesDirectly(i)));
        Write(store, pool.Pool, content, metainfo.PieceCount - 1, WriteMode.WholeFromPieceBuffer, random);
        Assert.True(store.IsComplete);
        Assert.Equal(content, store.FinalPaths.SelectMany(File.ReadAllBytes).ToArray());
    }

    [Fact]
    public void Part_files_written_directly_resume_after_reopening()
    {
        var (metainfo, content) = Content([1, 4095, 4097, 10_000, 70_000]);
        var directory = _temp.Combine("resume");
        var written = new[] { 0, 2, 3, metainfo.PieceCount - 1 };
        using (var store = FilePieceStore.Open(metainfo, directory))
        using (var pool = new PoolScope(metainfo.PieceLength))
        {
            var random = new Random(5);
            foreach (var piece in written)
            {
                Write(store, pool.Pool, content, piece, piece % 2 == 0 ? WriteMode.WholeFromPieceBuffer : WriteMode.BlocksFromPieceBuffer, random);
            }

            AssertWritesDirectly(store);
        }

        using var resumed = FilePieceStore.Open(metainfo, directory);
        Assert.Equal(written.Length, resumed.VerifyAll());
        Assert.Equal(written.Order(), resumed.GetBitfield().SetIndices());
        AssertWritesDirectly(resumed);
        using (var pool = new PoolScope(metainfo.PieceLength))
        {
            var random = new Random(6);
            for (var piece = 0; piece < metainfo.PieceCount; piece++)
            {
                if (!resumed.HasPiece(piece))
                {
                    Write(resumed, pool.Pool, content, piece, WriteMode.WholeFromPieceBuffer, random);
                }
            }
        }

        Assert.True(resumed.IsComplete);
        Assert.Equal(content, resumed.FinalPaths.SelectMany(File.ReadAllBytes).ToArray());
    }

    [Fact]
    public void The_aligned_middle_of_each_write_and_only_that_goes_through_the_direct_handle()
    {
        // The "direct" handle of each file is a second, ordinary file: what lands there is exactly what
        // ContentFileSet sent to the direct handle. Content bytes are never zero, so each byte shows where it went.
        var fileSize = Gen.OneOf(Gen.Elements(0, 1, 4095, 4096, 4097, 8192, 12_289), Gen.Choose(1, 40_000));
        var cases =
            from count in Gen.Choose(1, 4)
            from sizes in fileSize.ArrayOf(count)
            from seed in Gen.Choose(0, int.MaxValue)
            where sizes.Sum() > 0
            select (Sizes: sizes, Seed: seed);
        Properties.Check(Prop.ForAll(cases.ToArbitrary(), c => SplitsWritesExactly(c.Sizes, c.Seed)), maxTest: 80);
    }

    [Fact]
    public void A_direct_handle_whose_write_fails_is_given_up_and_the_data_written_buffered()
    {
        var content = NonZeroBytes(3 * Page, seed: 8);
        var path = _temp.Combine("fallback");
        using (var file = File.Create(path))
        {
            file.SetLength(content.Length);
        }

        // Writes to /dev/full fail with ENOSPC: an IOException, as a file system refusing a direct write gives.
        using var files = new ContentFileSet(
            [path],
            [content.Length],
            (_, p) => File.OpenHandle(p, FileMode.Open, FileAccess.ReadWrite),
            (_, _) => File.OpenHandle("/dev/full", FileMode.Open, FileAccess.Write));
        Assert.True(files.WritesDirectly(0));
        using var pool = new PoolScope(content.Length);
        using var buffer = pool.Pool.TryRent(content.Length)!;
        content.CopyTo(buffer.Span);

        files.Write(0, buffer.Span);

        Assert.False(files.WritesDirectly(0));
        Assert.Equal(content, File.ReadAllBytes(path));

        // Later writes go buffered straight away.
        buffer.Span.Reverse();
        files.Write(0, buffer.Span);
        Assert.Equal(buffer.Span.ToArray(), File.ReadAllBytes(path));
    }

    public void Dispose() => _temp.Dispose();

    private static bool DirectIoWorksIn(string directory)
    {
        var probe = Path.Join(directory, $"direct-probe-{Guid.NewGuid():N}");
        File.WriteAllBytes(probe, new byte[Page]);
        try
        {
            using var handle = DirectIo.TryOpenForWriting(probe);
            return handle is not null;
        }
        finally
        {
            File.Delete(probe);
        }
    }

    private static byte[] NonZeroBytes(int length, int seed)
    {
        // Pinned, so an address checked for alignment stays what it was when the bytes are written.
        var bytes = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        var random = new Random(seed);
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)random.Next(1, 256);
        }

        return bytes;
    }

    private static (TorrentMetainfo Metainfo, byte[] Content) Content(int[] sizes, int pieceLength = PieceLength, int seed = 1)
    {
        var content = NonZeroBytes(sizes.Sum(), seed);
        var hashes = PieceHasher.Hash(content, pieceLength);
        var metainfo = sizes.Length == 1
            ? new MetainfoBuilder { Name = "one.bin", PieceLength = pieceLength, PieceHashes = hashes.PieceHashes, Length = sizes[0] }.Build()
            : new MetainfoBuilder
            {
                Name = "content",
                PieceLength = pieceLength,
                PieceHashes = hashes.PieceHashes,
                Files = sizes.Select((size, i) => new MetainfoFileEntry(["d", $"f{i}"], size)).ToArray(),
            }.Build();
        return (metainfo, content);
    }

    /// <summary>Downloads the content into a new store, each piece written in the mode <paramref name="modes"/> gives it, in random order.</summary>
    private void AssertDownloadsExactly(int[] sizes, int pieceLength, WriteMode[] modes, int seed)
    {
        var (metainfo, content) = Content(sizes, pieceLength, seed);
        var directory = _temp.Combine($"download-{Guid.NewGuid():N}");
        var random = new Random(seed);
        var order = Enumerable.Range(0, metainfo.PieceCount).OrderBy(_ => random.Next()).ToArray();
        using (var store = FilePieceStore.Open(metainfo, directory))
        using (var pool = new PoolScope(metainfo.PieceLength))
        {
            foreach (var piece in order[..^1])
            {
                Write(store, pool.Pool, content, piece, modes[piece % modes.Length], random);
            }

            // Still .part files: each non-empty one took its direct writes without a failure.
            AssertWritesDirectly(store);
            Write(store, pool.Pool, content, order[^1], modes[order[^1] % modes.Length], random);
            Assert.True(store.IsComplete);
            Assert.Empty(Directory.EnumerateFiles(directory, "*" + FilePieceStore.PartSuffix, SearchOption.AllDirectories));
            Assert.True(content.AsSpan().SequenceEqual(store.FinalPaths.SelectMany(File.ReadAllBytes).ToArray()), "the files differ from the source");
        }

        Directory.Delete(directory, recursive: true);
    }

    private void AssertWritesDirectly(FilePieceStore store)
    {
        for (var i = 0; i < store.Metainfo.Files.Count; i++)
        {
            Assert.True(
                (DirectSupported && store.Metainfo.Files[i].Length > 0) == store.WritesDirectly(i),
                $"file {i} ({store.Metainfo.Files[i].Length} bytes): WritesDirectly is {store.WritesDirectly(i)}");
        }
    }

    private static void Write(FilePieceStore store, PieceBufferPool pool, byte[] content, int piece, WriteMode mode, Random random)
    {
        var metainfo = store.Metainfo;
        var start = (int)metainfo.GetPieceOffset(piece);
        var size = metainfo.GetPieceSize(piece);
        var source = content.AsSpan(start, size);
        switch (mode)
        {
            case WriteMode.WholeFromPieceBuffer:
            {
                using var buffer = pool.TryRent(size) ?? throw new InvalidOperationException("no piece buffer");
                Assert.Equal(0, DirectIo.BytesToAlignedAddress(buffer.Span));
                source.CopyTo(buffer.Span);
                Assert.True(store.WritePiece(piece, buffer.Span));
                break;
            }

            case WriteMode.WholeFromUnalignedMemory:
            {
                var array = GC.AllocateUninitializedArray<byte>(size + (2 * Page), pinned: true);
                var shift = DirectIo.BytesToAlignedAddress(array) + random.Next(1, Page);
                var unaligned = array.AsSpan(shift, size);
                Assert.NotEqual(0, DirectIo.BytesToAlignedAddress(unaligned));
                source.CopyTo(unaligned);
                Assert.True(store.WritePiece(piece, unaligned));
                break;
            }

            case WriteMode.BlocksFromArray:
                foreach (var (offset, length) in RandomBlocks(size, random))
                {
                    store.WriteBlock(piece, offset, source.Slice(offset, length));
                }

                Assert.True(store.VerifyPiece(piece));
                break;

            case WriteMode.BlocksFromPieceBuffer:
            {
                using var buffer = pool.TryRent(size) ?? throw new InvalidOperationException("no piece buffer");
                source.CopyTo(buffer.Span);
                foreach (var (offset, length) in RandomBlocks(size, random))
                {
                    store.WriteBlock(piece, offset, buffer.Span.Slice(offset, length));
                }

                Assert.True(store.VerifyPiece(piece));
                break;
            }
        }

        Assert.True(store.HasPiece(piece));
    }

    /// <summary>The piece cut at random points (often off page boundaries, sometimes on them), in random order.</summary>
    private static List<(int Offset, int Length)> RandomBlocks(int size, Random random)
    {
        var blocks = new List<(int, int)>();
        for (var offset = 0; offset < size;)
        {
            var length = random.Next(3) switch
            {
                0 => random.Next(1, 300),
                1 => Page * random.Next(1, 3),
                _ => random.Next(1, 3 * Page),
            };
            length = Math.Min(length, size - offset);
            blocks.Add((offset, length));
            offset += length;
        }

        return [.. blocks.OrderBy(_ => random.Next())];
    }

    /// <summary>
    /// Writes the whole content through a <see cref="ContentFileSet"/> whose direct handles are spy files, in random
    /// chunks from memory whose address is sometimes in step with the file offset, and checks which bytes went where.
    /// </summary>
    private bool SplitsWritesExactly(int[] sizes, int seed)
    {
        var random = new Random(seed);
        var content = NonZeroBytes(sizes.Sum(), seed);
        var directory = Directory.CreateDirectory(_temp.Combine($"split-{Guid.NewGuid():N}")).FullName;
        var paths = sizes.Select((_, i) => Path.Join(directory, $"f{i}")).ToArray();
        var spies = sizes.Select((_, i) => Path.Join(directory, $"f{i}.direct")).ToArray();
        for (var i = 0; i < sizes.Length; i++)
        {
            foreach (var path in new[] { paths[i], spies[i] })
            {
                using var file = File.Create(path);
                file.SetLength(sizes[i]);
            }
        }

        var fileStarts = new long[sizes.Length];
        for (var i = 1; i < sizes.Length; i++)
        {
            fileStarts[i] = fileStarts[i - 1] + sizes[i - 1];
        }

        var expectedDirect = new bool[content.Length];
        using (var files = new ContentFileSet(
            paths,
            [.. sizes.Select(s => (long)s)],
            (_, p) => File.OpenHandle(p, FileMode.Open, FileAccess.ReadWrite),
            (i, _) => sizes[i] > 0 ? File.OpenHandle(spies[i], FileMode.Open, FileAccess.Write) : null))
        {
            var memory = GC.AllocateUninitializedArray<byte>(content.Length + (3 * Page), pinned: true);
            var aligned = DirectIo.BytesToAlignedAddress(memory);
            foreach (var (offset, length) in RandomBlocks(content.Length, random))
            {
                // In step: the address is as far from a page boundary as the content offset; otherwise anywhere.
                var shift = random.Next(2) == 0 ? aligned + (offset % Page) : aligned + random.Next(Page);
                var chunk = memory.AsSpan(shift, length);
                content.AsSpan(offset, length).CopyTo(chunk);
                MarkExpectedDirect(expectedDirect, fileStarts, sizes, offset, chunk);
                files.Write(offset, chunk);
            }

            for (var i = 0; i < sizes.Length; i++)
            {
                Assert.True(files.WritesDirectly(i) == sizes[i] > 0, $"file {i}: WritesDirectly {files.WritesDirectly(i)}");
            }
        }

        var buffered = paths.SelectMany(File.ReadAllBytes).ToArray();
        var direct = spies.SelectMany(File.ReadAllBytes).ToArray();
        for (var i = 0; i < content.Length; i++)
        {
            var (expected, other) = expectedDirect[i] ? (direct, buffered) : (buffered, direct);
            if (expected[i] != content[i] || other[i] != 0)
            {
                Assert.Fail($"content byte {i} (sizes {string.Join(',', sizes)}, seed {seed}): expected {(expectedDirect[i] ? "direct" : "buffered")}, buffered {buffered[i]}, direct {direct[i]}, source {content[i]}");
            }
        }

        Directory.Delete(directory, recursive: true);
        return true;
    }

    /// <summary>The rule: per file, the part of a write from the first page boundary on, in whole pages, goes direct when the address is on a page boundary there too.</summary>
    private static void MarkExpectedDirect(bool[] expected, long[] fileStarts, int[] sizes, int offset, ReadOnlySpan<byte> chunk)
    {
        for (var file = 0; file < sizes.Length; file++)
        {
            var from = Math.Max(offset, fileStarts[file]);
            var to = Math.Min(offset + chunk.Length, fileStarts[file] + sizes[file]);
            if (from >= to)
            {
                continue;
            }

            var inFile = from - fileStarts[file];
            var part = chunk.Slice((int)(from - offset), (int)(to - from));
            var head = (int)((Page - (inFile % Page)) % Page);
            if (head != DirectIo.BytesToAlignedAddress(part) || part.Length - head < Page)
            {
                continue;
            }

            var middle = (part.Length - head) / Page * Page;
            Array.Fill(expected, true, (int)from + head, middle);
        }
    }

    /// <summary>A pool for one piece at a time.</summary>
    private sealed class PoolScope(int pieceLength) : IDisposable
    {
        public PieceBufferPool Pool { get; } = new(pieceLength, pieceLength);

        public void Dispose() => Assert.Equal(0, Pool.Rented);
    }
}
