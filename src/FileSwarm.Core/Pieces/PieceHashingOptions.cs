namespace FileSwarm.Core.Pieces;

/// <summary>Tuning for <see cref="PieceHasher.HashFilesAsync"/>. The defaults suit every machine; tests shrink them.</summary>
public sealed record PieceHashingOptions
{
    public static PieceHashingOptions Default { get; } = new();

    /// <summary>Also compute the SHA-1 of the whole content (default true). It is sequential, so it bounds the speed.</summary>
    public bool ComputeContentSha1 { get; init; } = true;

    /// <summary>Threads hashing pieces (default: processor count, less one for the whole-content SHA-1 when computed).</summary>
    public int? PieceThreads { get; init; }

    /// <summary>
    /// Bytes read at once (default 4 MiB), rounded down to whole pieces (at least one). Memory in use is one chunk
    /// per piece thread, plus three more when the whole-content SHA-1 is computed.
    /// </summary>
    public int ChunkSize { get; init; } = 4 * 1024 * 1024;
}
