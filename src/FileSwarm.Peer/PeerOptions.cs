using System.Net;

namespace FileSwarm.Peer;

/// <summary>
/// Everything a peer process is configured with. Defaults suit two peers on one machine next to a tracker on its
/// default port; <see cref="Validate"/> runs before anything starts and names the offending option.
/// </summary>
public sealed record PeerOptions
{
    /// <summary>The tracker's default gRPC port, where a peer looks for it when no tracker is given.</summary>
    public const int DefaultTrackerPort = 7070;

    /// <summary>Largest block a remote peer may ask for in one call (the peer service's contract).</summary>
    public const int MaxBlockLength = 1024 * 1024;

    /// <summary>Where the local HTTP API listens; loopback by default.</summary>
    public required IPEndPoint HttpEndPoint { get; init; }

    /// <summary>Where the peer service (other peers fetch pieces here) listens; all interfaces by default.</summary>
    public required IPEndPoint GrpcEndPoint { get; init; }

    /// <summary>The tracker's address.</summary>
    public Uri TrackerAddress { get; init; } = new($"http://127.0.0.1:{DefaultTrackerPort}");

    /// <summary>When set, discovery goes through etcd (<c>--etcd</c>) instead of <see cref="TrackerAddress"/>.</summary>
    public Discovery.EtcdDiscoveryOptions? Etcd { get; init; }

    /// <summary>The library and the peer's identity live here; see <see cref="DefaultDataDirectory"/>.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Downloaded content goes here; <c>DATA-DIR/downloads</c> by default.</summary>
    public string? DownloadsDirectory { get; init; }

    /// <summary>Bytes per second served to other peers in total; null for no cap.</summary>
    public long? MaxUploadRate { get; init; }

    /// <summary>Bytes per second downloaded in total; null for no cap.</summary>
    public long? MaxDownloadRate { get; init; }

    /// <summary>
    /// While <see cref="MaxUploadRate"/> caps the upload, the files this peer holds completely are super-seeded: each
    /// downloader is offered its own pieces, so that every piece leaves this peer about once and the downloaders trade
    /// the rest (<see cref="Serving.SuperSeeder"/>). No effect without a cap. On by default.
    /// </summary>
    public bool SuperSeed { get; init; } = true;

    /// <summary>
    /// Write downloaded pieces around the page cache (<c>O_DIRECT</c>) where the file system allows it: each piece is
    /// hashed in memory and written once, so the cache would only hold bytes nobody reads soon. On by default; off for
    /// file systems where direct writes are slow (some network file systems).
    /// </summary>
    public bool DirectIo { get; init; } = true;

    /// <summary>Blocks served at once; a request beyond this gets RESOURCE_EXHAUSTED.</summary>
    public int MaxUploads { get; init; } = 16;

    /// <summary><c>host[:port]</c> other peers should dial; null lets the tracker use the announce's source address.</summary>
    public string? Advertise { get; init; }

    /// <summary>When set, every HTTP route but <c>/health</c> needs <c>Authorization: Bearer TOKEN</c>.</summary>
    public string? ApiToken { get; init; }

    /// <summary>When set, <c>POST /upload</c> shares only paths inside this directory (after resolving links).</summary>
    public string? ShareRoot { get; init; }

    /// <summary>Longest time between two announces of a file; the tracker's interval applies when shorter.</summary>
    public TimeSpan MaxAnnounceInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Deadline of one call to the tracker.</summary>
    public TimeSpan TrackerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The downloads directory, defaulted.</summary>
    public string EffectiveDownloadsDirectory => Path.GetFullPath(DownloadsDirectory ?? Path.Join(DataDirectory, "downloads"));

    /// <summary>
    /// <c>$XDG_DATA_HOME/fileswarm/peer-GRPCPORT</c> (<c>~/.local/share/...</c> without XDG_DATA_HOME), so two peers on
    /// one machine never share a library.
    /// </summary>
    public static string DefaultDataDirectory(int grpcPort)
    {
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
        {
            dataHome = Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }

        return Path.Join(dataHome, "fileswarm", $"peer-{grpcPort}");
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the command-line option at fault.</summary>
    public void Validate()
    {
        if (HttpEndPoint.Port != 0 && HttpEndPoint.Port == GrpcEndPoint.Port && (HttpEndPoint.Address.Equals(GrpcEndPoint.Address)
            || HttpEndPoint.Address.Equals(IPAddress.Any) || GrpcEndPoint.Address.Equals(IPAddress.Any)))
        {
            throw new ArgumentException($"--http and --grpc cannot both use port {HttpEndPoint.Port}");
        }

        if (!IPAddress.IsLoopback(HttpEndPoint.Address) && string.IsNullOrEmpty(ApiToken))
        {
            throw new ArgumentException($"--http {HttpEndPoint}: the HTTP API reads local files, so binding it beyond loopback needs --api-token");
        }

        if (ApiToken is { } token && (token.Length < 8 || token.Any(char.IsWhiteSpace)))
        {
            throw new ArgumentException("--api-token: use at least 8 characters without spaces");
        }

        if (TrackerAddress.Scheme is not ("http" or "https") || string.IsNullOrEmpty(TrackerAddress.Host))
        {
            throw new ArgumentException($"--tracker {TrackerAddress}: use http://HOST:PORT");
        }

        Etcd?.Validate();

        if (MaxUploadRate is <= 0 || MaxDownloadRate is <= 0)
        {
            throw new ArgumentException("--max-upload-rate and --max-download-rate must be positive");
        }

        if (MaxUploads <= 0)
        {
            throw new ArgumentException("--max-uploads must be at least 1");
        }

        if (Advertise is { } advertise && !IsHostPort(advertise))
        {
            throw new ArgumentException($"--advertise {advertise}: use HOST or HOST:PORT");
        }

        if (ShareRoot is { } root && !Directory.Exists(root))
        {
            throw new ArgumentException($"--share-root {root}: no such directory");
        }

        if (MaxAnnounceInterval < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentException("--announce-interval must be at least 0.1 seconds");
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("--data-dir must not be empty");
        }
    }

    private static bool IsHostPort(string text)
    {
        if (text.Length == 0 || text.Any(char.IsWhiteSpace) || text.Contains('/', StringComparison.Ordinal))
        {
            return false;
        }

        return Uri.TryCreate("http://" + text, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host)
            && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.UserInfo);
    }
}
