using System.Diagnostics.Metrics;
using FileSwarm.Tracker.Registry;

namespace FileSwarm.Tracker;

/// <summary>
/// The tracker's instruments, under the meter <c>FileSwarm.Tracker</c> (read with dotnet-counters or a MeterListener):
/// announces by event and outcome, registrations, and gauges of catalog files and live peer entries. The gauges
/// show the registry as of the last sweep (or registration, for files). With the etcd registry, also its writer's
/// queue (<see cref="ObserveEtcdWrites"/>).
/// </summary>
public sealed class TrackerMetrics : IDisposable
{
    public const string MeterName = "FileSwarm.Tracker";

    private readonly Meter _meter;
    private readonly Counter<long> _announces;
    private readonly Counter<long> _registrations;
    private long _files;
    private long _peers;

    public TrackerMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _announces = _meter.CreateCounter<long>("fileswarm.tracker.announces", "{announce}", "Announces handled, by event and outcome.");
        _registrations = _meter.CreateCounter<long>("fileswarm.tracker.registrations", "{file}", "RegisterFile calls that added a new handler.");
        _meter.CreateObservableGauge("fileswarm.tracker.files", () => Volatile.Read(ref _files), "{file}", "Handlers in the catalog.");
        _meter.CreateObservableGauge("fileswarm.tracker.peers", () => Volatile.Read(ref _peers), "{peer}", "Peer entries in all swarms.");
    }

    /// <summary>The meter of this instance, for listeners that must tell it from others of the same name (tests).</summary>
    internal Meter Meter => _meter;

    public void Announce(string swarmEvent, string outcome) =>
        _announces.Add(1, new KeyValuePair<string, object?>("event", swarmEvent), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>
    /// Instruments of the etcd registry's writer, read when collected: the queue's depth, writes collapsed into a
    /// waiting one, announces refused because the queue was full, and the transactions and writes etcd applied.
    /// </summary>
    public void ObserveEtcdWrites(EtcdSwarmRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _meter.CreateObservableGauge("fileswarm.tracker.etcd.queued_writes", () => registry.QueuedWrites, "{write}", "Peer changes waiting for etcd, not counting the transactions in flight.");
        _meter.CreateObservableCounter("fileswarm.tracker.etcd.collapsed_writes", () => registry.CollapsedWrites, "{write}", "Announces whose change replaced a waiting change of the same peer key.");
        _meter.CreateObservableCounter("fileswarm.tracker.etcd.refused_writes", () => registry.RefusedWrites, "{announce}", "Announces refused because the etcd write queue was full.");
        _meter.CreateObservableCounter("fileswarm.tracker.etcd.transactions", () => registry.WritesLanded.Transactions, "{transaction}", "Write transactions etcd applied.");
        _meter.CreateObservableCounter("fileswarm.tracker.etcd.writes", () => registry.WritesLanded.Writes, "{write}", "Peer changes etcd applied, in those transactions.");
    }

    public void FileRegistered()
    {
        _registrations.Add(1);
        Interlocked.Increment(ref _files);
    }

    public void Update(RegistryStats stats)
    {
        Volatile.Write(ref _files, stats.Files);
        Volatile.Write(ref _peers, stats.Peers);
    }

    public void Dispose() => _meter.Dispose();
}
