using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;

namespace FileSwarm.Peer.Tests.Infrastructure;

/// <summary>A piece store that counts how data reaches the store it wraps: blocks, whole pieces, read-back checks.</summary>
public sealed class RecordingPieceStore(IPieceStore inner) : IPieceStore
{
    private readonly TaskCompletionSource _firstBlockWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _blocksWritten;
    private int _piecesAccepted;
    private int _piecesRejected;
    private int _verifies;

    public IPieceStore Inner { get; } = inner;

    public int BlocksWritten => Volatile.Read(ref _blocksWritten);

    /// <summary>WritePiece calls that returned true.</summary>
    public int PiecesAccepted => Volatile.Read(ref _piecesAccepted);

    /// <summary>WritePiece calls that returned false (the data did not match the piece's hash).</summary>
    public int PiecesRejected => Volatile.Read(ref _piecesRejected);

    public int PiecesWritten => PiecesAccepted + PiecesRejected;

    public int Verifies => Volatile.Read(ref _verifies);

    /// <summary>Completes when the first block is written through <see cref="WriteBlock"/>.</summary>
    public Task FirstBlockWritten => _firstBlockWritten.Task;

    public TorrentMetainfo Metainfo => Inner.Metainfo;

    public bool IsComplete => Inner.IsComplete;

    public Bitfield GetBitfield() => Inner.GetBitfield();

    public bool HasPiece(int piece) => Inner.HasPiece(piece);

    public void ReadBlock(int piece, int offset, Span<byte> destination) => Inner.ReadBlock(piece, offset, destination);

    public void WriteBlock(int piece, int offset, ReadOnlySpan<byte> data)
    {
        Inner.WriteBlock(piece, offset, data);
        Interlocked.Increment(ref _blocksWritten);
        _firstBlockWritten.TrySetResult();
    }

    public bool VerifyPiece(int piece)
    {
        Interlocked.Increment(ref _verifies);
        return Inner.VerifyPiece(piece);
    }

    public bool WritePiece(int piece, ReadOnlySpan<byte> data)
    {
        var written = Inner.WritePiece(piece, data);
        Interlocked.Increment(ref written ? ref _piecesAccepted : ref _piecesRejected);
        return written;
    }

    public int VerifyAll(IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        Inner.VerifyAll(progress, cancellationToken);

    public void Dispose() => Inner.Dispose();
}
