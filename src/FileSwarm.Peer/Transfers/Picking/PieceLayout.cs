using FileSwarm.Core.Metainfo;

namespace FileSwarm.Peer.Transfers.Picking;

/// <summary>How a file is cut into pieces: every piece is <see cref="PieceLength"/> bytes except a shorter last one.</summary>
public readonly record struct PieceLayout(int PieceCount, int PieceLength, long TotalLength)
{
    public static PieceLayout From(TorrentMetainfo metainfo)
    {
        ArgumentNullException.ThrowIfNull(metainfo);
        return new PieceLayout(metainfo.PieceCount, metainfo.PieceLength, metainfo.TotalLength);
    }

    public int GetPieceSize(int piece)
    {
        if ((uint)piece >= (uint)PieceCount)
        {
            throw new ArgumentOutOfRangeException(nameof(piece), piece, $"piece index must be in 0..{PieceCount - 1}");
        }

        return piece < PieceCount - 1 ? PieceLength : (int)(TotalLength - ((long)piece * PieceLength));
    }

    /// <summary>Number of blocks of <paramref name="blockSize"/> bytes (the last one clipped) in the piece.</summary>
    public int GetBlockCount(int piece, int blockSize) => (GetPieceSize(piece) + blockSize - 1) / blockSize;
}
