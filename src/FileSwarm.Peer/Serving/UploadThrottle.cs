using System.Threading.RateLimiting;

namespace FileSwarm.Peer.Serving;

/// <summary>
/// The upload side's limits: a fixed number of blocks served at once (a request beyond that is refused at once,
/// so the asker tries another peer), and an optional byte rate shared by every upload.
/// </summary>
public sealed class UploadThrottle : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly TokenBucketRateLimiter? _rate;
    private readonly int _chunk;

    public UploadThrottle(int maxUploads, long? bytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxUploads, 1);
        MaxUploads = maxUploads;
        _slots = new SemaphoreSlim(maxUploads, maxUploads);
        if (bytesPerSecond is { } rate)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(rate, 1);
            // Refill ten times a second; a bucket of a tenth of a second (at least 16 KiB) keeps bursts small.
            var perPeriod = (int)Math.Clamp(rate / 10, 1, int.MaxValue);
            _chunk = Math.Max(perPeriod, 16 * 1024);
            _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = _chunk,
                TokensPerPeriod = perPeriod,
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
    }

    public int MaxUploads { get; }

    /// <summary>Uploads in progress.</summary>
    public int Active => MaxUploads - _slots.CurrentCount;

    /// <summary>Takes an upload slot without waiting; null when every slot is busy.</summary>
    public IDisposable? TryEnter() => _slots.Wait(0) ? new Slot(_slots) : null;

    /// <summary>Waits until <paramref name="bytes"/> may be sent under the rate cap.</summary>
    public async ValueTask AcquireAsync(int bytes, CancellationToken cancellationToken)
    {
        if (_rate is null)
        {
            return;
        }

        while (bytes > 0)
        {
            var take = Math.Min(bytes, _chunk);
            using var lease = await _rate.AcquireAsync(take, cancellationToken);
            bytes -= take;
        }
    }

    public void Dispose()
    {
        _rate?.Dispose();
        _slots.Dispose();
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
