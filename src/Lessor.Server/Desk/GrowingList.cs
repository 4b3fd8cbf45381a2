using System.Collections;

namespace Lessor.Server.Desk;

/// <summary>
/// An immutable list that appends in amortized O(1): each value is a view of the first <see cref="Count"/> slots of a
/// shared backing array, and appending to the newest view writes the next slot (which no existing view can see) instead
/// of copying the list. The desk's book gains one contract per sign; copying 21,873 references per sign put a large
/// array on the large-object heap each time, and the full collections that followed were most of a lone client's
/// CPU per sign on the 1,000,000-GPU book. Views never change; appending to an older view copies.
/// Not thread-safe for appends: the desk appends under its writer lock.
/// </summary>
internal sealed class GrowingList<T> : IReadOnlyList<T>
{
    private readonly T[] _items;
    private readonly Backing _backing;

    private GrowingList(T[] items, int count, Backing backing)
    {
        _items = items;
        Count = count;
        _backing = backing;
    }

    /// <summary>Slots of the backing array written so far (by any view).</summary>
    private sealed class Backing
    {
        public int Used;
    }

    public static GrowingList<T> From(IReadOnlyList<T> items)
    {
        if (items is GrowingList<T> growing) return growing;
        var array = new T[Math.Max(16, items.Count * 2)];
        for (var i = 0; i < items.Count; i++) array[i] = items[i];
        return new GrowingList<T>(array, items.Count, new Backing { Used = items.Count });
    }

    public int Count { get; }

    public T this[int index] => (uint)index < (uint)Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>This list with <paramref name="added"/> after it; this list is unchanged.</summary>
    public GrowingList<T> Append(IEnumerable<T> added)
    {
        var result = this;
        foreach (var item in added) result = result.Append(item);
        return result;
    }

    /// <summary>This list with <paramref name="item"/> after it; this list is unchanged.</summary>
    public GrowingList<T> Append(T item)
    {
        if (_backing.Used == Count && Count < _items.Length)
        {
            _items[Count] = item;
            _backing.Used++;
            return new GrowingList<T>(_items, Count + 1, _backing);
        }
        var array = new T[Math.Max(16, Count * 2)];
        Array.Copy(_items, array, Count);
        array[Count] = item;
        return new GrowingList<T>(array, Count + 1, new Backing { Used = Count + 1 });
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return _items[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
