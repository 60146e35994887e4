using System.Net;
using FileSwarm.Rpc.Server;
using FileSwarm.Tracker.Internal;
using FileSwarm.Tracker.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Tracker;

/// <summary>
/// A running tracker: the <see cref="TrackerService"/> on an <see cref="RpcServer"/>, and the periodic sweep of
/// expired peers. What <c>fileswarm tracker</c> hosts, and what tests start in process.
/// </summary>
public sealed class TrackerServer : IAsyncDisposable
{
    private readonly TrackerOptions _options;
    private readonly ISwarmRegistry _registry;
    private readonly bool _ownsRegistry;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _ownsMetrics;
    private RpcServer? _server;
    private bool _stopped;
    private SwarmSweeper? _sweeper;

    /// <param name="registry">The registry to serve; null for a new <see cref="MemorySwarmRegistry"/>, which the server then owns and disposes.</param>
    public TrackerServer(TrackerOptions options, ISwarmRegistry? registry = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, TrackerMetrics? metrics = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _ownsRegistry = registry is null;
        _registry = registry ?? new MemorySwarmRegistry(options.ToRegistryOptions(), _time);
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("FileSwarm.Tracker");
        _ownsMetrics = metrics is null;
        Metrics = metrics ?? new TrackerMetrics();
        if (_registry is EtcdSwarmRegistry etcd)
        {
            Metrics.ObserveEtcdWrites(etcd);
        }
    }

    public TrackerMetrics Metrics { get; }

    public ISwarmRegistry Registry => _registry;

    /// <summary>The bound endpoint, with the real port; throws before start.</summary>
    public IPEndPoint EndPoint => _server is { EndPoints.Count: > 0 } server
        ? server.EndPoints[0]
        : throw new InvalidOperationException("The tracker has not started.");

    /// <summary>The URL to reach the tracker, e.g. <c>http://127.0.0.1:7070</c>.</summary>
    public Uri Address => _server?.Address ?? throw new InvalidOperationException("The tracker has not started.");

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_server is not null)
        {
            throw new InvalidOperationException("The tracker has already started.");
        }

        // The clock drives expiry and sweeps only; the transport's deadlines keep real time.
        var rpcOptions = new RpcServerOptions();
        rpcOptions.EndPoints.Add(_options.EndPoint);
        var service = new TrackerService(_registry, _options, _logger, Metrics);
        var server = new RpcServer(rpcOptions, _loggerFactory).AddService(service.Bind());
        try
        {
            await server.StartAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        _server = server;
        Metrics.Update(await _registry.GetStatsAsync(cancellationToken));
        _sweeper = new SwarmSweeper(_registry, _options.SweepInterval, _time, Metrics, _logger);
        _logger.Started(EndPoint.ToString(), _options.AnnounceInterval.TotalSeconds, _options.EffectivePeerTtl.TotalSeconds);
    }

    /// <summary>Stops accepting calls, lets calls in progress finish until <paramref name="cancellationToken"/>, and stops sweeping.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_sweeper is { } sweeper)
        {
            _sweeper = null;
            await sweeper.DisposeAsync();
        }

        if (_server is { } server && !_stopped)
        {
            _stopped = true;
            await server.StopAsync(cancellationToken);
            _logger.Stopped();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync();
        }

        if (_ownsRegistry)
        {
            await _registry.DisposeAsync();
        }

        if (_ownsMetrics)
        {
            Metrics.Dispose();
        }
    }
}
