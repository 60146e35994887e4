namespace FileSwarm.Peer.Transfers.Picking;

/// <summary>
/// Chooses which new piece to start among candidates: pieces the peer holds, that this download lacks and that
/// nobody has started. Selectors compose: one narrows the candidates and hands them to the next
/// (rarest-first, then random among the rarest), the way MonoTorrent chains its pickers.
/// </summary>
public interface IPieceSelector
{
    /// <summary>The chosen piece, or -1 when <paramref name="candidates"/> is empty. May reorder <paramref name="candidates"/>.</summary>
    int Select(Span<int> candidates, PieceAvailability availability, Random random);
}

/// <summary>Keeps only the candidates held by the fewest peers and lets <paramref name="next"/> choose among them.</summary>
public sealed class RarestFirstSelector(IPieceSelector next) : IPieceSelector
{
    public int Select(Span<int> candidates, PieceAvailability availability, Random random)
    {
        ArgumentNullException.ThrowIfNull(availability);
        if (candidates.IsEmpty)
        {
            return -1;
        }

        // One pass: move every candidate of the lowest availability seen so far to the front.
        var rarest = int.MaxValue;
        var kept = 0;
        foreach (var piece in candidates)
        {
            var count = availability[piece];
            if (count < rarest)
            {
                rarest = count;
                kept = 0;
            }

            if (count == rarest)
            {
                candidates[kept++] = piece;
            }
        }

        return next.Select(candidates[..kept], availability, random);
    }
}

/// <summary>Any candidate, uniformly at random: peers that start at once spread over different pieces.</summary>
public sealed class RandomSelector : IPieceSelector
{
    public int Select(Span<int> candidates, PieceAvailability availability, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return candidates.IsEmpty ? -1 : candidates[random.Next(candidates.Length)];
    }
}

/// <summary>The lowest piece index: in-order downloading, for streaming or deterministic tests.</summary>
public sealed class SequentialSelector : IPieceSelector
{
    public int Select(Span<int> candidates, PieceAvailability availability, Random random)
    {
        var best = -1;
        foreach (var piece in candidates)
        {
            if (best < 0 || piece < best)
            {
                best = piece;
            }
        }

        return best;
    }
}
