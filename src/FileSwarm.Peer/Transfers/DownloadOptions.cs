using System.Threading.RateLimiting;
using FileSwarm.Peer.Transfers.Picking;

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

    /// <summary>
    /// Memory for pieces being assembled: a piece whose blocks arrive while there is room is collected in memory,
    /// hashed there and written once (never read back; bad data never reaches the disk). Pieces beyond the budget are
    /// written block by block and read back for their SHA-1. Default 16 MiB; 0 writes every block straight away.
    /// </summary>
    public long PieceMemoryBudget { get; init; } = 16 * 1024 * 1024;

    /// <summary>Bad pieces a peer may send before it is dropped for this file.</summary>
    public int StrikesBeforeDrop { get; init; } = 3;

    /// <summary>How often held pieces are reported to the swarm while downloading (batched).</summary>
    public TimeSpan ProgressAnnounceInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the peer list is refreshed when no progress forces an announce.</summary>
    public TimeSpan PeerRefreshInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often a partial peer's bitfield is polled (at most every <see cref="PeerRefreshInterval"/>). Its new pieces
    /// become requestable no later than this, which is what lets downloaders feed each other instead of a capped seeder;
    /// a poll costs one small call (one byte per 8 pieces).
    /// </summary>
    public TimeSpan PartialPeerPollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Deadline of one block request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Caps the bytes per second this peer downloads, shared by all downloads; null for no cap.</summary>
    public RateLimiter? DownloadRateLimiter { get; init; }

    /// <summary>Consecutive failed sessions (unreachable, timed out, errors) after which a peer is dropped for this file.</summary>
    public int MaxPeerFailures { get; init; } = 5;

    /// <summary>Wait before reconnecting a failed peer; doubles per consecutive failure up to <see cref="MaxPeerRetryDelay"/>.</summary>
    public TimeSpan PeerRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxPeerRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Pause of a peer that answered RESOURCE_EXHAUSTED; grows by this much with each busy answer in a row, up to 8
    /// times (answers to requests refused together count once).
    /// </summary>
    public TimeSpan BusyBackoff { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Wait before retrying a failed announce; doubles per failure up to <see cref="PeerRefreshInterval"/>.</summary>
    public TimeSpan AnnounceRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Window of the moving average behind <see cref="DownloadProgress.BytesPerSecond"/>.</summary>
    public TimeSpan RateWindow { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>At most this many peers are asked for the same block in endgame.</summary>
    public int EndgameRequestsPerBlock { get; init; } = 3;

    /// <summary>How new pieces are chosen; null for rarest-first, random among equals.</summary>
    public IPieceSelector? PieceSelector { get; init; }

    /// <summary>Where counters go; null for <see cref="TransferMetrics.Shared"/>.</summary>
    public TransferMetrics? Metrics { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"DownloadOptions.{name} must be positive, not {value}.", name);
            }
        }

        if (string.IsNullOrEmpty(SelfPeerId))
        {
            throw new ArgumentException("DownloadOptions.SelfPeerId must be set.", nameof(SelfPeerId));
        }

        if (MaxPeers < 1 || RequestsPerPeer < 1 || StrikesBeforeDrop < 1 || MaxPeerFailures < 1 || EndgameRequestsPerBlock < 2)
        {
            throw new ArgumentException("DownloadOptions.MaxPeers, RequestsPerPeer, StrikesBeforeDrop and MaxPeerFailures must be at least 1, EndgameRequestsPerBlock at least 2.");
        }

        if (PieceMemoryBudget < 0)
        {
            throw new ArgumentException($"DownloadOptions.PieceMemoryBudget must not be negative, not {PieceMemoryBudget}.", nameof(PieceMemoryBudget));
        }

        if (BlockSize is < 1 or > 1024 * 1024)
        {
            throw new ArgumentException($"DownloadOptions.BlockSize must be 1 byte to 1 MiB, not {BlockSize}.", nameof(BlockSize));
        }

        Positive(ProgressAnnounceInterval, nameof(ProgressAnnounceInterval));
        Positive(PeerRefreshInterval, nameof(PeerRefreshInterval));
        Positive(PartialPeerPollInterval, nameof(PartialPeerPollInterval));
        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(PeerRetryDelay, nameof(PeerRetryDelay));
        Positive(MaxPeerRetryDelay, nameof(MaxPeerRetryDelay));
        Positive(BusyBackoff, nameof(BusyBackoff));
        Positive(AnnounceRetryDelay, nameof(AnnounceRetryDelay));
        Positive(RateWindow, nameof(RateWindow));
    }
}
