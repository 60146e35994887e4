using FileSwarm.Tracker.Registry;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Tracker.Internal;

/// <summary>Deletes expired peers every sweep interval (on the tracker's <see cref="TimeProvider"/>) and refreshes the gauges.</summary>
internal sealed class SwarmSweeper : IAsyncDisposable
{
    private readonly ISwarmRegistry _registry;
    private readonly TrackerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _loop;

    public SwarmSweeper(ISwarmRegistry registry, TimeSpan interval, TimeProvider timeProvider, TrackerMetrics metrics, ILogger logger)
    {
        _registry = registry;
        _metrics = metrics;
        _logger = logger;
        _timer = new PeriodicTimer(interval, timeProvider);
        _loop = RunAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _timer.Dispose();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(_stop.Token))
            {
                await SweepOnceAsync(_stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task SweepOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var removed = await _registry.SweepAsync(cancellationToken);
            var stats = await _registry.GetStatsAsync(cancellationToken);
            _metrics.Update(stats);
            _logger.Swept(removed, stats.Peers, stats.Swarms);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failed sweep (a remote registry unreachable) is retried at the next tick; the tracker keeps serving.
            _logger.SweepFailed(e);
        }
    }
}
