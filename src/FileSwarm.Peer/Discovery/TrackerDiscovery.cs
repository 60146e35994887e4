using System.Net.Sockets;
using FileSwarm.Core;
using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;
using FileSwarm.Peer.Transfers;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Client;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Discovery;

/// <summary>Discovery through a FileSwarm tracker (<c>fileswarm.v1.Tracker</c> over gRPC).</summary>
public sealed class TrackerDiscovery : IDiscovery
{
    private readonly TrackerClient _client;
    private readonly Func<DiscoveryIdentity> _identity;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private int _intervalSeconds = 30;

    /// <param name="identity">How this peer presents itself; read at each announce (the port is known only once the server is bound).</param>
    public TrackerDiscovery(TrackerClient client, Func<DiscoveryIdentity> identity, TimeSpan timeout, ILogger logger)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _identity = identity ?? throw new ArgumentNullException(nameof(identity));
        _timeout = timeout;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public string Description => $"the tracker at {_client.Channel.Address}";

    public TimeSpan AnnounceInterval => TimeSpan.FromSeconds(Volatile.Read(ref _intervalSeconds));

    public Task RegisterAsync(TorrentMetainfo metainfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metainfo);
        return CallAsync(o => _client.RegisterFileAsync(new RegisterFileRequest { Torrent = ByteString.CopyFrom(metainfo.ToBytes()) }, o), cancellationToken);
    }

    public async Task<TorrentMetainfo?> FindAsync(Sha1Hash hash, CancellationToken cancellationToken)
    {
        GetFileResponse response;
        try
        {
            response = await CallAsync(o => _client.GetFileAsync(new GetFileRequest { Hash = hash.ToString() }, o), cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }

        TorrentMetainfo metainfo;
        try
        {
            metainfo = TorrentMetainfo.Parse(response.Torrent.ToByteArray());
        }
        catch (Exception e) when (e is BencodeFormatException or MetainfoFormatException)
        {
            throw new PeerException(PeerErrorKind.Unavailable, $"{Description} answered with a handler that does not parse: {e.Message}", e);
        }

        // The handler must be the one asked for: a tracker does not get to substitute content.
        return metainfo.IsIdentifiedBy(hash)
            ? metainfo
            : throw new PeerException(PeerErrorKind.Unavailable, $"{Description} answered {hash} with another file ({metainfo.InfoHash})");
    }

    public async Task<FilePage> ListAsync(int pageSize, string? pageToken, string? nameFilter, CancellationToken cancellationToken)
    {
        var request = new ListFilesRequest { PageSize = pageSize, PageToken = pageToken ?? "", NameFilter = nameFilter ?? "" };
        var response = await CallAsync(o => _client.ListFilesAsync(request, o), cancellationToken);
        return new FilePage(response.Files, string.IsNullOrEmpty(response.NextPageToken) ? null : response.NextPageToken, response.TotalCount);
    }

    public ISwarm GetSwarm(TorrentMetainfo metainfo) => new TrackerSwarm(this, metainfo);

    /// <summary>One tracker call with the deadline; an unreachable tracker becomes <see cref="PeerErrorKind.Unavailable"/>.</summary>
    internal async Task<T> CallAsync<T>(Func<CallOptions, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call(CallOptions.WithTimeout(_timeout, cancellationToken));
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && !cancellationToken.IsCancellationRequested)
        {
            throw new PeerException(PeerErrorKind.Unavailable, $"{Description} cannot be reached ({e.Status.Detail}); is `fileswarm tracker` running?", e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new PeerException(PeerErrorKind.Unavailable, $"{Description} cannot be reached ({e.Message}); is `fileswarm tracker` running?", e);
        }
    }

    private sealed class TrackerSwarm(TrackerDiscovery discovery, TorrentMetainfo metainfo) : ISwarm
    {
        public async Task<IReadOnlyList<SwarmPeer>> AnnounceAsync(SwarmEvent swarmEvent, Core.Pieces.Bitfield have, long uploaded, long downloaded, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(have);
            var identity = discovery._identity();
            var request = new AnnounceRequest
            {
                InfoHash = metainfo.InfoHash.ToString(),
                PeerId = identity.PeerId,
                AdvertiseAddress = identity.AdvertiseAddress ?? "",
                Port = (uint)identity.Port,
                Event = swarmEvent switch
                {
                    SwarmEvent.Started => AnnounceRequest.Types.Event.Started,
                    SwarmEvent.Completed => AnnounceRequest.Types.Event.Completed,
                    SwarmEvent.Stopped => AnnounceRequest.Types.Event.Stopped,
                    _ => AnnounceRequest.Types.Event.Update,
                },
                Complete = have.IsComplete,
                Bitfield = have.IsComplete ? ByteString.Empty : ByteString.CopyFrom(have.AsSpan()),
                Uploaded = uploaded,
                Downloaded = downloaded,
            };

            AnnounceResponse response;
            try
            {
                response = await discovery.CallAsync(o => discovery._client.AnnounceAsync(request, o), cancellationToken);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // The tracker forgot the file (it restarted, or its registry expired): publish it again and carry on.
                discovery._logger.Reregistering(request.InfoHash);
                await discovery.RegisterAsync(metainfo, cancellationToken);
                if (request.Event == AnnounceRequest.Types.Event.Update)
                {
                    request.Event = AnnounceRequest.Types.Event.Started;
                }

                response = await discovery.CallAsync(o => discovery._client.AnnounceAsync(request, o), cancellationToken);
            }

            if (response.IntervalSeconds > 0)
            {
                Volatile.Write(ref discovery._intervalSeconds, response.IntervalSeconds);
            }

            discovery._logger.Announced(swarmEvent.ToString(), request.InfoHash, response.Peers.Count, response.IntervalSeconds);
            var peers = new List<SwarmPeer>(response.Peers.Count);
            foreach (var peer in response.Peers)
            {
                if (peer.PeerId == identity.PeerId || string.IsNullOrEmpty(peer.Address))
                {
                    continue;
                }

                Core.Pieces.Bitfield? pieces = null;
                if (!peer.Complete)
                {
                    try
                    {
                        pieces = Core.Pieces.Bitfield.Parse(peer.Bitfield.Span, metainfo.PieceCount);
                    }
                    catch (FormatException)
                    {
                        discovery._logger.BadPeerBitfield(peer.PeerId, request.InfoHash);
                        continue;
                    }
                }

                peers.Add(new SwarmPeer(peer.PeerId, peer.Address, peer.Complete, pieces));
            }

            return peers;
        }
    }
}
