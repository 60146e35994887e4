using FileSwarm.Core.Metainfo;

namespace FileSwarm.Core.Pieces;

/// <summary>
/// Where a handler's pieces live while they are downloaded and served. Blocks are addressed by piece and offset
/// within the piece; a piece counts as present only after its stored bytes matched its SHA-1.
/// Implementations are safe for concurrent use on distinct blocks.
/// </summary>
public interface IPieceStore : IDisposable
{
    TorrentMetainfo Metainfo { get; }

    /// <summary>True when every piece is present (the content then has its final form).</summary>
    bool IsComplete { get; }

    /// <summary>A snapshot of the present pieces.</summary>
    Bitfield GetBitfield();

    bool HasPiece(int piece);

    /// <summary>Reads a block of a present piece. Throws <see cref="InvalidOperationException"/> when the piece is not present.</summary>
    void ReadBlock(int piece, int offset, Span<byte> destination);

    /// <summary>Writes a block of a piece that is not yet present. Throws <see cref="InvalidOperationException"/> when it is.</summary>
    void WriteBlock(int piece, int offset, ReadOnlySpan<byte> data);

    /// <summary>
    /// Checks the piece's stored bytes against its SHA-1 and records the result: present when they match, absent
    /// otherwise. When this completes the content, the store finalises it before returning; if finalising fails
    /// (<see cref="IOException"/>), the piece stays present and <see cref="VerifyAll"/> retries it.
    /// </summary>
    bool VerifyPiece(int piece);

    /// <summary>
    /// Stores a whole piece assembled in memory: checks <paramref name="data"/> against the piece's SHA-1 and, when it
    /// matches, writes it and records the piece present (finalising as <see cref="VerifyPiece"/> does). When it does
    /// not match, nothing is written and false is returned. Throws <see cref="ArgumentException"/> when
    /// <paramref name="data"/> is not the piece's size and <see cref="InvalidOperationException"/> when the piece is
    /// already present.
    /// </summary>
    bool WritePiece(int piece, ReadOnlySpan<byte> data);

    /// <summary>Re-checks every piece (resuming from existing data); returns how many are present.</summary>
    int VerifyAll(IProgress<int>? progress = null, CancellationToken cancellationToken = default);
}
