using System.Threading.RateLimiting;

namespace FileSwarm.Peer.Tests.Infrastructure;

/// <summary>Grants everything and counts the permits asked for.</summary>
public sealed class CountingRateLimiter : RateLimiter
{
    private long _permits;
    private int _leases;

    public long Permits => Interlocked.Read(ref _permits);

    public int Leases => Volatile.Read(ref _leases);

    public override TimeSpan? IdleDuration => null;

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Grant(permitCount);

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult<RateLimitLease>(Grant(permitCount));

    private Granted Grant(int permitCount)
    {
        Interlocked.Add(ref _permits, permitCount);
        Interlocked.Increment(ref _leases);
        return new Granted();
    }

    private sealed class Granted : RateLimitLease
    {
        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
