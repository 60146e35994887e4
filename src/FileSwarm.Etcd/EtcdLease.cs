using FileSwarm.Etcd.Internal;
using FileSwarm.Etcd.Protocol;
using FileSwarm.Rpc;

namespace FileSwarm.Etcd;

/// <summary>
/// A lease kept alive over etcd's bidirectional LeaseKeepAlive stream: a renewal every TTL/3, the stream reopened (on
/// the next endpoint) when it breaks. When the lease is lost all the same — etcd answers TTL 0, or no renewal got
/// through within the TTL — a new lease is granted and <c>restore</c> runs with its id so the owner can write its
/// keys again; <see cref="Id"/> always names the current lease. Disposing stops the renewals and revokes the lease,
/// which deletes its keys at once.
/// </summary>
public sealed class EtcdLease : IAsyncDisposable
{
    private static readonly TimeSpan MinRenewInterval = TimeSpan.FromMilliseconds(500);

    private readonly EtcdClient _client;
    private readonly TimeSpan _requestedTtl;
    private readonly Func<long, CancellationToken, Task>? _restore;
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time;
    private long _id;
    private long _grantedTicks;
    private long _lastRenewedTicks;
    private int _failures;
    private long _renewals;
    private int _regrants;
    private volatile bool _lost;
    private bool _restorePending;
    private volatile bool _streamBroken;
    private Task _loop = Task.CompletedTask;

    private EtcdLease(EtcdClient client, TimeSpan ttl, long id, TimeSpan granted, Func<long, CancellationToken, Task>? restore)
    {
        _client = client;
        _requestedTtl = ttl;
        _restore = restore;
        _time = client.Time;
        _id = id;
        _grantedTicks = granted.Ticks;
        _lastRenewedTicks = _time.GetUtcNow().UtcTicks;
    }

    /// <summary>The current lease's id (it changes when a lost lease is replaced).</summary>
    public long Id => Interlocked.Read(ref _id);

    /// <summary>The TTL etcd granted or last renewed to.</summary>
    public TimeSpan Ttl => TimeSpan.FromTicks(Interlocked.Read(ref _grantedTicks));

    /// <summary>Keep-alive answers received.</summary>
    public long Renewals => Interlocked.Read(ref _renewals);

    /// <summary>Times the lease was lost and granted again.</summary>
    public int Regrants => Volatile.Read(ref _regrants);

    /// <summary>
    /// Grants a lease of <paramref name="ttl"/> and starts keeping it alive. <paramref name="restore"/>, when given,
    /// runs after each re-grant with the new id (retried until it succeeds); the first keys are the caller's to write.
    /// </summary>
    public static async Task<EtcdLease> GrantAsync(EtcdClient client, TimeSpan ttl, Func<long, CancellationToken, Task>? restore = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (id, granted) = await client.GrantLeaseAsync(ttl, cancellationToken);
        client.Logger.LeaseGranted(id, (long)granted.TotalSeconds);
        var lease = new EtcdLease(client, ttl, id, granted, restore);
        lease._loop = Task.Run(() => lease.RunAsync(lease._stop.Token), CancellationToken.None);
        return lease;
    }

    /// <summary>Stops renewing and revokes the lease (best effort: when etcd is unreachable the lease simply expires).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        try
        {
            using var timeout = new CancellationTokenSource(_client.Options.RequestTimeout);
            await _client.RevokeLeaseAsync(Id, timeout.Token);
        }
        catch (Exception e) when (e is EtcdException or OperationCanceledException)
        {
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (_lost)
                {
                    var (id, granted) = await _client.GrantLeaseAsync(_requestedTtl, cancellationToken);
                    Interlocked.Exchange(ref _id, id);
                    Interlocked.Exchange(ref _grantedTicks, granted.Ticks);
                    Interlocked.Exchange(ref _lastRenewedTicks, _time.GetUtcNow().UtcTicks);
                    Interlocked.Increment(ref _regrants);
                    _client.Logger.LeaseGranted(id, (long)granted.TotalSeconds);
                    _lost = false;
                    _restorePending = _restore is not null;
                }

                if (_restorePending)
                {
                    await _restore!(Id, cancellationToken);
                    _restorePending = false;
                }

                await KeepAliveAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
            {
                if (_restorePending && !_lost)
                {
                    _client.Logger.LeaseRestoreFailed(Id, e.Message);
                }
                else
                {
                    _streamBroken = true;
                    _client.Metrics.Count(EtcdOperation.StreamReconnect);
                }

                var delay = _client.RetryDelay(_failures++);
                _client.Logger.StreamBroken("lease keep-alive", e.Message, (long)delay.TotalMilliseconds);
                await DelayAsync(delay, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (!_lost && SinceRenewal() >= Ttl)
            {
                _lost = true;
                _client.Logger.LeaseLost(Id, "no renewal got through within its TTL");
            }
        }
    }

    /// <summary>Renews over one stream until the lease is lost (returns) or the stream breaks (throws).</summary>
    private async Task KeepAliveAsync(CancellationToken cancellationToken)
    {
        var (call, endpoint) = _client.OpenStream(EtcdMethods.LeaseKeepAlive, cancellationToken);
        using var readerStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<Exception?>? reader = null;
        try
        {
            reader = ReadAsync(call.ResponseStream, readerStop.Token);
            while (true)
            {
                _client.Metrics.Count(EtcdOperation.LeaseKeepAlive);
                await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = Id }, cancellationToken);
                var interval = Ttl / 3 < MinRenewInterval ? MinRenewInterval : Ttl / 3;
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var done = await Task.WhenAny(Task.Delay(interval, _time, tick.Token), reader);
                await tick.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
                if (done == reader)
                {
                    if (_lost)
                    {
                        return;
                    }

                    var error = await reader;
                    if (error is RpcException rpc)
                    {
                        _client.Rotate(endpoint, rpc.Status.Detail);
                        throw _client.Translate(rpc, "keep-alive");
                    }

                    throw new EtcdException(StatusCode.Unavailable, "etcd ended the keep-alive stream", error);
                }

                if (SinceRenewal() >= Ttl)
                {
                    return;
                }
            }
        }
        finally
        {
            await readerStop.CancelAsync();
            call.Dispose();
            if (reader is not null)
            {
                await reader;
            }
        }
    }

    /// <summary>Reads renewals until the stream ends or fails (the failure is returned) or etcd says the lease is gone.</summary>
    private async Task<Exception?> ReadAsync(IAsyncStreamReader<LeaseKeepAliveResponse> responses, CancellationToken cancellationToken)
    {
        try
        {
            while (await responses.MoveNext(cancellationToken))
            {
                var response = responses.Current;
                if (response.ID != Id)
                {
                    continue;
                }

                if (response.TTL <= 0)
                {
                    _lost = true;
                    _client.Logger.LeaseLost(Id, "etcd no longer knows it");
                    return null;
                }

                Interlocked.Exchange(ref _grantedTicks, TimeSpan.FromSeconds(response.TTL).Ticks);
                Interlocked.Exchange(ref _lastRenewedTicks, _time.GetUtcNow().UtcTicks);
                Interlocked.Increment(ref _renewals);
                _failures = 0;
                if (_streamBroken)
                {
                    _streamBroken = false;
                    _client.Logger.StreamRestored("lease keep-alive");
                }
            }

            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private TimeSpan SinceRenewal() => TimeSpan.FromTicks(_time.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastRenewedTicks));

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
