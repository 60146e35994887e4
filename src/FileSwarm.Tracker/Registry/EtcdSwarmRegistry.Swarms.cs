using FileSwarm.Core;
using FileSwarm.Core.Pieces;
using FileSwarm.Etcd;
using FileSwarm.Etcd.Protocol;
using Google.Protobuf;

namespace FileSwarm.Tracker.Registry;

/// <summary>Announces, removal and sweeping.</summary>
public sealed partial class EtcdSwarmRegistry
{
    /// <remarks>
    /// Two round trips: one transaction reads (the file exists; this peer's entries; the seed and other counts; a
    /// window of at most <see cref="SwarmRegistryOptions.AnnounceScanLimit"/> entries from a random key, wrapping
    /// around), one writes this peer's entry (deleting its entry of the other kind, if it changed kind).
    /// </remarks>
    private async ValueTask<AnnounceResult?> AnnounceCoreAsync(PeerAnnouncement announcement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        ArgumentOutOfRangeException.ThrowIfNegative(announcement.NumWant);
        ArgumentException.ThrowIfNullOrEmpty(announcement.PeerId);
        ArgumentException.ThrowIfNullOrEmpty(announcement.Address);
        var infoHash = announcement.InfoHash;
        var slot = EtcdRegistryLayout.PeerSlot(announcement.PeerId);
        var seedKey = EtcdKeys.Key(_keys.Seeds(infoHash) + slot);
        var otherKey = EtcdKeys.Key(_keys.Others(infoHash) + slot);
        var swarm = EtcdKeys.Key(_keys.Swarm(infoHash));
        var swarmEnd = EtcdKeys.PrefixEnd(swarm);
        var pivot = ByteString.CopyFromUtf8(_keys.Swarm(infoHash) + (Random.Shared.Next(2) == 0 ? "l/" : "s/") + Convert.ToHexStringLower(RandomNumberGenerator()));
        var scan = _options.AnnounceScanLimit;

        var fileKey = EtcdKeys.Key(_keys.File(infoHash));
        var read = await _client.TxnAsync(
            new TxnRequest
            {
                Compare = { new Compare { Key = fileKey, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Greater, CreateRevision = 0 } },
                Success =
                {
                    Range(new RangeRequest { Key = fileKey }),
                    Range(new RangeRequest { Key = seedKey, KeysOnly = true }),
                    Range(new RangeRequest { Key = otherKey, KeysOnly = true }),
                    Range(new RangeRequest { Key = EtcdKeys.Key(_keys.Seeds(infoHash)), RangeEnd = EtcdKeys.PrefixEnd(_keys.Seeds(infoHash)), CountOnly = true }),
                    Range(new RangeRequest { Key = EtcdKeys.Key(_keys.Others(infoHash)), RangeEnd = EtcdKeys.PrefixEnd(_keys.Others(infoHash)), CountOnly = true }),
                    Range(new RangeRequest { Key = pivot, RangeEnd = swarmEnd, Limit = scan + 1 }),
                    Range(new RangeRequest { Key = swarm, RangeEnd = pivot, Limit = scan + 1 }),
                },
            },
            cancellationToken);
        if (!read.Succeeded)
        {
            return null;
        }

        var file = Parse(read.Responses[0].ResponseRange.Kvs[0].Value);
        var pieces = announcement.Complete ? [] : announcement.Pieces.ToArray();
        if (!announcement.Complete && pieces.Length != Bitfield.ByteCount(file.PieceCount))
        {
            throw new ArgumentException($"a bitfield for {file.PieceCount} pieces is {Bitfield.ByteCount(file.PieceCount)} bytes, not {pieces.Length}", nameof(announcement));
        }

        var wasSeed = read.Responses[1].ResponseRange.Count > 0;
        var wasOther = read.Responses[2].ResponseRange.Count > 0;
        var seeds = (int)read.Responses[3].ResponseRange.Count;
        var others = (int)read.Responses[4].ResponseRange.Count;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();

        if (wasSeed || wasOther || seeds + others < _options.MaxPeersPerSwarm)
        {
            var entry = new StoredPeer(announcement.PeerId, announcement.Address, now, announcement.Complete ? null : pieces).Encode();
            var write = new TxnRequest { Success = { new RequestOp { RequestPut = new PutRequest { Key = announcement.Complete ? seedKey : otherKey, Value = entry } } } };
            if (announcement.Complete ? wasOther : wasSeed)
            {
                write.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = announcement.Complete ? otherKey : seedKey } });
            }

            await _client.TxnAsync(write, cancellationToken);
            seeds += (announcement.Complete ? 1 : 0) - (wasSeed ? 1 : 0);
            others += (announcement.Complete ? 0 : 1) - (wasOther ? 1 : 0);
        }

        // The window: from the pivot to the end, then from the start of the swarm; the first `scan` entries of it.
        var window = read.Responses[5].ResponseRange.Kvs.Concat(read.Responses[6].ResponseRange.Kvs).Take(scan);
        var selfKeys = (seedKey, otherKey);
        var expiredAtOrBefore = now - (long)_options.PeerTtl.TotalMilliseconds;
        var useful = new List<PeerRecord>();
        var rest = new List<PeerRecord>();
        foreach (var kv in window)
        {
            if (kv.Key.Equals(selfKeys.seedKey) || kv.Key.Equals(selfKeys.otherKey) || StoredPeer.Decode(kv.Value) is not { } peer || peer.SeenUnixMs <= expiredAtOrBefore)
            {
                continue;
            }

            var record = new PeerRecord(peer.PeerId, peer.Address, peer.Pieces is null, peer.Pieces ?? ReadOnlyMemory<byte>.Empty);
            (!announcement.Complete && HoldsMissing(peer.Pieces, pieces) ? useful : rest).Add(record);
        }

        var answer = new List<PeerRecord>(Math.Min(announcement.NumWant, useful.Count + rest.Count));
        TakeRandom(useful, announcement.NumWant, answer);
        TakeRandom(rest, announcement.NumWant, answer);
        return new AnnounceResult(answer, new SwarmCounts(seeds, others));
    }

    private async ValueTask<SwarmCounts?> RemovePeerCoreAsync(Sha1Hash infoHash, string peerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(peerId);
        var slot = EtcdRegistryLayout.PeerSlot(peerId);
        var fileKey = EtcdKeys.Key(_keys.File(infoHash));
        var response = await _client.TxnAsync(
            new TxnRequest
            {
                Compare = { new Compare { Key = fileKey, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Greater, CreateRevision = 0 } },
                Success =
                {
                    new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdKeys.Key(_keys.Seeds(infoHash) + slot) } },
                    new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdKeys.Key(_keys.Others(infoHash) + slot) } },
                    Range(new RangeRequest { Key = EtcdKeys.Key(_keys.Seeds(infoHash)), RangeEnd = EtcdKeys.PrefixEnd(_keys.Seeds(infoHash)), CountOnly = true }),
                    Range(new RangeRequest { Key = EtcdKeys.Key(_keys.Others(infoHash)), RangeEnd = EtcdKeys.PrefixEnd(_keys.Others(infoHash)), CountOnly = true }),
                },
            },
            cancellationToken);
        return response.Succeeded
            ? new SwarmCounts((int)response.Responses[2].ResponseRange.Count, (int)response.Responses[3].ResponseRange.Count)
            : null;
    }

    /// <remarks>
    /// Reads every peer entry (paged), then deletes the expired ones in transactions that each check the entries were
    /// not rewritten meanwhile (mod revision unchanged); a batch that lost that race is retried entry by entry.
    /// </remarks>
    private async ValueTask<int> SweepCoreAsync(CancellationToken cancellationToken = default)
    {
        var expiredAtOrBefore = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.PeerTtl.TotalMilliseconds;
        var expired = (await _client.GetPrefixAsync(_keys.Swarms, cancellationToken)).Kvs
            .Where(kv => StoredPeer.Decode(kv.Value) is { } peer && peer.SeenUnixMs <= expiredAtOrBefore)
            .ToList();
        var removed = 0;
        foreach (var batch in expired.Chunk(_client.Options.MaxTxnOps / 2))
        {
            var response = await _client.TxnAsync(DeleteUnchanged(batch), cancellationToken);
            if (response.Succeeded)
            {
                removed += batch.Length;
                continue;
            }

            foreach (var kv in batch)
            {
                removed += (await _client.TxnAsync(DeleteUnchanged([kv]), cancellationToken)).Succeeded ? 1 : 0;
            }
        }

        return removed;
    }

    private static TxnRequest DeleteUnchanged(IReadOnlyList<KeyValue> entries)
    {
        var txn = new TxnRequest();
        foreach (var kv in entries)
        {
            txn.Compare.Add(new Compare { Key = kv.Key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = kv.ModRevision });
            txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = kv.Key } });
        }

        return txn;
    }

    private static RequestOp Range(RangeRequest request) => new() { RequestRange = request };

    private static byte[] RandomNumberGenerator()
    {
        var bytes = new byte[20];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static void TakeRandom(List<PeerRecord> candidates, int numWant, List<PeerRecord> result)
    {
        for (var n = 0; n < candidates.Count && result.Count < numWant; n++)
        {
            var pick = Random.Shared.Next(n, candidates.Count);
            (candidates[n], candidates[pick]) = (candidates[pick], candidates[n]);
            result.Add(candidates[n]);
        }
    }

    /// <summary>True when a peer holding <paramref name="pieces"/> (null: every piece) has one that <paramref name="asker"/> lacks.</summary>
    private static bool HoldsMissing(byte[]? pieces, ReadOnlySpan<byte> asker)
    {
        if (pieces is null)
        {
            return true;
        }

        var length = Math.Min(pieces.Length, asker.Length);
        for (var i = 0; i < length; i++)
        {
            if ((pieces[i] & ~asker[i]) != 0)
            {
                return true;
            }
        }

        return false;
    }
}
