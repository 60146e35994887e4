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

    /// <summary>
    /// The pieces the peer holds of the file, and those it offers this downloader if it super-seeds.
    /// <paramref name="askerId"/> (this peer's id) and <paramref name="have"/> (what this peer holds) let a
    /// super-seeding peer hand out pieces per downloader.
    /// </summary>
    Task<RemotePieces> GetBitfieldAsync(Sha1Hash infoHash, int pieceCount, string askerId, Bitfield have, CancellationToken cancellationToken);
}

/// <summary>A remote peer's answer to a bitfield request.</summary>
/// <param name="Pieces">The pieces it holds.</param>
/// <param name="Offered">
/// Null unless it super-seeds (its capped upload is the bottleneck): then the pieces it asks this downloader to fetch
/// from it; every other piece should come from other peers.
/// </param>
public sealed record RemotePieces(Bitfield Pieces, Bitfield? Offered);
