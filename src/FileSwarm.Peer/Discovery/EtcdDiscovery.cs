using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using FileSwarm.Core;
using FileSwarm.Core.Metainfo;
using FileSwarm.Etcd;
using FileSwarm.Etcd.Protocol;
using FileSwarm.Peer.Transfers;
using FileSwarm.Protocol;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Discovery;

/// <summary>
/// Serverless discovery through etcd (layout in <see cref="EtcdDiscoveryLayout"/>). The peer registers under a lease
/// kept alive by <see cref="EtcdLease"/>; what it offers (handlers, bitfields) is written under the same lease, collected
/// for <see cref="EtcdDiscoveryOptions.PublishDelay"/> and written in batched transactions, and only when it changed.
/// Every question (find, list, who holds a file) is answered from a cache fed by one watch on the prefix. When etcd
/// cannot be reached, listings and announces fail with <see cref="PeerErrorKind.Unavailable"/> while downloads keep the
/// peers they know; what changed meanwhile is written when etcd is back (under a new lease if the old one expired).
/// </summary>
public sealed class EtcdDiscovery : IDiscovery, IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly EtcdDiscoveryOptions _options;
    private readonly Func<DiscoveryIdentity> _identity;
    private readonly ILogger _logger;
    private readonly EtcdDiscoveryLayout _keys;
    private readonly EtcdDiscoveryCache _cache;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ByteString> _published = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private EtcdLease? _lease;
    private EtcdWatcher? _watcher;
    private Task _publisher = Task.CompletedTask;
    private Task _metricsLog = Task.CompletedTask;
    private string? _address;

    public EtcdDiscovery(EtcdDiscoveryOptions options, Func<DiscoveryIdentity> identity, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        _options = options;
        _identity = identity ?? throw new ArgumentNullException(nameof(identity));
        _logger = loggerFactory.CreateLogger("FileSwarm.Peer.Discovery");
        _client = new EtcdClient(new EtcdClientOptions
        {
            Endpoints = options.Endpoints,
            RequestTimeout = options.RequestTimeout,
            LoggerFactory = loggerFactory,
            TimeProvider = timeProvider ?? TimeProvider.System,
        });
        _keys = new EtcdDiscoveryLayout(options.Prefix);
        _cache = new EtcdDiscoveryCache(_keys);
        _cache.HandlerDeleted += OnHandlerDeleted;
    }

    public string Description => $"etcd at {_client.Description}";

    /// <summary>Complete files are re-announced at this interval; unchanged state costs no etcd write.</summary>
    public TimeSpan AnnounceInterval => TimeSpan.FromSeconds(30);

    public EtcdMetrics Metrics => _client.Metrics;

    /// <summary>The address published for this peer (known after <see cref="StartAsync"/>).</summary>
    public string? Address => _address;

    /// <summary>The current lease (it changes when a lost lease is granted again).</summary>
    public long LeaseId => _lease?.Id ?? 0;

    /// <summary>Registered peers as the cache sees them: id → address.</summary>
    public IReadOnlyDictionary<string, string> Peers => _cache.Peers;

    /// <summary>Grants the lease, registers this peer, and waits until the watch has listed the prefix.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var identity = _identity();
        _address = identity.AdvertiseAddress ?? $"{AdvertiseHost(_options.Endpoints)}:{identity.Port}";
        _lease = await EtcdLease.GrantAsync(_client, _options.LeaseTtl, RestoreAsync, cancellationToken);
        Set(_keys.Peer(identity.PeerId), EtcdDiscoveryLayout.PeerValue(_address));
        await FlushAsync(cancellationToken);
        _watcher = EtcdWatcher.Start(_client, _keys.Prefix, _cache.ApplyAsync);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout * 2);
        try
        {
            await _watcher.WaitSyncedAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PeerException(PeerErrorKind.Unavailable, $"{Description} cannot be watched ({_watcher.LastError})");
        }

        _publisher = Task.Run(() => PublishLoopAsync(_stop.Token), CancellationToken.None);
        _metricsLog = Task.Run(() => LogMetricsLoopAsync(_stop.Token), CancellationToken.None);
        _logger.Registered(_client.Description, identity.PeerId, _address, (long)_lease.Ttl.TotalSeconds, _keys.Prefix);
    }

    public async Task RegisterAsync(TorrentMetainfo metainfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metainfo);
        PublishHandler(metainfo);
        await FlushOrThrowAsync(cancellationToken);
    }

    public Task<TorrentMetainfo?> FindAsync(Sha1Hash hash, CancellationToken cancellationToken)
    {
        var found = _cache.Find(hash);
        if (found is null)
        {
            ThrowIfStale();
        }

        return Task.FromResult(found);
    }

    public Task<FilePage> ListAsync(int pageSize, string? pageToken, string? nameFilter, CancellationToken cancellationToken)
    {
        ThrowIfStale();
        (string, Sha1Hash)? after = null;
        if (!string.IsNullOrEmpty(pageToken))
        {
            after = DecodeToken(pageToken);
        }

        var (page, more, total) = _cache.List(Math.Max(1, pageSize), after, nameFilter);
        var next = more && page.Count > 0 ? EncodeToken(page[^1]) : null;
        return Task.FromResult(new FilePage(page.Select(m => m.ToSharedFileInfo()).ToList(), next, total));
    }

    public ISwarm GetSwarm(TorrentMetainfo metainfo) => new EtcdSwarm(this, metainfo);

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        await _publisher;
        await _metricsLog;
        if (_watcher is not null)
        {
            await _watcher.DisposeAsync();
        }

        // Revoking the lease deletes every key of this peer at once.
        if (_lease is not null)
        {
            await _lease.DisposeAsync();
        }

        _client.Dispose();
        _stop.Dispose();
    }

    /// <summary>
    /// The host to publish when none is given: loopback when every etcd endpoint is on loopback (a single-machine
    /// setup), else the local address the system routes to the first endpoint from, else the first non-loopback IPv4
    /// address of an interface that is up.
    /// </summary>
    internal static string AdvertiseHost(IReadOnlyList<Uri> endpoints)
    {
        if (endpoints.All(IsLoopback))
        {
            return "127.0.0.1";
        }

        foreach (var endpoint in endpoints)
        {
            if (IPAddress.TryParse(endpoint.Host, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork)
            {
                try
                {
                    // Connecting a UDP socket sends nothing; it only asks the routing table for the source address.
                    using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    probe.Connect(ip, endpoint.Port);
                    if (probe.LocalEndPoint is IPEndPoint local && !IPAddress.IsLoopback(local.Address))
                    {
                        return local.Address.ToString();
                    }
                }
                catch (SocketException)
                {
                }
            }
        }

        var primary = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        return primary?.ToString() ?? "127.0.0.1";
    }

    private static bool IsLoopback(Uri endpoint) =>
        endpoint.IsLoopback || (IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    internal void ThrowIfStale()
    {
        if (_watcher is not { IsSynced: true } watcher)
        {
            throw new PeerException(PeerErrorKind.Unavailable, $"{Description} cannot be reached ({_watcher?.LastError ?? "not started"}); is etcd running?");
        }
    }

    internal List<SwarmPeer> Holders(TorrentMetainfo metainfo) => _cache.Holders(metainfo, _identity().PeerId);

    internal async Task AnnounceAsync(TorrentMetainfo metainfo, SwarmEvent swarmEvent, Core.Pieces.Bitfield have, CancellationToken cancellationToken)
    {
        var key = _keys.FilePeer(metainfo.InfoHash, _identity().PeerId);
        if (swarmEvent == SwarmEvent.Stopped)
        {
            Remove(key);
            Remove(_keys.Handler(metainfo.InfoHash));
            if (metainfo.ContentSha1 is { } sha1)
            {
                Remove(_keys.ContentSha1(sha1));
            }

            await FlushOrThrowAsync(cancellationToken);
            return;
        }

        PublishHandler(metainfo);
        Set(key, EtcdDiscoveryLayout.FilePeerValue(_address ?? "", have.IsComplete, have.IsComplete ? default : have.AsSpan()));
        if (swarmEvent is SwarmEvent.Started or SwarmEvent.Completed)
        {
            await FlushOrThrowAsync(cancellationToken);
        }
        else
        {
            Wake();
        }
    }

    private void PublishHandler(TorrentMetainfo metainfo)
    {
        Set(_keys.Handler(metainfo.InfoHash), ByteString.CopyFrom(metainfo.ToBytes()));
        if (metainfo.ContentSha1 is { } sha1)
        {
            Set(_keys.ContentSha1(sha1), ByteString.CopyFromUtf8(metainfo.InfoHash.ToString()));
        }
    }

    private void Set(string key, ByteString value)
    {
        lock (_gate)
        {
            if (_published.TryGetValue(key, out var current) && current.Equals(value))
            {
                return;
            }

            _published[key] = value;
            _dirty.Add(key);
        }
    }

    private void Remove(string key)
    {
        lock (_gate)
        {
            if (_published.Remove(key))
            {
                _dirty.Add(key);
            }
        }
    }

    private void OnHandlerDeleted(Sha1Hash infoHash)
    {
        var key = _keys.Handler(infoHash);
        lock (_gate)
        {
            if (!_published.ContainsKey(key))
            {
                return;
            }

            // Written by us and by others; the last writer's lease ended or it left: we still offer it, so write it again.
            _dirty.Add(key);
        }

        Wake();
    }

    private async Task FlushOrThrowAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (EtcdException e)
        {
            Wake();
            throw new PeerException(PeerErrorKind.Unavailable, $"{Description} cannot be reached ({e.Message}); the change is written when it is back", e);
        }
    }

    /// <summary>Writes every changed key (puts under the current lease, deletes) in as few transactions as etcd allows.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            List<(string Key, ByteString? Value)> changes;
            lock (_gate)
            {
                changes = _dirty.Select(k => (k, _published.TryGetValue(k, out var v) ? v : null)).ToList();
                _dirty.Clear();
            }

            if (changes.Count == 0)
            {
                return;
            }

            var lease = _lease?.Id ?? 0;
            try
            {
                var transactions = await _client.ApplyBatchedAsync(
                    changes.Select(c => c.Value is { } value
                        ? new RequestOp { RequestPut = new PutRequest { Key = EtcdKeys.Key(c.Key), Value = value, Lease = lease } }
                        : new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdKeys.Key(c.Key) } }),
                    cancellationToken);
                _logger.Published(changes.Count, transactions);
            }
            catch (Exception)
            {
                lock (_gate)
                {
                    _dirty.UnionWith(changes.Select(c => c.Key));
                }

                throw;
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>After a re-grant: every key this peer publishes, written again under the new lease.</summary>
    private async Task RestoreAsync(long leaseId, CancellationToken cancellationToken)
    {
        int count;
        lock (_gate)
        {
            _dirty.UnionWith(_published.Keys);
            count = _dirty.Count;
        }

        await FlushAsync(cancellationToken);
        _logger.Republished(count);
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task PublishLoopAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(cancellationToken);
                // Collect what else changes meanwhile: many pieces, many files, one transaction.
                await Task.Delay(_options.PublishDelay, _client.Options.TimeProvider, cancellationToken);
                await FlushAsync(cancellationToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (EtcdException e)
            {
                int pending;
                lock (_gate)
                {
                    pending = _dirty.Count;
                }

                _logger.PublishFailed(pending, e.Message);
                Wake();
                try
                {
                    await Task.Delay(_client.RetryDelay(failures++), _client.Options.TimeProvider, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task LogMetricsLoopAsync(CancellationToken cancellationToken)
    {
        var before = _client.Metrics.Snapshot();
        using var timer = new PeriodicTimer(_options.MetricsLogInterval, _client.Options.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var after = _client.Metrics.Snapshot();
                var (text, total) = EtcdMetrics.Describe(before, after);
                _logger.OperationsPerInterval((long)_options.MetricsLogInterval.TotalSeconds, text, total);
                before = after;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string EncodeToken(TorrentMetainfo last) => Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(last.Name + "\0" + last.InfoHash));

    private static (string, Sha1Hash) DecodeToken(string token)
    {
        try
        {
            var text = System.Text.Encoding.UTF8.GetString(Convert.FromHexString(token));
            var split = text.LastIndexOf('\0');
            if (split >= 0 && Sha1Hash.TryParse(text.AsSpan(split + 1), out var infoHash))
            {
                return (text[..split], infoHash);
            }
        }
        catch (FormatException)
        {
        }

        throw new PeerException(PeerErrorKind.InvalidArgument, "the page token is not one this peer handed out");
    }

    private sealed class EtcdSwarm(EtcdDiscovery discovery, TorrentMetainfo metainfo) : ISwarm
    {
        public async Task<IReadOnlyList<SwarmPeer>> AnnounceAsync(SwarmEvent swarmEvent, Core.Pieces.Bitfield have, long uploaded, long downloaded, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(have);
            await discovery.AnnounceAsync(metainfo, swarmEvent, have, cancellationToken);
            if (swarmEvent == SwarmEvent.Stopped)
            {
                return [];
            }

            // The answer comes from the cache; a stale cache is an error, so the engine keeps the peers it has.
            discovery.ThrowIfStale();
            return discovery.Holders(metainfo);
        }
    }
}
