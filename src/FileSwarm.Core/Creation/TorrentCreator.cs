using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;

namespace FileSwarm.Core.Creation;

/// <summary>Creates a handler for a local file or directory.</summary>
public static class TorrentCreator
{
    /// <summary>Scans <paramref name="path"/> and creates its handler (see <see cref="CreateAsync(ContentSource, TorrentCreateOptions?, IProgress{long}?, CancellationToken)"/>).</summary>
    public static Task<TorrentMetainfo> CreateAsync(string path, TorrentCreateOptions? options = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        CreateAsync(ContentSource.Scan(path), options, progress, cancellationToken);

    /// <summary>Why <paramref name="options"/> cannot create a handler for <paramref name="source"/>, or null when they can.</summary>
    public static string? GetOptionsError(ContentSource source, TorrentCreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var pieceLength = options.PieceLength ?? PieceLengths.ForContentLength(source.TotalLength);
        if (!PieceLengths.IsValidForCreate(pieceLength, out var reason))
        {
            return reason;
        }

        var pieceCount = PieceLengths.PieceCount(source.TotalLength, pieceLength);
        return pieceCount > PieceLengths.MaxPieceCount
            ? $"{source.TotalLength} bytes in pieces of {pieceLength} make {pieceCount} pieces, more than the limit of {PieceLengths.MaxPieceCount}; choose a larger piece length"
            : null;
    }

    /// <summary>
    /// Hashes the content in one pass and builds the handler. Throws <see cref="ArgumentException"/> for an invalid
    /// piece length and <see cref="IOException"/> when the content cannot be read or changes while it is read.
    /// </summary>
    public static async Task<TorrentMetainfo> CreateAsync(ContentSource source, TorrentCreateOptions? options = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new TorrentCreateOptions();
        if (GetOptionsError(source, options) is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        var pieceLength = options.PieceLength ?? PieceLengths.ForContentLength(source.TotalLength);
        var hashes = await PieceHasher.HashFilesAsync(
            source.Files.Select(f => f.FullPath).ToArray(),
            pieceLength,
            options.Hashing with { ComputeContentSha1 = options.ComputeContentSha1 },
            progress,
            cancellationToken);
        if (hashes.TotalLength != source.TotalLength)
        {
            throw new IOException($"{source.FullPath} changed while it was being hashed");
        }

        var builder = new MetainfoBuilder
        {
            Name = source.Name,
            PieceLength = pieceLength,
            PieceHashes = hashes.PieceHashes,
            Length = source.IsDirectory ? null : source.TotalLength,
            Files = source.IsDirectory ? source.Files.Select(f => new MetainfoFileEntry(f.Path, f.Length)).ToArray() : null,
            ContentSha1 = hashes.ContentSha1,
            Announce = options.Announce,
            Comment = options.Comment,
            CreatedBy = options.CreatedBy,
            CreationDate = options.IncludeCreationDate ? options.TimeProvider.GetUtcNow() : null,
            IsPrivate = options.IsPrivate,
        };
        return builder.Build();
    }
}
