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

    /// <summary>
    /// Fills <paramref name="destination"/> with the block of its length at <paramref name="offset"/> in
    /// <paramref name="piece"/>. A peer that sends another length is a <see cref="PeerProtocolException"/>.
    /// </summary>
    Task GetBlockAsync(Sha1Hash infoHash, int piece, int offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>The pieces the peer holds of the file.</summary>
    Task<Bitfield> GetBitfieldAsync(Sha1Hash infoHash, int pieceCount, CancellationToken cancellationToken);
}
