using System.Buffers;
using FileSwarm.Core.Pieces;

namespace FileSwarm.Peer.Transfers.Picking;

/// <summary>
/// Decides which block each peer is asked for next and tracks every block of the pieces in progress.
/// Not thread-safe: the download calls it under its lock. Peers are opaque keys compared by reference.
/// </summary>
/// <remarks>
/// Order of preference for a peer, after MonoTorrent's StandardPicker and anacrolix's request order:
/// <list type="number">
/// <item>free blocks of pieces this peer is already fetching (one source per piece where possible);</item>
/// <item>free blocks of started pieces nobody is fetching now (given back by a failed peer);</item>
/// <item>a new piece chosen by the <see cref="IPieceSelector"/> (rarest-first, random among equals);</item>
/// <item>free blocks of pieces other peers are fetching (so a small file still uses every peer);</item>
/// <item>endgame — once no block is free — a block already requested from others, fewest requesters first.</item>
/// </list>
/// A piece that failed its hash check with blocks from several peers becomes <em>single-source</em>: its next
/// attempt is fetched from one peer only, so a second failure names the culprit.
/// </remarks>
public sealed class PiecePicker
{
    private readonly PieceLayout _layout;
    private readonly Bitfield _have;
    private readonly List<ActivePiece> _active = [];
    private readonly Dictionary<int, ActivePiece> _activeByPiece = [];
    private readonly IPieceSelector _selector;
    private readonly Random _random;
    private int _freeBlocks;

    public PiecePicker(PieceLayout layout, int blockSize, Bitfield? have = null, IPieceSelector? selector = null, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        if (have is not null && have.Length != layout.PieceCount)
        {
            throw new ArgumentException($"a bitfield of {have.Length} pieces does not fit a file of {layout.PieceCount}", nameof(have));
        }

        _layout = layout;
        BlockSize = blockSize;
        _have = have?.Clone() ?? new Bitfield(layout.PieceCount);
        _selector = selector ?? new RarestFirstSelector(new RandomSelector());
        _random = random ?? Random.Shared;
        Availability = new PieceAvailability(layout.PieceCount);
    }

    public PieceLayout Layout => _layout;

    public int BlockSize { get; }

    public PieceAvailability Availability { get; }

    /// <summary>At most this many peers are asked for the same block in endgame.</summary>
    public int MaxRequestersPerBlock { get; init; } = 3;

    public int MissingCount => _layout.PieceCount - _have.CountSet;

    public bool IsComplete => _have.IsComplete;

    /// <summary>Pieces started and not yet verified.</summary>
    public int ActivePieceCount => _active.Count;

    /// <summary>Blocks of started pieces that nobody has been asked for.</summary>
    public int FreeBlockCount => _freeBlocks;

    /// <summary>
    /// True when every missing piece is started and every block of them requested (or received): from now on
    /// idle peers duplicate outstanding requests.
    /// </summary>
    public bool IsEndgame => MissingCount > 0 && _have.CountSet + _active.Count == _layout.PieceCount && _freeBlocks == 0;

    public bool HasPiece(int piece) => _have[piece];

    public Bitfield GetHave() => _have.Clone();

    /// <summary>True when the piece is started and was marked single-source after a mixed bad attempt.</summary>
    public bool IsSingleSource(int piece) => _activeByPiece.TryGetValue(piece, out var active) && active.SingleSource;

    /// <summary>Whether <paramref name="peerHas"/> holds any piece this download still lacks.</summary>
    public bool IsInteresting(Bitfield peerHas)
    {
        ArgumentNullException.ThrowIfNull(peerHas);
        for (var piece = peerHas.IndexOf(true); piece >= 0; piece = piece + 1 < peerHas.Length ? peerHas.IndexOf(true, piece + 1) : -1)
        {
            if (!_have[piece])
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The next block to ask <paramref name="peer"/> for, or null when it has nothing this download can use now.</summary>
    public BlockRequest? Pick(object peer, Bitfield peerHas)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(peerHas);
        foreach (var active in _active)
        {
            if (active.Free > 0 && active.RequestCounts.ContainsKey(peer) && CanTake(active, peer) && peerHas[active.Piece])
            {
                return Take(active, peer);
            }
        }

        foreach (var active in _active)
        {
            if (active.Free > 0 && active.RequestCounts.Count == 0 && CanTake(active, peer) && peerHas[active.Piece])
            {
                return Take(active, peer);
            }
        }

        var piece = SelectNewPiece(peerHas);
        if (piece >= 0)
        {
            return Take(Start(piece), peer);
        }

        foreach (var active in _active)
        {
            if (active.Free > 0 && CanTake(active, peer) && peerHas[active.Piece])
            {
                return Take(active, peer);
            }
        }

        return IsEndgame ? PickDuplicate(peer, peerHas) : null;
    }

    /// <summary>Up to <paramref name="count"/> blocks for one peer (each as if picked in turn).</summary>
    public IReadOnlyList<BlockRequest> Pick(object peer, Bitfield peerHas, int count)
    {
        var picked = new List<BlockRequest>(count);
        while (picked.Count < count && Pick(peer, peerHas) is { } request)
        {
            picked.Add(request);
        }

        return picked;
    }

    /// <summary>
    /// A request to <paramref name="peer"/> ended without usable data (failure, cancellation, lost race). The block
    /// goes back to the free pool when nobody else is fetching it; returns true when it did.
    /// </summary>
    public bool Release(BlockRequest request, object peer)
    {
        if (!TryGetBlock(request, out var active, out var block) || block.State != BlockState.Requested || !block.Requesters.Remove(peer))
        {
            return false;
        }

        active.RemoveRequest(peer);
        if (block.Requesters.Count > 0)
        {
            return false;
        }

        block.State = BlockState.Free;
        active.Free++;
        _freeBlocks++;
        return true;
    }

    /// <summary>
    /// Data for the block arrived from <paramref name="peer"/>. Returns true when the caller should write it (the
    /// first arrival); the other peers asked for the same block are added to <paramref name="losers"/>, to be cancelled.
    /// </summary>
    public bool Arrive(BlockRequest request, object peer, ICollection<object> losers)
    {
        ArgumentNullException.ThrowIfNull(losers);
        if (!TryGetBlock(request, out var active, out var block) || block.State != BlockState.Requested || !block.Requesters.Contains(peer))
        {
            return false;
        }

        foreach (var requester in block.Requesters)
        {
            active.RemoveRequest(requester);
            if (!ReferenceEquals(requester, peer))
            {
                losers.Add(requester);
            }
        }

        block.Requesters.Clear();
        block.State = BlockState.Writing;
        block.Supplier = peer;
        return true;
    }

    /// <summary>The block accepted by <see cref="Arrive"/> is in the store. Returns true when the whole piece is, ready to verify.</summary>
    public bool Written(BlockRequest request)
    {
        if (!TryGetBlock(request, out var active, out var block) || block.State != BlockState.Writing)
        {
            throw new InvalidOperationException($"{request} was not being written");
        }

        block.State = BlockState.Done;
        active.Done++;
        return active.Done == active.Blocks.Length;
    }

    /// <summary>
    /// Records the hash check of a fully written piece. Good: the piece is held. Bad: every block is free again and
    /// the peers that supplied it are returned; with several suppliers the piece becomes single-source.
    /// </summary>
    public PieceOutcome Verified(int piece, bool ok)
    {
        if (!_activeByPiece.TryGetValue(piece, out var active) || active.Done != active.Blocks.Length)
        {
            throw new InvalidOperationException($"piece {piece} is not fully written");
        }

        var suppliers = new List<object>();
        foreach (var block in active.Blocks)
        {
            if (block.Supplier is { } supplier && !suppliers.Contains(supplier))
            {
                suppliers.Add(supplier);
            }
        }

        if (ok)
        {
            _have[piece] = true;
            _active.Remove(active);
            _activeByPiece.Remove(piece);
            return new PieceOutcome(piece, true, suppliers);
        }

        if (suppliers.Count > 1)
        {
            active.SingleSource = true;
        }

        active.Owner = null;
        active.Done = 0;
        active.Free = active.Blocks.Length;
        _freeBlocks += active.Blocks.Length;
        foreach (var block in active.Blocks)
        {
            block.State = BlockState.Free;
            block.Supplier = null;
        }

        return new PieceOutcome(piece, false, suppliers);
    }

    /// <summary>The peer is gone: it no longer owns single-source pieces. Its requests must have been released.</summary>
    public void ForgetPeer(object peer)
    {
        foreach (var active in _active)
        {
            if (ReferenceEquals(active.Owner, peer))
            {
                active.Owner = null;
            }
        }
    }

    private static bool CanTake(ActivePiece active, object peer) =>
        !active.SingleSource || active.Owner is null || ReferenceEquals(active.Owner, peer);

    private BlockRequest Take(ActivePiece active, object peer)
    {
        for (var i = 0; i < active.Blocks.Length; i++)
        {
            var block = active.Blocks[i];
            if (block.State != BlockState.Free)
            {
                continue;
            }

            block.State = BlockState.Requested;
            block.Requesters.Add(peer);
            active.AddRequest(peer);
            active.Free--;
            _freeBlocks--;
            if (active.SingleSource)
            {
                active.Owner ??= peer;
            }

            return Request(active.Piece, i);
        }

        throw new InvalidOperationException($"piece {active.Piece} has no free block");
    }

    private BlockRequest? PickDuplicate(object peer, Bitfield peerHas)
    {
        ActivePiece? bestPiece = null;
        var bestBlock = -1;
        var fewest = int.MaxValue;
        foreach (var active in _active)
        {
            if (active.SingleSource || !peerHas[active.Piece])
            {
                continue;
            }

            for (var i = 0; i < active.Blocks.Length; i++)
            {
                var block = active.Blocks[i];
                if (block.State == BlockState.Requested && block.Requesters.Count < fewest && block.Requesters.Count < MaxRequestersPerBlock && !block.Requesters.Contains(peer))
                {
                    (bestPiece, bestBlock, fewest) = (active, i, block.Requesters.Count);
                }
            }
        }

        if (bestPiece is null)
        {
            return null;
        }

        bestPiece.Blocks[bestBlock].Requesters.Add(peer);
        bestPiece.AddRequest(peer);
        return Request(bestPiece.Piece, bestBlock);
    }

    private int SelectNewPiece(Bitfield peerHas)
    {
        if (_have.CountSet + _active.Count >= _layout.PieceCount)
        {
            return -1;
        }

        var buffer = ArrayPool<int>.Shared.Rent(Math.Max(1, _layout.PieceCount));
        try
        {
            var count = 0;
            for (var piece = peerHas.IndexOf(true); piece >= 0; piece = piece + 1 < peerHas.Length ? peerHas.IndexOf(true, piece + 1) : -1)
            {
                if (!_have[piece] && !_activeByPiece.ContainsKey(piece))
                {
                    buffer[count++] = piece;
                }
            }

            return _selector.Select(buffer.AsSpan(0, count), Availability, _random);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    private ActivePiece Start(int piece)
    {
        var active = new ActivePiece(piece, _layout.GetBlockCount(piece, BlockSize));
        _active.Add(active);
        _activeByPiece.Add(piece, active);
        _freeBlocks += active.Blocks.Length;
        return active;
    }

    private BlockRequest Request(int piece, int block)
    {
        var offset = block * BlockSize;
        return new BlockRequest(piece, offset, Math.Min(BlockSize, _layout.GetPieceSize(piece) - offset));
    }

    private bool TryGetBlock(BlockRequest request, out ActivePiece active, out Block block)
    {
        if (_activeByPiece.TryGetValue(request.Piece, out active!) && request.Offset % BlockSize == 0 && request.Offset / BlockSize < active.Blocks.Length)
        {
            block = active.Blocks[request.Offset / BlockSize];
            return true;
        }

        block = null!;
        return false;
    }

    private enum BlockState
    {
        Free,
        Requested,
        Writing,
        Done,
    }

    private sealed class Block
    {
        public BlockState State { get; set; }

        public List<object> Requesters { get; } = new(1);

        public object? Supplier { get; set; }
    }

    private sealed class ActivePiece
    {
        public ActivePiece(int piece, int blocks)
        {
            Piece = piece;
            Blocks = new Block[blocks];
            for (var i = 0; i < blocks; i++)
            {
                Blocks[i] = new Block();
            }

            Free = blocks;
        }

        public int Piece { get; }

        public Block[] Blocks { get; }

        public int Free { get; set; }

        public int Done { get; set; }

        public bool SingleSource { get; set; }

        public object? Owner { get; set; }

        /// <summary>Requests outstanding per peer on this piece.</summary>
        public Dictionary<object, int> RequestCounts { get; } = new(ReferenceEqualityComparer.Instance);

        public void AddRequest(object peer) => RequestCounts[peer] = RequestCounts.GetValueOrDefault(peer) + 1;

        public void RemoveRequest(object peer)
        {
            if (RequestCounts.TryGetValue(peer, out var count))
            {
                if (count <= 1)
                {
                    RequestCounts.Remove(peer);
                }
                else
                {
                    RequestCounts[peer] = count - 1;
                }
            }
        }
    }
}

/// <summary>The hash check of a piece and the peers whose blocks made it up.</summary>
public sealed record PieceOutcome(int Piece, bool Ok, IReadOnlyList<object> Suppliers);
