using FileSwarm.Etcd.Internal;
using FileSwarm.Etcd.Protocol;
using FileSwarm.Rpc;

namespace FileSwarm.Etcd;

/// <summary>What a watcher hands its owner: either a full listing to replace everything with, or events in order.</summary>
/// <param name="Revision">The store revision the owner is now up to date with.</param>
/// <param name="Events">Changes since the previous update, in revision order (empty for a listing).</param>
/// <param name="Listing">When not null, every key under the prefix at <paramref name="Revision"/>: start over from it.</param>
public sealed record WatchUpdate(long Revision, IReadOnlyList<Event> Events, IReadOnlyList<KeyValue>? Listing);

/// <summary>
/// Follows every key under a prefix: lists it, then watches from the listing's revision + 1 over the bidirectional
/// Watch stream. When the stream breaks it is opened again (on the next endpoint) from the last revision delivered + 1,
/// so no event is missed or delivered twice; when that revision has been compacted away (etcd cancels the watch with
/// a compact revision) it lists the prefix again and delivers the listing. Updates are delivered one at a time.
/// </summary>
public sealed class EtcdWatcher : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly string _prefix;
    private readonly Func<WatchUpdate, CancellationToken, ValueTask> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private long _next;
    private int _failures;
    private volatile bool _synced;
    private volatile string? _lastError;
    private long _reconnects;
    private long _listings;

    private EtcdWatcher(EtcdClient client, string prefix, Func<WatchUpdate, CancellationToken, ValueTask> handler, long fromRevision)
    {
        _client = client;
        _prefix = prefix;
        _handler = handler;
        _next = fromRevision;
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>
    /// Starts following <paramref name="prefix"/>. Without <paramref name="fromRevision"/> the first update is the
    /// listing; with it the owner already holds everything before that revision and only events follow (or a listing,
    /// when that revision has been compacted).
    /// </summary>
    public static EtcdWatcher Start(EtcdClient client, string prefix, Func<WatchUpdate, CancellationToken, ValueTask> handler, long fromRevision = 0)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfNegative(fromRevision);
        return new EtcdWatcher(client, prefix, handler, fromRevision);
    }

    /// <summary>True while the watch stream is open and every update up to it has been delivered.</summary>
    public bool IsSynced => _synced;

    /// <summary>Why the watch is not synced, when it is not.</summary>
    public string? LastError => _lastError;

    /// <summary>The last revision delivered.</summary>
    public long Revision => Interlocked.Read(ref _next) - 1;

    /// <summary>Times the stream was opened again after it broke.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Listings delivered: 1 at start, one more after each compaction the watch fell behind.</summary>
    public long Listings => Interlocked.Read(ref _listings);

    /// <summary>Completes once the first listing is delivered and the watch is open.</summary>
    public Task WaitSyncedAsync(CancellationToken cancellationToken = default) => _firstSync.Task.WaitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var needsListing = Interlocked.Read(ref _next) == 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (needsListing)
                {
                    var (kvs, revision) = await _client.GetPrefixAsync(_prefix, cancellationToken);
                    await DeliverAsync(new WatchUpdate(revision, [], kvs), cancellationToken);
                    Interlocked.Exchange(ref _next, revision + 1);
                    Interlocked.Increment(ref _listings);
                    needsListing = false;
                }

                needsListing = await WatchAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _synced = false;
                _lastError = e.Message;
                Interlocked.Increment(ref _reconnects);
                _client.Metrics.Count(EtcdOperation.StreamReconnect);
                var delay = _client.RetryDelay(_failures++);
                _client.Logger.StreamBroken($"watch {_prefix}", e.Message, (long)delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, _client.Time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        _synced = false;
        _lastError = "the watch was stopped";
    }

    /// <summary>Watches from <see cref="_next"/> until the stream breaks (throws) or etcd compacted past it (returns true).</summary>
    private async Task<bool> WatchAsync(CancellationToken cancellationToken)
    {
        var (call, endpoint) = _client.OpenStream(EtcdMethods.Watch, cancellationToken);
        using (call)
        {
            var start = Interlocked.Read(ref _next);
            _client.Logger.WatchStarting(_prefix, start);
            _client.Metrics.Count(EtcdOperation.WatchCreate);
            try
            {
                await call.RequestStream.WriteAsync(
                    new WatchRequest
                    {
                        CreateRequest = new WatchCreateRequest
                        {
                            Key = EtcdKeys.Key(_prefix),
                            RangeEnd = EtcdKeys.PrefixEnd(_prefix),
                            StartRevision = start,
                            ProgressNotify = true,
                            Fragment = true,
                        },
                    },
                    cancellationToken);
                var pending = new List<Event>();
                while (await call.ResponseStream.MoveNext(cancellationToken))
                {
                    var response = call.ResponseStream.Current;
                    if (response.CompactRevision != 0)
                    {
                        _client.Logger.WatchCompacted(_prefix, response.CompactRevision);
                        _synced = false;
                        return true;
                    }

                    if (response.Canceled)
                    {
                        throw new EtcdException(StatusCode.Aborted, $"etcd cancelled the watch on {_prefix}: {response.CancelReason}");
                    }

                    if (response.Created)
                    {
                        if (_failures > 0)
                        {
                            _client.Logger.StreamRestored($"watch {_prefix}");
                        }

                        _failures = 0;
                        _lastError = null;
                        _synced = true;
                        _firstSync.TrySetResult();
                        continue;
                    }

                    pending.AddRange(response.Events);
                    if (response.Fragment)
                    {
                        continue;
                    }

                    if (pending.Count > 0)
                    {
                        _client.Metrics.Count(EtcdOperation.WatchEvents);
                        var last = pending[^1].Kv.ModRevision;
                        await DeliverAsync(new WatchUpdate(last, pending, null), cancellationToken);
                        Interlocked.Exchange(ref _next, last + 1);
                        pending = [];
                    }
                    else if (response.Header is { } header && header.Revision >= Interlocked.Read(ref _next))
                    {
                        // A progress notification: nothing under the prefix changed up to this revision.
                        Interlocked.Exchange(ref _next, header.Revision + 1);
                    }
                }
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (e.StatusCode == StatusCode.OutOfRange)
                {
                    _client.Logger.WatchCompacted(_prefix, 0);
                    return true;
                }

                _client.Rotate(endpoint, e.Status.Detail);
                throw _client.Translate(e, "watch");
            }

            throw new EtcdException(StatusCode.Unavailable, $"etcd at {_client.Description} ended the watch stream");
        }
    }

    private async Task DeliverAsync(WatchUpdate update, CancellationToken cancellationToken)
    {
        try
        {
            await _handler(update, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The owner's bug must not stop the watch, nor make it replay the update forever.
            _client.Logger.WatchHandlerFailed(_prefix, e);
        }
    }
}
