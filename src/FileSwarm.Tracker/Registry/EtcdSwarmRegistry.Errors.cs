using FileSwarm.Core;
using FileSwarm.Core.Metainfo;
using FileSwarm.Etcd;
using FileSwarm.Rpc;

namespace FileSwarm.Tracker.Registry;

/// <summary>
/// The registry's one error boundary: etcd that cannot be reached becomes UNAVAILABLE for the tracker's callers (peers
/// retry, and say the tracker's store is down), any other etcd failure INTERNAL with etcd's message.
/// </summary>
public sealed partial class EtcdSwarmRegistry
{
    public ValueTask<RegisterResult> RegisterFileAsync(TorrentMetainfo metainfo, CancellationToken cancellationToken = default) =>
        GuardAsync(() => RegisterFileCoreAsync(metainfo, cancellationToken));

    public ValueTask<CatalogFile?> FindFileAsync(Sha1Hash hash, CancellationToken cancellationToken = default) =>
        GuardAsync(() => FindFileCoreAsync(hash, cancellationToken));

    public ValueTask<FilePage> ListFilesAsync(FileQuery query, CancellationToken cancellationToken = default) =>
        GuardAsync(() => ListFilesCoreAsync(query, cancellationToken));

    public ValueTask<RegistryStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        GuardAsync(() => GetStatsCoreAsync(cancellationToken));

    public ValueTask<AnnounceResult?> AnnounceAsync(PeerAnnouncement announcement, CancellationToken cancellationToken = default) =>
        GuardAsync(() => AnnounceCoreAsync(announcement, cancellationToken));

    public ValueTask<SwarmCounts?> RemovePeerAsync(Sha1Hash infoHash, string peerId, CancellationToken cancellationToken = default) =>
        GuardAsync(() => RemovePeerCoreAsync(infoHash, peerId, cancellationToken));

    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) =>
        GuardAsync(() => SweepCoreAsync(cancellationToken));

    private static async ValueTask<T> GuardAsync<T>(Func<ValueTask<T>> call)
    {
        try
        {
            return await call();
        }
        catch (EtcdException e)
        {
            throw new RpcException(new Status(e.IsUnavailable ? StatusCode.Unavailable : StatusCode.Internal, $"the tracker's registry: {e.Message}"), new Metadata(), e);
        }
    }
}
