using System.Collections.Concurrent;
using FileSwarm.Core;
using FileSwarm.Core.BEncoding;
using FileSwarm.Core.Metainfo;
using FileSwarm.Etcd;
using FileSwarm.Etcd.Protocol;
using Google.Protobuf;

namespace FileSwarm.Tracker.Registry.Internal;

/// <summary>
/// The etcd registry's view of its prefix, fed by its watch and by this tracker's own writes: the catalog and, per
/// swarm, the peers. Every answer is read from here.
/// </summary>
/// <remarks>
/// A local write shows at once, and etcd applies it later (<see cref="EtcdRegistryWriter"/>), so the watch can bring
/// changes of a key that are older than the view's. The rule that keeps the view equal to etcd's once writes settle:
/// while a local write of a key is queued or in flight, events for that key are held back (the newest one only); when
/// the write lands at revision R, the held event is applied if it is newer than R and dropped if not. Otherwise an
/// event is applied when its revision is newer than what the key's view reflects. Revisions order everything, so no
/// clock is compared.
/// </remarks>
internal sealed class EtcdSwarmCache(EtcdRegistryLayout keys)
{
    private readonly ConcurrentDictionary<Sha1Hash, CachedSwarm> _swarms = new();
    private long _versions;

    public CatalogIndex Catalog { get; } = new();

    /// <summary>The swarm of <paramref name="infoHash"/>, created when missing; check <see cref="CachedSwarm.Retired"/> under its gate.</summary>
    public CachedSwarm SwarmFor(Sha1Hash infoHash) => _swarms.GetOrAdd(infoHash, static _ => new CachedSwarm());

    public IEnumerable<KeyValuePair<Sha1Hash, CachedSwarm>> Swarms => _swarms;

    public RegistryStats Stats()
    {
        long swarms = 0, peers = 0;
        foreach (var swarm in _swarms.Values)
        {
            var count = swarm.Peers.Count;
            swarms += count > 0 ? 1 : 0;
            peers += count;
        }

        return new RegistryStats(Catalog.Count, swarms, peers);
    }

    public ValueTask ApplyAsync(WatchUpdate update, CancellationToken cancellationToken)
    {
        if (update.Listing is { } listing)
        {
            Relist(listing, update.Revision);
        }

        foreach (var e in update.Events)
        {
            Apply(e.Kv.Key, e.Kv.ModRevision, e.Type == Event.Types.EventType.Put ? e.Kv.Value : null);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A version for a local write, higher than every one before.</summary>
    public long NextVersion() => Interlocked.Increment(ref _versions);

    /// <summary>Under the swarm's gate: the local write <paramref name="version"/> of a slot (to <paramref name="identity"/>, or deleting it) was queued.</summary>
    public static void MarkLocal(CachedSwarm swarm, Sha1Hash slot, byte[]? identity, long version)
    {
        if (!swarm.Keys.TryGetValue(slot, out var state))
        {
            state = new CachedKey();
            swarm.Keys.Add(slot, state);
        }

        state.Identity = identity;
        state.Expired = false;
        state.LocalVersion = version;
    }

    /// <summary>Local writes landed in etcd at <paramref name="revision"/>.</summary>
    public void Settle(IReadOnlyList<PendingWrite> writes, long revision)
    {
        foreach (var write in writes)
        {
            lock (write.Swarm.Gate)
            {
                if (!write.Swarm.Keys.TryGetValue(write.Slot, out var state))
                {
                    continue;
                }

                state.SettledVersion = Math.Max(state.SettledVersion, write.Version);
                state.Revision = Math.Max(state.Revision, revision);
                if (!state.Pending && state.Deferred is { } deferred)
                {
                    state.Deferred = null;
                    if (deferred.Revision > state.Revision)
                    {
                        Change(write.Swarm, write.Slot, state, deferred.Revision, deferred.Value);
                    }
                }
            }
        }
    }

    /// <summary>Under the swarm's gate: etcd holds <paramref name="value"/> (null: nothing) for a slot as of <paramref name="revision"/>.</summary>
    public void Observe(CachedSwarm swarm, Sha1Hash slot, long revision, ByteString? value)
    {
        swarm.Keys.TryGetValue(slot, out var state);
        if (state is { Pending: true })
        {
            if (state.Deferred is not { } deferred || revision > deferred.Revision)
            {
                state.Deferred = new DeferredChange(revision, value);
            }

            return;
        }

        if (state is not null && revision <= state.Revision)
        {
            return;
        }

        Change(swarm, slot, state, revision, value);
    }

    /// <summary>Forgets deleted keys whose deletion the watch has passed (<paramref name="watched"/>) and drops empty swarms.</summary>
    public void Compact(long watched)
    {
        foreach (var (infoHash, swarm) in _swarms)
        {
            lock (swarm.Gate)
            {
                foreach (var (slot, state) in swarm.Keys.Where(k => k.Value.Identity is null && !k.Value.Pending && k.Value.Revision <= watched).ToList())
                {
                    swarm.Keys.Remove(slot);
                }

                if (swarm.Keys.Count == 0 && swarm.Peers.Count == 0)
                {
                    swarm.Retired = true;
                    _swarms.TryRemove(new KeyValuePair<Sha1Hash, CachedSwarm>(infoHash, swarm));
                }
            }
        }
    }

    /// <summary>A handler from the watch; one that does not parse (written by something else) is left out.</summary>
    private void AddHandler(ByteString torrent)
    {
        try
        {
            Catalog.Add(CatalogFile.From(TorrentMetainfo.Parse(torrent.Memory)), indexContent: false);
        }
        catch (Exception e) when (e is BencodeFormatException or MetainfoFormatException)
        {
            // Not a handler: nothing to serve.
        }
    }

    private void Apply(ByteString key, long revision, ByteString? value)
    {
        var text = key.ToStringUtf8();
        if (keys.TryParsePeer(text, out var infoHash, out var slot))
        {
            while (true)
            {
                var swarm = SwarmFor(infoHash);
                lock (swarm.Gate)
                {
                    if (!swarm.Retired)
                    {
                        Observe(swarm, slot, revision, value);
                        return;
                    }
                }
            }
        }

        if (value is null)
        {
            // Handlers and the index are never deleted by a tracker; nothing to undo.
            return;
        }

        if (text.StartsWith(keys.Files, StringComparison.Ordinal))
        {
            AddHandler(value);
        }
        else if (text.StartsWith(keys.Sha1Index, StringComparison.Ordinal)
            && Sha1Hash.TryParse(text.AsSpan(keys.Sha1Index.Length), out var contentSha1)
            && Sha1Hash.TryParse(value.ToStringUtf8(), out var target))
        {
            Catalog.IndexContent(contentSha1, target);
        }
    }

    /// <summary>Starts over from a listing at <paramref name="revision"/>, keeping what local writes not yet landed show.</summary>
    private void Relist(IReadOnlyList<KeyValue> listing, long revision)
    {
        var listed = new Dictionary<Sha1Hash, Dictionary<Sha1Hash, KeyValue>>();
        foreach (var kv in listing)
        {
            if (keys.TryParsePeer(kv.Key.ToStringUtf8(), out var infoHash, out var slot))
            {
                if (!listed.TryGetValue(infoHash, out var peers))
                {
                    listed[infoHash] = peers = [];
                }

                peers[slot] = kv;
            }
            else
            {
                Apply(kv.Key, kv.ModRevision, kv.Value);
            }
        }

        foreach (var infoHash in _swarms.Keys.Union(listed.Keys).ToList())
        {
            var inListing = listed.GetValueOrDefault(infoHash) ?? [];
            while (true)
            {
                var swarm = SwarmFor(infoHash);
                lock (swarm.Gate)
                {
                    if (swarm.Retired)
                    {
                        continue;
                    }

                    foreach (var (slot, state) in swarm.Keys.ToList())
                    {
                        if (state.Pending)
                        {
                            var kv = inListing.GetValueOrDefault(slot);
                            Observe(swarm, slot, kv?.ModRevision ?? revision, kv?.Value);
                            continue;
                        }

                        if (state.Identity is not null)
                        {
                            swarm.Peers.Remove(state.Identity);
                        }

                        swarm.Keys.Remove(slot);
                    }

                    foreach (var (slot, kv) in inListing)
                    {
                        if (!swarm.Keys.ContainsKey(slot))
                        {
                            Observe(swarm, slot, kv.ModRevision, kv.Value);
                        }
                    }

                    break;
                }
            }
        }
    }

    /// <summary>Under the swarm's gate, not pending: makes the view of a slot what etcd holds at <paramref name="revision"/>.</summary>
    private static void Change(CachedSwarm swarm, Sha1Hash slot, CachedKey? state, long revision, ByteString? value)
    {
        if (value is not null && StoredPeer.Decode(value) is { } peer)
        {
            var identity = PeerIdentity.Encode(peer.PeerId, peer.Address);
            swarm.Peers.Upsert(identity, peer.Pieces is null, peer.Pieces, peer.SeenUnixMs, int.MaxValue);
            if (state is null)
            {
                state = new CachedKey();
                swarm.Keys.Add(slot, state);
            }

            state.Identity = identity;
            state.Expired = false;
            state.Revision = revision;
            return;
        }

        if (state is null)
        {
            // Nothing known of the key; keep a tombstone so that older events still on their way cannot revive it.
            state = new CachedKey();
            swarm.Keys.Add(slot, state);
        }

        if (state.Identity is not null)
        {
            swarm.Peers.Remove(state.Identity);
            state.Identity = null;
        }

        state.Expired = false;
        state.Revision = revision;
    }
}

/// <summary>One swarm of the cache. Every member is used under <see cref="Gate"/>.</summary>
internal sealed class CachedSwarm
{
    public Lock Gate { get; } = new();

    /// <summary>The peers, as in the memory registry; last-seen times are Unix milliseconds (shared by trackers).</summary>
    public MemorySwarm Peers { get; } = new();

    /// <summary>What the cache knows of each key, present or deleted, by slot.</summary>
    public Dictionary<Sha1Hash, CachedKey> Keys { get; } = [];

    /// <summary>Set when the swarm was dropped from the cache; holders start over.</summary>
    public bool Retired { get; set; }
}

/// <summary>The cache's state of one peer key.</summary>
internal sealed class CachedKey
{
    /// <summary>The entry in <see cref="CachedSwarm.Peers"/>; null when the key is deleted.</summary>
    public byte[]? Identity { get; set; }

    /// <summary>Dropped from <see cref="CachedSwarm.Peers"/> as expired while etcd still holds it, for the sweep to delete.</summary>
    public bool Expired { get; set; }

    /// <summary>The newest etcd revision of the key the view reflects (the mod revision, while the key exists).</summary>
    public long Revision { get; set; }

    /// <summary>The newest local write handed to the writer.</summary>
    public long LocalVersion { get; set; }

    /// <summary>The newest local write etcd applied.</summary>
    public long SettledVersion { get; set; }

    /// <summary>The newest watch event held back while a local write was pending.</summary>
    public DeferredChange? Deferred { get; set; }

    public bool Pending => LocalVersion > SettledVersion;
}

/// <summary>What etcd held for a key at a revision (null value: deleted).</summary>
internal readonly record struct DeferredChange(long Revision, ByteString? Value);
