using FileSwarm.Core;
using Google.Protobuf;

namespace FileSwarm.Tracker.Registry.Internal;

/// <summary>A peer key's new value (null: delete it), queued for etcd, and whose view to settle when it lands.</summary>
/// <param name="Version">The cache's version of this write (<see cref="EtcdSwarmCache.MarkLocal"/>).</param>
internal sealed record PendingWrite(Sha1Hash InfoHash, Sha1Hash Slot, ByteString Key, ByteString? Value, CachedSwarm Swarm, long Version)
{
    /// <summary>Bytes the write adds to a transaction: key, value and the operation's framing.</summary>
    public int Size => Key.Length + (Value?.Length ?? 0) + 16;
}

/// <summary>
/// The writes waiting for etcd, one per key: a newer write of a key replaces the waiting one in its place in the queue
/// (the latest wins, and a key rewritten again and again is not starved). Taken in arrival order, in batches that fit
/// one transaction. Several transactions may be in flight at once, and etcd may apply them in any order, so a key
/// taken into one is not taken into another until that one lands (<see cref="Landed"/>): its newer write waits,
/// held out of the queue, and joins it then. Not thread-safe: its owner locks.
/// </summary>
internal sealed class WriteBacklog(int maxOps, int maxBytes)
{
    private readonly Dictionary<(Sha1Hash InfoHash, Sha1Hash Slot), PendingWrite> _latest = [];
    private readonly Queue<(Sha1Hash InfoHash, Sha1Hash Slot)> _order = new();
    private readonly HashSet<(Sha1Hash InfoHash, Sha1Hash Slot)> _inFlight = [];
    private readonly HashSet<(Sha1Hash InfoHash, Sha1Hash Slot)> _held = [];

    /// <summary>Keys waiting, ready or held behind a transaction in flight.</summary>
    public int Count => _latest.Count;

    /// <summary>Keys that the next <see cref="Take"/> may take.</summary>
    public int Ready => _order.Count;

    /// <summary>Writes that replaced a waiting write of the same key since the backlog was made.</summary>
    public long Collapsed { get; private set; }

    public bool Contains(Sha1Hash infoHash, Sha1Hash slot) => _latest.ContainsKey((infoHash, slot));

    public void Add(PendingWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var key = (write.InfoHash, write.Slot);
        if (_latest.ContainsKey(key))
        {
            Collapsed++;
        }
        else if (_inFlight.Contains(key))
        {
            _held.Add(key);
        }
        else
        {
            _order.Enqueue(key);
        }

        _latest[key] = write;
    }

    /// <summary>
    /// The oldest ready writes, at most <c>maxOps</c> of them and <c>maxBytes</c> in all (at least one when any is
    /// ready); their keys are in flight until <see cref="Landed"/>.
    /// </summary>
    public List<PendingWrite> Take()
    {
        var batch = new List<PendingWrite>(Math.Min(maxOps, _order.Count));
        var bytes = 0;
        while (batch.Count < maxOps && _order.TryPeek(out var key))
        {
            var write = _latest[key];
            if (batch.Count > 0 && bytes + write.Size > maxBytes)
            {
                break;
            }

            _order.Dequeue();
            _latest.Remove(key);
            _inFlight.Add(key);
            batch.Add(write);
            bytes += write.Size;
        }

        return batch;
    }

    /// <summary>A batch from <see cref="Take"/> is applied: its keys' newer writes, if any, join the queue.</summary>
    public void Landed(IReadOnlyList<PendingWrite> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var write in batch)
        {
            var key = (write.InfoHash, write.Slot);
            _inFlight.Remove(key);
            if (_held.Remove(key))
            {
                _order.Enqueue(key);
            }
        }
    }
}
