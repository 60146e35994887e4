using Microsoft.Extensions.Logging;

namespace FileSwarm.Tracker;

/// <summary>The tracker's log messages, source-generated.</summary>
internal static partial class TrackerLog
{
    [LoggerMessage(1, LogLevel.Information, "Tracker listening on {Address} (announce interval {IntervalSeconds} s, peer TTL {TtlSeconds} s)")]
    public static partial void Started(this ILogger logger, string address, double intervalSeconds, double ttlSeconds);

    [LoggerMessage(2, LogLevel.Information, "Registered {Name} ({InfoHash})")]
    public static partial void FileRegistered(this ILogger logger, string name, string infoHash);

    [LoggerMessage(3, LogLevel.Debug, "{Method} rejected: {Reason}")]
    public static partial void RequestRejected(this ILogger logger, string method, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Swept {Removed} expired peers; {Peers} peer entries in {Swarms} swarms remain")]
    public static partial void Swept(this ILogger logger, int removed, long peers, long swarms);

    [LoggerMessage(5, LogLevel.Error, "Sweeping expired peers failed")]
    public static partial void SweepFailed(this ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Tracker stopped")]
    public static partial void Stopped(this ILogger logger);

    [LoggerMessage(7, LogLevel.Warning, "Writing {Writes} registry changes to etcd failed ({Detail}); retrying, and answering from the cache meanwhile ({Queued} more waiting)")]
    public static partial void EtcdWritesFailing(this ILogger logger, int writes, int queued, string detail);

    [LoggerMessage(8, LogLevel.Information, "Registry writes to etcd go through again after {Failures} failed attempts ({Queued} waiting)")]
    public static partial void EtcdWritesResumed(this ILogger logger, int failures, int queued);

    [LoggerMessage(9, LogLevel.Warning, "Stopping with {Queued} registry changes not written to etcd ({Detail}); those peers' next announces write them again")]
    public static partial void EtcdWritesAbandoned(this ILogger logger, int queued, string detail);

    [LoggerMessage(10, LogLevel.Information, "etcd registry writer: {Transactions} transactions carried {Writes} writes ({PerTransaction:F1} a transaction, up to {PeakInFlight} of {MaxInFlight} in flight at once); largest queue {PeakQueued} of {Capacity}; {Collapsed} collapsed into a waiting write, {Refused} refused")]
    public static partial void EtcdWriterSummary(this ILogger logger, long transactions, long writes, double perTransaction, int peakInFlight, int maxInFlight, int peakQueued, int capacity, long collapsed, long refused);
}
