namespace FileSwarm.Peer.Transfers;

public enum DownloadState
{
    /// <summary>Announcing and looking for peers.</summary>
    Starting,
    Downloading,
    /// <summary>Every piece verified; the content has its final name.</summary>
    Complete,
    Failed,
    /// <summary>Cancelled by the user; verified pieces are kept for a later resume.</summary>
    Stopped,
}

/// <summary>What one remote peer has given this download.</summary>
public sealed record PeerTransferStats(string PeerId, string Address, long BytesReceived, int PiecesReceived, int Strikes, bool Dropped);

/// <summary>A snapshot of a download, for the HTTP API and the CLI.</summary>
public sealed record DownloadProgress(
    DownloadState State,
    long CompletedBytes,
    long TotalBytes,
    int CompletedPieces,
    int PieceCount,
    double BytesPerSecond,
    int ConnectedPeers,
    TimeSpan? EstimatedRemaining,
    IReadOnlyList<PeerTransferStats> Peers,
    string? Error);
