using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FileSwarm.Peer.Transfers;

namespace FileSwarm.Peer.Tests.Infrastructure;

/// <summary>Sums of the counters of one <see cref="TransferMetrics"/> instance (other tests' instances are ignored).</summary>
public sealed class MetricCounts : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();

    public MetricCounts(TransferMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        _listener.Start();
    }

    public long this[string name] => _sums.GetValueOrDefault(name);

    public void Dispose() => _listener.Dispose();
}
