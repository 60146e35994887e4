namespace FileSwarm.Core.Metainfo;

/// <summary>
/// One file of a handler's content. Files are laid end to end in handler order, so pieces may span file boundaries.
/// </summary>
public sealed class TorrentFile
{
    internal TorrentFile(IReadOnlyList<string> path, IReadOnlyList<string> storagePath, long length, long offset)
    {
        Path = path;
        StoragePath = storagePath;
        Length = length;
        Offset = offset;
    }

    /// <summary>Path inside the handler: <c>info.files[i].path</c>, or just the name for a single-file handler.</summary>
    public IReadOnlyList<string> Path { get; }

    /// <summary>Path relative to the download directory: the name, then <see cref="Path"/> for a multi-file handler.</summary>
    public IReadOnlyList<string> StoragePath { get; }

    /// <summary>Size in bytes.</summary>
    public long Length { get; }

    /// <summary>Offset of the file's first byte in the concatenated content.</summary>
    public long Offset { get; }

    /// <summary><see cref="Path"/> joined with '/'.</summary>
    public string DisplayPath => string.Join('/', Path);

    public override string ToString() => $"{DisplayPath} ({Length} bytes at {Offset})";
}
