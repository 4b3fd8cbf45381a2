namespace Lessor.Core.Ledger;

/// <summary>
/// Earliest start of a single line by sweeping its start over time: each fabric keeps a sliding-window minimum of
/// its free units over [s, s + d) (a monotonic deque over its slices), the fabrics advance in time order through a
/// priority queue, and the exact group feasibility runs only where some fabric's window minimum rose and the summed
/// free units could hold the line. Exact at every minute, and linear in the slices the window passes over.
/// </summary>
internal sealed class EarliestSweep
{
    private readonly CapacityLedger _ledger;
    private readonly BestFitPlacement _placement;
    private readonly Window[] _windows;

    public EarliestSweep(CapacityLedger ledger, BestFitPlacement placement, int maxFabrics)
    {
        _ledger = ledger;
        _placement = placement;
        _windows = new Window[maxFabrics];
        for (var i = 0; i < maxFabrics; i++) _windows[i] = new Window();
    }

    /// <summary>The first start in [from, until) where the line fits, or -1; shape.Start/End give the duration only.</summary>
    public long Find(in LineShape shape, long from, long until, out int evaluated)
    {
        evaluated = 0;
        var d = shape.End - shape.Start;
        var blockLength = Math.Max(1, d / 2);
        // Too many blocks (a short line over a long horizon): the bound costs more than it saves.
        if ((until - from) / blockLength > 64) return Sweep(shape, from, until, ref evaluated);
        for (var s = from; s < until; s += blockLength)
        {
            var e = Math.Min(until, s + blockLength);
            // Every window that starts in [s, e) contains [e - 1, s + d), so each fabric's least free there bounds
            // its window minimum from above; feasibility only grows with free units, so a "no" rules out the block.
            _placement.LoadFree(shape.Platform, e - 1, s + d);
            evaluated++;
            if (!_placement.Feasible(shape, -1)) continue;
            var found = Sweep(shape, s, e, ref evaluated);
            if (found >= 0) return found;
        }
        return -1;
    }

    private long Sweep(in LineShape shape, long from, long until, ref int evaluated)
    {
        var fabrics = _ledger.PlatformFabrics[shape.Platform];
        var d = shape.End - shape.Start;
        var g = _placement.FreeScratch(shape.Platform);
        long sum = 0;
        var queue = new PriorityQueue<int, long>(fabrics.Length);
        for (var i = 0; i < fabrics.Length; i++)
        {
            var w = _windows[i];
            w.Reset(_ledger.Free[fabrics[i]], from, d);
            g[i] = Math.Max(0, w.Min);
            sum += g[i];
            var next = w.NextEvent;
            if (next < until) queue.Enqueue(i, next);
        }
        var s = from;
        while (true)
        {
            if (sum >= shape.Units)
            {
                evaluated++;
                if (_placement.Feasible(shape, -1)) return s;
            }
            var rose = false;
            while (!rose)
            {
                if (!queue.TryPeek(out _, out var t)) return -1;
                s = t;
                // Advance every fabric with an event at s before judging the new state.
                while (queue.TryPeek(out var i, out var ti) && ti == s)
                {
                    queue.Dequeue();
                    var w = _windows[i];
                    w.Advance(s);
                    var v = Math.Max(0, w.Min);
                    if (v > g[i]) rose = true;
                    sum += v - g[i];
                    g[i] = v;
                    var next = w.NextEvent;
                    if (next < until) queue.Enqueue(i, next);
                }
            }
        }
    }

    /// <summary>Sliding minimum of one fabric's free units over [s, s + d) as s moves forward.</summary>
    private sealed class Window
    {
        private StepTimeline _tl = null!;
        private long _d;
        private int _lo;
        private int _hi;
        private int[] _deque = new int[16];
        private int _head;
        private int _tail;

        public int Min => _tl.Values[_deque[_head]];

        /// <summary>The next start at which a slice enters or leaves the window.</summary>
        public long NextEvent
        {
            get
            {
                var times = _tl.Times;
                var leave = _lo + 1 < times.Length ? times[_lo + 1] : long.MaxValue;
                var enter = _hi + 1 < times.Length ? times[_hi + 1] - _d + 1 : long.MaxValue;
                return Math.Min(leave, enter);
            }
        }

        public void Reset(StepTimeline tl, long s, long d)
        {
            _tl = tl;
            _d = d;
            if (_deque.Length < tl.Count) _deque = new int[Math.Max(tl.Count, 2 * _deque.Length)];
            _head = 0;
            _tail = 0;
            _lo = tl.IndexAt(s);
            _hi = _lo - 1;
            var last = tl.IndexAt(s + d - 1);
            while (_hi < last) Push();
        }

        public void Advance(long s)
        {
            var times = _tl.Times;
            while (_lo + 1 < times.Length && times[_lo + 1] <= s) _lo++;
            while (_head < _tail && _deque[_head] < _lo) _head++;
            while (_hi + 1 < times.Length && times[_hi + 1] - _d + 1 <= s) Push();
        }

        private void Push()
        {
            _hi++;
            var values = _tl.Values;
            while (_tail > _head && values[_deque[_tail - 1]] >= values[_hi]) _tail--;
            _deque[_tail++] = _hi;
        }
    }
}
