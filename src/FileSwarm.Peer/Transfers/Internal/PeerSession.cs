using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Transfers.Picking;

namespace FileSwarm.Peer.Transfers.Internal;

internal enum PeerStatus
{
    /// <summary>Known, not connected; may be connected when a slot is free.</summary>
    Candidate,
    Connected,
    /// <summary>Failed; connected again at <see cref="PeerSession.RetryAt"/>.</summary>
    Backoff,
    /// <summary>Never used again by this download.</summary>
    Dropped,
}

/// <summary>One remote peer as this download sees it. Every member is guarded by the download's lock.</summary>
internal sealed class PeerSession(SwarmPeer info)
{
    public SwarmPeer Info { get; set; } = info;

    public string PeerId => Info.PeerId;

    public IRemotePeer? Remote { get; set; }

    /// <summary>What it holds, when known; counted in the availability only while <see cref="Counted"/>.</summary>
    public Bitfield? Pieces { get; set; }

    public bool Counted { get; set; }

    /// <summary>
    /// Null unless the peer super-seeds: then the pieces it offers this download, the only ones asked of it (and only
    /// while no other peer holds them). Its <see cref="Pieces"/> still count in the availability.
    /// </summary>
    public Bitfield? Offered { get; set; }

    /// <summary>Scratch for the pieces that may be asked of a super-seeding peer now.</summary>
    public Bitfield? Askable { get; set; }

    public PeerStatus Status { get; set; }

    public DateTimeOffset RetryAt { get; set; }

    /// <summary>It said RESOURCE_EXHAUSTED: no requests until <see cref="BusyPause.Until"/>.</summary>
    public BusyPause Busy { get; } = new();

    /// <summary>Consecutive failed sessions; reset by a block received.</summary>
    public int Failures { get; set; }

    public int Strikes { get; set; }

    /// <summary>Connected at least once: it belongs in the progress report.</summary>
    public bool EverConnected { get; set; }

    public long BytesReceived { get; set; }

    public int PiecesReceived { get; set; }

    public CancellationTokenSource? SessionCts { get; set; }

    public Task SessionTask { get; set; } = Task.CompletedTask;

    /// <summary>Why the current session must end as a failure (first one wins).</summary>
    public Exception? Failure { get; set; }

    /// <summary>Set when the peer must be dropped when the current session ends.</summary>
    public string? DropReason { get; set; }

    public bool RefreshWanted { get; set; }

    public AsyncPulse RefreshPulse { get; } = new();

    public Dictionary<BlockRequest, InFlightRequest> InFlight { get; } = [];

    public PeerTransferStats ToStats() =>
        new(PeerId, Info.Address, BytesReceived, PiecesReceived, Strikes, Status == PeerStatus.Dropped);

    public override string ToString() => $"{PeerId}@{Info.Address}";
}

/// <summary>A block request in flight: cancelling <see cref="Cancellation"/> resets the call.</summary>
internal sealed class InFlightRequest(CancellationTokenSource cancellation, CancellationTokenSource timeout)
{
    public CancellationTokenSource Cancellation { get; } = cancellation;

    public CancellationTokenSource Timeout { get; } = timeout;

    /// <summary>Another peer delivered the block first (endgame): the cancellation is not a failure.</summary>
    public bool Superseded { get; set; }
}
