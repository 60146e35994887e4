using FileSwarm.Core;
using FileSwarm.Core.Pieces;
using FileSwarm.Etcd.Protocol;
using FileSwarm.Tracker.Registry.Internal;
using Google.Protobuf;

namespace FileSwarm.Tracker.Registry;

/// <summary>Announces, removal and sweeping.</summary>
public sealed partial class EtcdSwarmRegistry
{
    /// <remarks>
    /// No etcd round trip when the file is in the cache: the swarm's cached view is updated and answers, and the
    /// peer's new entry is queued for the writer. A full queue refuses the announce before anything changes.
    /// </remarks>
    private async ValueTask<AnnounceResult?> AnnounceCoreAsync(PeerAnnouncement announcement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        ArgumentOutOfRangeException.ThrowIfNegative(announcement.NumWant);
        ArgumentException.ThrowIfNullOrEmpty(announcement.PeerId);
        ArgumentException.ThrowIfNullOrEmpty(announcement.Address);
        await SyncedAsync(cancellationToken);
        var file = _cache.Catalog.Get(announcement.InfoHash) ?? await ReadThroughAsync(announcement.InfoHash, cancellationToken);
        if (file is null || file.InfoHash != announcement.InfoHash)
        {
            return null;
        }

        var pieces = announcement.Complete ? null : announcement.Pieces.ToArray();
        if (pieces is not null && pieces.Length != Bitfield.ByteCount(file.PieceCount))
        {
            throw new ArgumentException($"a bitfield for {file.PieceCount} pieces is {Bitfield.ByteCount(file.PieceCount)} bytes, not {pieces.Length}", nameof(announcement));
        }

        return Record(announcement, pieces);
    }

    private AnnounceResult Record(PeerAnnouncement announcement, byte[]? pieces)
    {
        var identity = PeerIdentity.Encode(announcement.PeerId, announcement.Address);
        var slot = EtcdRegistryLayout.PeerSlot(PeerIdentity.Id(identity));
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var key = _keys.Peer(announcement.InfoHash, slot);
        var value = new StoredPeer(announcement.PeerId, announcement.Address, now, pieces).Encode();
        if (key.Length + value.Length > _client.Options.MaxRequestBytes - 4096)
        {
            throw new ArgumentException($"a peer entry of {value.Length} bytes does not fit in one etcd request ({_client.Options.MaxRequestBytes} bytes)", nameof(announcement));
        }

        while (true)
        {
            var swarm = _cache.SwarmFor(announcement.InfoHash);
            lock (swarm.Gate)
            {
                if (swarm.Retired)
                {
                    continue;
                }

                var self = -1;
                var known = swarm.Keys.TryGetValue(slot, out var state) && state.Identity is not null;
                if (known || swarm.Peers.Count < _options.MaxPeersPerSwarm)
                {
                    Queue(swarm, announcement.InfoHash, slot, key, value, identity);
                    self = swarm.Peers.Upsert(identity, pieces is null, pieces, now, int.MaxValue);
                }

                var dropped = new List<byte[]>();
                var peers = swarm.Peers.Select(self, pieces is null, pieces, announcement.NumWant, _options.AnnounceScanLimit, now - _ttlMs, dropped);
                foreach (var expired in dropped)
                {
                    // Out of the view, still in etcd: the sweep deletes it there.
                    if (swarm.Keys.TryGetValue(EtcdRegistryLayout.PeerSlot(PeerIdentity.Id(expired)), out var gone) && gone.Identity is not null)
                    {
                        gone.Expired = true;
                    }
                }

                return new AnnounceResult(peers, swarm.Peers.Counts);
            }
        }
    }

    private async ValueTask<SwarmCounts?> RemovePeerCoreAsync(Sha1Hash infoHash, string peerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(peerId);
        await SyncedAsync(cancellationToken);
        if ((_cache.Catalog.Get(infoHash) ?? await ReadThroughAsync(infoHash, cancellationToken)) is not { } file || file.InfoHash != infoHash)
        {
            return null;
        }

        var idKey = PeerIdentity.EncodeIdOnly(peerId);
        var slot = EtcdRegistryLayout.PeerSlot(PeerIdentity.Id(idKey));
        while (true)
        {
            var swarm = _cache.SwarmFor(infoHash);
            lock (swarm.Gate)
            {
                if (swarm.Retired)
                {
                    continue;
                }

                Queue(swarm, infoHash, slot, _keys.Peer(infoHash, slot), null, null);
                swarm.Peers.Remove(idKey);
                return swarm.Peers.Counts;
            }
        }
    }

    /// <summary>Under the swarm's gate, before changing the view: queues the key's new value, or refuses when the queue is full.</summary>
    private void Queue(CachedSwarm swarm, Sha1Hash infoHash, Sha1Hash slot, ByteString key, ByteString? value, byte[]? identity)
    {
        var version = _cache.NextVersion();
        if (!_writer.TryEnqueue(new PendingWrite(infoHash, slot, key, value, swarm, version)))
        {
            throw _writer.Full();
        }

        EtcdSwarmCache.MarkLocal(swarm, slot, identity, version);
    }

    /// <remarks>
    /// Expired entries are taken from the cache and deleted in transactions that each check the entries were not
    /// rewritten meanwhile (mod revision unchanged); a batch that lost that race is retried entry by entry, and an entry
    /// that lost it takes etcd's current value into the cache. An expired entry whose own write is still queued (etcd
    /// slow or down for a whole TTL) is deleted through the queue instead, after that write.
    /// </remarks>
    private async ValueTask<int> SweepCoreAsync(CancellationToken cancellationToken = default)
    {
        await SyncedAsync(cancellationToken);
        var expiredAtOrBefore = _time.GetUtcNow().ToUnixTimeMilliseconds() - _ttlMs;
        var expired = new List<ExpiredEntry>();
        var removed = 0;
        foreach (var (infoHash, swarm) in _cache.Swarms)
        {
            lock (swarm.Gate)
            {
                var slots = swarm.Peers.Expired(expiredAtOrBefore).Select(identity => EtcdRegistryLayout.PeerSlot(PeerIdentity.Id(identity)))
                    .Concat(swarm.Keys.Where(k => k.Value.Expired).Select(k => k.Key))
                    .ToList();
                foreach (var slot in slots)
                {
                    if (!swarm.Keys.TryGetValue(slot, out var state) || state.Identity is not { } identity)
                    {
                        continue;
                    }

                    var key = _keys.Peer(infoHash, slot);
                    if (!state.Pending)
                    {
                        expired.Add(new ExpiredEntry(swarm, slot, key, state.Revision));
                        continue;
                    }

                    var version = _cache.NextVersion();
                    if (_writer.TryEnqueue(new PendingWrite(infoHash, slot, key, null, swarm, version)))
                    {
                        EtcdSwarmCache.MarkLocal(swarm, slot, null, version);
                        swarm.Peers.Remove(identity);
                        removed++;
                    }
                }
            }
        }

        foreach (var batch in expired.Chunk(_client.Options.MaxTxnOps / 2))
        {
            var response = await _client.TxnAsync(DeleteUnchanged(batch), cancellationToken);
            if (response.Succeeded)
            {
                removed += batch.Length;
                foreach (var entry in batch)
                {
                    Observe(entry, response.Header.Revision, null);
                }

                continue;
            }

            foreach (var entry in batch)
            {
                var single = DeleteUnchanged([entry]);
                single.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = entry.Key } });
                var one = await _client.TxnAsync(single, cancellationToken);
                if (one.Succeeded)
                {
                    removed++;
                    Observe(entry, one.Header.Revision, null);
                }
                else if (one.Responses[0].ResponseRange.Kvs is [var current, ..])
                {
                    Observe(entry, current.ModRevision, current.Value);
                }
                else
                {
                    Observe(entry, one.Header.Revision, null);
                }
            }
        }

        _cache.Compact(_watcher.Revision);
        return removed;
    }

    private void Observe(ExpiredEntry entry, long revision, ByteString? value)
    {
        lock (entry.Swarm.Gate)
        {
            _cache.Observe(entry.Swarm, entry.Slot, revision, value);
        }
    }

    private static TxnRequest DeleteUnchanged(IReadOnlyList<ExpiredEntry> entries)
    {
        var txn = new TxnRequest();
        foreach (var entry in entries)
        {
            txn.Compare.Add(new Compare { Key = entry.Key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = entry.Revision });
            txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = entry.Key } });
        }

        return txn;
    }

    private sealed record ExpiredEntry(CachedSwarm Swarm, Sha1Hash Slot, ByteString Key, long Revision);
}
