using System.Collections.Concurrent;
using System.Collections.Immutable;
using FileSwarm.Core;

namespace FileSwarm.Tracker.Registry.Internal;

/// <summary>
/// The catalog held in process memory: handlers by info-hash, the content SHA-1 index, and an immutable sorted set
/// swapped on every addition so that listings never block. Thread-safe. The memory registry is made of it; the etcd
/// registry keeps its cache of etcd's catalog in one.
/// </summary>
internal sealed class CatalogIndex
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<Sha1Hash, CatalogFile> _byInfoHash = new();
    private readonly ConcurrentDictionary<Sha1Hash, Sha1Hash> _byContentSha1 = new();
    private ImmutableSortedSet<CatalogFile> _ordered = ImmutableSortedSet.Create(CatalogOrder.Files);

    public int Count => _byInfoHash.Count;

    /// <summary>Adds <paramref name="file"/> unless its info-hash is there; returns the entry that is there after the call.</summary>
    /// <param name="indexContent">Also index its content SHA-1, unless another handler holds that entry already.</param>
    public RegisterResult Add(CatalogFile file, bool indexContent)
    {
        if (_byInfoHash.TryGetValue(file.InfoHash, out var existing))
        {
            return new RegisterResult(existing, false);
        }

        lock (_gate)
        {
            if (_byInfoHash.TryGetValue(file.InfoHash, out existing))
            {
                return new RegisterResult(existing, false);
            }

            if (indexContent && file.ContentSha1 is { } sha1)
            {
                _byContentSha1.TryAdd(sha1, file.InfoHash);
            }

            _ordered = _ordered.Add(file);
            _byInfoHash[file.InfoHash] = file;
        }

        return new RegisterResult(file, true);
    }

    /// <summary>Points a content SHA-1 at a handler (the first call for a SHA-1 wins), as etcd's index records it.</summary>
    public void IndexContent(Sha1Hash contentSha1, Sha1Hash infoHash) => _byContentSha1.TryAdd(contentSha1, infoHash);

    public CatalogFile? Get(Sha1Hash infoHash) => _byInfoHash.TryGetValue(infoHash, out var file) ? file : null;

    /// <summary>The entry whose info-hash, or else whose content SHA-1, is <paramref name="hash"/>.</summary>
    public CatalogFile? Find(Sha1Hash hash) =>
        _byInfoHash.TryGetValue(hash, out var file) || (_byContentSha1.TryGetValue(hash, out var infoHash) && _byInfoHash.TryGetValue(infoHash, out file))
            ? file
            : null;

    /// <remarks>
    /// Without a filter a page costs O(page × log catalog). With one it scans the catalog to count the matches: fine
    /// for catalogs of handlers (thousands, not the millions of peer entries that swarms can hold).
    /// </remarks>
    public FilePage List(FileQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        var snapshot = _ordered;
        var start = 0;
        if (query.After is { } after)
        {
            var probe = new CatalogFile(after.InfoHash, null, after.Name, 0, 0, 0, ReadOnlyMemory<byte>.Empty);
            var found = snapshot.IndexOf(probe);
            start = found >= 0 ? found + 1 : ~found;
        }

        var page = new List<CatalogFile>(Math.Min(query.Limit, snapshot.Count));
        FileCursor? next = null;
        long total;
        if (string.IsNullOrEmpty(query.NameFilter))
        {
            total = snapshot.Count;
            for (var i = start; i < snapshot.Count && page.Count < query.Limit; i++)
            {
                page.Add(snapshot[i]);
            }

            if (start + page.Count < snapshot.Count)
            {
                next = CursorOf(page);
            }
        }
        else
        {
            total = 0;
            var index = 0;
            foreach (var file in snapshot)
            {
                if (!file.Name.Contains(query.NameFilter, StringComparison.OrdinalIgnoreCase))
                {
                    index++;
                    continue;
                }

                total++;
                if (index >= start)
                {
                    if (page.Count < query.Limit)
                    {
                        page.Add(file);
                    }
                    else
                    {
                        next ??= CursorOf(page);
                    }
                }

                index++;
            }
        }

        return new FilePage(page, total, next);
    }

    private static FileCursor CursorOf(List<CatalogFile> page) => new(page[^1].Name, page[^1].InfoHash);
}
