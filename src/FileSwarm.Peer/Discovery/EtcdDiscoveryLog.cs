using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Discovery;

internal static partial class EtcdDiscoveryLog
{
    [LoggerMessage(1, LogLevel.Information, "Registered in etcd at {Endpoints} as {PeerId} ({Address}), lease TTL {TtlSeconds} s, keys under {Prefix}")]
    public static partial void Registered(this ILogger logger, string endpoints, string peerId, string address, long ttlSeconds, string prefix);

    [LoggerMessage(2, LogLevel.Warning, "Publishing {Count} entries to etcd failed ({Detail}); retrying")]
    public static partial void PublishFailed(this ILogger logger, int count, string detail);

    [LoggerMessage(3, LogLevel.Information, "The lease was granted again; {Count} entries written back to etcd")]
    public static partial void Republished(this ILogger logger, int count);

    [LoggerMessage(4, LogLevel.Debug, "Published {Count} entries to etcd in {Transactions} transaction(s)")]
    public static partial void Published(this ILogger logger, int count, int transactions);
}
