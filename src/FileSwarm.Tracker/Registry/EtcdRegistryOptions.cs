namespace FileSwarm.Tracker.Registry;

/// <summary>Settings of an <see cref="EtcdSwarmRegistry"/> beyond the limits every registry shares; validated when it is built.</summary>
public sealed record EtcdRegistryOptions
{
    /// <summary>The default <see cref="Prefix"/>.</summary>
    public const string DefaultPrefix = EtcdRegistryLayout.DefaultPrefix;

    /// <summary>Key prefix of the registry's state; trackers that share swarms use the same one. Default <c>/fileswarm/v1/tracker/</c>.</summary>
    public string Prefix { get; init; } = DefaultPrefix;

    /// <summary>
    /// Peer keys whose changes may wait for etcd at once (a key announced again while waiting still counts once). When
    /// etcd is slow or down this fills up, and further peers' announces are refused (UNAVAILABLE or RESOURCE_EXHAUSTED)
    /// until it drains. Default 65,536 (at most a few hundred bytes each).
    /// </summary>
    public int MaxQueuedWrites { get; init; } = 65_536;

    /// <summary>
    /// Full write transactions (etcd's 128 operations) that may be in flight at once. Under a load of distinct peers
    /// the writer keeps this many going, so that etcd commits several in one disk sync instead of the writer waiting
    /// out each round trip; a key in one is not sent again before it lands. 1 sends one transaction at a time. Default 4.
    /// </summary>
    public int MaxTransactionsInFlight { get; init; } = 4;

    /// <summary>
    /// Least time between the starts of two write transactions unless the queue holds a full transaction's worth: the
    /// first change after a quiet spell goes out at once, and under load each transaction carries what gathered
    /// meanwhile (a partial transaction also waits until none is in flight), so one peer announcing over and over costs etcd at most one write per interval. Default 5 ms.
    /// </summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Prefix))
        {
            throw new ArgumentException("Prefix must not be empty.");
        }

        if (MaxQueuedWrites < 1)
        {
            throw new ArgumentException($"MaxQueuedWrites must be at least 1, not {MaxQueuedWrites}.");
        }

        if (MaxTransactionsInFlight is < 1 or > 64)
        {
            throw new ArgumentException($"MaxTransactionsInFlight must be from 1 to 64, not {MaxTransactionsInFlight}.");
        }

        if (FlushInterval < TimeSpan.Zero || FlushInterval > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentException($"FlushInterval must be from 0 to 10 s, not {FlushInterval}.");
        }
    }
}
