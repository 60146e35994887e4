using System.Collections.Concurrent;
using System.Net;
using FileSwarm.Core;
using FileSwarm.Core.Metainfo;
using FileSwarm.Peer.Discovery;
using FileSwarm.Peer.Library;
using FileSwarm.Peer.Serving;
using FileSwarm.Peer.Tests.Transfers;
using FileSwarm.Peer.Transfers;
using FileSwarm.Protocol;
using FileSwarm.Rpc.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Peer.Tests.Infrastructure;

/// <summary>
/// One peer's library in process, as <see cref="PeerNode"/> wires it: its peer service on 127.0.0.1 port 0 and its
/// announcer, over a <see cref="FakeDiscovery"/>. Downloads run the real engine against <see cref="FakePeer"/>s;
/// <see cref="Connect"/> reaches the peer service the way another peer would. Data lives in a temp directory.
/// </summary>
public sealed class LibraryHarness : IAsyncDisposable
{
    private readonly RpcServer _rpc;
    private readonly UploadThrottle _uploads;
    private readonly GrpcPeerConnector _client = new(TimeSpan.FromSeconds(30));

    private LibraryHarness(string directory, FakeDiscovery discovery, SuperSeeder? superSeeder, FakePeer[] remotes)
    {
        Directory = directory;
        Discovery = discovery;
        var options = new PeerOptions
        {
            HttpEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            GrpcEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            DataDirectory = Path.Join(directory, "data"),
        };
        var connector = new FakeConnector(remotes);
        Library = new PeerLibrary(
            options,
            discovery,
            (store, swarm, totals) => new EngineRun(new Download(store, swarm, connector, DownloadTests.FastOptions(), NullLogger.Instance, null, totals)),
            NullLogger.Instance);
        _uploads = new UploadThrottle(options.MaxUploads, null);
        var rpcOptions = new RpcServerOptions();
        rpcOptions.EndPoints.Add(options.GrpcEndPoint);
        _rpc = new RpcServer(rpcOptions).AddService(new PeerService(Library, _uploads, NullLogger.Instance, superSeeder).Bind());
        Announcer = new LibraryAnnouncer(Library, discovery, options, NullLogger.Instance);
    }

    /// <summary>A temp directory of its own, for the peer's data and for files to share.</summary>
    public string Directory { get; }

    public FakeDiscovery Discovery { get; }

    public PeerLibrary Library { get; }

    public LibraryAnnouncer Announcer { get; }

    /// <param name="superSeeder">Handed to the peer service, as a peer with a capped upload has one.</param>
    /// <param name="remotes">The other peers of every swarm, which downloads fetch from.</param>
    public static async Task<LibraryHarness> StartAsync(SuperSeeder? superSeeder = null, params FakePeer[] remotes)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("fileswarm-test-").FullName;
        var harness = new LibraryHarness(directory, new FakeDiscovery(remotes), superSeeder, remotes);
        await harness._rpc.StartAsync();
        harness.Announcer.Start();
        return harness;
    }

    /// <summary>This peer as another peer reaches it: over gRPC.</summary>
    public IRemotePeer Connect() => _client.Connect(new SwarmPeer("harness", $"127.0.0.1:{_rpc.EndPoints[0].Port}", true, null));

    public async ValueTask DisposeAsync()
    {
        await Announcer.DisposeAsync();
        await _rpc.DisposeAsync();
        await Library.DisposeAsync();
        _client.Dispose();
        _uploads.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class EngineRun(Download download) : IDownloadRun
    {
        public DownloadProgress Progress => download.Progress;

        public Task RunAsync(CancellationToken cancellationToken) => download.RunAsync(cancellationToken);
    }
}

/// <summary>
/// Discovery in memory: a catalog of the handlers published to it, and per file a <see cref="FakeSwarm"/> of the
/// given remote peers that records every announce.
/// </summary>
public sealed class FakeDiscovery(params FakePeer[] remotes) : IDiscovery
{
    private readonly ConcurrentDictionary<Sha1Hash, TorrentMetainfo> _catalog = new();
    private readonly ConcurrentDictionary<Sha1Hash, FakeSwarm> _swarms = new();

    public string Description => "fake discovery";

    /// <summary>Short, so the announcer reports a complete file several times a second.</summary>
    public TimeSpan AnnounceInterval => TimeSpan.FromMilliseconds(50);

    /// <summary>A handler another peer published.</summary>
    public void Publish(TorrentMetainfo metainfo) => _catalog[metainfo.InfoHash] = metainfo;

    /// <summary>The swarm of a file, with what it heard so far.</summary>
    public FakeSwarm Swarm(Sha1Hash infoHash) => _swarms.GetOrAdd(infoHash, _ => new FakeSwarm(remotes));

    public Task RegisterAsync(TorrentMetainfo metainfo, CancellationToken cancellationToken)
    {
        Publish(metainfo);
        return Task.CompletedTask;
    }

    public Task<TorrentMetainfo?> FindAsync(Sha1Hash hash, CancellationToken cancellationToken) =>
        Task.FromResult(_catalog.TryGetValue(hash, out var metainfo) ? metainfo : null);

    public Task<FilePage> ListAsync(int pageSize, string? pageToken, string? nameFilter, CancellationToken cancellationToken)
    {
        var files = _catalog.Values
            .Where(m => nameFilter is null || m.Name.Contains(nameFilter, StringComparison.Ordinal))
            .Select(m => m.ToSharedFileInfo())
            .ToList();
        return Task.FromResult(new FilePage(files, null, files.Count));
    }

    public ISwarm GetSwarm(TorrentMetainfo metainfo) => Swarm(metainfo.InfoHash);
}
