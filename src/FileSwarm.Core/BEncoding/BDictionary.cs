using System.Collections;
using System.Text;

namespace FileSwarm.Core.BEncoding;

/// <summary>
/// A bencoded dictionary. Entries are kept sorted by the raw bytes of their keys (the BEP 3 order) and keys are
/// unique, so encoding a dictionary is canonical and lookups are binary searches.
/// </summary>
public sealed class BDictionary : BValue, IReadOnlyCollection<KeyValuePair<BString, BValue>>
{
    private readonly KeyValuePair<BString, BValue>[] _entries;

    /// <summary>Builds a dictionary; entries are sorted here. Duplicate keys throw <see cref="ArgumentException"/>.</summary>
    public BDictionary(IEnumerable<KeyValuePair<BString, BValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = entries.ToArray();
        foreach (var (key, value) in _entries)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(entries));
            ArgumentNullException.ThrowIfNull(value, nameof(entries));
        }

        Array.Sort(_entries, CompareKeys);
        if (FindDuplicate(_entries) is { } duplicate)
        {
            throw new ArgumentException($"duplicate dictionary key \"{duplicate}\"", nameof(entries));
        }
    }

    /// <summary>Builds a dictionary from text keys (encoded as UTF-8).</summary>
    public BDictionary(IEnumerable<KeyValuePair<string, BValue>> entries)
        : this(entries.Select(e => new KeyValuePair<BString, BValue>(new BString(e.Key), e.Value)))
    {
    }

    private BDictionary(KeyValuePair<BString, BValue>[] sortedUniqueEntries) => _entries = sortedUniqueEntries;

    /// <summary>For the parser: takes ownership of entries already sorted and unique.</summary>
    internal static BDictionary Wrap(KeyValuePair<BString, BValue>[] sortedUniqueEntries) => new(sortedUniqueEntries);

    public int Count => _entries.Length;

    /// <summary>Looks a key up by its raw bytes, e.g. <c>dict.TryGetValue("piece length"u8, out var v)</c>.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> key, out BValue value)
    {
        int lo = 0, hi = _entries.Length - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var cmp = _entries[mid].Key.Span.SequenceCompareTo(key);
            if (cmp == 0)
            {
                value = _entries[mid].Value;
                return true;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        value = null!;
        return false;
    }

    /// <summary>Looks a key up by its UTF-8 text.</summary>
    public bool TryGetValue(string key, out BValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        return TryGetValue(Encoding.UTF8.GetBytes(key), out value);
    }

    public bool ContainsKey(ReadOnlySpan<byte> key) => TryGetValue(key, out _);

    public IEnumerator<KeyValuePair<BString, BValue>> GetEnumerator() =>
        ((IEnumerable<KeyValuePair<BString, BValue>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    internal static int CompareKeys(KeyValuePair<BString, BValue> a, KeyValuePair<BString, BValue> b) =>
        a.Key.Span.SequenceCompareTo(b.Key.Span);

    /// <summary>Returns the first key that occurs twice in a sorted array, or null.</summary>
    internal static BString? FindDuplicate(KeyValuePair<BString, BValue>[] sorted)
    {
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i - 1].Key.Span.SequenceEqual(sorted[i].Key.Span))
            {
                return sorted[i].Key;
            }
        }

        return null;
    }
}
