using System.Security.Cryptography;
using FileSwarm.Core.Internal;
using FileSwarm.Core.Metainfo;

namespace FileSwarm.Core.Pieces;

/// <summary>Computes piece SHA-1s (and the whole-content SHA-1) for content in memory or in files.</summary>
public static class PieceHasher
{
    /// <summary>Hashes content held in memory, sequentially.</summary>
    public static ContentHashes Hash(ReadOnlySpan<byte> content, int pieceLength, bool computeContentSha1 = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pieceLength, 1);
        var hashes = new byte[PieceLengths.PieceCount(content.Length, pieceLength) * Sha1Hash.Size];
        for (int start = 0, piece = 0; start < content.Length; start += pieceLength, piece++)
        {
            SHA1.HashData(content.Slice(start, Math.Min(pieceLength, content.Length - start)), hashes.AsSpan(piece * Sha1Hash.Size, Sha1Hash.Size));
        }

        return new ContentHashes(content.Length, pieceLength, hashes, computeContentSha1 ? Sha1Hash.Compute(content) : null);
    }

    /// <summary>
    /// Hashes <paramref name="paths"/> as one run of content (pieces span file boundaries) in a single streaming pass.
    /// Memory stays bounded whatever the size; large inputs use every core. <paramref name="progress"/> receives
    /// the number of bytes fully hashed so far. Throws <see cref="IOException"/> when a file cannot be read or
    /// changes size while it is read.
    /// </summary>
    public static Task<ContentHashes> HashFilesAsync(
        IReadOnlyList<string> paths,
        int pieceLength,
        PieceHashingOptions? options = null,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfLessThan(pieceLength, 1);
        options ??= PieceHashingOptions.Default;
        var pieceThreads = options.PieceThreads ?? Math.Max(1, Environment.ProcessorCount - (options.ComputeContentSha1 ? 1 : 0));

        // The pipeline blocks on its own threads; run the coordination off the caller's thread.
        return Task.Run(
            () =>
            {
                using var content = new ContentFileSet(paths, lengths: null, (_, path) => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan));
                return HashOpened(content, pieceLength, pieceThreads, options, progress, cancellationToken);
            },
            cancellationToken);
    }

    private static ContentHashes HashOpened(ContentFileSet content, int pieceLength, int pieceThreads, PieceHashingOptions options, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var pipeline = new HashingPipeline(content, pieceLength, options.ChunkSize, pieceThreads, options.ComputeContentSha1, progress);
        var (pieceHashes, contentSha1) = pipeline.Run(cancellationToken);
        return new ContentHashes(content.TotalLength, pieceLength, pieceHashes, contentSha1);
    }
}
