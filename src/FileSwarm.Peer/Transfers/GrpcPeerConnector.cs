using System.Collections.Concurrent;
using FileSwarm.Core;
using FileSwarm.Core.Pieces;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc.Client;
using Google.Protobuf;

namespace FileSwarm.Peer.Transfers;

/// <summary>
/// Reaches peers over <c>fileswarm.v1.Peer</c>: one <see cref="RpcChannel"/> per remote address, shared by every
/// download and disposed with the connector. Each block request carries a deadline of
/// <see cref="RequestTimeout"/>; a response of the wrong length is a <see cref="PeerProtocolException"/>. Block bytes
/// are copied from the received message straight into the caller's buffer (<see cref="BlockData"/>).
/// </summary>
public sealed class GrpcPeerConnector : IPeerConnector, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<PeerClient>> _clients = new(StringComparer.Ordinal);
    private readonly RpcChannelOptions? _channelOptions;
    private volatile bool _disposed;

    /// <param name="requestTimeout">Deadline of each call; null for <see cref="DownloadOptions.RequestTimeout"/>'s default.</param>
    /// <param name="channelOptions">Options of the channels it opens (message sizes, time provider, logging).</param>
    public GrpcPeerConnector(TimeSpan? requestTimeout = null, RpcChannelOptions? channelOptions = null)
    {
        RequestTimeout = requestTimeout ?? new DownloadOptions { SelfPeerId = "-" }.RequestTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(requestTimeout));
        _channelOptions = channelOptions;
    }

    public TimeSpan RequestTimeout { get; }

    /// <summary>Remote addresses with an open channel.</summary>
    public int ChannelCount => _clients.Count;

    public IRemotePeer Connect(SwarmPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var client = _clients.GetOrAdd(peer.Address, static (address, options) => new Lazy<PeerClient>(() => new PeerClient(RpcChannel.ForAddress(address, options))), _channelOptions).Value;
        return new GrpcRemotePeer(peer.PeerId, peer.Address, client, this);
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var client in _clients.Values)
        {
            if (client.IsValueCreated)
            {
                client.Value.Channel.Dispose();
            }
        }

        _clients.Clear();
    }

    private sealed class GrpcRemotePeer(string peerId, string address, PeerClient client, GrpcPeerConnector connector) : IRemotePeer
    {
        public string PeerId => peerId;

        public string Address => address;

        public async Task GetBlockAsync(Sha1Hash infoHash, int piece, int offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            var request = new GetBlockRequest
            {
                InfoHash = infoHash.ToString(),
                Piece = checked((uint)piece),
                Offset = checked((uint)offset),
                Length = checked((uint)destination.Length),
            };
            var received = await client.GetBlockAsync(request, destination, CallOptions.WithTimeout(connector.RequestTimeout, cancellationToken)).ConfigureAwait(false);
            if (received != destination.Length)
            {
                throw new PeerProtocolException($"peer {peerId} sent {received} bytes for a block of {destination.Length} (piece {piece}, offset {offset})");
            }
        }

        public async Task<RemotePieces> GetBitfieldAsync(Sha1Hash infoHash, int pieceCount, string askerId, Bitfield have, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(have);
            var request = new GetBitfieldRequest { InfoHash = infoHash.ToString(), PeerId = askerId, Have = ByteString.CopyFrom(have.AsSpan()) };
            var response = await client.GetBitfieldAsync(request, CallOptions.WithTimeout(connector.RequestTimeout, cancellationToken)).ConfigureAwait(false);
            if (response.PieceCount != pieceCount)
            {
                throw new PeerProtocolException($"peer {peerId} reports {response.PieceCount} pieces for a file of {pieceCount}");
            }

            Bitfield pieces;
            if (response.Complete)
            {
                pieces = new Bitfield(pieceCount);
                pieces.SetAll(true);
            }
            else
            {
                pieces = Parse(response.Bitfield, pieceCount, "bitfield");
            }

            return new RemotePieces(pieces, response.SuperSeeding ? Parse(response.Offered, pieceCount, "offer") : null);
        }

        private Bitfield Parse(ByteString bits, int pieceCount, string what)
        {
            try
            {
                return Bitfield.Parse(bits.Span, pieceCount);
            }
            catch (FormatException exception)
            {
                throw new PeerProtocolException($"peer {peerId} sent a malformed {what}: {exception.Message}", exception);
            }
        }
    }
}
