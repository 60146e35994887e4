using System.Security.Cryptography;
using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Internal;

namespace FileSwarm.Core.Metainfo;

/// <summary>
/// A handler: a BitTorrent v1 metainfo (.torrent). It says how content is cut into pieces and the SHA-1 of each.
/// Immutable. Obtain one with <see cref="Parse"/>, <see cref="Load"/> or <see cref="MetainfoBuilder"/>.
/// </summary>
public sealed class TorrentMetainfo
{
    /// <summary>
    /// Top-level key that holds the SHA-1 of the whole content (20 raw bytes). It sits outside <c>info</c> on purpose:
    /// the info-hash stays the one other tools compute for the same content and piece length, and tools that do not
    /// know the key ignore it, as BEP 3 asks of unknown keys.
    /// </summary>
    public static ReadOnlySpan<byte> ContentSha1Key => "sha1"u8;

    private readonly ReadOnlyMemory<byte> _torrentBytes;

    internal TorrentMetainfo(
        ReadOnlyMemory<byte> torrentBytes,
        bool isMultiFile,
        string name,
        int pieceLength,
        IReadOnlyList<TorrentFile> files,
        long totalLength,
        ReadOnlyMemory<byte> pieceHashes,
        ReadOnlyMemory<byte> infoBytes,
        Sha1Hash? contentSha1,
        string? announce,
        IReadOnlyList<IReadOnlyList<string>> announceList,
        string? comment,
        string? createdBy,
        DateTimeOffset? creationDate,
        bool isPrivate)
    {
        _torrentBytes = torrentBytes;
        IsMultiFile = isMultiFile;
        Name = name;
        PieceLength = pieceLength;
        Files = files;
        TotalLength = totalLength;
        PieceHashes = pieceHashes;
        InfoBytes = infoBytes;
        PieceCount = pieceHashes.Length / Sha1Hash.Size;
        InfoHash = Sha1Hash.Compute(infoBytes.Span);
        ContentSha1 = contentSha1;
        Announce = announce;
        AnnounceList = announceList;
        Comment = comment;
        CreatedBy = createdBy;
        CreationDate = creationDate;
        IsPrivate = isPrivate;
    }

    /// <summary>SHA-1 of the info dictionary exactly as it appears in the file: the handler's identity.</summary>
    public Sha1Hash InfoHash { get; }

    /// <summary>SHA-1 of the whole content, when the handler records it (FileSwarm's top-level <c>sha1</c>).</summary>
    public Sha1Hash? ContentSha1 { get; }

    /// <summary>The file name (single-file) or directory name (multi-file); already validated as a safe name.</summary>
    public string Name { get; }

    public int PieceLength { get; }

    public int PieceCount { get; }

    /// <summary>Total content length in bytes (the sum over <see cref="Files"/>).</summary>
    public long TotalLength { get; }

    /// <summary>The files in content order; one entry for a single-file handler.</summary>
    public IReadOnlyList<TorrentFile> Files { get; }

    /// <summary>True when the handler has <c>info.files</c> (content is a directory named <see cref="Name"/>).</summary>
    public bool IsMultiFile { get; }

    /// <summary>The 20-byte piece hashes, concatenated (<c>info.pieces</c>).</summary>
    public ReadOnlyMemory<byte> PieceHashes { get; }

    /// <summary>The bencoded info dictionary, byte for byte as in the file.</summary>
    public ReadOnlyMemory<byte> InfoBytes { get; }

    public string? Announce { get; }

    /// <summary>BEP 12 tiers of tracker URLs; empty when absent.</summary>
    public IReadOnlyList<IReadOnlyList<string>> AnnounceList { get; }

    public string? Comment { get; }

    public string? CreatedBy { get; }

    public DateTimeOffset? CreationDate { get; }

    public bool IsPrivate { get; }

    /// <summary>
    /// Parses and validates a .torrent. Throws <see cref="BencodeFormatException"/> when the bytes are not strict
    /// bencode and <see cref="MetainfoFormatException"/> when they are not acceptable metainfo; nothing else.
    /// <paramref name="torrent"/> is kept (not copied), so it must not change afterwards.
    /// </summary>
    public static TorrentMetainfo Parse(ReadOnlyMemory<byte> torrent) => MetainfoParser.Parse(torrent);

    /// <summary>Reads and parses a .torrent file (at most 48 MiB).</summary>
    public static TorrentMetainfo Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var length = RandomAccess.GetLength(handle);
        if (length > MetainfoParser.MaxTorrentBytes)
        {
            throw new MetainfoFormatException("", $"{length} bytes is too large for a handler (the limit is {MetainfoParser.MaxTorrentBytes / (1024 * 1024)} MiB); is this a .torrent file?");
        }

        var bytes = new byte[length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
            {
                throw new IOException($"{path} shrank while it was being read");
            }

            read += n;
        }

        return Parse(bytes);
    }

    /// <summary>The .torrent bytes this handler was parsed from (a copy).</summary>
    public byte[] ToBytes() => _torrentBytes.ToArray();

    /// <summary>The 20-byte expected SHA-1 of piece <paramref name="piece"/>.</summary>
    public ReadOnlySpan<byte> GetPieceHash(int piece)
    {
        CheckPiece(piece);
        return PieceHashes.Span.Slice(piece * Sha1Hash.Size, Sha1Hash.Size);
    }

    /// <summary>Offset of the piece's first byte in the content.</summary>
    public long GetPieceOffset(int piece)
    {
        CheckPiece(piece);
        return (long)piece * PieceLength;
    }

    /// <summary>Size of the piece: <see cref="PieceLength"/>, except the last piece, which may be shorter.</summary>
    public int GetPieceSize(int piece)
    {
        CheckPiece(piece);
        return piece < PieceCount - 1 ? PieceLength : (int)(TotalLength - ((long)piece * PieceLength));
    }

    /// <summary>The pieces that hold bytes of <paramref name="file"/>: first index and count (0 for an empty file).</summary>
    public (int First, int Count) GetPieceRange(TorrentFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Length == 0)
        {
            return ((int)Math.Min(file.Offset / PieceLength, Math.Max(PieceCount - 1, 0)), 0);
        }

        var first = (int)(file.Offset / PieceLength);
        var last = (int)((file.Offset + file.Length - 1) / PieceLength);
        return (first, last - first + 1);
    }

    /// <summary>True when <paramref name="data"/> is exactly piece <paramref name="piece"/> (right size and SHA-1).</summary>
    public bool VerifyPiece(int piece, ReadOnlySpan<byte> data)
    {
        if (data.Length != GetPieceSize(piece))
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[Sha1Hash.Size];
        SHA1.HashData(data, digest);
        return digest.SequenceEqual(GetPieceHash(piece));
    }

    /// <summary>True when <paramref name="hash"/> names this handler: its info-hash or its content SHA-1.</summary>
    public bool IsIdentifiedBy(Sha1Hash hash) => hash == InfoHash || (ContentSha1 is { } sha1 && hash == sha1);

    public override string ToString() => $"{Name} ({InfoHash})";

    private void CheckPiece(int piece)
    {
        if ((uint)piece >= (uint)PieceCount)
        {
            throw new ArgumentOutOfRangeException(nameof(piece), piece, $"piece index must be in 0..{PieceCount - 1}");
        }
    }
}
