namespace FileSwarm.Core.Pieces;

/// <summary>The result of hashing content: every piece's SHA-1 and, optionally, the SHA-1 of the whole content.</summary>
public sealed class ContentHashes
{
    internal ContentHashes(long totalLength, int pieceLength, byte[] pieceHashes, Sha1Hash? contentSha1)
    {
        TotalLength = totalLength;
        PieceLength = pieceLength;
        PieceHashes = pieceHashes;
        ContentSha1 = contentSha1;
    }

    public long TotalLength { get; }

    public int PieceLength { get; }

    public int PieceCount => PieceHashes.Length / Sha1Hash.Size;

    /// <summary>Concatenated 20-byte piece SHA-1s, as in <c>info.pieces</c>.</summary>
    public ReadOnlyMemory<byte> PieceHashes { get; }

    /// <summary>SHA-1 of all content bytes; null when not requested.</summary>
    public Sha1Hash? ContentSha1 { get; }
}
