using System.Threading.RateLimiting;

namespace FileSwarm.Peer.Transfers;

/// <summary>Options of the download engine; defaults suit a LAN.</summary>
public sealed record DownloadOptions
{
    /// <summary>This peer's identity: it never downloads from itself.</summary>
    public required string SelfPeerId { get; init; }

    /// <summary>Peers downloaded from at once.</summary>
    public int MaxPeers { get; init; } = 32;

    /// <summary>Block requests in flight per peer.</summary>
    public int RequestsPerPeer { get; init; } = 4;

    /// <summary>Bytes per block request (at most 1 MiB, the peer service's limit; clipped to the piece).</summary>
    public int BlockSize { get; init; } = 256 * 1024;

    /// <summary>Bad pieces a peer may send before it is dropped for this file.</summary>
    public int StrikesBeforeDrop { get; init; } = 3;

    /// <summary>How often held pieces are reported to the swarm while downloading (batched).</summary>
    public TimeSpan ProgressAnnounceInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the peer list is refreshed when no progress forces an announce.</summary>
    public TimeSpan PeerRefreshInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of one block request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Caps the bytes per second this peer downloads, shared by all downloads; null for no cap.</summary>
    public RateLimiter? DownloadRateLimiter { get; init; }
}
