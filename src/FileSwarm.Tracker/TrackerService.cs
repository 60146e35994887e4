using FileSwarm.Core;
using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Server;
using FileSwarm.Tracker.Internal;
using FileSwarm.Tracker.Registry;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Tracker;

/// <summary>
/// <c>fileswarm.v1.Tracker</c> over an <see cref="ISwarmRegistry"/>. Every request is validated in full before the
/// registry is touched, so a malformed request changes nothing; problems become INVALID_ARGUMENT or NOT_FOUND with a
/// message that says what was wrong.
/// </summary>
public sealed class TrackerService
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;
    public const int MaxNameFilterLength = 1024;

    private readonly ISwarmRegistry _registry;
    private readonly TrackerOptions _options;
    private readonly ILogger _logger;
    private readonly TrackerMetrics? _metrics;

    public TrackerService(ISwarmRegistry registry, TrackerOptions options, ILogger? logger = null, TrackerMetrics? metrics = null)
    {
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        _metrics = metrics;
    }

    /// <summary>The service's bindings, to add to an <see cref="RpcServer"/>.</summary>
    public RpcServiceBuilder Bind() =>
        new RpcServiceBuilder(TrackerClient.Service)
            // Room for the largest accepted .torrent plus the request's framing; other requests are far smaller.
            .WithMaxReceiveMessageSize(_options.MaxTorrentBytes + 1024)
            .Unary<RegisterFileRequest, RegisterFileResponse>("RegisterFile", RegisterFileAsync)
            .Unary<GetFileRequest, GetFileResponse>("GetFile", GetFileAsync)
            .Unary<ListFilesRequest, ListFilesResponse>("ListFiles", ListFilesAsync)
            .Unary<AnnounceRequest, AnnounceResponse>("Announce", AnnounceAsync);

    internal async Task<RegisterFileResponse> RegisterFileAsync(RegisterFileRequest request, ServerCallContext context)
    {
        var torrent = request.Torrent;
        if (torrent.IsEmpty)
        {
            throw Invalid("RegisterFile", "torrent is empty: send the bytes of a .torrent file");
        }

        if (torrent.Length > _options.MaxTorrentBytes)
        {
            throw Invalid("RegisterFile", $"torrent is {torrent.Length} bytes, more than this tracker's limit of {_options.MaxTorrentBytes}");
        }

        TorrentMetainfo metainfo;
        try
        {
            metainfo = TorrentMetainfo.Parse(torrent.Memory);
        }
        catch (BencodeFormatException e)
        {
            throw Invalid("RegisterFile", $"torrent is not valid bencode: {e.Message}");
        }
        catch (MetainfoFormatException e)
        {
            throw Invalid("RegisterFile", $"torrent is not a valid handler: {e.Message}");
        }

        var result = await _registry.RegisterFileAsync(metainfo, context.CancellationToken);
        if (result.Created)
        {
            _metrics?.FileRegistered();
            _logger.FileRegistered(result.File.Name, result.File.InfoHash.ToString());
        }

        return new RegisterFileResponse { File = ToInfo(result.File), Created = result.Created };
    }

    internal async Task<GetFileResponse> GetFileAsync(GetFileRequest request, ServerCallContext context)
    {
        var file = await FindAsync("GetFile", "hash", request.Hash, context.CancellationToken);
        return new GetFileResponse { File = ToInfo(file), Torrent = UnsafeByteOperations.UnsafeWrap(file.Torrent) };
    }

    internal async Task<ListFilesResponse> ListFilesAsync(ListFilesRequest request, ServerCallContext context)
    {
        if (request.PageSize < 0)
        {
            throw Invalid("ListFiles", $"page_size must be 0 (the default, {DefaultPageSize}) or positive, not {request.PageSize}");
        }

        if (request.NameFilter.Length > MaxNameFilterLength)
        {
            throw Invalid("ListFiles", $"name_filter is {request.NameFilter.Length} characters; the limit is {MaxNameFilterLength}");
        }

        FileCursor? after = null;
        if (request.PageToken.Length > 0 && !PageTokens.TryDecode(request.PageToken, out after))
        {
            throw Invalid("ListFiles", "page_token is not a next_page_token from a previous ListFiles response");
        }

        var limit = request.PageSize == 0 ? DefaultPageSize : Math.Min(request.PageSize, MaxPageSize);
        var page = await _registry.ListFilesAsync(new FileQuery(limit, request.NameFilter, after), context.CancellationToken);
        var response = new ListFilesResponse
        {
            TotalCount = page.TotalCount,
            NextPageToken = page.Next is { } next ? PageTokens.Encode(next) : string.Empty,
        };
        response.Files.AddRange(page.Files.Select(ToInfo));
        return response;
    }

    internal async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, ServerCallContext context)
    {
        var eventName = request.Event switch
        {
            AnnounceRequest.Types.Event.Update => "update",
            AnnounceRequest.Types.Event.Started => "started",
            AnnounceRequest.Types.Event.Completed => "completed",
            AnnounceRequest.Types.Event.Stopped => "stopped",
            _ => null,
        };
        try
        {
            var response = await AnnounceCoreAsync(request, context);
            _metrics?.Announce(eventName!, "ok");
            return response;
        }
        catch (RpcException e)
        {
            _metrics?.Announce(eventName ?? "unknown", e.StatusCode == StatusCode.NotFound ? "not_found" : "invalid");
            throw;
        }
    }

    private async Task<AnnounceResponse> AnnounceCoreAsync(AnnounceRequest request, ServerCallContext context)
    {
        const string Method = "Announce";
        if (!Enum.IsDefined(request.Event))
        {
            throw Invalid(Method, $"event {(int)request.Event} is not one of UPDATE, STARTED, COMPLETED, STOPPED");
        }

        if (RequestParsing.ParseHash("info_hash", request.InfoHash, out var hash) is { } badHash)
        {
            throw Invalid(Method, badHash);
        }

        if (RequestParsing.CheckPeerId(request.PeerId) is { } badPeerId)
        {
            throw Invalid(Method, badPeerId);
        }

        if (request.NumWant < 0 || request.Uploaded < 0 || request.Downloaded < 0)
        {
            throw Invalid(Method, "num_want, uploaded and downloaded must not be negative");
        }

        if (request.Event == AnnounceRequest.Types.Event.Stopped)
        {
            // A peer that leaves needs to say only who it is; its address and pieces no longer matter.
            var file = await FindAsync(Method, "info_hash", request.InfoHash, context.CancellationToken);
            var remaining = await _registry.RemovePeerAsync(file.InfoHash, request.PeerId, context.CancellationToken)
                ?? throw NotFound(Method, hash);
            return Response([], remaining);
        }

        var address = AddressOf(request, context);
        var known = await _registry.FindFileAsync(hash, context.CancellationToken) ?? throw NotFound(Method, hash);
        var declaredComplete = request.Complete || request.Event == AnnounceRequest.Types.Event.Completed;
        var complete = declaredComplete;
        if (!request.Bitfield.IsEmpty || !declaredComplete)
        {
            Bitfield have;
            try
            {
                have = Bitfield.Parse(request.Bitfield.Span, known.PieceCount);
            }
            catch (FormatException e)
            {
                throw Invalid(Method, $"bitfield: {e.Message}");
            }

            if (declaredComplete && !have.IsComplete)
            {
                throw Invalid(Method, $"the peer says it is complete but its bitfield lacks {have.Length - have.CountSet} of {have.Length} pieces");
            }

            complete = have.IsComplete;
        }

        var numWant = request.NumWant == 0 ? _options.DefaultPeersReturned : Math.Min(request.NumWant, _options.MaxPeersReturned);
        var announcement = new PeerAnnouncement(known.InfoHash, request.PeerId, address, complete, complete ? ReadOnlyMemory<byte>.Empty : request.Bitfield.Memory, numWant);
        var result = await _registry.AnnounceAsync(announcement, context.CancellationToken) ?? throw NotFound(Method, hash);
        return Response(result.Peers, result.Counts);
    }

    private AnnounceResponse Response(IReadOnlyList<PeerRecord> peers, SwarmCounts counts)
    {
        var encoded = new EncodedPeerInfo[peers.Count];
        for (var i = 0; i < encoded.Length; i++)
        {
            var peer = peers[i];
            var wire = peer.Encoded;
            if (wire.IsEmpty)
            {
                // Two answers may encode the same record at once; they make the same bytes, and either copy is kept.
                peer.Encoded = wire = new EncodedPeerInfo(peer.PeerId, peer.Address, peer.Complete, peer.Pieces.Span);
            }

            encoded[i] = wire;
        }

        var response = AnnounceResponse.WithEncodedPeers(encoded);
        response.IntervalSeconds = (int)_options.AnnounceInterval.TotalSeconds;
        response.Complete = counts.Complete;
        response.Incomplete = counts.Incomplete;
        return response;
    }

    private string AddressOf(AnnounceRequest request, ServerCallContext context)
    {
        if (request.AdvertiseAddress.Length > 0)
        {
            return RequestParsing.CheckHostPort(request.AdvertiseAddress) is { } badAddress
                ? throw Invalid("Announce", badAddress)
                : request.AdvertiseAddress;
        }

        if (request.Port is 0 or > 65535)
        {
            throw Invalid("Announce", $"port must be from 1 to 65535 when advertise_address is empty, not {request.Port}");
        }

        if (context.RemoteEndPoint is not { } remote)
        {
            throw Invalid("Announce", "the connection's source address is unknown: set advertise_address");
        }

        return RequestParsing.FormatEndPoint(remote.Address, (int)request.Port);
    }

    private async Task<CatalogFile> FindAsync(string method, string field, string text, CancellationToken cancellationToken)
    {
        if (RequestParsing.ParseHash(field, text, out var hash) is { } problem)
        {
            throw Invalid(method, problem);
        }

        return await _registry.FindFileAsync(hash, cancellationToken) ?? throw NotFound(method, hash);
    }

    private static SharedFileInfo ToInfo(CatalogFile file) => new()
    {
        Name = file.Name,
        PieceLength = file.PieceLength,
        Pieces = file.PieceCount,
        Length = file.Length,
        Hash = file.InfoHash.ToString(),
        Sha1 = file.ContentSha1?.ToString() ?? string.Empty,
    };

    private RpcException Invalid(string method, string message)
    {
        _logger.RequestRejected(method, message);
        return new RpcException(StatusCode.InvalidArgument, message);
    }

    private RpcException NotFound(string method, Sha1Hash hash)
    {
        var message = $"no file with hash {hash} is registered with this tracker";
        _logger.RequestRejected(method, message);
        return new RpcException(StatusCode.NotFound, message);
    }
}
