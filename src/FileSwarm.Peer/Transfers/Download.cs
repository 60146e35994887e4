using System.Runtime.ExceptionServices;
using FileSwarm.Core;
using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Transfers.Internal;
using FileSwarm.Peer.Transfers.Picking;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Transfers;

/// <summary>
/// Downloads one file from its swarm into a piece store: rarest-first picking, several requests in flight per
/// peer, endgame, a SHA-1 check of every piece, strikes for bad data, backoff for failing peers, batched
/// announces. A piece is assembled in memory (within <see cref="DownloadOptions.PieceMemoryBudget"/>), hashed there
/// and written once; beyond the budget, blocks are written in place as they arrive and the piece is read back.
/// </summary>
/// <remarks>
/// Split by feature: this file runs the download and reports progress; <c>Download.Peers.cs</c> connects,
/// retries and drops peers; <c>Download.Requests.cs</c> moves blocks; <c>Download.Announce.cs</c> talks to the swarm.
/// </remarks>
public sealed partial class Download
{
    private readonly IPieceStore _store;
    private readonly ISwarm _swarm;
    private readonly TransferTotals _totals;
    private readonly IPeerConnector _connector;
    private readonly DownloadOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TransferMetrics _metrics;
    private readonly Sha1Hash _infoHash;
    private readonly Lock _sync = new();
    private readonly PiecePicker _picker;
    private readonly Dictionary<string, PeerSession> _sessions = new(StringComparer.Ordinal);
    private readonly AsyncPulse _workChanged = new();
    private readonly AsyncPulse _wakeSupervisor = new();
    private readonly RateMeter _rate;
    private readonly PieceBufferPool _pieceBuffers;

    // Pieces with at least one block accepted and not yet verified: their buffer, or null when written to the store.
    private readonly Dictionary<int, PieceBuffer?> _assembling = [];
    private DownloadState _state = DownloadState.Starting;
    private string? _error;
    private Exception? _fatal;
    private bool _running;
    private bool _endgame;
    private long _bytesReceived;
    private long _completedBytes;
    private CancellationToken _runToken;

    /// <param name="totals">
    /// The file's transfer totals in this process, which announces report and verified pieces add to; shared by the
    /// runs of one file. Null for totals of this run alone.
    /// </param>
    public Download(IPieceStore store, ISwarm swarm, IPeerConnector connector, DownloadOptions options, ILogger logger, TimeProvider? timeProvider = null, TransferTotals? totals = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(swarm);
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _store = store;
        _swarm = swarm;
        _totals = totals ?? new TransferTotals();
        _connector = connector;
        _options = options;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _metrics = options.Metrics ?? TransferMetrics.Shared;
        _infoHash = store.Metainfo.InfoHash;
        var layout = PieceLayout.From(store.Metainfo);
        var have = store.GetBitfield();
        _picker = new PiecePicker(layout, options.BlockSize, have, options.PieceSelector)
        {
            MaxRequestersPerBlock = options.EndgameRequestsPerBlock,
        };
        foreach (var piece in have.SetIndices())
        {
            _completedBytes += layout.GetPieceSize(piece);
        }

        _rate = new RateMeter(_time, options.RateWindow);
        _pieceBuffers = new PieceBufferPool(store.Metainfo.PieceLength, options.PieceMemoryBudget);
    }

    /// <summary>The file being downloaded.</summary>
    public Sha1Hash InfoHash => _infoHash;

    /// <summary>A consistent snapshot of the download.</summary>
    public DownloadProgress Progress
    {
        get
        {
            lock (_sync)
            {
                var total = _store.Metainfo.TotalLength;
                var rate = _rate.BytesPerSecond;
                TimeSpan? eta = _state == DownloadState.Complete ? TimeSpan.Zero
                    : rate > 0 ? TimeSpan.FromSeconds((total - _completedBytes) / rate) : null;
                var peers = _sessions.Values
                    .Where(s => s.EverConnected)
                    .Select(s => s.ToStats())
                    .ToArray();
                return new DownloadProgress(
                    _state,
                    _completedBytes,
                    total,
                    _picker.Layout.PieceCount - _picker.MissingCount,
                    _picker.Layout.PieceCount,
                    rate,
                    _sessions.Values.Count(s => s.Status == PeerStatus.Connected),
                    eta,
                    peers,
                    _error);
            }
        }
    }

    /// <summary>
    /// Runs the download until every piece is verified and the store finalised. Throws
    /// <see cref="OperationCanceledException"/> when cancelled; verified pieces stay in the store for a resume.
    /// Can run once.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (_running)
            {
                throw new InvalidOperationException("A download runs once.");
            }

            _running = true;
        }

        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _runToken = run.Token;
        TransferLog.DownloadStarted(_logger, _infoHash, _picker.MissingCount, _picker.Layout.PieceCount);
        try
        {
            if (!_picker.IsComplete)
            {
                await SuperviseAsync(run.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await run.CancelAsync().ConfigureAwait(false);
            await StopAsync().ConfigureAwait(false);
            SetState(DownloadState.Stopped, null);
            TransferLog.DownloadStopped(_logger, _infoHash, _picker.Layout.PieceCount - MissingPieces(), _picker.Layout.PieceCount);
            throw;
        }
        catch (Exception exception)
        {
            await run.CancelAsync().ConfigureAwait(false);
            await StopAsync().ConfigureAwait(false);
            SetState(DownloadState.Failed, exception.Message);
            TransferLog.DownloadFailed(_logger, _infoHash, exception);
            throw;
        }

        await run.CancelAsync().ConfigureAwait(false);
        await StopAsync().ConfigureAwait(false);
        if (!_store.IsComplete)
        {
            // Every piece verified means the store finalised; anything else is a store bug worth stopping for.
            var error = new InvalidOperationException("Every piece is verified but the piece store is not complete.");
            SetState(DownloadState.Failed, error.Message);
            throw error;
        }

        SetState(DownloadState.Complete, null);
        await AnnounceCompletedAsync(cancellationToken).ConfigureAwait(false);
        LogSummaries();
    }

    /// <summary>Every session has ended: no block can arrive any more, so half-assembled pieces are let go.</summary>
    private async Task StopAsync()
    {
        await StopSessionsAsync().ConfigureAwait(false);
        lock (_sync)
        {
            foreach (var buffer in _assembling.Values)
            {
                buffer?.Dispose();
            }

            _assembling.Clear();
        }
    }

    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        SetState(DownloadState.Starting, null);
        while (true)
        {
            Task wake;
            lock (_sync)
            {
                if (_fatal is not null)
                {
                    ExceptionDispatchInfo.Capture(_fatal).Throw();
                }

                if (_picker.IsComplete)
                {
                    return;
                }

                wake = _wakeSupervisor.WaitTask;
            }

            cancellationToken.ThrowIfCancellationRequested();
            await AnnounceIfDueAsync(cancellationToken).ConfigureAwait(false);
            ConnectPeers();
            var delay = NextSupervisorWake() - _time.GetUtcNow();
            await WaitAsync(wake, delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Until <paramref name="wake"/> completes or <paramref name="delay"/> passes on the download's clock.</summary>
    private async Task WaitAsync(Task wake, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        var elapsed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = _time.CreateTimer(static state => ((TaskCompletionSource)state!).TrySetResult(), elapsed, delay, Timeout.InfiniteTimeSpan);
        await Task.WhenAny(wake, elapsed.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private DateTimeOffset NextSupervisorWake()
    {
        lock (_sync)
        {
            var next = NextAnnounceAt();
            foreach (var session in _sessions.Values)
            {
                if (session.Status == PeerStatus.Backoff && session.RetryAt < next)
                {
                    next = session.RetryAt;
                }
            }

            return next;
        }
    }

    private void Fail(Exception exception)
    {
        lock (_sync)
        {
            _fatal ??= exception;
        }

        _wakeSupervisor.Pulse();
    }

    private void SetState(DownloadState state, string? error)
    {
        lock (_sync)
        {
            _state = state;
            _error = error;
        }
    }

    private int MissingPieces()
    {
        lock (_sync)
        {
            return _picker.MissingCount;
        }
    }

    private void LogSummaries()
    {
        PeerTransferStats[] peers;
        long bytes;
        lock (_sync)
        {
            peers = [.. _sessions.Values.Where(s => s.EverConnected).Select(s => s.ToStats())];
            bytes = _bytesReceived;
        }

        foreach (var peer in peers)
        {
            TransferLog.PeerSummary(_logger, _infoHash, peer.PeerId, peer.Address, peer.BytesReceived, peer.PiecesReceived, peer.Strikes, peer.Dropped ? " (dropped)" : "");
        }

        TransferLog.DownloadCompleted(_logger, _infoHash, bytes, peers.Count(p => p.BytesReceived > 0));
    }

    /// <summary>Cancels on the thread pool: cancellation callbacks never run under the download's lock.</summary>
    private static void CancelSoon(CancellationTokenSource? source)
    {
        if (source is null)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static s =>
            {
                try
                {
                    s.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The request or session already ended.
                }
            },
            source,
            preferLocal: false);
    }
}
