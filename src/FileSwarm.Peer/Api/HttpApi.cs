using System.Net;
using FileSwarm.Core;
using FileSwarm.Peer.Discovery;
using FileSwarm.Peer.Library;
using FileSwarm.Protocol;
using FileSwarm.Protocol.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Api;

/// <summary>The peer's local HTTP API on Kestrel, for its user and the CLI.</summary>
public sealed partial class HttpApi : IAsyncDisposable
{
    private const int CatalogPageSize = 1000;
    private const int MaxCatalogFiles = 100_000;

    private readonly PeerOptions _options;
    private readonly PeerLibrary _library;
    private readonly IDiscovery _discovery;
    private readonly string _peerId;
    private readonly ILogger _logger;
    private readonly ApiAccess _access;
    private WebApplication? _app;

    public HttpApi(PeerOptions options, PeerLibrary library, IDiscovery discovery, string peerId, ILogger logger)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _library = library ?? throw new ArgumentNullException(nameof(library));
        _discovery = discovery ?? throw new ArgumentNullException(nameof(discovery));
        _peerId = peerId;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _access = new ApiAccess(options.ApiToken, IPAddress.IsLoopback(options.HttpEndPoint.Address) || options.HttpEndPoint.Address.Equals(IPAddress.IPv6Loopback), () => EndPoint.Port);
    }

    /// <summary>The bound endpoint, with the real port.</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, NoHostLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ApiJson.MaxBodyBytes;
            kestrel.Listen(_options.HttpEndPoint, listen => listen.Protocols = HttpProtocols.Http1AndHttp2);
        });

        var app = builder.Build();
        app.Use(GuardAsync);
        MapRoutes(app);
        await app.StartAsync(cancellationToken);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        EndPoint = new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", HealthAsync);
        routes.MapPost("/upload", UploadAsync);
        routes.MapGet("/files", ListFilesAsync);
        routes.MapGet("/files/{key}", GetFileAsync);
        routes.MapGet("/files/{key}/torrent", GetTorrentAsync);
        routes.MapDelete("/files/{key}", DeleteFileAsync);
        routes.MapPost("/download", DownloadAsync);
        routes.MapGet("/downloads", ListDownloadsAsync);
        routes.MapGet("/downloads/{key}", GetDownloadAsync);
        routes.MapGet("/library", ListLibraryAsync);
        routes.MapGet("/openapi.json", OpenApiAsync);
    }

    /// <summary>Access checks, and the one place where failures become HTTP error responses.</summary>
    private async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (_access.Check(request) is { } refusal)
        {
            await RefuseAsync(context, refusal.Status, refusal.Code, refusal.Message);
            return;
        }

        try
        {
            await next(context);
            if (context.Response.StatusCode == StatusCodes.Status404NotFound && !context.Response.HasStarted)
            {
                await RefuseAsync(context, 404, "no_route", $"no route {request.Method} {request.Path}; see GET /health");
            }
            else if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !context.Response.HasStarted)
            {
                await RefuseAsync(context, 405, "method_not_allowed", $"{request.Method} is not allowed on {request.Path}");
            }
        }
        catch (PeerException e) when (!context.Response.HasStarted)
        {
            var (status, code) = e.Kind switch
            {
                PeerErrorKind.NotFound => (StatusCodes.Status404NotFound, "not_found"),
                PeerErrorKind.Conflict => (StatusCodes.Status409Conflict, "conflict"),
                PeerErrorKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "tracker_unavailable"),
                _ => (StatusCodes.Status400BadRequest, "invalid_argument"),
            };
            await RefuseAsync(context, status, code, e.Message);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await RefuseAsync(context, e.StatusCode, "bad_request", e.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; nothing to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            _logger.Failed(request.Method, request.Path, e);
            await ApiJson.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "internal", "internal error; see the peer's log");
        }
    }

    private Task RefuseAsync(HttpContext context, int status, string code, string message)
    {
        _logger.Refused(context.Request.Method, context.Request.Path, status, code, message);
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        return ApiJson.WriteErrorAsync(context, status, code, message);
    }

    private Task HealthAsync(HttpContext context)
    {
        var entries = _library.Entries;
        return ApiJson.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "ok");
            w.WriteString("peer_id", _peerId);
            w.WriteString("discovery", _discovery.Description);
            w.WriteNumber("files", entries.Count);
            w.WriteNumber("downloading", entries.Count(e => e.IsDownloading));
            w.WriteEndObject();
        });
    }

    private async Task UploadAsync(HttpContext context)
    {
        var body = await ApiJson.ReadObjectAsync(context, "name", "piece_length");
        var path = ApiJson.RequiredString(body, "name");
        var pieceLength = ApiJson.OptionalInt64(body, "piece_length");
        if (pieceLength is < 1 or > int.MaxValue)
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"piece_length {pieceLength} is out of range");
        }

        var entry = await _library.ShareAsync(path, (int?)pieceLength, context.RequestAborted);
        await ApiJson.WriteMessageAsync(context, 200, entry.Info);
    }

    private async Task GetFileAsync(HttpContext context)
    {
        var key = RouteKey(context);
        if (Sha1Hash.TryParse(key, out var hash))
        {
            var info = _library.Find(hash)?.Info
                ?? (await _discovery.FindAsync(hash, context.RequestAborted))?.ToSharedFileInfo()
                ?? throw PeerException.NotFound(key);
            await ApiJson.WriteMessageAsync(context, 200, info);
            return;
        }

        var byName = _library.FindByName(key)?.Info ?? await FindInCatalogByNameAsync(key, context.RequestAborted);
        await ApiJson.WriteMessageAsync(context, 200, byName);
    }

    private async Task GetTorrentAsync(HttpContext context)
    {
        var hash = ParseHash(RouteKey(context));
        var metainfo = _library.Find(hash)?.Metainfo
            ?? await _discovery.FindAsync(hash, context.RequestAborted)
            ?? throw PeerException.NotFound(hash.ToString());
        var bytes = metainfo.ToBytes();
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-bittorrent";
        context.Response.ContentLength = bytes.Length;
        context.Response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = SafeFileName(metainfo.Name) + ".torrent" }.ToString();
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private async Task DeleteFileAsync(HttpContext context)
    {
        var hash = ParseHash(RouteKey(context));
        var entry = await _library.RemoveAsync(hash, context.RequestAborted);
        await ApiJson.WriteMessageAsync(context, 200, entry.Info);
    }

    private async Task ListFilesAsync(HttpContext context)
    {
        var filter = context.Request.Query["name"].ToString();
        var files = new List<SharedFileInfo>();
        string? token = null;
        do
        {
            var page = await _discovery.ListAsync(CatalogPageSize, token, filter, context.RequestAborted);
            files.AddRange(page.Files);
            token = page.NextPageToken;
        }
        while (token is not null && files.Count < MaxCatalogFiles);

        await ApiJson.WriteAsync(context, 200, w => ApiJson.WriteFiles(w, files));
    }

    private async Task<SharedFileInfo> FindInCatalogByNameAsync(string name, CancellationToken cancellationToken)
    {
        var page = await _discovery.ListAsync(CatalogPageSize, null, name, cancellationToken);
        var exact = page.Files.Where(f => f.Name == name).ToList();
        return exact.Count switch
        {
            1 => exact[0],
            0 => throw PeerException.NotFound(PeerException.Truncate(name)),
            _ => throw new PeerException(PeerErrorKind.Conflict, $"{exact.Count} files are named {PeerException.Truncate(name)}; ask by hash: {string.Join(", ", exact.Select(f => f.Hash))}"),
        };
    }

    private static string RouteKey(HttpContext context) => context.Request.RouteValues["key"] as string ?? "";

    private static Sha1Hash ParseHash(string text) => Sha1Hash.TryParse(text, out var hash) ? hash : throw PeerException.BadHash(text);

    private static string SafeFileName(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());

    private sealed class NoHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
