using FileSwarm.Core;
using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Library;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using FileSwarm.Rpc;
using FileSwarm.Rpc.Server;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Serving;

/// <summary>
/// <c>fileswarm.v1.Peer</c>: what other peers may ask of this one. Only files in the library, only verified pieces,
/// only within the piece's bounds: nothing else on the disk is ever reachable through it.
/// </summary>
public sealed class PeerService
{
    /// <summary>Longest <c>peer_id</c> a <c>GetBitfield</c> may carry (the tracker's limit).</summary>
    public const int MaxPeerIdLength = 64;

    private readonly PeerLibrary _library;
    private readonly UploadThrottle _throttle;
    private readonly ILogger _logger;
    private readonly SuperSeeder? _superSeeder;

    /// <param name="superSeeder">Rations the files this peer seeds among the peers asking for them; null to offer everything to everyone.</param>
    public PeerService(PeerLibrary library, UploadThrottle throttle, ILogger logger, SuperSeeder? superSeeder = null)
    {
        _library = library ?? throw new ArgumentNullException(nameof(library));
        _throttle = throttle ?? throw new ArgumentNullException(nameof(throttle));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _superSeeder = superSeeder;
        if (superSeeder is not null)
        {
            _library.Changed += entry =>
            {
                if (entry.IsRemoved)
                {
                    superSeeder.Forget(entry.Metainfo.InfoHash);
                }
            };
        }
    }

    public RpcServiceBuilder Bind() =>
        new RpcServiceBuilder(PeerClient.Service)
            .WithMaxReceiveMessageSize(64 * 1024)
            .Unary<GetBlockRequest, GetBlockResponse>("GetBlock", (r, c) => Guard(c, () => GetBlockAsync(r, c)))
            .Unary<GetBitfieldRequest, GetBitfieldResponse>("GetBitfield", (r, c) => Guard(c, () => Task.FromResult(GetBitfield(r))))
            .Unary<GetHandlerRequest, GetHandlerResponse>("GetHandler", (r, c) => Guard(c, () => Task.FromResult(GetHandler(r))))
            .Unary<ListPeerFilesRequest, ListPeerFilesResponse>("ListFiles", (_, c) => Guard(c, () => Task.FromResult(ListFiles())));

    private async Task<GetBlockResponse> GetBlockAsync(GetBlockRequest request, ServerCallContext context)
    {
        var entry = FindEntry(request.InfoHash);
        var metainfo = entry.Metainfo;
        if (request.Piece >= (uint)metainfo.PieceCount)
        {
            throw new RpcException(StatusCode.OutOfRange, $"piece {request.Piece} is out of range: {metainfo.Name} has {metainfo.PieceCount} pieces");
        }

        var piece = (int)request.Piece;
        var size = metainfo.GetPieceSize(piece);
        if (request.Length is 0 or > PeerOptions.MaxBlockLength)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"length {request.Length} is not between 1 and {PeerOptions.MaxBlockLength}");
        }

        if (request.Offset >= (uint)size || request.Length > (uint)size - request.Offset)
        {
            throw new RpcException(StatusCode.OutOfRange, $"{request.Length} bytes at offset {request.Offset} do not fit in piece {piece} of {size} bytes");
        }

        if (!entry.Store.HasPiece(piece))
        {
            throw new RpcException(StatusCode.FailedPrecondition, $"this peer does not hold piece {piece} of {metainfo.InfoHash} yet");
        }

        using var slot = _throttle.TryEnter() ?? throw new RpcException(StatusCode.ResourceExhausted, $"all {_throttle.MaxUploads} upload slots are busy; try another peer");
        var length = (int)request.Length;
        await _throttle.AcquireAsync(length, context.CancellationToken);
        var offset = (int)request.Offset;
        var remote = context.RemoteEndPoint?.ToString() ?? "?";
        // The block is read when the response is sent, straight into the HTTP/2 pipe, and counted once it is read.
        return GetBlockResponse.Deferred(length, destination =>
        {
            try
            {
                entry.Store.ReadBlock(piece, offset, destination);
            }
            catch (ObjectDisposedException)
            {
                throw new RpcException(StatusCode.NotFound, $"{metainfo.InfoHash} is no longer in this peer's library");
            }
            catch (InvalidOperationException)
            {
                throw new RpcException(StatusCode.FailedPrecondition, $"this peer does not hold piece {piece} of {metainfo.InfoHash}");
            }

            entry.Totals.AddUploaded(length);
            _logger.Served(piece, offset, length, request.InfoHash, remote);
        });
    }

    private GetBitfieldResponse GetBitfield(GetBitfieldRequest request)
    {
        var entry = FindEntry(request.InfoHash);
        if (request.PeerId.Length > MaxPeerIdLength)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"peer_id is at most {MaxPeerIdLength} characters, not {request.PeerId.Length}");
        }

        var have = entry.Store.GetBitfield();
        var response = new GetBitfieldResponse
        {
            Complete = have.IsComplete,
            Bitfield = ByteString.CopyFrom(have.AsSpan()),
            PieceCount = (uint)have.Length,
        };
        if (_superSeeder is not null && have.IsComplete && request.PeerId.Length > 0)
        {
            var metainfo = entry.Metainfo;
            if (_superSeeder.Offer(metainfo.InfoHash, metainfo.PieceCount, metainfo.PieceLength, request.PeerId, AskerHas(request, metainfo.PieceCount)) is { } offered)
            {
                response.SuperSeeding = true;
                response.Offered = ByteString.CopyFrom(offered.AsSpan());
            }

            if (entry.IsRemoved)
            {
                // The file left the library while this offer was made: the removal may have forgotten it just before.
                _superSeeder.Forget(metainfo.InfoHash);
            }
        }

        return response;
    }

    private static Bitfield AskerHas(GetBitfieldRequest request, int pieceCount)
    {
        if (request.Have.IsEmpty)
        {
            return new Bitfield(pieceCount);
        }

        try
        {
            return Bitfield.Parse(request.Have.Span, pieceCount);
        }
        catch (FormatException e)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"have is not a bitfield of {pieceCount} pieces: {e.Message}");
        }
    }

    private GetHandlerResponse GetHandler(GetHandlerRequest request)
    {
        var entry = FindEntry(request.Hash);
        return new GetHandlerResponse { File = entry.Info, Torrent = ByteString.CopyFrom(entry.Metainfo.ToBytes()) };
    }

    private ListPeerFilesResponse ListFiles()
    {
        var response = new ListPeerFilesResponse();
        foreach (var entry in _library.Entries)
        {
            response.Files.Add(new PeerFile { File = entry.Info, Complete = entry.Store.IsComplete });
        }

        return response;
    }

    private LibraryEntry FindEntry(string hashText)
    {
        if (!Sha1Hash.TryParse(hashText, out var hash))
        {
            throw new RpcException(StatusCode.InvalidArgument, $"\"{PeerException.Truncate(hashText)}\" is not a hash (40 hex characters)");
        }

        return _library.Find(hash) ?? throw new RpcException(StatusCode.NotFound, $"{hash} is not in this peer's library");
    }

    /// <summary>The one place where a handler's failure becomes a status: expected refusals are logged quietly.</summary>
    private async Task<T> Guard<T>(ServerCallContext context, Func<Task<T>> handler)
    {
        try
        {
            return await handler();
        }
        catch (RpcException e)
        {
            _logger.Refused(context.Method, context.RemoteEndPoint?.ToString() ?? "?", e.Status.ToString());
            throw;
        }
    }
}
