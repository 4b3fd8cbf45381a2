using System.Runtime.InteropServices;

namespace Lessor.Core.Ledger;

/// <summary>
/// An integer step function of time in minutes, kept canonical: strictly increasing breakpoints, the first at
/// <see cref="long.MinValue"/>, and no value equal to its predecessor's. Canonical form makes an undo restore
/// the arrays exactly. A min segment tree over the values, rebuilt lazily after a write, answers the least
/// value over [a, b) in O(log k).
/// </summary>
internal sealed class StepTimeline
{
    private readonly List<long> _times = [long.MinValue];
    private readonly List<int> _values = [0];
    private int[] _tree = [];
    private int _leaves;
    private bool _dirty = true;

    public int Count => _times.Count;
    public ReadOnlySpan<long> Times => CollectionsMarshal.AsSpan(_times);
    public ReadOnlySpan<int> Values => CollectionsMarshal.AsSpan(_values);

    /// <summary>Adds delta to every instant in [a, b); b = long.MaxValue means "from a on".</summary>
    public void Add(long a, long b, int delta)
    {
        if (delta == 0 || a >= b) return;
        var i = Split(a);
        var j = b == long.MaxValue ? _times.Count : Split(b);
        var values = CollectionsMarshal.AsSpan(_values);
        for (var k = i; k < j; k++) values[k] = checked(values[k] + delta);
        // Only the two edges can have become redundant; remove the later one first so indices stay valid.
        if (j < _times.Count && _values[j] == _values[j - 1]) RemoveAt(j);
        if (i > 0 && _values[i] == _values[i - 1]) RemoveAt(i);
        _dirty = true;
    }

    /// <summary>The slices inside [a, b): each one's value and its length in minutes, clipped to the window.</summary>
    public SliceEnumerator Slices(long a, long b) => new(Times, Values, IndexAt(a), a, b);

    /// <summary>Walks the slices of a window without allocating (foreach over <see cref="Slices"/>).</summary>
    public ref struct SliceEnumerator
    {
        private readonly ReadOnlySpan<long> _times;
        private readonly ReadOnlySpan<int> _values;
        private readonly long _a;
        private readonly long _b;
        private int _k;

        internal SliceEnumerator(ReadOnlySpan<long> times, ReadOnlySpan<int> values, int first, long a, long b)
        {
            _times = times;
            _values = values;
            _a = a;
            _b = b;
            _k = first - 1;
        }

        public readonly (int Value, long Minutes) Current
        {
            get
            {
                var from = Math.Max(_times[_k], _a);
                var to = _k + 1 < _times.Length ? Math.Min(_times[_k + 1], _b) : _b;
                return (_values[_k], to - from);
            }
        }

        public bool MoveNext() => ++_k < _times.Length && _times[_k] < _b;

        public readonly SliceEnumerator GetEnumerator() => this;
    }

    /// <summary>The value at minute t.</summary>
    public int At(long t) => _values[IndexAt(t)];

    /// <summary>Index of the slice holding minute t (the last breakpoint at or before t).</summary>
    public int IndexAt(long t)
    {
        var idx = Times.BinarySearch(t);
        return idx >= 0 ? idx : ~idx - 1;
    }

    /// <summary>The least value over [a, b), a &lt; b.</summary>
    public int Min(long a, long b)
    {
        var i = IndexAt(a);
        // The slice holding b - 1 is at or after i: search only there.
        var times = Times;
        int j;
        if (i + 1 >= times.Length || times[i + 1] > b - 1) j = i;
        else
        {
            var idx = times[(i + 1)..].BinarySearch(b - 1);
            j = i + 1 + (idx >= 0 ? idx : ~idx - 1);
        }
        if (i == j) return _values[i];
        if (_dirty) Rebuild();
        var min = int.MaxValue;
        var lo = i + _leaves;
        var hi = j + _leaves + 1;
        var tree = _tree;
        while (lo < hi)
        {
            if ((lo & 1) == 1) { if (tree[lo] < min) min = tree[lo]; lo++; }
            if ((hi & 1) == 1) { hi--; if (tree[hi] < min) min = tree[hi]; }
            lo >>= 1;
            hi >>= 1;
        }
        return min;
    }

    /// <summary>The last minute in [a, b) where the least value over [a, b) holds, plus one: the end of that slice clipped to b.</summary>
    public long EndOfLastMin(long a, long b, int min)
    {
        var i = IndexAt(a);
        var j = IndexAt(b - 1);
        for (var k = j; k >= i; k--)
        {
            if (_values[k] == min) return k + 1 < _times.Count ? Math.Min(_times[k + 1], b) : b;
        }
        return b;
    }

    /// <summary>Sum of value x minutes over [a, b).</summary>
    public long Integral(long a, long b)
    {
        long sum = 0;
        var times = Times;
        var values = Values;
        for (var k = IndexAt(a); k < times.Length && times[k] < b; k++)
        {
            var from = Math.Max(times[k], a);
            var to = k + 1 < times.Length ? Math.Min(times[k + 1], b) : b;
            sum = checked(sum + (long)values[k] * (to - from));
        }
        return sum;
    }

    private int Split(long t)
    {
        var idx = Times.BinarySearch(t);
        if (idx >= 0) return idx;
        var at = ~idx;
        _times.Insert(at, t);
        _values.Insert(at, _values[at - 1]);
        return at;
    }

    private void RemoveAt(int i)
    {
        _times.RemoveAt(i);
        _values.RemoveAt(i);
    }

    private void Rebuild()
    {
        var n = _values.Count;
        var leaves = 1;
        while (leaves < n) leaves <<= 1;
        if (_tree.Length < 2 * leaves) _tree = new int[2 * leaves];
        _leaves = leaves;
        var tree = _tree;
        var values = Values;
        for (var k = 0; k < leaves; k++) tree[leaves + k] = k < n ? values[k] : int.MaxValue;
        for (var k = leaves - 1; k >= 1; k--) tree[k] = Math.Min(tree[2 * k], tree[2 * k + 1]);
        _dirty = false;
    }
}
