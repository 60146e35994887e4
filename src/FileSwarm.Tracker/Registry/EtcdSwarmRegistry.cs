using FileSwarm.Core;
using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;
using FileSwarm.Etcd;
using FileSwarm.Etcd.Protocol;
using FileSwarm.Rpc;
using FileSwarm.Tracker.Registry.Internal;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Tracker.Registry;

/// <summary>
/// The registry in etcd (layout in <see cref="EtcdRegistryLayout"/>), so that several tracker processes serve the same
/// swarms. Every answer comes from a local cache of the prefix that one etcd watch keeps current (listed at start and
/// again after a compaction the watch fell behind), so an announce never waits for etcd: it updates the cache at once
/// and queues its key's new value for a single writer that sends batches of changes as transactions (see
/// <see cref="EtcdRegistryWriter"/>). Another tracker sees an announce once that batch lands and its watch delivers it,
/// typically within milliseconds. Registration is the one synchronous write (a transaction, first registration wins).
/// When etcd is slow or down, answers keep coming from the cache and queued writes wait; a full queue refuses new peers
/// with UNAVAILABLE or RESOURCE_EXHAUSTED. Expiry is by last-seen time stamped from this registry's
/// <see cref="TimeProvider"/> (wall clock, shared by the trackers), exactly as in memory; <see cref="SweepAsync"/>
/// deletes what expired (any tracker may sweep, and the others' caches follow through the watch).
/// </summary>
public sealed partial class EtcdSwarmRegistry : ISwarmRegistry
{
    private readonly EtcdClient _client;
    private readonly bool _ownsClient;
    private readonly SwarmRegistryOptions _options;
    private readonly TimeProvider _time;
    private readonly EtcdRegistryLayout _keys;
    private readonly EtcdSwarmCache _cache;
    private readonly EtcdRegistryWriter _writer;
    private readonly EtcdWatcher _watcher;
    private readonly Task _firstSync;
    private readonly long _ttlMs;
    private int _disposed;

    /// <param name="client">The etcd client; disposed with the registry when <paramref name="ownsClient"/>.</param>
    /// <param name="etcdOptions">The key prefix, the write queue's bound, the transactions in flight and the writer's pace.</param>
    public EtcdSwarmRegistry(EtcdClient client, SwarmRegistryOptions? options = null, TimeProvider? timeProvider = null, EtcdRegistryOptions? etcdOptions = null, bool ownsClient = false)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options ?? new SwarmRegistryOptions();
        _options.Validate();
        etcdOptions ??= new EtcdRegistryOptions();
        etcdOptions.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _ttlMs = (long)Math.Min(long.MaxValue / 2, _options.PeerTtl.TotalMilliseconds);
        _keys = new EtcdRegistryLayout(etcdOptions.Prefix);
        _ownsClient = ownsClient;
        var logger = (client.Options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<EtcdSwarmRegistry>();
        _cache = new EtcdSwarmCache(_keys);
        _writer = new EtcdRegistryWriter(client, etcdOptions.MaxQueuedWrites, etcdOptions.MaxTransactionsInFlight, etcdOptions.FlushInterval, _cache.Settle, logger);
        _watcher = EtcdWatcher.Start(client, _keys.Prefix, _cache.ApplyAsync);
        _firstSync = _watcher.WaitSyncedAsync();
    }

    /// <summary>Where the state lives, for messages.</summary>
    public string Description => $"etcd at {_client.Description} under {_keys.Prefix}";

    /// <summary>Peer keys whose changes wait for etcd (not counting the transactions in flight).</summary>
    public int QueuedWrites => _writer.Queued;

    /// <summary>Announces whose write replaced a waiting write of the same key instead of adding one.</summary>
    public long CollapsedWrites => _writer.Collapsed;

    /// <summary>Announces refused because the write queue was full (<see cref="EtcdRegistryOptions.MaxQueuedWrites"/>).</summary>
    public long RefusedWrites => _writer.Refused;

    /// <summary>Transactions of queued writes that etcd applied, and the writes they carried.</summary>
    public (long Transactions, long Writes) WritesLanded => _writer.Landed;

    /// <summary>True while the watch that feeds the cache is open and caught up.</summary>
    public bool IsWatching => _watcher.IsSynced;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writer.DisposeAsync();
        await _watcher.DisposeAsync();
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <summary>Completes at once after the first listing; before it, waits for it up to the client's request timeout.</summary>
    private ValueTask SyncedAsync(CancellationToken cancellationToken) =>
        _firstSync.IsCompletedSuccessfully ? ValueTask.CompletedTask : WaitForFirstSyncAsync(cancellationToken);

    private async ValueTask WaitForFirstSyncAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_client.Options.RequestTimeout);
        try
        {
            await _firstSync.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EtcdException(StatusCode.Unavailable, _watcher.LastError ?? $"etcd at {_client.Description} cannot be reached (no listing of {_keys.Prefix} within {_client.Options.RequestTimeout.TotalSeconds} s)");
        }
    }

    private async ValueTask<RegisterResult> RegisterFileCoreAsync(TorrentMetainfo metainfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metainfo);
        var file = CatalogFile.From(metainfo);
        if (file.Torrent.Length > _client.Options.MaxRequestBytes - 4096)
        {
            throw new ArgumentException($"a handler of {file.Torrent.Length} bytes does not fit in one etcd request ({_client.Options.MaxRequestBytes} bytes)", nameof(metainfo));
        }

        var fileKey = EtcdKeys.Key(_keys.File(file.InfoHash));
        var txn = new TxnRequest
        {
            Compare = { NotCreated(fileKey) },
            Success =
            {
                Put(fileKey, ByteString.CopyFrom(file.Torrent.Span)),
            },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = fileKey } } },
        };
        if (file.ContentSha1 is { } sha1)
        {
            // First handler with this content wins the index entry, atomically with its own registration.
            var indexKey = EtcdKeys.Key(_keys.ContentSha1(sha1));
            txn.Success.Add(new RequestOp
            {
                RequestTxn = new TxnRequest { Compare = { NotCreated(indexKey) }, Success = { Put(indexKey, ByteString.CopyFromUtf8(file.InfoHash.ToString())) } },
            });
        }

        var response = await _client.TxnAsync(txn, cancellationToken);
        if (response.Succeeded)
        {
            _cache.Catalog.Add(file, indexContent: false);
            if (file.ContentSha1 is { } indexed && response.Responses[^1].ResponseTxn is { Succeeded: true })
            {
                _cache.Catalog.IndexContent(indexed, file.InfoHash);
            }

            return new RegisterResult(file, true);
        }

        var existing = response.Responses[0].ResponseRange.Kvs;
        if (existing.Count == 0)
        {
            return new RegisterResult(file, false);
        }

        var registered = Parse(existing[0].Value);
        return new RegisterResult(_cache.Catalog.Add(registered, indexContent: false).File, false);
    }

    private async ValueTask<CatalogFile?> FindFileCoreAsync(Sha1Hash hash, CancellationToken cancellationToken = default)
    {
        await SyncedAsync(cancellationToken);
        return _cache.Catalog.Find(hash) ?? await ReadThroughAsync(hash, cancellationToken);
    }

    private async ValueTask<FilePage> ListFilesCoreAsync(FileQuery query, CancellationToken cancellationToken = default)
    {
        await SyncedAsync(cancellationToken);
        return _cache.Catalog.List(query);
    }

    private async ValueTask<RegistryStats> GetStatsCoreAsync(CancellationToken cancellationToken = default)
    {
        await SyncedAsync(cancellationToken);
        return _cache.Stats();
    }

    /// <summary>
    /// A hash the cache does not know may have been registered on another tracker a moment ago (its watch event still
    /// on the way): ask etcd once, by info-hash and by content SHA-1, and keep what it has.
    /// </summary>
    private async ValueTask<CatalogFile?> ReadThroughAsync(Sha1Hash hash, CancellationToken cancellationToken)
    {
        var response = await _client.TxnAsync(
            new TxnRequest
            {
                Success =
                {
                    new RequestOp { RequestRange = new RangeRequest { Key = EtcdKeys.Key(_keys.File(hash)) } },
                    new RequestOp { RequestRange = new RangeRequest { Key = EtcdKeys.Key(_keys.ContentSha1(hash)) } },
                },
            },
            cancellationToken);
        if (response.Responses[0].ResponseRange.Kvs is [var byInfoHash, ..])
        {
            _cache.Catalog.Add(Parse(byInfoHash.Value), indexContent: false);
        }
        else if (response.Responses[1].ResponseRange.Kvs is [var index, ..] && Sha1Hash.TryParse(index.Value.ToStringUtf8(), out var infoHash))
        {
            if (await _client.GetAsync(_keys.File(infoHash), cancellationToken) is { } file)
            {
                _cache.Catalog.Add(Parse(file.Value), indexContent: false);
                _cache.Catalog.IndexContent(hash, infoHash);
            }
        }

        return _cache.Catalog.Find(hash);
    }

    private static CatalogFile Parse(ByteString torrent)
    {
        try
        {
            return CatalogFile.From(TorrentMetainfo.Parse(torrent.Memory));
        }
        catch (Exception e) when (e is BencodeFormatException or MetainfoFormatException)
        {
            throw new EtcdException(Rpc.StatusCode.DataLoss, $"a handler stored in etcd does not parse: {e.Message}", e);
        }
    }

    private static Compare NotCreated(ByteString key) =>
        new() { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 };

    private static RequestOp Put(ByteString key, ByteString value) => new() { RequestPut = new PutRequest { Key = key, Value = value } };
}
