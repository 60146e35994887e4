using System.Collections.Concurrent;
using FileSwarm.Core;
using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Serving;
using FileSwarm.Peer.Transfers;
using FileSwarm.Rpc;

namespace FileSwarm.Peer.Tests.Infrastructure;

/// <summary>A remote peer serving a piece store, with switchable misbehaviour and counters of what it was asked.</summary>
public sealed class FakePeer(string peerId, IPieceStore source) : IRemotePeer
{
    private readonly ConcurrentDictionary<int, int> _requestsPerPiece = new();
    private int _requests;
    private int _blocksServed;
    private int _cancellations;
    private int _busy;
    private long _bytesRequested;
    private int _bitfieldCalls;

    public string PeerId { get; } = peerId;

    public string Address => $"{PeerId}.test:1";

    public IPieceStore Source { get; } = source;

    /// <summary>Flips the first byte of every block it sends.</summary>
    public bool Corrupt { get; set; }

    /// <summary>Sends one byte short.</summary>
    public bool WrongLength { get; set; }

    /// <summary>At most this many blocks are served; after them every call fails with UNAVAILABLE.</summary>
    public int? FailAfterBlocks { get; set; }

    /// <summary>Requests for these pieces never answer; they end only when cancelled.</summary>
    public Func<int, bool>? Hang { get; set; }

    /// <summary>Awaited before each block (piece, offset) is served, with the request's token: to hold some blocks back.</summary>
    public Func<int, int, CancellationToken, Task>? Gate { get; set; }

    /// <summary>Runs before each block is served (e.g. to move a fake clock).</summary>
    public Action? OnServe { get; set; }

    /// <summary>What the swarm says it holds; null for the truth.</summary>
    public Bitfield? Advertised { get; set; }

    /// <summary>When set and it holds every piece, it super-seeds: bitfield answers carry this seeder's offers.</summary>
    public SuperSeeder? SuperSeeder { get; set; }

    /// <summary>Bitfield answers wait for this task.</summary>
    public Task BitfieldGate { get; set; } = Task.CompletedTask;

    public int BusyAnswers
    {
        get => Volatile.Read(ref _busy);
        set => Volatile.Write(ref _busy, value);
    }

    public int Requests => Volatile.Read(ref _requests);

    public int BlocksServed => Volatile.Read(ref _blocksServed);

    public int Cancellations => Volatile.Read(ref _cancellations);

    public long BytesRequested => Interlocked.Read(ref _bytesRequested);

    public int BitfieldCalls => Volatile.Read(ref _bitfieldCalls);

    public int RequestsFor(int piece) => _requestsPerPiece.GetValueOrDefault(piece);

    public IEnumerable<int> PiecesRequested => _requestsPerPiece.Keys;

    public SwarmPeer ToSwarmPeer() => Advertised is { } advertised
        ? new SwarmPeer(PeerId, Address, advertised.IsComplete, advertised.Clone())
        : new SwarmPeer(PeerId, Address, Source.IsComplete, Source.IsComplete ? null : Source.GetBitfield());

    public async Task GetBlockAsync(Sha1Hash infoHash, int piece, int offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        Assert.Equal(Source.Metainfo.InfoHash, infoHash);
        var length = destination.Length;
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytesRequested, length);
        _requestsPerPiece.AddOrUpdate(piece, 1, static (_, n) => n + 1);
        await Task.Yield();
        if (Interlocked.Decrement(ref _busy) >= 0)
        {
            throw new RpcException(StatusCode.ResourceExhausted, "busy");
        }

        if (FailAfterBlocks is { } limit && BlocksServed >= limit)
        {
            throw new RpcException(StatusCode.Unavailable, "gone");
        }

        if (Hang?.Invoke(piece) == true)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancellations);
                throw;
            }
        }

        if (Gate is { } gate)
        {
            await gate(piece, offset, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        OnServe?.Invoke();
        if (!Source.HasPiece(piece))
        {
            throw new RpcException(StatusCode.FailedPrecondition, $"no piece {piece}");
        }

        if (WrongLength)
        {
            // What the real connector reports when a peer sends a block of another length.
            throw new PeerProtocolException($"{length - 1} bytes for a block of {length}");
        }

        var block = destination.Span;
        Source.ReadBlock(piece, offset, block);
        if (Corrupt)
        {
            block[0] ^= 0xFF;
        }

        // Counted and checked in one step, so concurrent requests never serve more than FailAfterBlocks blocks.
        if (Interlocked.Increment(ref _blocksServed) > (FailAfterBlocks ?? int.MaxValue))
        {
            Interlocked.Decrement(ref _blocksServed);
            throw new RpcException(StatusCode.Unavailable, "gone");
        }
    }

    public async Task<RemotePieces> GetBitfieldAsync(Sha1Hash infoHash, int pieceCount, string askerId, Bitfield have, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _bitfieldCalls);
        await Task.Yield();
        await BitfieldGate.WaitAsync(cancellationToken);
        if (FailAfterBlocks is { } limit && BlocksServed >= limit)
        {
            throw new RpcException(StatusCode.Unavailable, "gone");
        }

        var pieces = Source.GetBitfield();
        var metainfo = Source.Metainfo;
        var offered = SuperSeeder is { } superSeeder && pieces.IsComplete
            ? superSeeder.Offer(metainfo.InfoHash, metainfo.PieceCount, metainfo.PieceLength, askerId, have)
            : null;
        return new RemotePieces(pieces, offered);
    }

    public override string ToString() => PeerId;
}

/// <summary>Connects to <see cref="FakePeer"/>s by peer id.</summary>
public sealed class FakeConnector(params FakePeer[] peers) : IPeerConnector
{
    private readonly ConcurrentDictionary<string, FakePeer> _peers = new(peers.ToDictionary(p => p.PeerId));
    private int _connects;

    public int Connects => Volatile.Read(ref _connects);

    public void Add(FakePeer peer) => _peers[peer.PeerId] = peer;

    public IRemotePeer Connect(SwarmPeer peer)
    {
        Interlocked.Increment(ref _connects);
        return _peers[peer.PeerId];
    }
}

/// <summary>An announce as a <see cref="FakeSwarm"/> heard it: the event, the pieces held, and the transfer totals.</summary>
public sealed record AnnounceReport(SwarmEvent Event, int Pieces, long Uploaded, long Downloaded);

/// <summary>A swarm that returns the peers it is given and records every announce.</summary>
public sealed class FakeSwarm : ISwarm
{
    private readonly Lock _sync = new();
    private readonly List<AnnounceReport> _announces = [];
    private IReadOnlyList<FakePeer> _peers;

    public FakeSwarm(params FakePeer[] peers) => _peers = peers;

    /// <summary>When true for an announce, it fails with UNAVAILABLE.</summary>
    public Func<SwarmEvent, int, bool>? Fail { get; set; }

    public IReadOnlyList<FakePeer> Peers
    {
        get
        {
            lock (_sync)
            {
                return _peers;
            }
        }

        set
        {
            lock (_sync)
            {
                _peers = value;
            }
        }
    }

    public IReadOnlyList<(SwarmEvent Event, int Pieces)> Announces => [.. Reports.Select(r => (r.Event, r.Pieces))];

    /// <summary>Every announce with the totals it carried.</summary>
    public IReadOnlyList<AnnounceReport> Reports
    {
        get
        {
            lock (_sync)
            {
                return [.. _announces];
            }
        }
    }

    public async Task<IReadOnlyList<SwarmPeer>> AnnounceAsync(SwarmEvent swarmEvent, Bitfield have, long uploaded, long downloaded, CancellationToken cancellationToken)
    {
        await Task.Yield();
        int index;
        lock (_sync)
        {
            index = _announces.Count;
            _announces.Add(new AnnounceReport(swarmEvent, have.CountSet, uploaded, downloaded));
        }

        if (Fail?.Invoke(swarmEvent, index) == true)
        {
            throw new RpcException(StatusCode.Unavailable, "tracker down");
        }

        return [.. Peers.Select(p => p.ToSwarmPeer())];
    }
}
