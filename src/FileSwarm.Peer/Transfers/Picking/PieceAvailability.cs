using FileSwarm.Core.Pieces;

namespace FileSwarm.Peer.Transfers.Picking;

/// <summary>
/// How many connected peers hold each piece, kept up to date from their bitfields: the input of rarest-first.
/// Not thread-safe; the owner synchronises.
/// </summary>
public sealed class PieceAvailability
{
    private readonly int[] _counts;

    public PieceAvailability(int pieceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceCount);
        _counts = new int[pieceCount];
    }

    public int PieceCount => _counts.Length;

    /// <summary>Peers known to hold <paramref name="piece"/>.</summary>
    public int this[int piece] => _counts[piece];

    /// <summary>Counts a peer's pieces in.</summary>
    public void Add(Bitfield pieces) => Apply(pieces, +1);

    /// <summary>Counts a peer's pieces out (it left, failed, or its bitfield is being replaced).</summary>
    public void Remove(Bitfield pieces) => Apply(pieces, -1);

    /// <summary>Replaces a peer's old bitfield with a new one, touching only the pieces that changed.</summary>
    public void Replace(Bitfield? before, Bitfield after)
    {
        ArgumentNullException.ThrowIfNull(after);
        if (before is null)
        {
            Add(after);
            return;
        }

        CheckLength(before);
        CheckLength(after);
        var old = before.AsSpan();
        var now = after.AsSpan();
        for (var i = 0; i < old.Length; i++)
        {
            if (old[i] == now[i])
            {
                continue;
            }

            for (var bit = 0; bit < 8; bit++)
            {
                var piece = (i * 8) + bit;
                var mask = 0x80 >> bit;
                var had = (old[i] & mask) != 0;
                var has = (now[i] & mask) != 0;
                if (had != has)
                {
                    _counts[piece] += has ? 1 : -1;
                }
            }
        }
    }

    public void Increment(int piece) => _counts[piece]++;

    public void Decrement(int piece)
    {
        if (_counts[piece] > 0)
        {
            _counts[piece]--;
        }
    }

    private void Apply(Bitfield pieces, int delta)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        CheckLength(pieces);
        if (pieces.IsComplete)
        {
            for (var i = 0; i < _counts.Length; i++)
            {
                _counts[i] = Math.Max(0, _counts[i] + delta);
            }

            return;
        }

        foreach (var piece in pieces.SetIndices())
        {
            _counts[piece] = Math.Max(0, _counts[piece] + delta);
        }
    }

    private void CheckLength(Bitfield pieces)
    {
        if (pieces.Length != _counts.Length)
        {
            throw new ArgumentException($"a bitfield of {pieces.Length} pieces does not fit a file of {_counts.Length}", nameof(pieces));
        }
    }
}
