using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;

namespace FileSwarm.Core.Internal;

/// <summary>
/// Validates a parsed .torrent and extracts what FileSwarm uses. Fields that define the content (everything in
/// <c>info</c>, and our <c>sha1</c>) are checked strictly; descriptive top-level fields are taken when well typed
/// and otherwise ignored, as other clients do.
/// </summary>
internal static class MetainfoParser
{
    /// <summary>Largest .torrent file accepted.</summary>
    public const int MaxTorrentBytes = 48 * 1024 * 1024;

    /// <summary>Largest total content length accepted (1 PiB); keeps offset arithmetic far from overflow.</summary>
    public const long MaxTotalLength = 1L << 50;

    private static readonly BencodeReaderOptions ReaderOptions = new() { MaxInputLength = MaxTorrentBytes };

    public static TorrentMetainfo Parse(ReadOnlyMemory<byte> torrent)
    {
        if (torrent.Length > MaxTorrentBytes)
        {
            throw new MetainfoFormatException("", $"{torrent.Length} bytes is too large for a handler (the limit is {MaxTorrentBytes / (1024 * 1024)} MiB); is this a .torrent file?");
        }

        if (Bencode.Parse(torrent, ReaderOptions) is not BDictionary root)
        {
            throw new MetainfoFormatException("", "the top-level value must be a dictionary");
        }

        var info = Require<BDictionary>(root, "info"u8, "info", "a dictionary");
        var name = RequireComponent(info, "name"u8, "info.name");
        var pieceLengthValue = Require<BInteger>(info, "piece length"u8, "info.piece length", "an integer").Value;
        if (pieceLengthValue is < PieceLengths.ReadMinimum or > PieceLengths.ReadMaximum)
        {
            throw new MetainfoFormatException("info.piece length", $"{pieceLengthValue} is out of range ({PieceLengths.ReadMinimum}..{PieceLengths.ReadMaximum})");
        }

        var pieceLength = (int)pieceLengthValue;
        var pieces = Require<BString>(info, "pieces"u8, "info.pieces", "a string");
        if (pieces.Length % Sha1Hash.Size != 0)
        {
            throw new MetainfoFormatException("info.pieces", $"length {pieces.Length} is not a multiple of 20");
        }

        var hasLength = info.TryGetValue("length"u8, out _);
        var hasFiles = info.TryGetValue("files"u8, out _);
        if (hasLength == hasFiles)
        {
            throw new MetainfoFormatException("info", hasLength
                ? "has both \"length\" and \"files\"; a handler is either single-file or multi-file"
                : "has neither \"length\" nor \"files\"");
        }

        var files = hasLength ? SingleFile(info, name) : MultiFile(info, name);
        var total = files.Count == 0 ? 0 : files[^1].Offset + files[^1].Length;
        var expectedPieces = PieceLengths.PieceCount(total, pieceLength);
        if (expectedPieces > PieceLengths.MaxPieceCount)
        {
            throw new MetainfoFormatException("info.pieces", $"{expectedPieces} pieces is more than the limit of {PieceLengths.MaxPieceCount}");
        }

        if (pieces.Length / Sha1Hash.Size != expectedPieces)
        {
            throw new MetainfoFormatException("info.pieces", $"has {pieces.Length / Sha1Hash.Size} hashes, but {total} bytes in pieces of {pieceLength} need {expectedPieces}");
        }

        var isPrivate = false;
        if (info.TryGetValue("private"u8, out var privateValue))
        {
            isPrivate = privateValue is BInteger { Value: 1 };
        }

        return new TorrentMetainfo(
            torrent,
            isMultiFile: hasFiles,
            name,
            pieceLength,
            files,
            total,
            pieces.Bytes,
            info.RawBytes,
            ContentSha1(root),
            announce: OptionalText(root, "announce"u8),
            announceList: AnnounceList(root),
            comment: OptionalText(root, "comment"u8),
            createdBy: OptionalText(root, "created by"u8),
            creationDate: root.TryGetValue("creation date"u8, out var date) && date is BInteger { Value: >= 0 and < 253402300800 } seconds
                ? DateTimeOffset.FromUnixTimeSeconds(seconds.Value)
                : null,
            isPrivate);
    }

    private static List<TorrentFile> SingleFile(BDictionary info, string name)
    {
        var length = Require<BInteger>(info, "length"u8, "info.length", "an integer").Value;
        if (length is < 0 or > MaxTotalLength)
        {
            throw new MetainfoFormatException("info.length", $"{length} is out of range (0..{MaxTotalLength})");
        }

        return [new TorrentFile([name], [name], length, 0)];
    }

    private static List<TorrentFile> MultiFile(BDictionary info, string name)
    {
        var list = Require<BList>(info, "files"u8, "info.files", "a list");
        if (list.Count == 0)
        {
            throw new MetainfoFormatException("info.files", "is empty");
        }

        var files = new List<TorrentFile>(list.Count);
        var seenFiles = new HashSet<string>(StringComparer.Ordinal);
        var seenDirectories = new HashSet<string>(StringComparer.Ordinal);
        long offset = 0;
        for (var i = 0; i < list.Count; i++)
        {
            var field = $"info.files[{i}]";
            if (list[i] is not BDictionary entry)
            {
                throw new MetainfoFormatException(field, "must be a dictionary");
            }

            var length = Require<BInteger>(entry, "length"u8, field + ".length", "an integer").Value;
            if (length < 0 || length > MaxTotalLength - offset)
            {
                throw new MetainfoFormatException(field + ".length", $"{length} is out of range (the total must stay within 0..{MaxTotalLength})");
            }

            var pathList = Require<BList>(entry, "path"u8, field + ".path", "a list");
            if (pathList.Count == 0)
            {
                throw new MetainfoFormatException(field + ".path", "is empty");
            }

            var path = new string[pathList.Count];
            for (var j = 0; j < path.Length; j++)
            {
                path[j] = Component(pathList[j], $"{field}.path[{j}]");
            }

            var joined = string.Join('/', path);
            if (seenDirectories.Contains(joined) || !seenFiles.Add(joined))
            {
                throw new MetainfoFormatException(field + ".path", $"\"{TorrentPath.Printable(joined)}\" appears more than once");
            }

            for (var j = 1; j < path.Length; j++)
            {
                var directory = string.Join('/', path, 0, j);
                if (seenFiles.Contains(directory))
                {
                    throw new MetainfoFormatException(field + ".path", $"\"{TorrentPath.Printable(directory)}\" is both a file and a directory");
                }

                seenDirectories.Add(directory);
            }

            files.Add(new TorrentFile(path, [name, .. path], length, offset));
            offset += length;
        }

        return files;
    }

    private static Sha1Hash? ContentSha1(BDictionary root)
    {
        if (!root.TryGetValue(TorrentMetainfo.ContentSha1Key, out var value))
        {
            return null;
        }

        if (value is BString { Length: Sha1Hash.Size } raw)
        {
            return new Sha1Hash(raw.Span);
        }

        if (value is BString { Length: Sha1Hash.Size * 2 } hex && hex.TryGetText(out var text) && Sha1Hash.TryParse(text, out var parsed))
        {
            return parsed;
        }

        throw new MetainfoFormatException("sha1", "must be a 20-byte SHA-1 digest (or 40 hex characters)");
    }

    private static string? OptionalText(BDictionary dict, ReadOnlySpan<byte> key) =>
        dict.TryGetValue(key, out var value) && value is BString s && s.TryGetText(out var text) ? text : null;

    private static List<IReadOnlyList<string>> AnnounceList(BDictionary root)
    {
        var tiers = new List<IReadOnlyList<string>>();
        if (root.TryGetValue("announce-list"u8, out var value) && value is BList list)
        {
            foreach (var tier in list)
            {
                if (tier is BList urls)
                {
                    var texts = new List<string>();
                    foreach (var url in urls)
                    {
                        if (url is BString s && s.TryGetText(out var text))
                        {
                            texts.Add(text);
                        }
                    }

                    if (texts.Count > 0)
                    {
                        tiers.Add(texts);
                    }
                }
            }
        }

        return tiers;
    }

    private static string RequireComponent(BDictionary dict, ReadOnlySpan<byte> key, string field) =>
        Component(Require<BString>(dict, key, field, "a string"), field);

    private static string Component(BValue value, string field)
    {
        if (value is not BString s)
        {
            throw new MetainfoFormatException(field, "must be a string");
        }

        if (!s.TryGetText(out var text))
        {
            throw new MetainfoFormatException(field, "is not valid UTF-8");
        }

        if (TorrentPath.GetComponentError(text) is { } reason)
        {
            throw new MetainfoFormatException(field, reason);
        }

        return text;
    }

    private static T Require<T>(BDictionary dict, ReadOnlySpan<byte> key, string field, string what)
        where T : BValue
    {
        if (!dict.TryGetValue(key, out var value))
        {
            throw new MetainfoFormatException(field, "is missing");
        }

        return value as T ?? throw new MetainfoFormatException(field, $"must be {what}");
    }
}
