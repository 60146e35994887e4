using System.Threading.Channels;
using FileSwarm.Etcd;
using FileSwarm.Etcd.Protocol;
using FileSwarm.Rpc;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Tracker.Registry.Internal;

/// <summary>
/// The etcd registry's single writer. Announces queue their key's new value (<see cref="TryEnqueue"/>) and return; the
/// writer sends whatever is waiting as one transaction (up to etcd's operation and size limits), and the next batch
/// once that one is answered and the flush interval since it started has passed (at once when a full transaction's
/// worth is waiting): when idle a write goes out at once, and under load batches gather meanwhile. A failed transaction is retried (with the client's back-off)
/// until it lands, so accepted writes are not lost while etcd is down; the queue is bounded, and a full queue refuses
/// new keys instead of growing.
/// </summary>
internal sealed class EtcdRegistryWriter : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly int _capacity;
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

    /// <param name="written">Called after each transaction lands, with its writes and its revision.</param>
    public EtcdRegistryWriter(EtcdClient client, int capacity, TimeSpan flushInterval, Action<IReadOnlyList<PendingWrite>, long> written, ILogger logger)
    {
        _client = client;
        _capacity = capacity;
        _flushInterval = flushInterval;
        _written = written;
        _logger = logger;
        _backlog = new WriteBacklog(client.Options.MaxTxnOps, client.Options.MaxRequestBytes - 4096);
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>Keys waiting to be written (not counting the transaction in flight).</summary>
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

    /// <summary>Transactions that landed, and the writes they carried.</summary>
    public (long Transactions, long Writes) Landed => (Interlocked.Read(ref _transactions), Interlocked.Read(ref _writesLanded));

    /// <summary>Queues a write unless the queue is full and its key is not already waiting.</summary>
    public bool TryEnqueue(PendingWrite write)
    {
        lock (_gate)
        {
            if (_backlog.Count >= _capacity && !_backlog.Contains(write.InfoHash, write.Slot))
            {
                return false;
            }

            _backlog.Add(write);
        }

        _wake.Writer.TryWrite(true);
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
    }

    private async Task RunAsync()
    {
        try
        {
            do
            {
                _wake.Reader.TryRead(out _);
                await DrainAsync();
            }
            while (await _wake.Reader.WaitToReadAsync(_abandon.Token));

            await DrainAsync();
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            _logger.EtcdWritesAbandoned(Queued, _failure ?? "stopping");
        }
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<PendingWrite> batch;
            lock (_gate)
            {
                batch = _backlog.Take();
            }

            if (batch.Count == 0)
            {
                return;
            }

            var time = _client.Options.TimeProvider;
            var started = time.GetTimestamp();
            var revision = await WriteAsync(batch);
            Interlocked.Increment(ref _transactions);
            Interlocked.Add(ref _writesLanded, batch.Count);
            _written(batch, revision);
            var rest = _flushInterval - time.GetElapsedTime(started);
            if (rest > TimeSpan.Zero && Queued < _client.Options.MaxTxnOps)
            {
                await Task.Delay(rest, time, _abandon.Token);
            }
        }
    }

    /// <summary>One transaction of the batch, retried until etcd applies it; returns its revision.</summary>
    private async Task<long> WriteAsync(List<PendingWrite> batch)
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

                return response.Header.Revision;
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
