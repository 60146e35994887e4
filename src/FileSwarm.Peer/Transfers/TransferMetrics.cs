using System.Diagnostics.Metrics;

namespace FileSwarm.Peer.Transfers;

/// <summary>Counters of the download engine, on the meter <see cref="MeterName"/>.</summary>
public sealed class TransferMetrics : IDisposable
{
    public const string MeterName = "FileSwarm.Peer.Transfers";

    private readonly Meter _meter;
    private readonly Counter<long> _bytesDownloaded;
    private readonly Counter<long> _piecesVerified;
    private readonly Counter<long> _hashFailures;
    private readonly Counter<long> _peersDropped;

    /// <summary>Counters on a meter from <paramref name="meterFactory"/>, or on a meter of their own when null.</summary>
    public TransferMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _bytesDownloaded = _meter.CreateCounter<long>("fileswarm.transfers.bytes_downloaded", "By", "Block bytes received from peers, duplicates included.");
        _piecesVerified = _meter.CreateCounter<long>("fileswarm.transfers.pieces_verified", "{piece}", "Pieces whose SHA-1 matched.");
        _hashFailures = _meter.CreateCounter<long>("fileswarm.transfers.hash_failures", "{piece}", "Pieces whose SHA-1 did not match.");
        _peersDropped = _meter.CreateCounter<long>("fileswarm.transfers.peers_dropped", "{peer}", "Peers dropped for a file (bad data or repeated failures).");
    }

    /// <summary>The instance downloads use unless their options name another.</summary>
    public static TransferMetrics Shared { get; } = new();

    internal Meter Meter => _meter;

    internal void BytesDownloaded(long bytes) => _bytesDownloaded.Add(bytes);

    internal void PieceVerified() => _piecesVerified.Add(1);

    internal void HashFailure() => _hashFailures.Add(1);

    internal void PeerDropped(string reason) => _peersDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}
