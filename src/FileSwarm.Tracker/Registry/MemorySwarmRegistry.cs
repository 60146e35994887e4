using System.Collections.Concurrent;
using FileSwarm.Core;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;
using FileSwarm.Tracker.Registry.Internal;

namespace FileSwarm.Tracker.Registry;

/// <summary>
/// The registry in process memory: the default for a single tracker process. Thread-safe; each swarm has its own
/// lock, and the catalog (<see cref="CatalogIndex"/>) is an immutable sorted set swapped on registration so that
/// listings never block.
/// Expiry uses <see cref="TimeProvider.GetTimestamp"/>, so wall-clock jumps do not expire or revive peers.
/// </summary>
public sealed class MemorySwarmRegistry : ISwarmRegistry
{
    private readonly SwarmRegistryOptions _options;
    private readonly TimeProvider _time;
    private readonly long _ttlTicks;
    private readonly CatalogIndex _catalog = new();
    private readonly ConcurrentDictionary<Sha1Hash, MemorySwarm> _swarms = new();

    public MemorySwarmRegistry(SwarmRegistryOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new SwarmRegistryOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _ttlTicks = (long)Math.Min(long.MaxValue / 2, _options.PeerTtl.TotalSeconds * _time.TimestampFrequency);
    }

    public ValueTask<RegisterResult> RegisterFileAsync(TorrentMetainfo metainfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metainfo);
        return ValueTask.FromResult(_catalog.Get(metainfo.InfoHash) is { } existing
            ? new RegisterResult(existing, false)
            : _catalog.Add(CatalogFile.From(metainfo), indexContent: true));
    }

    public ValueTask<CatalogFile?> FindFileAsync(Sha1Hash hash, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_catalog.Find(hash));

    public ValueTask<FilePage> ListFilesAsync(FileQuery query, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_catalog.List(query));

    public ValueTask<AnnounceResult?> AnnounceAsync(PeerAnnouncement announcement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        ArgumentOutOfRangeException.ThrowIfNegative(announcement.NumWant);
        if (_catalog.Get(announcement.InfoHash) is not { } file)
        {
            return ValueTask.FromResult<AnnounceResult?>(null);
        }

        var pieces = announcement.Complete ? ReadOnlySpan<byte>.Empty : announcement.Pieces.Span;
        if (!announcement.Complete && pieces.Length != Bitfield.ByteCount(file.PieceCount))
        {
            throw new ArgumentException($"a bitfield for {file.PieceCount} pieces is {Bitfield.ByteCount(file.PieceCount)} bytes, not {pieces.Length}", nameof(announcement));
        }

        var identity = PeerIdentity.Encode(announcement.PeerId, announcement.Address);
        var now = _time.GetTimestamp();
        while (true)
        {
            var swarm = _swarms.GetOrAdd(announcement.InfoHash, static _ => new MemorySwarm());
            lock (swarm.Gate)
            {
                if (swarm.Retired)
                {
                    continue;
                }

                var self = swarm.Upsert(identity, announcement.Complete, pieces, now, _options.MaxPeersPerSwarm);
                var peers = swarm.Select(self, announcement.Complete, pieces, announcement.NumWant, _options.AnnounceScanLimit, now - _ttlTicks);
                return ValueTask.FromResult<AnnounceResult?>(new AnnounceResult(peers, swarm.Counts));
            }
        }
    }

    public ValueTask<SwarmCounts?> RemovePeerAsync(Sha1Hash infoHash, string peerId, CancellationToken cancellationToken = default)
    {
        var key = PeerIdentity.EncodeIdOnly(peerId);
        if (_catalog.Get(infoHash) is null)
        {
            return ValueTask.FromResult<SwarmCounts?>(null);
        }

        if (!_swarms.TryGetValue(infoHash, out var swarm))
        {
            return ValueTask.FromResult<SwarmCounts?>(default(SwarmCounts));
        }

        lock (swarm.Gate)
        {
            swarm.Remove(key);
            var counts = swarm.Counts;
            RetireIfEmpty(infoHash, swarm);
            return ValueTask.FromResult<SwarmCounts?>(counts);
        }
    }

    /// <remarks>O(entries), one swarm's lock at a time, so announces to other swarms go on meanwhile.</remarks>
    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var expiredAtOrBefore = _time.GetTimestamp() - _ttlTicks;
        var removed = 0;
        foreach (var (infoHash, swarm) in _swarms)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (swarm.Gate)
            {
                removed += swarm.RemoveExpired(expiredAtOrBefore);
                RetireIfEmpty(infoHash, swarm);
            }
        }

        return ValueTask.FromResult(removed);
    }

    public ValueTask<RegistryStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        long swarms = 0, peers = 0;
        foreach (var swarm in _swarms.Values)
        {
            swarms++;
            peers += swarm.Count;
        }

        return ValueTask.FromResult(new RegistryStats(_catalog.Count, swarms, peers));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The swarm object of a file, for tests that check memory is released.</summary>
    internal MemorySwarm? SwarmOf(Sha1Hash infoHash) => _swarms.TryGetValue(infoHash, out var swarm) ? swarm : null;

    /// <summary>Under the swarm's gate: drops an empty swarm, marking it so that an announce holding it starts over.</summary>
    private void RetireIfEmpty(Sha1Hash infoHash, MemorySwarm swarm)
    {
        if (swarm.Count == 0)
        {
            swarm.Retired = true;
            _swarms.TryRemove(new KeyValuePair<Sha1Hash, MemorySwarm>(infoHash, swarm));
        }
    }
}
