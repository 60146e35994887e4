using System.Diagnostics.Metrics;

namespace FileSwarm.Etcd;

/// <summary>The kinds of etcd operation a client counts.</summary>
public enum EtcdOperation
{
    Range,
    Put,
    DeleteRange,
    Txn,
    Compact,
    LeaseGrant,
    LeaseRevoke,
    LeaseTimeToLive,

    /// <summary>One keep-alive request sent on the lease stream.</summary>
    LeaseKeepAlive,

    /// <summary>One watch stream opened (a create request).</summary>
    WatchCreate,

    /// <summary>One watch response carrying events received.</summary>
    WatchEvents,

    /// <summary>A stream (watch or keep-alive) that broke and is opened again.</summary>
    StreamReconnect,

    /// <summary>A unary call moved to the next endpoint after UNAVAILABLE.</summary>
    Failover,
}

/// <summary>
/// Operations of one <see cref="EtcdClient"/> by kind: read them with <see cref="Snapshot"/> (the peer logs them per
/// minute), and as the counter <c>etcd.client.operations</c> (tag <c>etcd.operation</c>) of the meter
/// <c>FileSwarm.Etcd</c> for dotnet-counters.
/// </summary>
public sealed class EtcdMetrics
{
    public const string MeterName = "FileSwarm.Etcd";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Operations = Meter.CreateCounter<long>("etcd.client.operations", "{operation}");
    private static readonly string[] Names = Enum.GetNames<EtcdOperation>().Select(n => n.ToLowerInvariant()).ToArray();

    private readonly long[] _counts = new long[Names.Length];

    public void Count(EtcdOperation operation, long n = 1)
    {
        Interlocked.Add(ref _counts[(int)operation], n);
        Operations.Add(n, new KeyValuePair<string, object?>("etcd.operation", Names[(int)operation]));
    }

    public long Get(EtcdOperation operation) => Interlocked.Read(ref _counts[(int)operation]);

    /// <summary>Every count so far, by kind.</summary>
    public IReadOnlyDictionary<EtcdOperation, long> Snapshot()
    {
        var result = new Dictionary<EtcdOperation, long>();
        foreach (var operation in Enum.GetValues<EtcdOperation>())
        {
            result[operation] = Get(operation);
        }

        return result;
    }

    /// <summary>The counts since <paramref name="before"/>, as <c>range=3 put=1 ...</c> (kinds with zero left out), and their sum.</summary>
    public static (string Text, long Total) Describe(IReadOnlyDictionary<EtcdOperation, long> before, IReadOnlyDictionary<EtcdOperation, long> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var parts = new List<string>();
        long total = 0;
        foreach (var (operation, count) in after)
        {
            var delta = count - before.GetValueOrDefault(operation);
            if (delta != 0)
            {
                parts.Add($"{Names[(int)operation]}={delta}");
                total += operation is EtcdOperation.StreamReconnect or EtcdOperation.Failover ? 0 : delta;
            }
        }

        return (parts.Count == 0 ? "none" : string.Join(' ', parts), total);
    }
}

