using System.Buffers;
using System.Runtime.InteropServices;

namespace FileSwarm.Tracker.Registry.Internal;

/// <summary>
/// The peers of one file, in a dense array (so that a random sample costs O(sample), and removal is a swap with the
/// last entry) plus an index by peer id. Every member must be called under <see cref="Gate"/>.
/// </summary>
/// <remarks>
/// Memory per entry (40-character ids, "192.168.100.200:9000" addresses, 20,000 entries in one swarm; retained heap
/// from GC.GetTotalMemory after a full compacting GC, in a process of its own): 204 bytes for a seeder — a 40-byte
/// slot, an 88-byte identity array, about 28 bytes of index entry, and the slack of arrays that grow by doubling —
/// and 356 bytes for a downloader of a 1000-piece file (plus a 24 + 125-byte bitfield array). The test
/// <c>Memory_per_peer_entry_is_small</c> bounds the bytes allocated per entry, which include these. An entry that
/// has been handed out in an answer also keeps that answer's <see cref="PeerRecord"/> (its id and address as strings,
/// about 220 bytes more), so that answers share it instead of building one per peer returned: with a random peer on
/// a random file per announce, building them per answer made the GC pause long enough to put the tracker's p99 at
/// 21 ms instead of 2.4 (bench/tracker/capacity.sh, fileswarm-distinct).
/// </remarks>
internal sealed class MemorySwarm
{
    private const int MinCapacity = 4;
    private const double InverseGoldenRatio = 0.6180339887498949;

    private readonly Dictionary<byte[], int> _index = new(PeerIdentity.IdComparer.Instance);
    private PeerSlot[] _slots = new PeerSlot[MinCapacity];

    public Lock Gate { get; } = new();

    /// <summary>Set, under the gate, when the swarm was emptied and dropped from the registry; callers then start over.</summary>
    public bool Retired { get; set; }

    public int Count { get; private set; }

    public int Seeders { get; private set; }

    public SwarmCounts Counts => new(Seeders, Count - Seeders);

    /// <summary>Inserts or refreshes an entry; returns its index, or -1 when the swarm is full and the peer is new.</summary>
    public int Upsert(byte[] identity, bool complete, ReadOnlySpan<byte> pieces, long now, int maxPeers)
    {
        if (_index.TryGetValue(identity, out var i))
        {
            ref var slot = ref _slots[i];
            if (!slot.Identity.AsSpan().SequenceEqual(identity))
            {
                // Same id, new address: the peer moved. The index key compares by id only, so it stays valid.
                slot.Identity = identity;
                slot.Record = null;
            }

            Seeders += (complete ? 1 : 0) - (slot.Pieces is null ? 1 : 0);
            var held = complete ? null : Refreshed(slot.Pieces, pieces);
            if (!ReferenceEquals(held, slot.Pieces))
            {
                slot.Pieces = held;
                slot.PiecesHead = HeadOf(held);
                slot.Record = null;
            }

            slot.LastSeen = now;
            return i;
        }

        if (Count >= maxPeers)
        {
            return -1;
        }

        if (Count == _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        var stored = complete ? null : pieces.ToArray();
        _slots[Count] = new PeerSlot { Identity = identity, Pieces = stored, PiecesHead = HeadOf(stored), LastSeen = now };
        _index.Add(identity, Count);
        Seeders += complete ? 1 : 0;
        return Count++;
    }

    public bool Remove(byte[] idKey)
    {
        if (!_index.TryGetValue(idKey, out var i))
        {
            return false;
        }

        RemoveAt(i);
        return true;
    }

    /// <summary>Removes entries last seen at or before <paramref name="expiredAtOrBefore"/>; returns how many.</summary>
    public int RemoveExpired(long expiredAtOrBefore)
    {
        var removed = 0;
        for (var i = Count - 1; i >= 0; i--)
        {
            if (_slots[i].LastSeen <= expiredAtOrBefore)
            {
                RemoveAt(i);
                removed++;
            }
        }

        if (removed > 0 && _index.Count < _index.Capacity / 4)
        {
            _index.TrimExcess();
        }

        return removed;
    }

    /// <summary>The identities of the entries last seen at or before <paramref name="expiredAtOrBefore"/>.</summary>
    public List<byte[]> Expired(long expiredAtOrBefore)
    {
        var expired = new List<byte[]>();
        for (var i = 0; i < Count; i++)
        {
            if (_slots[i].LastSeen <= expiredAtOrBefore)
            {
                expired.Add(_slots[i].Identity);
            }
        }

        return expired;
    }

    /// <summary>
    /// Up to <paramref name="numWant"/> live entries other than <paramref name="self"/>: those holding a piece missing
    /// from <paramref name="askerPieces"/> first (none when the asker is complete), random within each group. Examines at most <paramref name="scanLimit"/> entries, a random sample when the swarm
    /// is larger, and removes the expired entries it meets, adding their identities to <paramref name="removed"/> when
    /// given (an owner that must delete them elsewhere too).
    /// </summary>
    public List<PeerRecord> Select(int self, bool askerComplete, ReadOnlySpan<byte> askerPieces, int numWant, int scanLimit, long expiredAtOrBefore, List<byte[]>? removed = null)
    {
        var result = new List<PeerRecord>(Math.Min(numWant, Count));
        if (numWant == 0 || Count == 0)
        {
            return result;
        }

        var examine = Math.Min(Count, scanLimit);
        var pool = ArrayPool<int>.Shared;
        var useful = pool.Rent(examine);
        var others = pool.Rent(examine);
        var expired = pool.Rent(examine);
        try
        {
            int usefulCount = 0, otherCount = 0, expiredCount = 0;
            var askerHead = HeadOf(askerPieces);
            var (start, stride) = Count <= scanLimit ? (0, 1) : RandomWalk(Count);
            for (var k = 0; k < examine; k++)
            {
                var i = (int)((start + ((long)k * stride)) % Count);
                if (i == self)
                {
                    continue;
                }

                ref readonly var slot = ref _slots[i];
                if (slot.LastSeen <= expiredAtOrBefore)
                {
                    expired[expiredCount++] = i;
                }
                else if (!askerComplete && HoldsMissing(in slot, askerHead, askerPieces))
                {
                    useful[usefulCount++] = i;
                }
                else
                {
                    others[otherCount++] = i;
                }
            }

            TakeRandom(useful.AsSpan(0, usefulCount), numWant, result);
            TakeRandom(others.AsSpan(0, otherCount), numWant, result);

            // Indices shift as entries are removed: remove only after the answer is built, highest index first.
            var toRemove = expired.AsSpan(0, expiredCount);
            toRemove.Sort();
            for (var j = toRemove.Length - 1; j >= 0; j--)
            {
                removed?.Add(_slots[toRemove[j]].Identity);
                RemoveAt(toRemove[j]);
            }

            return result;
        }
        finally
        {
            pool.Return(useful);
            pool.Return(others);
            pool.Return(expired);
        }
    }

    /// <summary>Entries in the swarm's arrays, for tests of memory release.</summary>
    internal int Capacity => _slots.Length;

    private void TakeRandom(Span<int> candidates, int numWant, List<PeerRecord> result)
    {
        // A partial Fisher-Yates shuffle: only as many draws as are taken.
        for (var n = 0; n < candidates.Length && result.Count < numWant; n++)
        {
            var pick = Random.Shared.Next(n, candidates.Length);
            (candidates[n], candidates[pick]) = (candidates[pick], candidates[n]);
            ref var slot = ref _slots[candidates[n]];
            slot.Record ??= new PeerRecord(
                PeerIdentity.PeerId(slot.Identity),
                PeerIdentity.Address(slot.Identity),
                slot.Pieces is null,
                slot.Pieces ?? ReadOnlyMemory<byte>.Empty);
            result.Add(slot.Record);
        }
    }

    private void RemoveAt(int i)
    {
        var last = Count - 1;
        _index.Remove(_slots[i].Identity);
        Seeders -= _slots[i].Pieces is null ? 1 : 0;
        if (i != last)
        {
            _slots[i] = _slots[last];
            _index[_slots[i].Identity] = i;
        }

        _slots[last] = default;
        Count = last;
        if (_slots.Length > MinCapacity && Count < _slots.Length / 4)
        {
            Array.Resize(ref _slots, Math.Max(MinCapacity, _slots.Length / 2));
        }
    }

    /// <summary>
    /// A random start and a stride coprime with <paramref name="count"/>: a walk that visits distinct entries. The
    /// stride is near count ÷ φ (plus a little randomness), which spreads any number of steps evenly over the whole
    /// array: entries sit in the order they arrived, and those that arrived together expire together, so a walk with a
    /// small stride could examine only expired entries of a swarm that is half alive and answer nobody.
    /// </summary>
    internal static (int Start, int Stride) RandomWalk(int count)
    {
        var stride = Math.Clamp((int)(count * InverseGoldenRatio) + Random.Shared.Next(Math.Max(1, count / 64)), 1, count - 1);
        while (Gcd(stride, count) != 1)
        {
            stride = stride == count - 1 ? 1 : stride + 1;
        }

        return (Random.Shared.Next(count), stride);
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    /// <summary>True when the peer in <paramref name="slot"/> has a piece that <paramref name="asker"/> (whose
    /// <see cref="HeadOf"/> is <paramref name="askerHead"/>) lacks.</summary>
    private static bool HoldsMissing(in PeerSlot slot, ulong askerHead, ReadOnlySpan<byte> asker)
    {
        if (slot.Pieces is not { } pieces)
        {
            // A seeder holds every piece, and an incomplete asker lacks at least one.
            return true;
        }

        // The first 64 pieces are in the slot itself: most answers are decided there without reading the bitfield's
        // array, which for a random peer of a large registry is a cache miss.
        if ((slot.PiecesHead & ~askerHead) != 0)
        {
            return true;
        }

        // Every bitfield of a swarm is as long as the asker's: its length, unlike the array's, costs no memory read.
        if (asker.Length <= sizeof(ulong))
        {
            return false;
        }

        var theirs = pieces.AsSpan();
        var words = theirs.Length / sizeof(ulong);
        var theirWords = MemoryMarshal.Cast<byte, ulong>(theirs[..(words * sizeof(ulong))]);
        var ourWords = MemoryMarshal.Cast<byte, ulong>(asker[..(words * sizeof(ulong))]);
        for (var w = 0; w < theirWords.Length; w++)
        {
            if ((theirWords[w] & ~ourWords[w]) != 0)
            {
                return true;
            }
        }

        for (var b = words * sizeof(ulong); b < theirs.Length; b++)
        {
            if ((theirs[b] & ~asker[b]) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first 8 bytes of a bitfield (fewer when it is shorter, zeros after them) as one word.</summary>
    private static ulong HeadOf(ReadOnlySpan<byte> pieces)
    {
        Span<byte> head = stackalloc byte[sizeof(ulong)];
        head.Clear();
        pieces[..Math.Min(pieces.Length, sizeof(ulong))].CopyTo(head);
        return MemoryMarshal.Read<ulong>(head);
    }

    // A slot's bitfield is never written in place: its record hands the array out, to be read after the gate is
    // released. An unchanged bitfield (a peer announcing again without new pieces) keeps its array and its record.
    private static byte[] Refreshed(byte[]? held, ReadOnlySpan<byte> pieces) =>
        held is not null && pieces.SequenceEqual(held) ? held : pieces.ToArray();

    private struct PeerSlot
    {
        public byte[] Identity;
        public byte[]? Pieces;
        public ulong PiecesHead;
        public long LastSeen;

        // The entry as answers hand it out, made the first time one does and shared by every answer until the
        // entry's address or bitfield changes: an answer then allocates nothing per peer it returns.
        public PeerRecord? Record;
    }
}
