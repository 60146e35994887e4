using System.Threading.Channels;
using FileSwarm.Etcd;
using FileSwarm.Etcd.Protocol;
using FileSwarm.Rpc;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Tracker.Registry.Internal;

/// <summary>
/// The etcd registry's single writer. Announces queue their key's new value (<see cref="TryEnqueue"/>) and return; the
/// writer sends what is waiting as transactions of up to etcd's operation and size limits. A full transaction's worth
/// goes at once, with up to <c>maxInFlight</c> transactions in flight (so etcd can commit several in one disk sync
/// instead of the writer waiting out each round trip); a partial one goes only when none is in flight and the flush
/// interval since the last one started has passed: when idle a write goes out at once, and under light load batches
/// gather meanwhile. A key in flight is not sent again until that transaction lands (<see cref="WriteBacklog"/>), as
/// etcd may apply concurrent transactions in any order. A failed transaction is retried (with the client's back-off)
/// until it lands, so accepted writes are not lost while etcd is down; the queue is bounded, and a full queue refuses
/// new keys instead of growing.
/// </summary>
internal sealed class EtcdRegistryWriter : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly int _capacity;
    private readonly int _maxInFlight;
    private readonly TimeSpan _flushInterval;
    private readonly Action<IReadOnlyList<PendingWrite>, long> _written;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly WriteBacklog _backlog;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _loop;
    private volatile string? _failure;
    private long _transactions;
    private long _writesLanded;
    private long _refused;
    private int _peakQueued;
    private int _peakInFlight;
    private long _lastStart;

    /// <param name="written">Called after each transaction lands, with its writes and its revision.</param>
    public EtcdRegistryWriter(EtcdClient client, int capacity, int maxInFlight, TimeSpan flushInterval, Action<IReadOnlyList<PendingWrite>, long> written, ILogger logger)
    {
        _client = client;
        _capacity = capacity;
        _maxInFlight = maxInFlight;
        _flushInterval = flushInterval;
        _written = written;
        _logger = logger;
        _backlog = new WriteBacklog(client.Options.MaxTxnOps, client.Options.MaxRequestBytes - 4096);
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>Keys waiting to be written (not counting the transactions in flight).</summary>
    public int Queued
    {
        get
        {
            lock (_gate)
            {
                return _backlog.Count;
            }
        }
    }

    /// <summary>Writes that replaced a waiting write of the same key instead of adding one.</summary>
    public long Collapsed
    {
        get
        {
            lock (_gate)
            {
                return _backlog.Collapsed;
            }
        }
    }

    /// <summary>Writes refused because the queue was full (their announces failed).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Transactions that landed, and the writes they carried.</summary>
    public (long Transactions, long Writes) Landed => (Interlocked.Read(ref _transactions), Interlocked.Read(ref _writesLanded));

    /// <summary>Queues a write unless the queue is full and its key is not already waiting.</summary>
    public bool TryEnqueue(PendingWrite write)
    {
        bool wake;
        lock (_gate)
        {
            if (_backlog.Count >= _capacity && !_backlog.Contains(write.InfoHash, write.Slot))
            {
                Interlocked.Increment(ref _refused);
                return false;
            }

            var ready = _backlog.Ready;
            _backlog.Add(write);
            _peakQueued = Math.Max(_peakQueued, _backlog.Count);
            // The loop needs waking only when work appears or a full transaction's worth gathers; it looks again
            // whenever a transaction lands.
            wake = _backlog.Ready > ready && (ready == 0 || _backlog.Ready == _client.Options.MaxTxnOps);
        }

        if (wake)
        {
            _wake.Writer.TryWrite(true);
        }

        return true;
    }

    /// <summary>Why <see cref="TryEnqueue"/> refused: etcd unreachable (UNAVAILABLE) or slower than the announces (RESOURCE_EXHAUSTED).</summary>
    public RpcException Full()
    {
        var failure = _failure;
        return failure is null
            ? new RpcException(StatusCode.ResourceExhausted, $"the tracker's registry: {_capacity} writes are waiting for etcd at {_client.Description}, which is not keeping up; retry later")
            : new RpcException(StatusCode.Unavailable, $"the tracker's registry: {_capacity} writes are waiting for etcd, which fails ({failure}); retry later");
    }

    /// <summary>Writes what is waiting, giving up after the client's request timeout (etcd down at shutdown).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_wake.Writer.TryComplete())
        {
            return;
        }

        _abandon.CancelAfter(_client.Options.RequestTimeout);
        await _loop;
        _abandon.Dispose();
        var (transactions, writes) = Landed;
        int peakQueued;
        lock (_gate)
        {
            peakQueued = _peakQueued;
        }

        _logger.EtcdWriterSummary(transactions, writes, transactions == 0 ? 0 : (double)writes / transactions, _peakInFlight, _maxInFlight, peakQueued, _capacity, Collapsed, Refused);
    }

    private async Task RunAsync()
    {
        var inFlight = new List<Task<List<PendingWrite>>>(_maxInFlight);
        var time = _client.Options.TimeProvider;
        Task<bool>? wake = null;
        Task? pace = null;
        var stopping = false;
        try
        {
            while (true)
            {
                while (inFlight.Count < _maxInFlight && TakeBatch(inFlight.Count == 0, stopping) is { Count: > 0 } batch)
                {
                    _lastStart = time.GetTimestamp();
                    inFlight.Add(WriteAsync(batch));
                    _peakInFlight = Math.Max(_peakInFlight, inFlight.Count);
                }

                if (stopping && inFlight.Count == 0 && Queued == 0)
                {
                    return;
                }

                var waits = new List<Task>(inFlight.Count + 2);
                waits.AddRange(inFlight);
                if (!stopping)
                {
                    wake ??= _wake.Reader.WaitToReadAsync(_abandon.Token).AsTask();
                    waits.Add(wake);
                }

                if (inFlight.Count == 0 && pace is null && IsReady())
                {
                    // A partial batch waits out the rest of the flush interval.
                    var rest = _flushInterval - time.GetElapsedTime(_lastStart);
                    pace = Task.Delay(rest > TimeSpan.Zero ? rest : TimeSpan.Zero, time, _abandon.Token);
                }

                if (pace is not null)
                {
                    waits.Add(pace);
                }

                var done = await Task.WhenAny(waits);
                if (done == wake)
                {
                    stopping = !await wake;
                    _wake.Reader.TryRead(out _);
                    wake = null;
                }
                else if (done == pace)
                {
                    await pace;
                    pace = null;
                }
                else
                {
                    var landed = (Task<List<PendingWrite>>)done;
                    inFlight.Remove(landed);
                    var batch = await landed;
                    lock (_gate)
                    {
                        _backlog.Landed(batch);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            _logger.EtcdWritesAbandoned(Queued, _failure ?? "stopping");
        }
    }

    private bool IsReady()
    {
        lock (_gate)
        {
            return _backlog.Ready > 0;
        }
    }

    /// <summary>The next batch, if one may go: a full one at any time, a partial one when idle and paced (or stopping).</summary>
    private List<PendingWrite>? TakeBatch(bool idle, bool stopping)
    {
        var paced = idle && (stopping || _client.Options.TimeProvider.GetElapsedTime(_lastStart) >= _flushInterval);
        lock (_gate)
        {
            return _backlog.Ready >= _client.Options.MaxTxnOps || (paced && _backlog.Ready > 0) ? _backlog.Take() : null;
        }
    }

    /// <summary>One transaction of the batch, retried until etcd applies it; settles the cache and returns the batch.</summary>
    private async Task<List<PendingWrite>> WriteAsync(List<PendingWrite> batch)
    {
        var txn = new TxnRequest();
        foreach (var write in batch)
        {
            txn.Success.Add(write.Value is null
                ? new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = write.Key } }
                : new RequestOp { RequestPut = new PutRequest { Key = write.Key, Value = write.Value } });
        }

        for (var failures = 0; ; failures++)
        {
            try
            {
                var response = await _client.TxnAsync(txn, _abandon.Token);
                if (failures > 0)
                {
                    _failure = null;
                    _logger.EtcdWritesResumed(failures, Queued);
                }

                Interlocked.Increment(ref _transactions);
                Interlocked.Add(ref _writesLanded, batch.Count);
                _written(batch, response.Header.Revision);
                return batch;
            }
            catch (Exception e) when (e is not OperationCanceledException || !_abandon.IsCancellationRequested)
            {
                // Whatever failed, the batch is kept and tried again: the writer must outlive any one failure.
                _failure = e.Message;
                var delay = _client.RetryDelay(failures);
                if (failures == 0)
                {
                    _logger.EtcdWritesFailing(batch.Count, Queued, e.Message);
                }

                await Task.Delay(delay, _client.Options.TimeProvider, _abandon.Token);
            }
        }
    }
}
