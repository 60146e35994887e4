using System.Net;
using FileSwarm.Tracker.Registry;

namespace FileSwarm.Tracker;

/// <summary>Options of a tracker. Defaults suit a LAN; <see cref="Validate"/> runs at start-up.</summary>
public sealed record TrackerOptions
{
    /// <summary>The port a tracker listens on unless told otherwise, and where a peer looks for one on its own machine.</summary>
    public const int DefaultPort = 7070;

    /// <summary>Where the gRPC service listens. Default every IPv4 interface, port 7070 (peers live on a LAN). Port 0 picks a free port.</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Any, DefaultPort);

    /// <summary>How often peers are asked to announce (whole seconds, 1 s to 1 day). Default 30 s.</summary>
    public TimeSpan AnnounceInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A peer silent this long is forgotten. Default (null) 2.5 × <see cref="AnnounceInterval"/>, so one lost announce is forgiven.</summary>
    public TimeSpan? PeerTtl { get; init; }

    /// <summary>How often expired peers are deleted (and the gauges refreshed). Default 15 s.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Peers returned when an announce's num_want is 0. Default 50, as tracker.proto documents.</summary>
    public int DefaultPeersReturned { get; init; } = 50;

    /// <summary>Cap on the peers returned by one announce, whatever num_want asks. Default 200.</summary>
    public int MaxPeersReturned { get; init; } = 200;

    /// <summary>Peer entries one announce examines at most (a random sample in larger swarms). Default 1000.</summary>
    public int AnnounceScanLimit { get; init; } = 1000;

    /// <summary>Peer entries kept per swarm. Default 100,000.</summary>
    public int MaxPeersPerSwarm { get; init; } = 100_000;

    /// <summary>Largest .torrent accepted by RegisterFile, in bytes. Default 4 MiB (a 20-byte hash per piece: 200,000 pieces).</summary>
    public int MaxTorrentBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary><see cref="PeerTtl"/> with its default applied.</summary>
    public TimeSpan EffectivePeerTtl => PeerTtl ?? AnnounceInterval * 2.5;

    /// <summary>Throws <see cref="ArgumentException"/> with a message naming the first bad setting and why.</summary>
    public void Validate()
    {
        if (EndPoint is null)
        {
            throw new ArgumentException("EndPoint must be set.");
        }

        if (AnnounceInterval < TimeSpan.FromSeconds(1) || AnnounceInterval > TimeSpan.FromDays(1) || AnnounceInterval.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentException($"the announce interval must be a whole number of seconds from 1 to 86400, not {AnnounceInterval.TotalSeconds}.");
        }

        if (EffectivePeerTtl <= AnnounceInterval)
        {
            throw new ArgumentException($"the peer TTL ({EffectivePeerTtl.TotalSeconds} s) must be longer than the announce interval ({AnnounceInterval.TotalSeconds} s), or every peer expires between announces.");
        }

        if (SweepInterval <= TimeSpan.Zero || SweepInterval > EffectivePeerTtl)
        {
            throw new ArgumentException($"the sweep interval must be positive and at most the peer TTL ({EffectivePeerTtl.TotalSeconds} s), not {SweepInterval.TotalSeconds} s.");
        }

        if (MaxPeersReturned < 1)
        {
            throw new ArgumentException($"MaxPeersReturned must be at least 1, not {MaxPeersReturned}.");
        }

        if (DefaultPeersReturned < 1 || DefaultPeersReturned > MaxPeersReturned)
        {
            throw new ArgumentException($"DefaultPeersReturned must be from 1 to MaxPeersReturned ({MaxPeersReturned}), not {DefaultPeersReturned}.");
        }

        if (AnnounceScanLimit < MaxPeersReturned)
        {
            throw new ArgumentException($"AnnounceScanLimit ({AnnounceScanLimit}) must be at least MaxPeersReturned ({MaxPeersReturned}).");
        }

        if (MaxTorrentBytes < 64)
        {
            throw new ArgumentException($"MaxTorrentBytes must be at least 64, not {MaxTorrentBytes}.");
        }

        ToRegistryOptions().Validate();
    }

    /// <summary>The registry's share of these options.</summary>
    public SwarmRegistryOptions ToRegistryOptions() => new()
    {
        PeerTtl = EffectivePeerTtl,
        AnnounceScanLimit = AnnounceScanLimit,
        MaxPeersPerSwarm = MaxPeersPerSwarm,
    };
}
