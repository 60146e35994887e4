using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;

namespace FileSwarm.Peer.Library;

public sealed partial class PeerLibrary
{
    /// <summary>
    /// Reopens every file recorded in the data directory: shared files from where they are (re-hashed when they
    /// changed since), downloads from the downloads directory with every piece re-verified, so only the missing
    /// pieces are fetched again. Entries that cannot be reopened are logged and left on disk for a later start.
    /// </summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(LibraryDirectory))
        {
            return;
        }

        foreach (var torrentPath in Directory.EnumerateFiles(LibraryDirectory, "*.torrent").Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = Path.GetFileNameWithoutExtension(torrentPath);
            try
            {
                await RestoreOneAsync(key, torrentPath, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or BencodeFormatException or MetainfoFormatException
                or System.Text.Json.JsonException or PeerException or InvalidDataException)
            {
                _logger.NotRestored(key, e.Message);
            }
        }

        _logger.Restored(_entries.Count);
    }

    private async Task RestoreOneAsync(string key, string torrentPath, CancellationToken cancellationToken)
    {
        var metainfo = TorrentMetainfo.Load(torrentPath);
        if (metainfo.InfoHash.ToString() != key)
        {
            throw new InvalidDataException($"{torrentPath} holds another handler ({metainfo.InfoHash})");
        }

        var record = LibraryJsonContext.Read(Path.Join(LibraryDirectory, key + ".json"))
            ?? throw new InvalidDataException($"{key}.json is empty");
        if (record.Role == LibraryRole.Shared)
        {
            RestoreShared(metainfo, record);
            return;
        }

        var store = OpenStore(metainfo, record.ContentDirectory, trustComplete: false);
        int present;
        try
        {
            present = await Task.Run(() => store.VerifyAll(cancellationToken: cancellationToken), cancellationToken);
        }
        catch
        {
            store.Dispose();
            throw;
        }

        var entry = new LibraryEntry(metainfo, LibraryRole.Download, record.ContentDirectory, store, _discovery.GetSwarm(metainfo));
        _entries[metainfo.InfoHash] = entry;
        if (store.IsComplete)
        {
            Changed?.Invoke(entry);
        }
        else
        {
            _logger.Downloading(metainfo.Name, key, record.ContentDirectory, present, metainfo.PieceCount);
            StartDownload(entry, present);
        }
    }

    private void RestoreShared(TorrentMetainfo metainfo, LibraryRecord record)
    {
        // Never let the store create anything beside a user's file: every file must still be there.
        var paths = metainfo.Files.Select(f => TorrentPath.Resolve(record.ContentDirectory, f.StoragePath, "name")).ToList();
        if (paths.FirstOrDefault(p => !File.Exists(p)) is { } missing)
        {
            throw new InvalidDataException($"{missing} is gone; share it again once it is back");
        }

        if (paths.Any(p => File.Exists(p + FilePieceStore.PartSuffix)))
        {
            throw new InvalidDataException($"an unfinished {FilePieceStore.PartSuffix} file sits beside {paths[0]}");
        }

        var single = new FileInfo(paths[0]);
        var unchanged = !metainfo.IsMultiFile && record.SourceLength == single.Length && record.SourceWriteTimeUtc == single.LastWriteTimeUtc;
        var store = OpenStore(metainfo, record.ContentDirectory, trustComplete: unchanged);
        if (!unchanged && store.VerifyAll() != metainfo.PieceCount)
        {
            store.Dispose();
            throw new InvalidDataException($"{paths[0]} changed since it was shared; share it again");
        }

        _entries[metainfo.InfoHash] = new LibraryEntry(metainfo, LibraryRole.Shared, record.ContentDirectory, store, _discovery.GetSwarm(metainfo));
    }

    /// <summary>This peer's identity: random once, then kept in <c>DATA-DIR/peer-id</c>.</summary>
    public static string LoadOrCreatePeerId(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Join(dataDirectory, "peer-id");
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (text.Length is > 0 and <= 64 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return text;
            }
        }

        var id = "fs-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(10));
        File.WriteAllText(path, id + "\n");
        return id;
    }
}
