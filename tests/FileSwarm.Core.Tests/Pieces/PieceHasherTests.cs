using System.Security.Cryptography;
using FileSwarm.Core.Pieces;
using FileSwarm.Core.Tests.Infrastructure;

namespace FileSwarm.Core.Tests.Pieces;

public class PieceHasherTests
{
    /// <summary>Piece SHA-1s computed the obvious way, to compare against.</summary>
    private static byte[] NaivePieceHashes(byte[] content, int pieceLength)
    {
        var result = new List<byte>();
        for (var start = 0; start < content.Length; start += pieceLength)
        {
            result.AddRange(SHA1.HashData(content.AsSpan(start, Math.Min(pieceLength, content.Length - start))));
        }

        return result.ToArray();
    }

    [Theory]
    [InlineData(0, 16384)]
    [InlineData(1, 16384)]
    [InlineData(16384, 16384)]
    [InlineData(16385, 16384)]
    [InlineData(100_000, 32768)]
    public void In_memory_hashing_matches_the_naive_computation(int length, int pieceLength)
    {
        var content = TestData.Bytes(length);
        var hashes = PieceHasher.Hash(content, pieceLength);
        Assert.Equal(NaivePieceHashes(content, pieceLength), hashes.PieceHashes.ToArray());
        Assert.Equal(Sha1Hash.Compute(content), hashes.ContentSha1);
        Assert.Null(PieceHasher.Hash(content, pieceLength, computeContentSha1: false).ContentSha1);
    }

    public static TheoryData<int[], int, int, int> FileLayouts => new()
    {
        // file sizes, piece length, chunk size, piece threads
        { [0], 16384, 65536, 1 },
        { [1], 16384, 65536, 1 },
        { [16384], 16384, 65536, 1 },
        { [16385], 16384, 65536, 1 },
        { [3_000_000], 16384, 65536, 1 },
        { [3_000_000], 32768, 65536, 3 },
        { [1000, 0, 50_000, 16384, 0, 7, 400_000], 16384, 32768, 2 },
        { [200_000, 200_000, 1], 65536, 65536, 1 },
        { [0, 0, 0], 16384, 65536, 2 },
        { [500_000], 16384, 1000, 2 },
    };

    [Theory]
    [MemberData(nameof(FileLayouts))]
    public async Task File_hashing_spans_files_and_matches_in_memory_hashing(int[] sizes, int pieceLength, int chunkSize, int threads)
    {
        using var dir = new TempDirectory();
        var content = TestData.Bytes(sizes.Sum(), seed: sizes.Length);
        var paths = new List<string>();
        var offset = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            paths.Add(dir.WriteFile($"f{i}", content.AsSpan(offset, sizes[i])));
            offset += sizes[i];
        }

        var reports = new List<long>();
        var progress = new SynchronousProgress<long>(reports.Add);
        var options = new PieceHashingOptions { ChunkSize = chunkSize, PieceThreads = threads };
        var hashes = await PieceHasher.HashFilesAsync(paths, pieceLength, options, progress);

        Assert.Equal(content.Length, hashes.TotalLength);
        Assert.Equal(NaivePieceHashes(content, pieceLength), hashes.PieceHashes.ToArray());
        Assert.Equal(Sha1Hash.Compute(content), hashes.ContentSha1);
        Assert.Equal(reports.Order(), reports);
        Assert.Equal(content.Length, reports.LastOrDefault());

        var withoutSha1 = await PieceHasher.HashFilesAsync(paths, pieceLength, options with { ComputeContentSha1 = false });
        Assert.Null(withoutSha1.ContentSha1);
        Assert.Equal(hashes.PieceHashes.ToArray(), withoutSha1.PieceHashes.ToArray());
    }

    [Fact]
    public void Hashing_allocates_nothing_per_piece()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("f", TestData.Bytes(32 << 20));
        const int pieceLength = 16384; // 2048 pieces: even 20 bytes each would show

        long Measure()
        {
            using var content = new FileSwarm.Core.Internal.ContentFileSet([path], null, (_, p) => File.OpenHandle(p, FileMode.Open));
            var before = GC.GetAllocatedBytesForCurrentThread();

            // Chunks as large as the content: the pipeline runs on this thread, where allocations can be counted.
            var (hashes, _) = new FileSwarm.Core.Internal.HashingPipeline(content, pieceLength, 64 << 20, 1, true, null).Run(CancellationToken.None);
            return GC.GetAllocatedBytesForCurrentThread() - before - hashes.Length;
        }

        Measure(); // warm up pools and JIT
        Assert.InRange(Measure(), 0, 8192);
    }

    [Fact]
    public async Task A_missing_file_is_an_io_error()
    {
        using var dir = new TempDirectory();
        await Assert.ThrowsAsync<FileNotFoundException>(() => PieceHasher.HashFilesAsync([dir.Combine("nope")], 16384));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_file_that_changes_size_while_it_is_hashed_is_an_io_error(bool contentSha1)
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("shrinks", TestData.Bytes(4 << 20));
        var truncated = 0;
        var progress = new SynchronousProgress<long>(_ =>
        {
            if (Interlocked.Exchange(ref truncated, 1) == 0)
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                stream.SetLength(100_000);
            }
        });
        var options = new PieceHashingOptions { ChunkSize = 65536, ComputeContentSha1 = contentSha1, PieceThreads = 2 };
        var error = await Assert.ThrowsAsync<IOException>(() => PieceHasher.HashFilesAsync([path], 16384, options, progress));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_stops_hashing()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("big", TestData.Bytes(4 << 20));
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<long>(_ => cts.Cancel());
        var options = new PieceHashingOptions { ChunkSize = 65536 };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PieceHasher.HashFilesAsync([path], 16384, options, progress, cts.Token));
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
