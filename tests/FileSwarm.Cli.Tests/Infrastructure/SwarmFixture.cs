using FileSwarm.Integration.Tests.Infrastructure;

namespace FileSwarm.Cli.Tests.Infrastructure;

/// <summary>
/// A tracker and peers as real processes for one test class: peer A seeds, peer B downloads at full speed, peer Slow
/// downloads at 256 KiB/s (so a test can interrupt it), peer Locked wants an API token.
/// </summary>
public sealed class SwarmFixture : IAsyncLifetime
{
    public const string Token = "s3cret-token";

    private readonly BufferedOutput _log = new();

    public SwarmFixture()
    {
        Cluster = new Cluster(_log);
    }

    public Cluster Cluster { get; }

    public PeerProcess A { get; private set; } = null!;

    public PeerProcess B { get; private set; } = null!;

    public PeerProcess Slow { get; private set; } = null!;

    public PeerProcess Locked { get; private set; } = null!;

    public string Logs => Cluster.Log.ToString();

    public async Task InitializeAsync()
    {
        var tracker = await Cluster.StartTrackerAsync();
        var peers = await Task.WhenAll(
            Cluster.StartPeerAsync("A", tracker),
            Cluster.StartPeerAsync("B", tracker),
            Cluster.StartPeerAsync("Slow", tracker, "--max-download-rate", "256K"),
            Cluster.StartPeerAsync("Locked", tracker, "--api-token", Token));
        (A, B, Slow, Locked) = (peers[0], peers[1], peers[2], peers[3]);
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>"http://127.0.0.1:PORT" of a peer, as --peer takes it.</summary>
    public static string Url(PeerProcess peer) => peer.Http.GetLeftPart(UriPartial.Authority);
}
