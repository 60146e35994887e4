using System.Collections.Concurrent;
using FileSwarm.Core;
using FileSwarm.Core.Creation;
using FileSwarm.Core.Metainfo;
using FileSwarm.Core.Pieces;
using FileSwarm.Peer.Discovery;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Peer.Library;

/// <summary>
/// The files this peer shares or downloads, kept in <c>DATA-DIR/library</c> (a <c>.torrent</c> and a small JSON
/// record per file) so that a restarted peer reopens them, resumes partial downloads and announces them again.
/// Changes are serialised; reads are lock-free.
/// </summary>
public sealed partial class PeerLibrary : IAsyncDisposable
{
    private readonly PeerOptions _options;
    private readonly IDiscovery _discovery;
    private readonly DownloadRunFactory _downloads;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Sha1Hash, LibraryEntry> _entries = new();
    private readonly SemaphoreSlim _mutation = new(1, 1);
    private readonly string? _shareRoot;

    public PeerLibrary(PeerOptions options, IDiscovery discovery, DownloadRunFactory downloads, ILogger logger)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _discovery = discovery ?? throw new ArgumentNullException(nameof(discovery));
        _downloads = downloads ?? throw new ArgumentNullException(nameof(downloads));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        LibraryDirectory = Path.Join(Path.GetFullPath(options.DataDirectory), "library");
        DownloadsDirectory = options.EffectiveDownloadsDirectory;
        _shareRoot = options.ShareRoot is { } root ? SharePaths.Resolve(Path.GetFullPath(root)) : null;
    }

    /// <summary>Raised when a file is added, completes, or is removed (the announcer listens).</summary>
    public event Action<LibraryEntry>? Changed;

    public string LibraryDirectory { get; }

    public string DownloadsDirectory { get; }

    public IReadOnlyCollection<LibraryEntry> Entries => [.. _entries.Values.Where(e => !e.IsRemoved).OrderBy(e => e.Metainfo.Name, StringComparer.Ordinal)];

    /// <summary>The entry with this info-hash or content SHA-1.</summary>
    public LibraryEntry? Find(Sha1Hash hash)
    {
        if (_entries.TryGetValue(hash, out var entry) && !entry.IsRemoved)
        {
            return entry;
        }

        return _entries.Values.FirstOrDefault(e => !e.IsRemoved && e.Metainfo.ContentSha1 is { } sha1 && sha1 == hash);
    }

    /// <summary>The entry with exactly this handler name, when exactly one has it.</summary>
    public LibraryEntry? FindByName(string name)
    {
        var matches = _entries.Values.Where(e => !e.IsRemoved && e.Metainfo.Name == name).Take(2).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }

    /// <summary>
    /// Starts sharing a local file or directory from where it is: hashes it, publishes the handler, and records it.
    /// The content is never modified. Sharing the same content again returns the existing entry.
    /// </summary>
    public async Task<LibraryEntry> ShareAsync(string path, int? pieceLength, CancellationToken cancellationToken)
    {
        var real = SharePaths.Resolve(path);
        if (_shareRoot is { } root && !SharePaths.IsInside(real, root))
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"{path} is outside the share root {root} (--share-root)");
        }

        if (pieceLength is { } length && !PieceLengths.IsValidForCreate(length, out var reason))
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"piece_length: {reason}");
        }

        TorrentMetainfo metainfo;
        try
        {
            metainfo = await TorrentCreator.CreateAsync(real, new TorrentCreateOptions { PieceLength = pieceLength }, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"{path} cannot be shared: {e.Message}", e);
        }

        await _mutation.WaitAsync(cancellationToken);
        try
        {
            if (Find(metainfo.InfoHash) is { } existing)
            {
                return existing;
            }

            await _discovery.RegisterAsync(metainfo, cancellationToken);
            var directory = Path.GetDirectoryName(real) ?? throw new PeerException(PeerErrorKind.InvalidArgument, $"{path} cannot be shared");
            var store = OpenStore(metainfo, directory, trustComplete: true);
            if (!store.IsComplete)
            {
                // A NAME.part beside the file would make the store write next to the user's content: refuse.
                store.Dispose();
                throw new PeerException(PeerErrorKind.Conflict, $"{path} has an unfinished download ({FilePieceStore.PartSuffix}) beside it; remove that first");
            }

            var info = new FileInfo(real);
            var record = new LibraryRecord
            {
                Role = LibraryRole.Shared,
                ContentDirectory = directory,
                SourceLength = info.Exists ? info.Length : null,
                SourceWriteTimeUtc = info.Exists ? info.LastWriteTimeUtc : null,
                Added = _options.TimeProvider.GetUtcNow(),
            };
            var entry = Add(metainfo, record, store);
            _logger.Sharing(metainfo.Name, metainfo.InfoHash.ToString(), real);
            return entry;
        }
        finally
        {
            _mutation.Release();
        }
    }

    /// <summary>
    /// Starts downloading the file with this hash into the downloads directory, resuming from what is already
    /// there. A file already complete in the library is returned as it is; one still downloading is a conflict.
    /// </summary>
    public async Task<LibraryEntry> DownloadAsync(Sha1Hash hash, CancellationToken cancellationToken)
    {
        if (Find(hash) is { } known)
        {
            return known.IsDownloading
                ? throw new PeerException(PeerErrorKind.Conflict, $"{known.Metainfo.Name} ({known.Metainfo.InfoHash}) is already downloading")
                : known;
        }

        var metainfo = await _discovery.FindAsync(hash, cancellationToken) ?? throw PeerException.NotFound(hash.ToString());
        await _mutation.WaitAsync(cancellationToken);
        try
        {
            if (Find(metainfo.InfoHash) is { } raced)
            {
                return raced.IsDownloading
                    ? throw new PeerException(PeerErrorKind.Conflict, $"{raced.Metainfo.Name} ({raced.Metainfo.InfoHash}) is already downloading")
                    : raced;
            }

            if (_entries.Values.FirstOrDefault(e => e.ContentDirectory == DownloadsDirectory && e.Metainfo.Name == metainfo.Name) is { } sameName)
            {
                throw new PeerException(PeerErrorKind.Conflict, $"another file named {metainfo.Name} ({sameName.Metainfo.InfoHash}) is already in the downloads directory");
            }

            var store = OpenStore(metainfo, DownloadsDirectory, trustComplete: false);
            int present;
            try
            {
                // A brand-new download has nothing to resume: skip reading the empty file back (1 GiB costs seconds).
                present = store.CreatedEmpty ? 0 : await Task.Run(() => store.VerifyAll(cancellationToken: cancellationToken), cancellationToken);
                if (!store.IsComplete && store.FinalPaths.Any(File.Exists))
                {
                    throw new PeerException(PeerErrorKind.Conflict, $"{store.FinalPaths.First(File.Exists)} already exists with other content; move it away first");
                }
            }
            catch
            {
                store.Dispose();
                throw;
            }

            var record = new LibraryRecord { Role = LibraryRole.Download, ContentDirectory = DownloadsDirectory, Added = _options.TimeProvider.GetUtcNow() };
            var entry = Add(metainfo, record, store, start: false);
            _logger.Downloading(metainfo.Name, metainfo.InfoHash.ToString(), DownloadsDirectory, present, metainfo.PieceCount);
            StartDownload(entry, present);
            return entry;
        }
        finally
        {
            _mutation.Release();
        }
    }

    /// <summary>
    /// Stops sharing or downloading a file and forgets it. A shared original is never touched; an unfinished
    /// download's <c>.part</c> file is deleted; finished downloads stay where they are.
    /// </summary>
    public async Task<LibraryEntry> RemoveAsync(Sha1Hash hash, CancellationToken cancellationToken)
    {
        await _mutation.WaitAsync(cancellationToken);
        try
        {
            var entry = Find(hash) ?? throw PeerException.NotFound(hash.ToString());
            entry.IsRemoved = true;
            if (entry.Download is { } job)
            {
                await job.StopAsync();
            }

            await AnnounceStoppedAsync(entry);
            var wasComplete = entry.Store.IsComplete;
            entry.Store.Dispose();
            if (entry.Role == LibraryRole.Download && !wasComplete)
            {
                foreach (var final in entry.ContentPaths)
                {
                    File.Delete(final + FilePieceStore.PartSuffix);
                }
            }

            var key = entry.Metainfo.InfoHash.ToString();
            File.Delete(Path.Join(LibraryDirectory, key + ".json"));
            File.Delete(Path.Join(LibraryDirectory, key + ".torrent"));
            _entries.TryRemove(entry.Metainfo.InfoHash, out _);
            _logger.Removed(entry.Metainfo.Name, key);
            Changed?.Invoke(entry);
            return entry;
        }
        finally
        {
            _mutation.Release();
        }
    }

    /// <summary>Stops every download; verified pieces stay for the next start.</summary>
    public async Task StopDownloadsAsync()
    {
        foreach (var entry in _entries.Values)
        {
            if (entry.Download is { } job)
            {
                await job.StopAsync();
            }
        }
    }

    /// <summary>Stops every download and closes every store.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopDownloadsAsync();
        foreach (var entry in _entries.Values)
        {
            entry.Store.Dispose();
        }

        _mutation.Dispose();
    }

    internal async Task AnnounceStoppedAsync(LibraryEntry entry)
    {
        if (!entry.Announced && entry.Download is null)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(_options.TrackerTimeout);
            var totals = entry.Totals;
            await entry.Swarm.AnnounceAsync(Transfers.SwarmEvent.Stopped, entry.Store.GetBitfield(), totals.Uploaded, totals.Downloaded, timeout.Token);
        }
        catch (Exception e) when (e is PeerException or OperationCanceledException or Rpc.RpcException or ObjectDisposedException)
        {
            _logger.AnnounceFailed(entry.Metainfo.InfoHash.ToString(), e.Message);
        }
    }

    private FilePieceStore OpenStore(TorrentMetainfo metainfo, string directory, bool trustComplete)
    {
        try
        {
            return FilePieceStore.Open(metainfo, directory, new FilePieceStoreOptions { TrustCompleteFiles = trustComplete, BypassPageCache = _options.DirectIo });
        }
        catch (MetainfoFormatException e)
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"the handler of {metainfo.InfoHash} cannot be stored safely: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PeerException(PeerErrorKind.Conflict, e.Message, e);
        }
    }

    private LibraryEntry Add(TorrentMetainfo metainfo, LibraryRecord record, FilePieceStore store, bool start = true)
    {
        try
        {
            Directory.CreateDirectory(LibraryDirectory);
            var key = metainfo.InfoHash.ToString();
            WriteAtomically(Path.Join(LibraryDirectory, key + ".torrent"), metainfo.ToBytes());
            WriteAtomically(Path.Join(LibraryDirectory, key + ".json"), LibraryJsonContext.Write(record));
        }
        catch
        {
            store.Dispose();
            throw;
        }

        var entry = new LibraryEntry(metainfo, record.Role, record.ContentDirectory, store, _discovery.GetSwarm(metainfo));
        _entries[metainfo.InfoHash] = entry;
        if (start)
        {
            Changed?.Invoke(entry);
        }

        return entry;
    }

    private void StartDownload(LibraryEntry entry, int present)
    {
        var job = new DownloadJob(entry, present, _downloads, _logger, _options.TimeProvider, TimeSpan.FromSeconds(2));
        entry.Download = job;
        job.Start(done =>
        {
            // The engine announced Completed; from now on the announcer keeps the file in the swarm.
            done.Announced = true;
            done.NextAnnounce = DateTimeOffset.MinValue;
            _logger.DownloadComplete(done.Metainfo.Name, done.Metainfo.InfoHash.ToString(), string.Join(", ", done.ContentPaths));
            Changed?.Invoke(done);
        });
        Changed?.Invoke(entry);
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
