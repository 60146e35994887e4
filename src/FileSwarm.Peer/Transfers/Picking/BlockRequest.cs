namespace FileSwarm.Peer.Transfers.Picking;

/// <summary>One block of a piece to ask a peer for: <paramref name="Length"/> bytes at <paramref name="Offset"/> within <paramref name="Piece"/>.</summary>
public readonly record struct BlockRequest(int Piece, int Offset, int Length)
{
    public override string ToString() => $"piece {Piece} [{Offset}..+{Length})";
}
