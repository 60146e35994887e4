using FileSwarm.Etcd.Protocol;

namespace FileSwarm.Etcd.Tests.Infrastructure;

/// <summary>A watcher's owner for tests: the keys as the watch sees them, and every update it was handed.</summary>
public sealed class RecordingMirror
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly List<WatchUpdate> _updates = [];

    public ValueTask ApplyAsync(WatchUpdate update, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _updates.Add(update);
            if (update.Listing is { } listing)
            {
                _keys.Clear();
                foreach (var kv in listing)
                {
                    _keys[kv.Key.ToStringUtf8()] = kv.Value.ToStringUtf8();
                }
            }

            foreach (var e in update.Events)
            {
                if (e.Type == Event.Types.EventType.Put)
                {
                    _keys[e.Kv.Key.ToStringUtf8()] = e.Kv.Value.ToStringUtf8();
                }
                else
                {
                    _keys.Remove(e.Kv.Key.ToStringUtf8());
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public Dictionary<string, string> Keys
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, string>(_keys, StringComparer.Ordinal);
            }
        }
    }

    public List<WatchUpdate> Updates
    {
        get
        {
            lock (_gate)
            {
                return [.. _updates];
            }
        }
    }

    /// <summary>Every event seen, as (type, key, mod revision).</summary>
    public List<(Event.Types.EventType Type, string Key, long Revision)> Events =>
        Updates.SelectMany(u => u.Events).Select(e => (e.Type, e.Kv.Key.ToStringUtf8(), e.Kv.ModRevision)).ToList();

    public int Listings => Updates.Count(u => u.Listing is not null);
}
