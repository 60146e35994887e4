using FileSwarm.Core.BEncoding;

namespace FileSwarm.Core.Metainfo;

/// <summary>One file of a multi-file handler being built: its path inside the handler and its length.</summary>
public sealed record MetainfoFileEntry(IReadOnlyList<string> Path, long Length);

/// <summary>
/// Writes a handler. Set <see cref="Length"/> for a single file or <see cref="Files"/> for a directory.
/// <see cref="Build"/> encodes canonical bencode and parses it back, so a built handler passed exactly the
/// validation a downloaded one would.
/// </summary>
public sealed class MetainfoBuilder
{
    /// <summary>File or directory name.</summary>
    public required string Name { get; init; }

    public required int PieceLength { get; init; }

    /// <summary>Concatenated 20-byte piece SHA-1s.</summary>
    public required ReadOnlyMemory<byte> PieceHashes { get; init; }

    /// <summary>Content length of a single-file handler.</summary>
    public long? Length { get; init; }

    /// <summary>Files of a multi-file handler, in content order.</summary>
    public IReadOnlyList<MetainfoFileEntry>? Files { get; init; }

    /// <summary>SHA-1 of the whole content, stored under the top-level <c>sha1</c> key.</summary>
    public Sha1Hash? ContentSha1 { get; init; }

    /// <summary>Tracker URL (<c>announce</c>).</summary>
    public string? Announce { get; init; }

    public string? Comment { get; init; }

    public string? CreatedBy { get; init; }

    public DateTimeOffset? CreationDate { get; init; }

    /// <summary>Sets <c>info.private = 1</c> (BEP 27).</summary>
    public bool IsPrivate { get; init; }

    /// <summary>
    /// Encodes and validates the handler. Throws <see cref="MetainfoFormatException"/> when the description is not a
    /// valid handler (bad name, wrong number of piece hashes, ...).
    /// </summary>
    public TorrentMetainfo Build() => TorrentMetainfo.Parse(Encode());

    /// <summary>The .torrent bytes, not yet validated.</summary>
    public byte[] Encode()
    {
        if ((Length is null) == (Files is null))
        {
            throw new InvalidOperationException("set exactly one of Length (single file) and Files (directory)");
        }

        var info = new List<KeyValuePair<string, BValue>>
        {
            new("name", new BString(Name)),
            new("piece length", new BInteger(PieceLength)),
            new("pieces", new BString(PieceHashes)),
        };
        if (Length is { } length)
        {
            info.Add(new("length", new BInteger(length)));
        }
        else
        {
            info.Add(new("files", new BList(Files!.Select(f => (BValue)new BDictionary(
            [
                new KeyValuePair<string, BValue>("length", new BInteger(f.Length)),
                new KeyValuePair<string, BValue>("path", new BList(f.Path.Select(p => (BValue)new BString(p)))),
            ])))));
        }

        if (IsPrivate)
        {
            info.Add(new("private", new BInteger(1)));
        }

        var root = new List<KeyValuePair<string, BValue>> { new("info", new BDictionary(info)) };
        if (Announce is not null)
        {
            root.Add(new("announce", new BString(Announce)));
        }

        if (Comment is not null)
        {
            root.Add(new("comment", new BString(Comment)));
        }

        if (CreatedBy is not null)
        {
            root.Add(new("created by", new BString(CreatedBy)));
        }

        if (CreationDate is { } date)
        {
            root.Add(new("creation date", new BInteger(date.ToUnixTimeSeconds())));
        }

        if (ContentSha1 is { } sha1)
        {
            root.Add(new("sha1", new BString(sha1.ToArray()))); // TorrentMetainfo.ContentSha1Key
        }

        return Bencode.Encode(new BDictionary(root));
    }
}
