using FileSwarm.Core;
using FileSwarm.Core.Pieces;

namespace FileSwarm.Peer.Transfers;

/// <summary>Reaches other peers. The real one speaks <c>fileswarm.v1.Peer</c> over gRPC; tests use doubles.</summary>
public interface IPeerConnector
{
    IRemotePeer Connect(SwarmPeer peer);
}

/// <summary>
/// The peer protocol towards one remote peer. Failures surface as <see cref="FileSwarm.Rpc.RpcException"/>:
/// FAILED_PRECONDITION (it lacks the piece), RESOURCE_EXHAUSTED (no upload slot now), NOT_FOUND
/// (it does not have the file), UNAVAILABLE / DEADLINE_EXCEEDED (unreachable or too slow).
/// </summary>
public interface IRemotePeer
{
    string PeerId { get; }

    string Address { get; }

    /// <summary>A block of a piece; the returned memory stays valid until the next call on this peer for the same slot.</summary>
    Task<ReadOnlyMemory<byte>> GetBlockAsync(Sha1Hash infoHash, int piece, int offset, int length, CancellationToken cancellationToken);

    /// <summary>The pieces the peer holds of the file.</summary>
    Task<Bitfield> GetBitfieldAsync(Sha1Hash infoHash, int pieceCount, CancellationToken cancellationToken);
}
