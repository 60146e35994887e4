namespace FileSwarm.Peer.Discovery;

/// <summary>Settings of <see cref="EtcdDiscovery"/>; defaults documented per property, validated by <see cref="PeerOptions.Validate"/>.</summary>
public sealed record EtcdDiscoveryOptions
{
    /// <summary>The etcd members (<c>--etcd URL[,URL]</c>).</summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>Where discovery's keys live; peers that should see each other share it. Default <c>/fileswarm/v1/</c>.</summary>
    public string Prefix { get; init; } = EtcdDiscoveryLayout.DefaultPrefix;

    /// <summary>
    /// TTL of the peer's lease, renewed every third of it. A peer that dies stays listed at most this long. Default 10 s
    /// (a keep-alive every 3.3 s: 18 small messages a minute on one stream).
    /// </summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Changes (bitfields, handlers) are collected this long and written in one transaction. Default 250 ms.</summary>
    public TimeSpan PublishDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the peer logs its etcd operations by kind (Information). Default 60 s.</summary>
    public TimeSpan MetricsLogInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Deadline of one etcd call. Default 5 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public void Validate()
    {
        if (Endpoints is null || Endpoints.Count == 0)
        {
            throw new ArgumentException("--etcd: give at least one endpoint, e.g. http://127.0.0.1:2379");
        }

        if (string.IsNullOrEmpty(Prefix) || !Prefix.StartsWith('/'))
        {
            throw new ArgumentException($"--etcd-prefix {Prefix}: use a key prefix starting with '/', e.g. /fileswarm/v1/");
        }

        if (LeaseTtl < TimeSpan.FromSeconds(2) || LeaseTtl.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentException($"--etcd-ttl {LeaseTtl.TotalSeconds}: use whole seconds, at least 2");
        }

        if (PublishDelay < TimeSpan.Zero || MetricsLogInterval <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("etcd discovery: delays and intervals must be positive");
        }
    }
}
