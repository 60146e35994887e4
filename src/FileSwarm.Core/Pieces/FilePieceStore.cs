using FileSwarm.Core.Internal;
using FileSwarm.Core.Metainfo;
using Microsoft.Win32.SafeHandles;

namespace FileSwarm.Core.Pieces;

/// <summary>Options for <see cref="FilePieceStore.Open"/>.</summary>
public sealed record FilePieceStoreOptions
{
    /// <summary>
    /// When every file already has its final name and size, mark all pieces present without hashing. Only for
    /// content this process has just hashed itself (sharing a local file); default false.
    /// </summary>
    public bool TrustCompleteFiles { get; init; }

    /// <summary>
    /// Write incomplete files around the page cache (Linux <c>O_DIRECT</c>) where the file system allows it, for the
    /// aligned part of each write; default true. Downloads write each piece once after hashing it in memory, so the
    /// cache would only hold data nobody reads soon, at the cost of a copy into fresh cache pages.
    /// </summary>
    public bool BypassPageCache { get; init; } = true;
}

/// <summary>
/// Pieces stored in the handler's files under a download directory. Incomplete files are written in place as
/// pre-sized <c>NAME.part</c> files and renamed to their final names only after every piece has been verified, so
/// a half-written file never carries its final name. Every path is resolved with <see cref="TorrentPath.Resolve"/>,
/// so nothing is ever written outside the directory. Reopening a directory with <c>.part</c> files resumes: call
/// <see cref="PieceStore.VerifyAll"/> to find the pieces already there.
/// </summary>
public sealed class FilePieceStore : PieceStore
{
    /// <summary>Suffix of files whose content is not yet complete.</summary>
    public const string PartSuffix = ".part";

    private readonly ReaderWriterLockSlim _filesLock = new();
    private readonly string[] _finalPaths;
    private readonly string[] _partPaths;
    private readonly bool[] _isPart;
    private readonly bool _someFilesFinal;
    private readonly bool _bypassPageCache;
    private ContentFileSet _files;

    private FilePieceStore(TorrentMetainfo metainfo, string directory, string[] finalPaths, string[] partPaths, bool[] isPart, bool createdEmpty, bool bypassPageCache)
        : base(metainfo)
    {
        Directory = directory;
        _bypassPageCache = bypassPageCache;
        CreatedEmpty = createdEmpty;
        _finalPaths = finalPaths;
        _partPaths = partPaths;
        _isPart = isPart;
        _someFilesFinal = isPart.Contains(false);
        _files = OpenFiles();
    }

    /// <summary>The download directory everything lives under.</summary>
    public string Directory { get; }

    /// <summary>Full final path of each file, in handler order.</summary>
    public IReadOnlyList<string> FinalPaths => _finalPaths;

    /// <summary>
    /// True when no file of the content existed (under either name) before this store was opened: until a block is
    /// written no piece can be present, so there is nothing to verify (reading a new, sparse file back just hashes zeros).
    /// </summary>
    public bool CreatedEmpty { get; }

    /// <summary>
    /// Opens (creating what is missing) the store for <paramref name="metainfo"/> under <paramref name="directory"/>.
    /// A file that already exists under its final name with the right size is used as it is; one with another
    /// size is an error (it is not ours to overwrite). Throws <see cref="MetainfoFormatException"/> when a path is
    /// unsafe and <see cref="IOException"/> on file-system errors.
    /// </summary>
    public static FilePieceStore Open(TorrentMetainfo metainfo, string directory, FilePieceStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(metainfo);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new FilePieceStoreOptions();
        var root = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(root);

        var count = metainfo.Files.Count;
        var finalPaths = new string[count];
        var partPaths = new string[count];
        var isPart = new bool[count];
        var createdEmpty = true;
        for (var i = 0; i < count; i++)
        {
            var file = metainfo.Files[i];
            var field = metainfo.IsMultiFile ? $"info.files[{i}].path" : "info.name";
            finalPaths[i] = TorrentPath.Resolve(root, file.StoragePath, field);
            partPaths[i] = TorrentPath.Resolve(root, [.. file.StoragePath.Take(file.StoragePath.Count - 1), file.StoragePath[^1] + PartSuffix], field);
            if (File.Exists(partPaths[i]))
            {
                isPart[i] = true;
                createdEmpty = false;
            }
            else if (File.Exists(finalPaths[i]))
            {
                createdEmpty = false;
                var length = new FileInfo(finalPaths[i]).Length;
                if (length != file.Length)
                {
                    throw new IOException($"{finalPaths[i]} already exists with {length} bytes, but the handler says {file.Length}; move it away or pick another directory");
                }
            }
            else if (System.IO.Directory.Exists(finalPaths[i]))
            {
                throw new IOException($"{finalPaths[i]} is a directory, but the handler has a file there");
            }
            else
            {
                isPart[i] = true;
            }
        }

        var store = new FilePieceStore(metainfo, root, finalPaths, partPaths, isPart, createdEmpty, options.BypassPageCache);
        if (!isPart.Contains(true) && options.TrustCompleteFiles)
        {
            store.MarkAllPresent();
        }
        else
        {
            store.FinaliseIfComplete();
        }

        return store;
    }

    /// <summary>Whether writes to file <paramref name="index"/> currently bypass the page cache where aligned.</summary>
    public bool WritesDirectly(int index)
    {
        using (UseFiles())
        {
            return _files.WritesDirectly(index);
        }
    }

    /// <summary>Forces written data to the disk.</summary>
    public void Flush()
    {
        using (UseFiles())
        {
            _files.Flush();
        }
    }

    protected override void ReadContent(long offset, Span<byte> destination)
    {
        using (UseFiles())
        {
            _files.Read(offset, destination);
        }
    }

    protected override void WriteContent(long offset, ReadOnlySpan<byte> data)
    {
        using (UseFiles())
        {
            for (var i = 0; _someFilesFinal && i < _isPart.Length; i++)
            {
                var file = Metainfo.Files[i];
                if (!_isPart[i] && file.Length > 0 && offset < file.Offset + file.Length && file.Offset < offset + data.Length)
                {
                    throw new InvalidOperationException($"{_finalPaths[i]} exists under its final name and is never written; move it away to download it again");
                }
            }

            _files.Write(offset, data);
        }
    }

    /// <summary>Every piece is verified: flush, give each <c>.part</c> file its final name, reopen read-only.</summary>
    protected override void Finalise()
    {
        _filesLock.EnterWriteLock();
        try
        {
            if (!_isPart.Contains(true))
            {
                return;
            }

            _files.Flush();
            _files.Dispose();
            try
            {
                for (var i = 0; i < _isPart.Length; i++)
                {
                    if (_isPart[i])
                    {
                        // No overwrite: a file that appeared under the final name meanwhile is not ours to replace.
                        File.Move(_partPaths[i], _finalPaths[i], overwrite: false);
                        _isPart[i] = false;
                    }
                }
            }
            finally
            {
                // Also after a failed rename, so the store keeps serving and a later VerifyAll can retry.
                _files = OpenFiles();
            }
        }
        finally
        {
            _filesLock.ExitWriteLock();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !IsDisposed)
        {
            _filesLock.EnterWriteLock();
            try
            {
                _files.Dispose();
                base.Dispose(disposing);
            }
            finally
            {
                _filesLock.ExitWriteLock();
            }

            _filesLock.Dispose();
        }
    }

    /// <summary>Shared access to the open files; finalising takes them exclusively to rename and reopen.</summary>
    private FilesLease UseFiles()
    {
        _filesLock.EnterReadLock();
        if (IsDisposed)
        {
            _filesLock.ExitReadLock();
            throw new ObjectDisposedException(nameof(FilePieceStore));
        }

        return new FilesLease(_filesLock);
    }

    /// <summary>
    /// Opens every file under its current name. Files under a final name are opened read-only: they are either
    /// complete content or someone else's file, and neither is ever written.
    /// </summary>
    private ContentFileSet OpenFiles()
    {
        var lengths = Metainfo.Files.Select(f => f.Length).ToArray();
        var paths = Enumerable.Range(0, _finalPaths.Length).Select(i => _isPart[i] ? _partPaths[i] : _finalPaths[i]).ToArray();
        return new ContentFileSet(
            paths,
            lengths,
            (index, path) => OpenContentFile(path, lengths[index], _isPart[index] ? FileAccess.ReadWrite : FileAccess.Read),
            (index, path) => _bypassPageCache && _isPart[index] && lengths[index] > 0 ? DirectIo.TryOpenForWriting(path) : null);
    }

    private static SafeFileHandle OpenContentFile(string path, long length, FileAccess access)
    {
        if (access == FileAccess.Read)
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }

        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Pieces arrive in any order and a part file is sparse until they do. Without the random-access hint
        // (POSIX_FADV_RANDOM), reading a just-written piece back for its SHA-1 makes the kernel read ahead into the
        // holes after it, allocating and zeroing pages: a third of a downloader's CPU in bench/transfer/one-to-one.sh.
        var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        try
        {
            if (RandomAccess.GetLength(handle) != length)
            {
                RandomAccess.SetLength(handle, length);
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return handle;
    }

    private readonly struct FilesLease(ReaderWriterLockSlim filesLock) : IDisposable
    {
        public void Dispose() => filesLock.ExitReadLock();
    }
}
