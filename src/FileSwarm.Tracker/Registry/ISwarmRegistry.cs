using FileSwarm.Core;
using FileSwarm.Core.Metainfo;

namespace FileSwarm.Tracker.Registry;

/// <summary>
/// The tracker's state: the catalog of handlers and, per file, the swarm of peers with what they hold.
/// Implementations may live in process memory or in a remote store (etcd), so every method is asynchronous and
/// does bounded work per call whatever the size of a swarm. Expiry follows the <see cref="TimeProvider"/> the
/// implementation was built with: a peer whose last announce is <see cref="SwarmRegistryOptions.PeerTtl"/> or more
/// in the past is expired, and expired peers are never returned.
/// Callers validate input (hash syntax, bitfield length, address syntax) first; implementations still reject
/// what would corrupt their state with <see cref="ArgumentException"/>.
/// </summary>
public interface ISwarmRegistry : IAsyncDisposable
{
    /// <summary>
    /// Adds a handler to the catalog. Idempotent by info-hash: registering the same info-hash again returns the entry
    /// already there with <see cref="RegisterResult.Created"/> false (the first registration wins, including its
    /// content SHA-1). When two handlers record the same content SHA-1, a lookup by it finds the first registered.
    /// </summary>
    ValueTask<RegisterResult> RegisterFileAsync(TorrentMetainfo metainfo, CancellationToken cancellationToken = default);

    /// <summary>The catalog entry whose info-hash, or else whose content SHA-1, is <paramref name="hash"/>; null when none.</summary>
    ValueTask<CatalogFile?> FindFileAsync(Sha1Hash hash, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page of the catalog in <see cref="CatalogOrder"/>, starting strictly after <see cref="FileQuery.After"/>,
    /// filtered by a case-insensitive substring of the name, with the number of matching files over all pages.
    /// </summary>
    ValueTask<FilePage> ListFilesAsync(FileQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a peer's announce (upsert by peer id: address, pieces, completeness, last-seen = now) and returns up to
    /// <see cref="PeerAnnouncement.NumWant"/> other live peers of the swarm: first peers that hold a piece the
    /// announcing peer lacks, then the others, in random order within each group; never the announcing peer.
    /// Null when the file is not in the catalog (nothing is recorded then).
    /// </summary>
    ValueTask<AnnounceResult?> AnnounceAsync(PeerAnnouncement announcement, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes a peer from a swarm at once (the "stopped" event). Removing a peer that is not there is not an error.
    /// Null when the file is not in the catalog.
    /// </summary>
    ValueTask<SwarmCounts?> RemovePeerAsync(Sha1Hash infoHash, string peerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes expired peers (and swarms left empty) and returns how many peers it removed. Called periodically by the
    /// tracker; counts reported by <see cref="AnnounceAsync"/> are exact after a sweep and may include peers that
    /// expired since the last one.
    /// </summary>
    ValueTask<int> SweepAsync(CancellationToken cancellationToken = default);

    /// <summary>Sizes for metrics and tests: catalog files, non-empty swarms, and peer entries held (live or not yet swept).</summary>
    ValueTask<RegistryStats> GetStatsAsync(CancellationToken cancellationToken = default);
}
