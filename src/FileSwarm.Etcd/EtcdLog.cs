using Microsoft.Extensions.Logging;

namespace FileSwarm.Etcd;

/// <summary>The etcd client's log messages.</summary>
public static partial class EtcdLog
{
    [LoggerMessage(1, LogLevel.Warning, "etcd at {Endpoint} is unavailable ({Detail}); trying {Next}")]
    public static partial void FailingOver(this ILogger logger, Uri endpoint, string detail, Uri next);

    [LoggerMessage(2, LogLevel.Warning, "The etcd {Stream} stream broke ({Detail}); reopening it in {DelayMs} ms")]
    public static partial void StreamBroken(this ILogger logger, string stream, string detail, long delayMs);

    [LoggerMessage(3, LogLevel.Information, "The etcd {Stream} stream is open again")]
    public static partial void StreamRestored(this ILogger logger, string stream);

    [LoggerMessage(4, LogLevel.Warning, "etcd lease {LeaseId:x} was lost ({Reason}); granting a new one")]
    public static partial void LeaseLost(this ILogger logger, long leaseId, string reason);

    [LoggerMessage(5, LogLevel.Information, "etcd lease {LeaseId:x} granted with a TTL of {TtlSeconds} s")]
    public static partial void LeaseGranted(this ILogger logger, long leaseId, long ttlSeconds);

    [LoggerMessage(6, LogLevel.Warning, "Restoring the keys of etcd lease {LeaseId:x} failed ({Detail}); retrying")]
    public static partial void LeaseRestoreFailed(this ILogger logger, long leaseId, string detail);

    [LoggerMessage(7, LogLevel.Warning, "The etcd watch on {Key} fell behind a compaction (revision {CompactRevision}); listing it again")]
    public static partial void WatchCompacted(this ILogger logger, string key, long compactRevision);

    [LoggerMessage(8, LogLevel.Debug, "The etcd watch on {Key} starts at revision {Revision}")]
    public static partial void WatchStarting(this ILogger logger, string key, long revision);

    [LoggerMessage(9, LogLevel.Error, "The etcd watch handler for {Key} failed")]
    public static partial void WatchHandlerFailed(this ILogger logger, string key, Exception exception);

    [LoggerMessage(10, LogLevel.Information, "etcd operations in the last {Seconds} s: {Operations} ({Total} in all)")]
    public static partial void OperationsPerInterval(this ILogger logger, long seconds, string operations, long total);
}
