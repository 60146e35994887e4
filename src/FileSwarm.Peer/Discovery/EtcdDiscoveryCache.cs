using FileSwarm.Core;
using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;
using FileSwarm.Etcd;
using FileSwarm.Etcd.Protocol;
using FileSwarm.Peer.Transfers;

namespace FileSwarm.Peer.Discovery;

/// <summary>
/// What etcd discovery knows, fed only by its watch: registered peers, handlers (parsed once), the SHA-1 index and
/// who holds what. Every request is answered from here; nothing asks etcd per request.
/// </summary>
internal sealed class EtcdDiscoveryCache(EtcdDiscoveryLayout layout)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _peers = new(StringComparer.Ordinal);
    private readonly Dictionary<Sha1Hash, TorrentMetainfo> _handlers = [];
    private readonly Dictionary<Sha1Hash, Sha1Hash> _bySha1 = [];
    private readonly Dictionary<Sha1Hash, Dictionary<string, (string Address, bool Complete, byte[]? Pieces)>> _holders = [];
    private SortedSet<(string Name, Sha1Hash InfoHash)> _ordered = new(CatalogComparer.Instance);

    /// <summary>Handlers deleted from etcd (their writer's lease ended); the discovery writes back the ones it offers.</summary>
    public event Action<Sha1Hash>? HandlerDeleted;

    public int PeerCount
    {
        get
        {
            lock (_gate)
            {
                return _peers.Count;
            }
        }
    }

    public IReadOnlyDictionary<string, string> Peers
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, string>(_peers, StringComparer.Ordinal);
            }
        }
    }

    public ValueTask ApplyAsync(WatchUpdate update, CancellationToken cancellationToken)
    {
        var deletedHandlers = new List<Sha1Hash>();
        lock (_gate)
        {
            if (update.Listing is { } listing)
            {
                var before = _handlers.Keys.ToList();
                _peers.Clear();
                _handlers.Clear();
                _bySha1.Clear();
                _holders.Clear();
                _ordered = new SortedSet<(string, Sha1Hash)>(CatalogComparer.Instance);
                foreach (var kv in listing)
                {
                    Put(kv);
                }

                deletedHandlers.AddRange(before.Where(h => !_handlers.ContainsKey(h)));
            }

            foreach (var e in update.Events)
            {
                if (e.Type == Event.Types.EventType.Put)
                {
                    Put(e.Kv);
                }
                else if (Delete(e.Kv) is { } handler)
                {
                    deletedHandlers.Add(handler);
                }
            }
        }

        foreach (var handler in deletedHandlers)
        {
            HandlerDeleted?.Invoke(handler);
        }

        return ValueTask.CompletedTask;
    }

    public TorrentMetainfo? Find(Sha1Hash hash)
    {
        lock (_gate)
        {
            if (_handlers.TryGetValue(hash, out var metainfo))
            {
                return metainfo;
            }

            return _bySha1.TryGetValue(hash, out var infoHash) && _handlers.TryGetValue(infoHash, out metainfo) ? metainfo : null;
        }
    }

    /// <summary>A page of handlers in name order after <paramref name="after"/>, and the number matching overall.</summary>
    public (List<TorrentMetainfo> Page, bool More, long Total) List(int pageSize, (string Name, Sha1Hash InfoHash)? after, string? nameFilter)
    {
        lock (_gate)
        {
            var page = new List<TorrentMetainfo>();
            var more = false;
            long total = 0;
            foreach (var entry in _ordered)
            {
                if (!string.IsNullOrEmpty(nameFilter) && !entry.Name.Contains(nameFilter, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                total++;
                if (after is { } cursor && CatalogComparer.Instance.Compare(entry, cursor) <= 0)
                {
                    continue;
                }

                if (page.Count < pageSize)
                {
                    page.Add(_handlers[entry.InfoHash]);
                }
                else
                {
                    more = true;
                }
            }

            return (page, more, total);
        }
    }

    /// <summary>The holders of a file other than <paramref name="selfId"/>, as the engine wants them.</summary>
    public List<SwarmPeer> Holders(TorrentMetainfo metainfo, string selfId)
    {
        lock (_gate)
        {
            var result = new List<SwarmPeer>();
            if (!_holders.TryGetValue(metainfo.InfoHash, out var holders))
            {
                return result;
            }

            foreach (var (peerId, (address, complete, pieces)) in holders)
            {
                if (peerId == selfId)
                {
                    continue;
                }

                Core.Pieces.Bitfield? bitfield = null;
                if (!complete)
                {
                    try
                    {
                        bitfield = Core.Pieces.Bitfield.Parse(pieces ?? [], metainfo.PieceCount);
                    }
                    catch (FormatException)
                    {
                        continue;
                    }
                }

                result.Add(new SwarmPeer(peerId, address, complete, bitfield));
            }

            return result;
        }
    }

    private void Put(KeyValue kv)
    {
        var key = layout.Parse(kv.Key);
        switch (key.Kind)
        {
            case KeyKind.Peer when EtcdDiscoveryLayout.ReadPeerAddress(kv.Value) is { } address:
                _peers[key.PeerId!] = address;
                break;
            case KeyKind.Handler when !_handlers.ContainsKey(key.Hash):
                TorrentMetainfo metainfo;
                try
                {
                    metainfo = TorrentMetainfo.Parse(kv.Value.ToByteArray());
                }
                catch (Exception e) when (e is BencodeFormatException or MetainfoFormatException)
                {
                    return;
                }

                // A handler stored under another file's key is ignored: the key must be its own info-hash.
                if (metainfo.InfoHash == key.Hash)
                {
                    _handlers[key.Hash] = metainfo;
                    _ordered.Add((metainfo.Name, metainfo.InfoHash));
                    if (metainfo.ContentSha1 is { } sha1)
                    {
                        _bySha1.TryAdd(sha1, metainfo.InfoHash);
                    }
                }

                break;
            case KeyKind.FilePeer when EtcdDiscoveryLayout.ReadFilePeer(kv.Value) is { } holder:
                if (!_holders.TryGetValue(key.Hash, out var holders))
                {
                    _holders[key.Hash] = holders = new(StringComparer.Ordinal);
                }

                holders[key.PeerId!] = holder;
                break;
        }
    }

    /// <summary>Applies a delete; returns the info-hash when a handler was deleted.</summary>
    private Sha1Hash? Delete(KeyValue kv)
    {
        var key = layout.Parse(kv.Key);
        switch (key.Kind)
        {
            case KeyKind.Peer:
                _peers.Remove(key.PeerId!);
                break;
            case KeyKind.Handler when _handlers.Remove(key.Hash, out var metainfo):
                _ordered.Remove((metainfo.Name, metainfo.InfoHash));
                if (metainfo.ContentSha1 is { } sha1 && _bySha1.TryGetValue(sha1, out var indexed) && indexed == metainfo.InfoHash)
                {
                    _bySha1.Remove(sha1);
                }

                return key.Hash;
            case KeyKind.FilePeer when _holders.TryGetValue(key.Hash, out var holders):
                holders.Remove(key.PeerId!);
                if (holders.Count == 0)
                {
                    _holders.Remove(key.Hash);
                }

                break;
        }

        return null;
    }

    /// <summary>By name in ordinal (code point) order, then info-hash: the tracker's catalog order.</summary>
    private sealed class CatalogComparer : IComparer<(string Name, Sha1Hash InfoHash)>
    {
        public static readonly CatalogComparer Instance = new();

        public int Compare((string Name, Sha1Hash InfoHash) x, (string Name, Sha1Hash InfoHash) y)
        {
            var byName = string.CompareOrdinal(x.Name, y.Name);
            return byName != 0 ? byName : string.CompareOrdinal(x.InfoHash.ToString(), y.InfoHash.ToString());
        }
    }
}
