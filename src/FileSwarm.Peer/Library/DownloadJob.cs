using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Transfers;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Library;

/// <summary>One run of the download engine over a store; the library does not depend on how it is made.</summary>
public interface IDownloadRun
{
    DownloadProgress Progress { get; }

    /// <summary>Completes when every piece is verified and the store finalised.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>Makes the engine for one file; it counts what it fetches into <paramref name="totals"/> and announces them.</summary>
public delegate IDownloadRun DownloadRunFactory(IPieceStore store, ISwarm swarm, TransferTotals totals);

/// <summary>
/// A file being fetched: runs the engine until the content is complete, starting it again after a failure (peers
/// come and go; the verified pieces stay), until the user removes the file or the peer stops.
/// </summary>
public sealed class DownloadJob
{
    private readonly LibraryEntry _entry;
    private readonly DownloadRunFactory _factory;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _retryDelay;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IDownloadRun? _current;
    private volatile string? _lastError;
    private Task _loop = Task.CompletedTask;

    internal DownloadJob(LibraryEntry entry, int resumedPieces, DownloadRunFactory factory, ILogger logger, TimeProvider timeProvider, TimeSpan retryDelay)
    {
        _entry = entry;
        ResumedPieces = resumedPieces;
        _factory = factory;
        _logger = logger;
        _timeProvider = timeProvider;
        _retryDelay = retryDelay;
        StartedAt = timeProvider.GetUtcNow();
    }

    /// <summary>Pieces found already verified on disk when the download (re)started.</summary>
    public int ResumedPieces { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Completes when the content is complete; cancelled when the download is stopped first.</summary>
    public Task Completion => _completed.Task;

    public bool IsRunning => !_loop.IsCompleted;

    public DownloadProgress Progress
    {
        get
        {
            if (_current is { } run)
            {
                var progress = run.Progress;
                return _lastError is { } error && progress.State != DownloadState.Complete && progress.Error is null ? progress with { Error = error } : progress;
            }

            var store = _entry.Store;
            var have = store.GetBitfield();
            var state = store.IsComplete ? DownloadState.Complete : _stop.IsCancellationRequested ? DownloadState.Stopped : DownloadState.Starting;
            return new DownloadProgress(state, CompletedBytes(store, have), store.Metainfo.TotalLength, have.CountSet, have.Length, 0, 0, null, [], _lastError);
        }
    }

    /// <summary>Bytes of the verified pieces in <paramref name="have"/>.</summary>
    public static long CompletedBytes(IPieceStore store, Bitfield have)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(have);
        var metainfo = store.Metainfo;
        var count = (long)have.CountSet;
        if (count == 0)
        {
            return 0;
        }

        var last = metainfo.PieceCount - 1;
        return have[last] ? ((count - 1) * metainfo.PieceLength) + metainfo.GetPieceSize(last) : count * metainfo.PieceLength;
    }

    internal void Start(Action<LibraryEntry> onComplete)
    {
        if (_entry.Store.IsComplete)
        {
            _completed.TrySetResult();
            onComplete(_entry);
            return;
        }

        _loop = Task.Run(() => RunLoopAsync(onComplete));
    }

    internal async Task StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _completed.TrySetCanceled();
    }

    private async Task RunLoopAsync(Action<LibraryEntry> onComplete)
    {
        var cancellationToken = _stop.Token;
        while (!cancellationToken.IsCancellationRequested)
        {
            var run = _factory(_entry.Store, _entry.Swarm, _entry.Totals);
            _current = run;
            try
            {
                await run.RunAsync(cancellationToken);
                if (_entry.Store.IsComplete)
                {
                    _lastError = null;
                    _completed.TrySetResult();
                    onComplete(_entry);
                    return;
                }

                _lastError = "the engine stopped before every piece was verified";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                _completed.TrySetCanceled(cancellationToken);
                return;
            }
            catch (Exception e)
            {
                _lastError = e.Message;
                _logger.DownloadFailed(_entry.Metainfo.InfoHash.ToString(), e.Message, _retryDelay.TotalSeconds, e);
            }

            try
            {
                await Task.Delay(_retryDelay, _timeProvider, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                _completed.TrySetCanceled(cancellationToken);
                return;
            }
        }

        _completed.TrySetCanceled(cancellationToken);
    }
}
