using System.Buffers;
using System.Threading.RateLimiting;
using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Transfers.Internal;
using FileSwarm.Peer.Transfers.Picking;
using FileSwarm.Rpc;

namespace FileSwarm.Peer.Transfers;

// Moving blocks: each connected peer runs RequestsPerPeer lanes, each with one request in flight. A lane picks a
// block, acquires its bytes from the rate limiter, asks the peer, copies the block into its piece's buffer (or writes
// it in place), and verifies the piece when its last block is in. Endgame duplicates are cancelled as soon as one copy arrives.
public sealed partial class Download
{
    private const int RateLimiterChunk = 16 * 1024;

    /// <summary>Requests cancelled because another peer delivered the same block first (endgame losers).</summary>
    public int EndgameCancellations { get; private set; }

    private async Task RunLaneAsync(PeerSession session, IRemotePeer remote, CancellationToken token)
    {
        // Each lane receives into its own buffer, reused for every block it fetches.
        var scratch = ArrayPool<byte>.Shared.Rent(_options.BlockSize);
        try
        {
            await RunLaneAsync(session, remote, scratch, token).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private async Task RunLaneAsync(PeerSession session, IRemotePeer remote, byte[] scratch, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            BlockRequest? request = null;
            InFlightRequest? inFlight = null;
            Task? wait = null;
            TimeSpan pause = TimeSpan.Zero;
            var endgameStarted = false;
            lock (_sync)
            {
                if (_picker.IsComplete || _fatal is not null)
                {
                    return;
                }

                var now = _time.GetUtcNow();
                if (session.Busy.Until > now)
                {
                    pause = session.Busy.Until - now;
                }
                else if (AskablePieces(session) is { } pieces && _picker.Pick(session, pieces) is { } picked)
                {
                    request = picked;
                    var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
                    inFlight = new InFlightRequest(CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token), timeout);
                    session.InFlight[picked] = inFlight;
                    if (!_endgame && _picker.IsEndgame)
                    {
                        _endgame = endgameStarted = true;
                    }
                }
                else
                {
                    wait = _workChanged.WaitTask;
                }
            }

            try
            {
                if (endgameStarted)
                {
                    TransferLog.EndgameStarted(_logger, _infoHash, _picker.MissingCount);
                    _workChanged.Pulse();
                }

                if (request is { } block)
                {
                    await FetchAsync(session, remote, block, inFlight!, scratch, token).ConfigureAwait(false);
                }
                else if (wait is not null)
                {
                    await wait.WaitAsync(token).ConfigureAwait(false);
                }
                else
                {
                    await Task.Delay(pause, _time, token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task FetchAsync(PeerSession session, IRemotePeer remote, BlockRequest request, InFlightRequest inFlight, byte[] scratch, CancellationToken sessionToken)
    {
        var cancellation = inFlight.Cancellation.Token;
        try
        {
            await AcquireAsync(request.Length, cancellation).ConfigureAwait(false);
            await remote.GetBlockAsync(_infoHash, request.Piece, request.Offset, scratch.AsMemory(0, request.Length), cancellation).ConfigureAwait(false);
            OnBlock(session, request, scratch.AsSpan(0, request.Length));
        }
        catch (OperationCanceledException) when (sessionToken.IsCancellationRequested || inFlight.Superseded)
        {
            // The session ended, or another peer delivered this block first.
        }
        catch (OperationCanceledException exception) when (inFlight.Timeout.IsCancellationRequested)
        {
            PeerFailed(session, new RpcException(new Status(StatusCode.DeadlineExceeded, $"no answer for {request} in {_options.RequestTimeout}"), new Metadata(), exception));
        }
        catch (RpcException exception) when (inFlight.Superseded && exception.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded)
        {
            // Cancelled as an endgame loser.
        }
        catch (RpcException exception)
        {
            OnRpcError(session, request, exception);
        }
        catch (PeerProtocolException exception)
        {
            Strike(session, exception.Message, protocol: true);
        }
        catch (StoreException exception)
        {
            Fail(exception.InnerException!);
        }
        catch (Exception exception)
        {
            PeerFailed(session, exception);
        }
        finally
        {
            bool freed;
            lock (_sync)
            {
                session.InFlight.Remove(request);
                freed = _picker.Release(request, session);
                freed |= _endgame;
            }

            inFlight.Cancellation.Dispose();
            inFlight.Timeout.Dispose();
            if (freed)
            {
                _workChanged.Pulse();
            }
        }
    }

    /// <summary>
    /// A block arrived: the first copy goes into its piece's buffer (or in place in the store); the last block of a
    /// piece triggers its SHA-1 check.
    /// </summary>
    private void OnBlock(PeerSession session, BlockRequest request, ReadOnlySpan<byte> data)
    {
        List<object> losers = [];
        List<CancellationTokenSource> cancel = [];
        bool accepted;
        PieceBuffer? buffer = null;
        lock (_sync)
        {
            _bytesReceived += data.Length;
            _rate.Add(data.Length);
            session.Failures = 0;
            session.Busy.Served();
            accepted = _picker.Arrive(request, session, losers);
            foreach (PeerSession loser in losers)
            {
                if (loser.InFlight.TryGetValue(request, out var other))
                {
                    other.Superseded = true;
                    cancel.Add(other.Cancellation);
                    EndgameCancellations++;
                }
            }

            // The first accepted block of a piece decides where it is assembled: in memory while the budget allows.
            if (accepted && !_assembling.TryGetValue(request.Piece, out buffer))
            {
                buffer = _pieceBuffers.TryRent(_picker.Layout.GetPieceSize(request.Piece));
                _assembling[request.Piece] = buffer;
            }
        }

        _metrics.BytesDownloaded(data.Length);
        foreach (var source in cancel)
        {
            CancelSoon(source);
        }

        if (!accepted)
        {
            return;
        }

        if (buffer is not null)
        {
            data.CopyTo(buffer.Span[request.Offset..]);
        }
        else
        {
            try
            {
                _store.WriteBlock(request.Piece, request.Offset, data);
            }
            catch (Exception exception)
            {
                throw new StoreException(exception);
            }
        }

        bool pieceWritten;
        lock (_sync)
        {
            session.BytesReceived += data.Length;
            pieceWritten = _picker.Written(request);
        }

        if (pieceWritten)
        {
            VerifyPiece(request.Piece);
        }
    }

    private void VerifyPiece(int piece)
    {
        PieceBuffer? buffer;
        lock (_sync)
        {
            _assembling.Remove(piece, out buffer);
        }

        bool ok;
        try
        {
            // In memory: hashed there and written only when it matches. Otherwise read back from the store.
            ok = buffer is null ? _store.VerifyPiece(piece) : _store.WritePiece(piece, buffer.Span);
        }
        catch (Exception exception)
        {
            throw new StoreException(exception);
        }
        finally
        {
            buffer?.Dispose();
        }

        PieceOutcome outcome;
        bool complete;
        lock (_sync)
        {
            outcome = _picker.Verified(piece, ok);
            complete = _picker.IsComplete;
            if (ok)
            {
                // Counted under the lock that marks the piece verified, so an announce's totals match its bitfield.
                var size = _picker.Layout.GetPieceSize(piece);
                _completedBytes += size;
                _totals.AddDownloaded(size);
                foreach (PeerSession supplier in outcome.Suppliers)
                {
                    supplier.PiecesReceived++;
                }
            }
        }

        if (ok)
        {
            _metrics.PieceVerified();
            if (complete || NextAnnounceDueNow())
            {
                _wakeSupervisor.Pulse();
            }

            return;
        }

        _metrics.HashFailure();
        if (outcome.Suppliers is [PeerSession culprit])
        {
            Strike(culprit, $"piece {piece} failed its SHA-1 check", protocol: false);
            TransferLog.BadPieceStrike(_logger, piece, culprit.PeerId, culprit.Strikes, _options.StrikesBeforeDrop);
        }
        else
        {
            TransferLog.BadPieceMixed(_logger, piece, outcome.Suppliers.Count);
        }

        _workChanged.Pulse();
    }

    private bool NextAnnounceDueNow()
    {
        lock (_sync)
        {
            return NextAnnounceAt() <= _time.GetUtcNow();
        }
    }

    private void OnRpcError(PeerSession session, BlockRequest request, RpcException exception)
    {
        switch (exception.StatusCode)
        {
            case StatusCode.FailedPrecondition:
                // It does not hold the piece: its bitfield is stale. Stop asking it for that piece and ask for a new one.
                lock (_sync)
                {
                    if (session.Pieces is { } pieces && pieces[request.Piece])
                    {
                        pieces[request.Piece] = false;
                        if (session.Counted)
                        {
                            _picker.Availability.Decrement(request.Piece);
                        }
                    }

                    session.RefreshWanted = true;
                }

                TransferLog.StaleBitfield(_logger, session.PeerId, request.Piece);
                session.RefreshPulse.Pulse();
                break;
            case StatusCode.ResourceExhausted:
                TimeSpan delay;
                lock (_sync)
                {
                    delay = session.Busy.Refused(_time.GetUtcNow(), _options.BusyBackoff);
                }

                TransferLog.PeerBusy(_logger, session.PeerId, delay);
                break;
            default:
                PeerFailed(session, exception);
                break;
        }
    }

    /// <summary>
    /// Takes the block's bytes from the download rate limiter before the request goes out. A limiter that cannot
    /// grant that many at once (a burst smaller than a block) is asked for smaller chunks.
    /// </summary>
    private async Task AcquireAsync(int bytes, CancellationToken cancellationToken)
    {
        if (_options.DownloadRateLimiter is not { } limiter)
        {
            return;
        }

        var chunk = bytes;
        var remaining = bytes;
        while (remaining > 0)
        {
            var wanted = Math.Min(chunk, remaining);
            RateLimitLease lease;
            try
            {
                lease = await limiter.AcquireAsync(wanted, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentOutOfRangeException) when (wanted > 1)
            {
                // More permits than the limiter ever holds.
                chunk = wanted / 2;
                continue;
            }

            using (lease)
            {
                if (lease.IsAcquired)
                {
                    remaining -= wanted;
                    continue;
                }

                if (wanted > RateLimiterChunk)
                {
                    chunk = RateLimiterChunk;
                    continue;
                }

                var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMilliseconds(50);
                await Task.Delay(retry, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The piece store failed: the download cannot go on.</summary>
    private sealed class StoreException(Exception inner) : Exception(inner.Message, inner);
}
