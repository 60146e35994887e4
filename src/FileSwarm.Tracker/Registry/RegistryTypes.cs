using FileSwarm.Core;
using FileSwarm.Core.Metainfo;
using FileSwarm.Protocol.V1;

namespace FileSwarm.Tracker.Registry;

/// <summary>A handler in the catalog: what listings show, and the .torrent bytes for whoever asks for the handler.</summary>
public sealed record CatalogFile(
    Sha1Hash InfoHash,
    Sha1Hash? ContentSha1,
    string Name,
    int PieceLength,
    int PieceCount,
    long Length,
    ReadOnlyMemory<byte> Torrent)
{
    public static CatalogFile From(TorrentMetainfo metainfo)
    {
        ArgumentNullException.ThrowIfNull(metainfo);
        return new CatalogFile(
            metainfo.InfoHash,
            metainfo.ContentSha1,
            metainfo.Name,
            metainfo.PieceLength,
            metainfo.PieceCount,
            metainfo.TotalLength,
            metainfo.ToBytes());
    }
}

/// <param name="File">The catalog's entry (the one already there when <paramref name="Created"/> is false).</param>
/// <param name="Created">False when the info-hash was already registered.</param>
public readonly record struct RegisterResult(CatalogFile File, bool Created);

/// <summary>A position in <see cref="CatalogOrder"/>: a listing continues strictly after it.</summary>
public sealed record FileCursor(string Name, Sha1Hash InfoHash);

/// <param name="Limit">At most this many files (positive).</param>
/// <param name="NameFilter">Case-insensitive substring of the name; null or empty for all files.</param>
/// <param name="After">Continue after this position; null for the first page.</param>
public sealed record FileQuery(int Limit, string? NameFilter = null, FileCursor? After = null);

/// <param name="Files">The page, in <see cref="CatalogOrder"/>.</param>
/// <param name="TotalCount">Files matching the filter over all pages.</param>
/// <param name="Next">Where the next page starts; null on the last page.</param>
public sealed record FilePage(IReadOnlyList<CatalogFile> Files, long TotalCount, FileCursor? Next);

/// <summary>
/// The catalog's one order, the same for every implementation so that a page token from one tracker process works
/// on another: by name in Unicode code point order (which is also UTF-8 byte order, as etcd keys sort), then by
/// info-hash bytes.
/// </summary>
public static class CatalogOrder
{
    public static int Compare(string nameA, Sha1Hash infoHashA, string nameB, Sha1Hash infoHashB)
    {
        ArgumentNullException.ThrowIfNull(nameA);
        ArgumentNullException.ThrowIfNull(nameB);
        var byName = CompareCodePoints(nameA, nameB);
        return byName != 0 ? byName : infoHashA.Span.SequenceCompareTo(infoHashB.Span);
    }

    public static int Compare(CatalogFile a, FileCursor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Compare(a.Name, a.InfoHash, b.Name, b.InfoHash);
    }

    /// <summary>Orders <see cref="CatalogFile"/>s by <see cref="Compare(string, Sha1Hash, string, Sha1Hash)"/>.</summary>
    public static IComparer<CatalogFile> Files { get; } = Comparer<CatalogFile>.Create(
        (a, b) => Compare(a.Name, a.InfoHash, b.Name, b.InfoHash));

    private static int CompareCodePoints(string a, string b)
    {
        var left = a.EnumerateRunes();
        var right = b.EnumerateRunes();
        while (true)
        {
            var hasLeft = left.MoveNext();
            var hasRight = right.MoveNext();
            if (!hasLeft || !hasRight)
            {
                return hasLeft.CompareTo(hasRight);
            }

            var byRune = left.Current.Value.CompareTo(right.Current.Value);
            if (byRune != 0)
            {
                return byRune;
            }
        }
    }
}

/// <summary>One peer's announce, already validated by the caller.</summary>
/// <param name="InfoHash">The file.</param>
/// <param name="PeerId">The peer's identity within the swarm (at most 255 UTF-8 bytes; the service allows 64 ASCII characters).</param>
/// <param name="Address">host:port where other peers reach it.</param>
/// <param name="Complete">True when it holds every piece; <paramref name="Pieces"/> is then ignored and not stored.</param>
/// <param name="Pieces">Its bitfield, exactly <c>Bitfield.ByteCount(PieceCount)</c> bytes with spare bits zero, when not complete.</param>
/// <param name="NumWant">At most this many peers in the answer (zero or more).</param>
public sealed record PeerAnnouncement(
    Sha1Hash InfoHash,
    string PeerId,
    string Address,
    bool Complete,
    ReadOnlyMemory<byte> Pieces,
    int NumWant);

/// <summary>Another peer of a swarm as the registry returns it.</summary>
/// <param name="Pieces">Its bitfield; empty when <paramref name="Complete"/>. Never changed once in a record.</param>
/// <remarks>
/// Registries share one record per peer entry among the answers that return it (until the entry's address or
/// bitfield changes), so that an answer allocates nothing per peer; equality is by the four values only.
/// </remarks>
public sealed record PeerRecord(string PeerId, string Address, bool Complete, ReadOnlyMemory<byte> Pieces)
{
    /// <summary>The record as an announce answer sends it: encoded by the tracker service the first time an answer
    /// returns it, then copied into every later one.</summary>
    internal EncodedPeerInfo Encoded { get; set; }

    public bool Equals(PeerRecord? other) =>
        other is not null && PeerId == other.PeerId && Address == other.Address && Complete == other.Complete && Pieces.Equals(other.Pieces);

    public override int GetHashCode() => HashCode.Combine(PeerId, Address, Complete, Pieces);
}

/// <summary>Peers holding every piece, and the others, in a swarm.</summary>
public readonly record struct SwarmCounts(int Complete, int Incomplete);

/// <param name="Peers">Other live peers, best first.</param>
/// <param name="Counts">The swarm's size after this announce.</param>
public sealed record AnnounceResult(IReadOnlyList<PeerRecord> Peers, SwarmCounts Counts);

/// <param name="Files">Handlers in the catalog.</param>
/// <param name="Swarms">Swarms with at least one peer entry.</param>
/// <param name="Peers">Peer entries held, including expired ones not yet swept.</param>
public readonly record struct RegistryStats(long Files, long Swarms, long Peers);

/// <summary>Limits shared by registry implementations; validated when a registry is built.</summary>
public sealed record SwarmRegistryOptions
{
    /// <summary>A peer that has not announced for this long is expired. Default 75 s (2.5 × the tracker's default 30 s interval).</summary>
    public TimeSpan PeerTtl { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>
    /// Peer entries an announce examines at most. In a larger swarm it examines a random sample of this size, so the
    /// cost of an announce stays flat however large a swarm grows. Default 1000.
    /// </summary>
    public int AnnounceScanLimit { get; init; } = 1000;

    /// <summary>Peer entries kept per swarm; announces from further new peers are answered but not recorded. Default 100,000.</summary>
    public int MaxPeersPerSwarm { get; init; } = 100_000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (PeerTtl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"PeerTtl must be positive, not {PeerTtl}.");
        }

        if (AnnounceScanLimit < 1)
        {
            throw new ArgumentException($"AnnounceScanLimit must be at least 1, not {AnnounceScanLimit}.");
        }

        if (MaxPeersPerSwarm < 1)
        {
            throw new ArgumentException($"MaxPeersPerSwarm must be at least 1, not {MaxPeersPerSwarm}.");
        }
    }
}
