using System.Threading.RateLimiting;
using FileSwarm.Peer.Api;
using FileSwarm.Peer.Discovery;
using FileSwarm.Peer.Library;
using FileSwarm.Peer.Serving;
using FileSwarm.Peer.Transfers;
using FileSwarm.Protocol;
using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Server;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer;

/// <summary>
/// The peer process's composition root: the library, the peer service on the gRPC port, discovery through the
/// tracker, the announcer, the download engine, and the local HTTP API. Start it, and stop it to leave the swarm
/// cleanly (every file announced Stopped, downloads left resumable).
/// </summary>
public sealed class PeerNode : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly RpcChannel _trackerChannel;
    private readonly UploadThrottle _uploads;
    private readonly RateLimiter? _downloadRate;
    private readonly PeerLibrary _library;
    private readonly RpcServer _rpc;
    private readonly LibraryAnnouncer _announcer;
    private readonly HttpApi _http;
    private readonly IDisposable _connector;
    private DiscoveryIdentity? _identity;
    private int _stopped;

    private PeerNode(PeerOptions options, ILoggerFactory loggerFactory)
    {
        Options = options;
        _logger = loggerFactory.CreateLogger("FileSwarm.Peer");
        PeerId = PeerLibrary.LoadOrCreatePeerId(options.DataDirectory);
        Directory.CreateDirectory(options.EffectiveDownloadsDirectory);

        _trackerChannel = new RpcChannel(options.TrackerAddress, new RpcChannelOptions { TimeProvider = options.TimeProvider, ConnectTimeout = options.TrackerTimeout });
        Func<DiscoveryIdentity> identity = () => _identity ?? throw new InvalidOperationException("The peer announces only once its gRPC port is bound.");
        Discovery = options.Etcd is { } etcd
            ? new EtcdDiscovery(etcd, identity, loggerFactory, options.TimeProvider)
            : new TrackerDiscovery(new TrackerClient(_trackerChannel), identity, options.TrackerTimeout, loggerFactory.CreateLogger("FileSwarm.Peer.Discovery"));

        _uploads = new UploadThrottle(options.MaxUploads, options.MaxUploadRate);
        _downloadRate = options.MaxDownloadRate is { } rate ? CreateDownloadLimiter(rate) : null;
        var downloadOptions = new DownloadOptions { SelfPeerId = PeerId, DownloadRateLimiter = _downloadRate };
        var engineLogger = loggerFactory.CreateLogger("FileSwarm.Peer.Transfers");
        var (factory, connector) = EngineAdapter.Create(downloadOptions, loggerFactory, engineLogger, options.TimeProvider);
        _connector = connector;
        _library = new PeerLibrary(options, Discovery, factory, loggerFactory.CreateLogger("FileSwarm.Peer.Library"));

        var rpcOptions = new RpcServerOptions { TimeProvider = options.TimeProvider };
        rpcOptions.EndPoints.Add(options.GrpcEndPoint);
        _rpc = new RpcServer(rpcOptions, loggerFactory)
            .AddService(new PeerService(_library, _uploads, loggerFactory.CreateLogger("FileSwarm.Peer.Serving"), CreateSuperSeeder(options)).Bind());
        _announcer = new LibraryAnnouncer(_library, Discovery, options, loggerFactory.CreateLogger("FileSwarm.Peer.Announcer"));
        _http = new HttpApi(options, _library, Discovery, PeerId, loggerFactory.CreateLogger("FileSwarm.Peer.Api"));
    }

    public PeerOptions Options { get; }

    public string PeerId { get; }

    public IDiscovery Discovery { get; }

    public PeerLibrary Library => _library;

    /// <summary>The HTTP API's address, e.g. <c>http://127.0.0.1:8000</c>.</summary>
    public string HttpAddress => $"http://{Format(_http.EndPoint)}";

    /// <summary>The peer service's bound endpoint.</summary>
    public System.Net.IPEndPoint GrpcEndPoint => _rpc.EndPoints[0];

    /// <summary>Validates the options, binds both ports, restores the library and starts announcing.</summary>
    public static async Task<PeerNode> StartAsync(PeerOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        var node = new PeerNode(options, loggerFactory);
        try
        {
            await node.StartCoreAsync(cancellationToken);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Leaves the swarm cleanly: downloads stopped (resumable), every file announced Stopped.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _logger.Stopping();
        await _http.DisposeAsync();
        await _library.StopDownloadsAsync();
        await _announcer.StopAsync();
        await _rpc.DisposeAsync();
        await _library.DisposeAsync();
        if (Discovery is EtcdDiscovery etcd)
        {
            // Revokes the lease: this peer's keys leave etcd now, not when the lease runs out.
            await etcd.DisposeAsync();
        }

        _logger.Stopped();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _announcer.DisposeAsync();
        _connector.Dispose();

        _uploads.Dispose();
        _downloadRate?.Dispose();
        _trackerChannel.Dispose();
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        await _rpc.StartAsync(cancellationToken);
        _identity = new DiscoveryIdentity(PeerId, GrpcEndPoint.Port, AdvertiseAddress(Options.Advertise, GrpcEndPoint.Port));
        if (Discovery is EtcdDiscovery etcd)
        {
            await etcd.StartAsync(cancellationToken);
        }

        await _library.RestoreAsync(cancellationToken);
        _announcer.Start();
        await _http.StartAsync(cancellationToken);
        _logger.Started(PeerId, Path.GetFullPath(Options.DataDirectory), Options.EffectiveDownloadsDirectory, Discovery.Description);
    }

    /// <summary><c>--advertise HOST</c> means HOST at the bound gRPC port.</summary>
    private static string? AdvertiseAddress(string? advertise, int port)
    {
        if (advertise is null)
        {
            return null;
        }

        var uri = new Uri("http://" + advertise);
        return uri.IsDefaultPort && !advertise.EndsWith(":80", StringComparison.Ordinal) ? $"{advertise}:{port}" : advertise;
    }

    /// <summary>A capped upload is the swarm's bottleneck whenever several peers download from this one: ration it.</summary>
    private static SuperSeeder? CreateSuperSeeder(PeerOptions options) =>
        options.SuperSeed && options.MaxUploadRate is { } rate ? new SuperSeeder(rate, options.TimeProvider) : null;

    private static TokenBucketRateLimiter CreateDownloadLimiter(long bytesPerSecond)
    {
        var perPeriod = (int)Math.Clamp(bytesPerSecond / 10, 1, int.MaxValue);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            // A block is acquired at once, so the bucket holds at least the largest block.
            TokenLimit = Math.Max(perPeriod, PeerOptions.MaxBlockLength),
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    private static string Format(System.Net.IPEndPoint endPoint) =>
        endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]:{endPoint.Port}" : endPoint.ToString();
}
