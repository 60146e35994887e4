using FileSwarm.Peer.Discovery;
using FileSwarm.Peer.Transfers;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Library;

/// <summary>
/// Keeps every complete file of the library in its swarm: Started when it appears, Update at the back end's
/// interval, Stopped on a clean shutdown. Files being downloaded are announced by the engine instead. A back end
/// that forgot a file (a restarted tracker) gets it registered again by the swarm; failures are retried soon.
/// </summary>
public sealed class LibraryAnnouncer : IAsyncDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly PeerLibrary _library;
    private readonly IDiscovery _discovery;
    private readonly PeerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private Task _loop = Task.CompletedTask;

    public LibraryAnnouncer(PeerLibrary library, IDiscovery discovery, PeerOptions options, ILogger logger)
    {
        _library = library ?? throw new ArgumentNullException(nameof(library));
        _discovery = discovery ?? throw new ArgumentNullException(nameof(discovery));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = options.TimeProvider;
        _library.Changed += _ => Wake();
    }

    /// <summary>How often a file is announced: a little before the back end's interval, capped by the options.</summary>
    public TimeSpan Interval
    {
        get
        {
            var backEnd = _discovery.AnnounceInterval * 0.8;
            return backEnd < _options.MaxAnnounceInterval ? backEnd : _options.MaxAnnounceInterval;
        }
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Announces due files now rather than at the next tick.</summary>
    public void Wake()
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

    /// <summary>Stops the loop and tells the swarm this peer leaves every file.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await Task.WhenAll(_library.Entries.Select(_library.AnnounceStoppedAsync));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _loop;
        }

        _stop.Dispose();
        _wake.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        Task? wake = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            var next = now + Interval;
            foreach (var entry in _library.Entries)
            {
                if (entry.IsDownloading || !entry.Store.IsComplete)
                {
                    continue;
                }

                if (entry.NextAnnounce <= now)
                {
                    entry.NextAnnounce = await AnnounceAsync(entry, cancellationToken);
                }

                if (entry.NextAnnounce < next)
                {
                    next = entry.NextAnnounce;
                }
            }

            var delay = next - _time.GetUtcNow();
            if (delay < TimeSpan.FromMilliseconds(20))
            {
                delay = TimeSpan.FromMilliseconds(20);
            }

            // One wait on the wake signal stays pending across ticks, so no wake is ever consumed unseen.
            wake ??= _wake.WaitAsync(cancellationToken);
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delayTask = Task.Delay(delay, _time, tick.Token);
            await Task.WhenAny(delayTask, wake);
            await tick.CancelAsync();
            if (wake.IsCompleted)
            {
                wake = null;
            }
        }
    }

    private async Task<DateTimeOffset> AnnounceAsync(LibraryEntry entry, CancellationToken cancellationToken)
    {
        var key = entry.Metainfo.InfoHash.ToString();
        try
        {
            var totals = entry.Totals;
            await entry.Swarm.AnnounceAsync(entry.Announced ? SwarmEvent.Update : SwarmEvent.Started, entry.Store.GetBitfield(), totals.Uploaded, totals.Downloaded, cancellationToken);
            entry.Announced = true;
            if (entry.AnnounceFailing)
            {
                entry.AnnounceFailing = false;
                _logger.AnnounceRecovered(key);
            }

            return _time.GetUtcNow() + Interval;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return DateTimeOffset.MaxValue;
        }
        catch (Exception e) when (e is PeerException or Rpc.RpcException or ObjectDisposedException or OperationCanceledException)
        {
            if (!entry.AnnounceFailing)
            {
                entry.AnnounceFailing = true;
                _logger.AnnounceFailed(key, e.Message);
            }

            return _time.GetUtcNow() + (RetryDelay < Interval ? RetryDelay : Interval);
        }
    }
}
