using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Transfers.Internal;
using FileSwarm.Rpc;

namespace FileSwarm.Peer.Transfers;

// The peer set: peers come from announces, up to MaxPeers are connected, a failing peer is retried with backoff
// and dropped after MaxPeerFailures sessions in a row, a peer with StrikesBeforeDrop bad pieces is dropped.
// A connected peer's pieces count in the availability; its bitfield is polled every PartialPeerPollInterval while it
// is partial or super-seeding. A super-seeding peer (a capped seeder rationing its upload) is asked only for the pieces
// it offers this download and no other connected peer holds.
public sealed partial class Download
{
    /// <summary>Takes the peers of an announce: new ones become candidates, known ones get the announced bitfield.</summary>
    private void MergePeers(IReadOnlyList<SwarmPeer> peers)
    {
        var grew = false;
        lock (_sync)
        {
            foreach (var peer in peers)
            {
                if (peer is null || string.IsNullOrEmpty(peer.PeerId) || string.IsNullOrEmpty(peer.Address) || peer.PeerId == _options.SelfPeerId)
                {
                    continue;
                }

                var pieces = AnnouncedPieces(peer);
                if (!_sessions.TryGetValue(peer.PeerId, out var session))
                {
                    _sessions.Add(peer.PeerId, new PeerSession(peer) { Pieces = pieces });
                    continue;
                }

                if (session.Status == PeerStatus.Dropped)
                {
                    continue;
                }

                if (session.Info.Address != peer.Address && session.Status != PeerStatus.Connected)
                {
                    session.Remote = null;
                }

                session.Info = peer;
                if (pieces is not null)
                {
                    grew |= SetPieces(session, pieces);
                }
            }
        }

        if (grew)
        {
            _workChanged.Pulse();
        }
    }

    private Bitfield? AnnouncedPieces(SwarmPeer peer)
    {
        var count = _picker.Layout.PieceCount;
        if (peer.Complete)
        {
            var all = new Bitfield(count);
            all.SetAll(true);
            return all;
        }

        return peer.Pieces is { } pieces && pieces.Length == count ? pieces.Clone() : null;
    }

    /// <summary>Replaces a peer's bitfield (and its share of the availability). Returns true when it gained pieces. Caller holds the lock.</summary>
    private bool SetPieces(PeerSession session, Bitfield pieces)
    {
        var grew = session.Pieces is null ? !pieces.IsEmpty : pieces.SetIndices().Any(p => !session.Pieces[p]);
        if (session.Counted)
        {
            _picker.Availability.Replace(session.Pieces, pieces);
        }

        session.Pieces = pieces;
        return grew;
    }

    /// <summary>Moves peers out of backoff when due and connects candidates while fewer than MaxPeers are connected.</summary>
    private void ConnectPeers()
    {
        List<PeerSession> starting = [];
        lock (_sync)
        {
            var now = _time.GetUtcNow();
            var connected = 0;
            foreach (var session in _sessions.Values)
            {
                if (session.Status == PeerStatus.Backoff && session.RetryAt <= now)
                {
                    session.Status = PeerStatus.Candidate;
                }

                connected += session.Status == PeerStatus.Connected ? 1 : 0;
            }

            // Peers known to hold something missing first, then peers whose pieces are unknown.
            var candidates = _sessions.Values
                .Where(s => s.Status == PeerStatus.Candidate && (s.Pieces is null || _picker.IsInteresting(s.Pieces)))
                .OrderBy(s => s.Pieces is null ? 1 : 0);
            foreach (var session in candidates)
            {
                if (connected >= _options.MaxPeers)
                {
                    break;
                }

                session.Status = PeerStatus.Connected;
                session.EverConnected = true;
                session.Failure = null;
                session.SessionCts = CancellationTokenSource.CreateLinkedTokenSource(_runToken);
                starting.Add(session);
                connected++;
            }

            if (connected > 0 && _state == DownloadState.Starting)
            {
                _state = DownloadState.Downloading;
            }
        }

        foreach (var session in starting)
        {
            TransferLog.PeerConnecting(_logger, session.PeerId, session.Info.Address);
            var token = session.SessionCts!.Token;
            session.SessionTask = Task.Run(() => RunSessionAsync(session, token), CancellationToken.None);
        }
    }

    private async Task RunSessionAsync(PeerSession session, CancellationToken token)
    {
        try
        {
            IRemotePeer remote;
            lock (_sync)
            {
                remote = session.Remote ??= _connector.Connect(session.Info);
            }

            // Even when the swarm says it is complete: its answer tells whether it super-seeds, before any lane asks it.
            await RefreshBitfieldAsync(session, remote, token).ConfigureAwait(false);

            lock (_sync)
            {
                if (!session.Counted && session.Pieces is not null)
                {
                    _picker.Availability.Add(session.Pieces);
                    session.Counted = true;
                }
            }

            _workChanged.Pulse();
            var tasks = new Task[_options.RequestsPerPeer + 1];
            for (var i = 0; i < _options.RequestsPerPeer; i++)
            {
                tasks[i] = RunLaneAsync(session, remote, token);
            }

            tasks[^1] = PollBitfieldAsync(session, remote, token);
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception exception) when (EndedByToken(exception, token))
        {
            // The session ends: the download is over, or a lane already recorded why.
        }
        catch (PeerProtocolException exception)
        {
            Strike(session, exception.Message, protocol: true);
            PeerFailed(session, exception);
        }
        catch (Exception exception)
        {
            PeerFailed(session, exception);
        }
        finally
        {
            EndSession(session);
        }
    }

    /// <summary>The session's token ended the call: the call surfaces that as a cancellation or as a CANCELLED status.</summary>
    private static bool EndedByToken(Exception exception, CancellationToken token) =>
        token.IsCancellationRequested && exception is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled };

    private void EndSession(PeerSession session)
    {
        lock (_sync)
        {
            foreach (var (request, inFlight) in session.InFlight)
            {
                _picker.Release(request, session);
                inFlight.Cancellation.Dispose();
                inFlight.Timeout.Dispose();
            }

            session.InFlight.Clear();
            if (session.Counted && session.Pieces is not null)
            {
                _picker.Availability.Remove(session.Pieces);
            }

            session.Counted = false;
            _picker.ForgetPeer(session);
            session.SessionCts?.Dispose();
            session.SessionCts = null;
            if (session.DropReason is { } reason)
            {
                session.Status = PeerStatus.Dropped;
                _metrics.PeerDropped(session.Strikes >= _options.StrikesBeforeDrop ? "strikes" : "failures");
                TransferLog.PeerDropped(_logger, session.PeerId, _infoHash, reason);
            }
            else if (session.Failure is { } failure)
            {
                session.Failures++;
                if (session.Failures >= _options.MaxPeerFailures)
                {
                    session.Status = PeerStatus.Dropped;
                    session.DropReason = $"{session.Failures} failures in a row, the last: {failure.Message}";
                    _metrics.PeerDropped("failures");
                    TransferLog.PeerDropped(_logger, session.PeerId, _infoHash, session.DropReason);
                }
                else
                {
                    var delay = Backoff.Delay(session.Failures, _options.PeerRetryDelay, _options.MaxPeerRetryDelay);
                    session.Status = PeerStatus.Backoff;
                    session.RetryAt = _time.GetUtcNow() + delay;
                    session.Remote = null;
                    TransferLog.PeerFailed(_logger, session.PeerId, session.Failures, delay, failure);
                }
            }
            else
            {
                session.Status = PeerStatus.Candidate;
            }
        }

        _workChanged.Pulse();
        _wakeSupervisor.Pulse();
    }

    /// <summary>Records why the peer's session fails (unreachable, timed out, errors) and ends it.</summary>
    private void PeerFailed(PeerSession session, Exception exception)
    {
        CancellationTokenSource? cancel;
        lock (_sync)
        {
            session.Failure ??= exception;
            cancel = session.SessionCts;
        }

        CancelSoon(cancel);
    }

    /// <summary>A strike for bad data; at StrikesBeforeDrop the peer's session ends and it is dropped. Caller need not hold the lock.</summary>
    private void Strike(PeerSession session, string reason, bool protocol)
    {
        CancellationTokenSource? cancel = null;
        lock (_sync)
        {
            session.Strikes++;
            if (protocol)
            {
                TransferLog.ProtocolViolation(_logger, session.PeerId, reason);
            }

            if (session.Strikes >= _options.StrikesBeforeDrop && session.DropReason is null)
            {
                session.DropReason = $"{session.Strikes} strikes, the last: {reason}";
                if (session.Status == PeerStatus.Connected)
                {
                    cancel = session.SessionCts;
                }
                else
                {
                    session.Status = PeerStatus.Dropped;
                    _metrics.PeerDropped("strikes");
                    TransferLog.PeerDropped(_logger, session.PeerId, _infoHash, session.DropReason);
                }
            }
        }

        CancelSoon(cancel);
    }

    private async Task RefreshBitfieldAsync(PeerSession session, IRemotePeer remote, CancellationToken token)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
        Bitfield have;
        lock (_sync)
        {
            have = _picker.GetHave();
        }

        RemotePieces answer;
        try
        {
            answer = await remote.GetBitfieldAsync(_infoHash, _picker.Layout.PieceCount, _options.SelfPeerId, have, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
        {
            throw new RpcException(StatusCode.DeadlineExceeded, "GetBitfield timed out");
        }

        var pieces = answer?.Pieces;
        if (pieces is null || pieces.Length != _picker.Layout.PieceCount || answer!.Offered is { } bad && bad.Length != pieces.Length)
        {
            throw new PeerProtocolException($"bitfield of {pieces?.Length} pieces for a file of {_picker.Layout.PieceCount}");
        }

        bool grew;
        lock (_sync)
        {
            grew = SetPieces(session, pieces);
            var offered = answer.Offered;
            grew |= offered is not null && (session.Offered is not { } before ? !offered.IsEmpty : offered.SetIndices().Any(p => !before[p]));
            session.Offered = offered;
            session.RefreshWanted = false;
        }

        if (grew)
        {
            _workChanged.Pulse();
        }
    }

    /// <summary>
    /// Partial peers gain pieces while we download, super-seeding peers make new offers: ask them every
    /// PartialPeerPollInterval, or at once when a request found their bitfield stale.
    /// </summary>
    private async Task PollBitfieldAsync(PeerSession session, IRemotePeer remote, CancellationToken token)
    {
        while (true)
        {
            Task wake;
            bool poll;
            TimeSpan interval;
            lock (_sync)
            {
                if (_picker.IsComplete)
                {
                    return;
                }

                wake = session.RefreshPulse.WaitTask;
                poll = session.RefreshWanted;
                interval = (session.Info.Complete && session.Offered is null) || _options.PartialPeerPollInterval > _options.PeerRefreshInterval
                    ? _options.PeerRefreshInterval
                    : _options.PartialPeerPollInterval;
            }

            if (!poll)
            {
                await WaitAsync(wake, interval, token).ConfigureAwait(false);
                lock (_sync)
                {
                    poll = session.RefreshWanted || !session.Info.Complete || session.Offered is not null;
                }
            }

            if (!poll)
            {
                continue;
            }

            try
            {
                await RefreshBitfieldAsync(session, remote, token).ConfigureAwait(false);
            }
            catch (Exception exception) when (EndedByToken(exception, token))
            {
                return;
            }
            catch (PeerProtocolException exception)
            {
                Strike(session, exception.Message, protocol: true);
                PeerFailed(session, exception);
                return;
            }
            catch (Exception exception)
            {
                PeerFailed(session, exception);
                return;
            }
        }
    }

    /// <summary>
    /// The pieces a lane may ask the peer for: all it holds, or, when it super-seeds, those of its offer that no other
    /// connected peer holds (apart from super-seeders): what others hold should come from them, not from the
    /// bottleneck. Costs one look at the availability per offered piece. Caller holds the lock.
    /// </summary>
    private Bitfield? AskablePieces(PeerSession session)
    {
        if (session.Offered is not { } offered || session.Pieces is not { } pieces)
        {
            return session.Pieces;
        }

        // The availability counts every connected peer holding a piece; the super-seeders among them (this one
        // included) are taken back out.
        List<Bitfield>? superSeeders = null;
        foreach (var other in _sessions.Values)
        {
            if (other.Counted && other.Offered is not null && other.Pieces is { } held)
            {
                (superSeeders ??= []).Add(held);
            }
        }

        var askable = session.Askable ??= new Bitfield(pieces.Length);
        askable.SetAll(false);
        foreach (var piece in offered.SetIndices())
        {
            if (!pieces[piece])
            {
                continue;
            }

            var others = _picker.Availability[piece];
            foreach (var held in superSeeders ?? [])
            {
                others -= held[piece] ? 1 : 0;
            }

            askable[piece] = others <= 0;
        }

        return askable;
    }

    /// <summary>Ends every session (the run token is cancelled) and waits for them, so no request outlives the run.</summary>
    private async Task StopSessionsAsync()
    {
        Task[] sessions;
        lock (_sync)
        {
            sessions = [.. _sessions.Values.Select(s => s.SessionTask)];
        }

        await Task.WhenAll(sessions).ConfigureAwait(false);
    }
}
