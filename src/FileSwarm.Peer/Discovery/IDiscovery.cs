using FileSwarm.Core;
using FileSwarm.Core.Metainfo;
using FileSwarm.Peer.Transfers;
using FileSwarm.Protocol.V1;

namespace FileSwarm.Peer.Discovery;

/// <summary>One page of the catalog.</summary>
/// <param name="Files">The files of this page.</param>
/// <param name="NextPageToken">Pass back for the next page; null on the last one.</param>
/// <param name="TotalCount">Files matching the query over all pages.</param>
public sealed record FilePage(IReadOnlyList<SharedFileInfo> Files, string? NextPageToken, long TotalCount);

/// <summary>
/// How a peer finds files and the peers that hold them. The tracker over gRPC implements it, and etcd will; nothing
/// above this interface knows which one it talks to. Every method throws <see cref="PeerException"/> with
/// <see cref="PeerErrorKind.Unavailable"/> when the back end cannot be reached.
/// </summary>
public interface IDiscovery
{
    /// <summary>Where the back end is, for messages.</summary>
    string Description { get; }

    /// <summary>How often a file's holders should report themselves, as the back end asks.</summary>
    TimeSpan AnnounceInterval { get; }

    /// <summary>Publishes a handler so other peers can find it.</summary>
    Task RegisterAsync(TorrentMetainfo metainfo, CancellationToken cancellationToken);

    /// <summary>A handler by info-hash or content SHA-1; null when the back end does not know it.</summary>
    Task<TorrentMetainfo?> FindAsync(Sha1Hash hash, CancellationToken cancellationToken);

    /// <summary>A page of the catalog, optionally only names containing <paramref name="nameFilter"/>.</summary>
    Task<FilePage> ListAsync(int pageSize, string? pageToken, string? nameFilter, CancellationToken cancellationToken);

    /// <summary>The swarm of one file, through which its holders announce and find each other.</summary>
    ISwarm GetSwarm(TorrentMetainfo metainfo);
}
