using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Transfers.Internal;

namespace FileSwarm.Peer.Transfers;

// Talking to the swarm: Started first, then Update at most every ProgressAnnounceInterval when pieces were
// added and at least every PeerRefreshInterval, Completed at the end. A failed announce is retried with backoff
// while the download goes on with the peers it knows. Every announce carries the file's transfer totals.
public sealed partial class Download
{
    private bool _announcedStarted;
    private DateTimeOffset _lastAnnounceAt;
    private int _announcedPieces;
    private int _announceFailures;
    private DateTimeOffset _announceRetryAt;

    /// <summary>Announces made, whatever their outcome (for diagnostics and tests).</summary>
    public int AnnounceAttempts { get; private set; }

    /// <summary>When the next announce is due. Caller holds the lock.</summary>
    private DateTimeOffset NextAnnounceAt()
    {
        if (_announceFailures > 0)
        {
            return _announceRetryAt;
        }

        if (!_announcedStarted)
        {
            return DateTimeOffset.MinValue;
        }

        var refresh = _lastAnnounceAt + _options.PeerRefreshInterval;
        var held = _picker.Layout.PieceCount - _picker.MissingCount;
        return held > _announcedPieces ? Min(_lastAnnounceAt + _options.ProgressAnnounceInterval, refresh) : refresh;
    }

    private async Task AnnounceIfDueAsync(CancellationToken cancellationToken)
    {
        SwarmEvent swarmEvent;
        Bitfield have;
        long downloaded;
        lock (_sync)
        {
            if (_time.GetUtcNow() < NextAnnounceAt())
            {
                return;
            }

            swarmEvent = _announcedStarted ? SwarmEvent.Update : SwarmEvent.Started;
            have = _picker.GetHave();
            downloaded = _totals.Downloaded;
        }

        try
        {
            AnnounceAttempts++;
            var peers = await _swarm.AnnounceAsync(swarmEvent, have, _totals.Uploaded, downloaded, cancellationToken).ConfigureAwait(false);
            lock (_sync)
            {
                _announcedStarted = true;
                _announceFailures = 0;
                _lastAnnounceAt = _time.GetUtcNow();
                _announcedPieces = have.CountSet;
            }

            TransferLog.Announced(_logger, swarmEvent, _infoHash, have.CountSet, peers.Count);
            MergePeers(peers);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan delay;
            int failures;
            lock (_sync)
            {
                failures = ++_announceFailures;
                delay = Backoff.Delay(failures, _options.AnnounceRetryDelay, Max(_options.AnnounceRetryDelay, _options.PeerRefreshInterval));
                _announceRetryAt = _time.GetUtcNow() + delay;
            }

            TransferLog.AnnounceFailed(_logger, swarmEvent, _infoHash, failures, delay, exception);
        }
    }

    /// <summary>The final announce; best effort, since the file is complete whatever the swarm says.</summary>
    private async Task AnnounceCompletedAsync(CancellationToken cancellationToken)
    {
        Bitfield have;
        long downloaded;
        lock (_sync)
        {
            have = _picker.GetHave();
            downloaded = _totals.Downloaded;
        }

        try
        {
            AnnounceAttempts++;
            var peers = await _swarm.AnnounceAsync(SwarmEvent.Completed, have, _totals.Uploaded, downloaded, cancellationToken).ConfigureAwait(false);
            TransferLog.Announced(_logger, SwarmEvent.Completed, _infoHash, have.CountSet, peers.Count);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            TransferLog.AnnounceFailed(_logger, SwarmEvent.Completed, _infoHash, 1, TimeSpan.Zero, exception);
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
