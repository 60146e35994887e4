using System.Collections;

namespace FileSwarm.Core.BEncoding;

/// <summary>A bencoded list.</summary>
public sealed class BList : BValue, IReadOnlyList<BValue>
{
    private readonly BValue[] _items;

    public BList(IEnumerable<BValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = items.ToArray();
        foreach (var item in _items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(items));
        }
    }

    private BList(BValue[] items) => _items = items;

    /// <summary>For the parser: takes ownership of an array of non-null items.</summary>
    internal static BList Wrap(BValue[] items) => new(items);

    public BValue this[int index] => _items[index];

    public int Count => _items.Length;

    public IEnumerator<BValue> GetEnumerator() => ((IEnumerable<BValue>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}
