using FileSwarm.Core.Pieces;

namespace FileSwarm.Peer.Transfers;

/// <summary>Another peer of a file's swarm, as discovery reports it.</summary>
/// <param name="PeerId">The peer's stable identity.</param>
/// <param name="Address">host:port of its gRPC endpoint.</param>
/// <param name="Complete">True when it holds every piece (then <paramref name="Pieces"/> may be null).</param>
/// <param name="Pieces">The pieces it holds, when known.</param>
public sealed record SwarmPeer(string PeerId, string Address, bool Complete, Bitfield? Pieces);

public enum SwarmEvent
{
    Update,
    Started,
    Completed,
    Stopped,
}

/// <summary>
/// The swarm of one file as the engine sees it. Behind it is a discovery back end (the tracker
/// over gRPC, or etcd); the engine does not know which.
/// </summary>
public interface ISwarm
{
    /// <summary>
    /// Reports what this peer holds of the file and returns the other peers of the swarm with
    /// what they hold. Throws when the back end cannot be reached.
    /// </summary>
    Task<IReadOnlyList<SwarmPeer>> AnnounceAsync(SwarmEvent swarmEvent, Bitfield have, long uploaded, long downloaded, CancellationToken cancellationToken);
}
