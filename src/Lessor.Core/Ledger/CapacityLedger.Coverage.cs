using Lessor.Core.Model;

namespace Lessor.Core.Ledger;

public sealed partial class CapacityLedger
{
    /// <summary>
    /// Every committed line that supply does not cover, per fabric and stretch of time. When a fabric is short,
    /// earlier-signed lines keep their units and the latest-signed lines are short first.
    /// </summary>
    public IReadOnlyList<UncoveredLine> Uncovered()
    {
        var result = new List<UncoveredLine>();
        for (var f = 0; f < FabricList.Length; f++)
        {
            var tl = Free[f];
            var oversold = false;
            foreach (var v in tl.Values) oversold |= v < 0;
            if (!oversold) continue;
            // Who is short can change where a piece starts or ends even when the fabric's free units do not.
            var cuts = new SortedSet<long>();
            foreach (var t in tl.Times) cuts.Add(t);
            foreach (var p in FabricPieces[f]) { cuts.Add(p.Start); cuts.Add(p.End); }
            var open = new Dictionary<LineState, (long From, int Short)>();
            foreach (var t in cuts)
            {
                var shortNow = tl.At(t) < 0 ? ShortByLine(f, t) : [];
                // Close stretches that ended or changed size; open new ones.
                foreach (var (line, (from, amount)) in open.ToList())
                {
                    if (shortNow.TryGetValue(line, out var now) && now == amount) continue;
                    result.Add(Uncovered(line, f, from, t, amount));
                    open.Remove(line);
                }
                foreach (var (line, amount) in shortNow) open.TryAdd(line, (t, amount));
            }
            foreach (var (line, (from, amount)) in open) result.Add(Uncovered(line, f, from, long.MaxValue, amount));
        }
        result.Sort((x, y) =>
        {
            var c = string.CompareOrdinal(x.Fabric.Value, y.Fabric.Value);
            if (c == 0) c = x.Shortfall.Start.CompareTo(y.Shortfall.Start);
            if (c == 0) c = string.CompareOrdinal(x.Line.ToString(), y.Line.ToString());
            return c;
        });
        return result;
    }

    /// <summary>GPUs of the line on accepted units over time, from its first piece's start; the last step (zero) is its end.</summary>
    public IReadOnlyList<CoverageStep> Coverage(LineRef line) =>
        Lines.TryGetValue(line, out var state) && state.Pieces.Count > 0 ? CoverageOf(state, out _) : [];

    /// <summary>
    /// Every line's coverage, where a line that was short during its term (a late delivery) and whose terms extend is then
    /// covered after its end, on the fabrics of its last blocks, by capacity no line holds: the late GPU-time is served
    /// after the term (terms start at acceptance), never by taking units another line holds. Such tails share free units
    /// in signing order (earliest first) and each lasts until the line's missed unit-minutes are made up; a tail that free
    /// capacity never reaches stays uncovered, and finance does not count that value as still to come.
    /// <paramref name="extendsTerm"/> says which lines' contracts make up late GPU-time (null: all).
    /// </summary>
    public IReadOnlyDictionary<LineRef, IReadOnlyList<CoverageStep>> CoverageWithTails(Func<LineRef, bool>? extendsTerm = null) =>
        CoverageWithTails(extendsTerm, since: null, dirtyLines: null).Map;

    /// <summary>
    /// <see cref="CoverageWithTails(Func{LineRef, bool}?)"/> kept current across writes. Given the snapshot taken
    /// before (<paramref name="since"/>, of this ledger), recomputes only the lines a change can reach: those with a
    /// block on a fabric whose supply, free units or pieces changed since, or on a fabric where such a line's late
    /// GPU-time is (or was) served, and the <paramref name="dirtyLines"/> the caller names (a line whose contract
    /// changed its late-delivery term). Every other line keeps its steps, which are then exactly what a full
    /// computation gives: a line's coverage depends only on the fabrics of its blocks and on the tails served where its
    /// own tail is. Without a snapshot of this ledger, computes every line.
    /// </summary>
    public CoverageSnapshot CoverageWithTails(Func<LineRef, bool>? extendsTerm, CoverageSnapshot? since, IReadOnlyCollection<LineRef>? dirtyLines)
    {
        var stamps = (long[])FabricStamp.Clone();
        var changes = PieceChanges;
        if (since is null || !ReferenceEquals(since.Ledger, this))
        {
            var all = new Dictionary<LineRef, IReadOnlyList<CoverageStep>>(Lines.Count);
            var allTails = new Dictionary<LineRef, int[]>();
            ComputeCoverage(Lines.Values, extendsTerm, all, allTails);
            return new CoverageSnapshot(this, stamps, changes, all, allTails, changed: null);
        }

        var fabrics = new HashSet<int>();
        for (var f = 0; f < stamps.Length; f++)
            if (stamps[f] != since.Stamps[f]) fabrics.Add(f);
        var map = new Dictionary<LineRef, IReadOnlyList<CoverageStep>>(since.Map);
        var tails = new Dictionary<LineRef, int[]>(since.Tails);
        var changed = new HashSet<LineRef>();
        var named = new List<LineState>();
        // A line that lost a block on a fabric is no longer among that fabric's pieces: found by its own change count.
        if (changes != since.PieceChanges)
            foreach (var state in Lines.Values)
                if (state.ChangedAt > since.PieceChanges) named.Add(state);
        foreach (var line in dirtyLines ?? [])
        {
            if (since.Tails.TryGetValue(line, out var was)) fabrics.UnionWith(was);
            if (!Lines.TryGetValue(line, out var state)) continue;
            named.Add(state);
            foreach (var p in state.Pieces) fabrics.Add(p.Fabric);
        }
        // Lines the ledger no longer has: gone from the map, and their tails no longer take free units.
        foreach (var line in since.Map.Keys)
        {
            if (Lines.ContainsKey(line)) continue;
            map.Remove(line);
            changed.Add(line);
            if (tails.Remove(line, out var was)) fabrics.UnionWith(was);
        }
        if (fabrics.Count == 0 && named.Count == 0 && Lines.Count == map.Count)
            return new CoverageSnapshot(this, stamps, changes, map, tails, changed);

        // Close the set of fabrics over tails: a recomputed line whose tail is (or was) served on another fabric changes
        // what every other tail there gets, so every line on that fabric is recomputed too.
        var reached = new Dictionary<LineState, (List<CoverageStep> Steps, long Missed)>();
        var frontier = new Queue<int>(fabrics);
        void Reach(LineState state)
        {
            if (reached.ContainsKey(state)) return;
            long missed = 0;
            var steps = state.Pieces.Count == 0 ? [] : CoverageOf(state, out missed);
            reached[state] = (steps, missed);
            if (missed > 0 && (extendsTerm is null || extendsTerm(state.Ref)))
                foreach (var g in LastFabrics(state)) if (fabrics.Add(g)) frontier.Enqueue(g);
            if (since.Tails.TryGetValue(state.Ref, out var was))
                foreach (var g in was) if (fabrics.Add(g)) frontier.Enqueue(g);
        }
        foreach (var state in named) Reach(state);
        // Lines the snapshot did not have (a line with no blocks is on no fabric to find it by).
        if (Lines.Count != map.Count)
            foreach (var (reference, state) in Lines)
                if (state.Pieces.Count == 0 && !map.ContainsKey(reference)) Reach(state);
        while (frontier.Count > 0)
        {
            var f = frontier.Dequeue();
            foreach (var p in FabricPieces[f]) Reach(p.Line);
        }

        foreach (var state in reached.Keys)
        {
            tails.Remove(state.Ref);
            changed.Add(state.Ref);
        }
        ComputeCoverage(reached.Keys, extendsTerm, map, tails, reached);
        return new CoverageSnapshot(this, stamps, changes, map, tails, changed);
    }

    /// <summary>The fabrics of a line's last blocks, where its late GPU-time is served.</summary>
    private static IEnumerable<int> LastFabrics(LineState state)
    {
        var end = long.MinValue;
        foreach (var p in state.Pieces) end = Math.Max(end, p.End);
        foreach (var p in state.Pieces) if (p.End == end) yield return p.Fabric;
    }

    /// <summary>
    /// Coverage of the given lines into <paramref name="into"/>, their owed GPU-time served after their terms; every
    /// line with a tail on a fabric must be among them. Owing lines' tail fabrics go to <paramref name="tailFabrics"/>.
    /// </summary>
    private void ComputeCoverage(IEnumerable<LineState> lines, Func<LineRef, bool>? extendsTerm,
        Dictionary<LineRef, IReadOnlyList<CoverageStep>> into, Dictionary<LineRef, int[]> tailFabrics,
        Dictionary<LineState, (List<CoverageStep> Steps, long Missed)>? computed = null)
    {
        var tails = new Dictionary<int, List<TailRequest>>();
        var owed = new List<(LineState State, List<CoverageStep> Steps, List<TailRequest> Requests)>();
        foreach (var state in lines)
        {
            var reference = state.Ref;
            if (state.Pieces.Count == 0)
            {
                into[reference] = [];
                continue;
            }
            List<CoverageStep> steps;
            long missed;
            if (computed is not null && computed.TryGetValue(state, out var known)) (steps, missed) = known;
            else steps = CoverageOf(state, out missed);
            if (missed <= 0 || (extendsTerm is not null && !extendsTerm(reference)))
            {
                into[reference] = steps;
                continue;
            }
            var end = long.MinValue;
            var finalUnits = 0;
            foreach (var p in state.Pieces) end = Math.Max(end, p.End);
            foreach (var p in state.Pieces) if (p.End == end) finalUnits += p.Units;
            var requests = new List<TailRequest>();
            for (var i = 0; i < state.Pieces.Count; i++)
            {
                var p = state.Pieces[i];
                if (p.End != end) continue;
                // The missed unit-minutes are made up on the last blocks in proportion to their units.
                var share = (long)Math.Ceiling((double)missed * p.Units / finalUnits);
                var request = new TailRequest(state.Priority, i, p.Units, end, share);
                requests.Add(request);
                if (!tails.TryGetValue(p.Fabric, out var list)) tails[p.Fabric] = list = [];
                list.Add(request);
            }
            tailFabrics[reference] = [.. LastFabrics(state).Distinct()];
            owed.Add((state, steps, requests));
        }
        foreach (var (fabric, requests) in tails) ServeTails(fabric, requests);
        foreach (var (state, steps, requests) in owed)
        {
            var unit = PlatformList[state.Platform].GpusPerUnit;
            var end = requests[0].Start;
            // The term's own steps up to its end, then the sum of its tails' steps.
            var merged = new List<CoverageStep>(steps.Count + 4);
            foreach (var step in steps)
                if (Utc.ToMinute(step.From) < end) merged.Add(step);
            var cuts = new SortedSet<long>();
            foreach (var r in requests) foreach (var (t, _) in r.Steps) cuts.Add(t);
            foreach (var t in cuts)
            {
                var units = 0;
                foreach (var r in requests) units += r.UnitsAt(t);
                var gpus = new GpuCount(units * unit);
                if (merged.Count == 0 || merged[^1].Gpus != gpus) merged.Add(new CoverageStep(Utc.FromMinute(t), gpus));
            }
            into[state.Ref] = merged;
        }
    }

    /// <summary>One block's late GPU-time to be made up after its line's end, and the units it got over time.</summary>
    private sealed class TailRequest(long priority, int block, int units, long start, long unitMinutes)
    {
        public long Priority { get; } = priority;
        public int Block { get; } = block;
        public int Units { get; } = units;
        public long Start { get; } = start;
        public long Left { get; set; } = unitMinutes;
        public int Taking { get; set; }
        public List<(long From, int Units)> Steps { get; } = [];

        public int UnitsAt(long t)
        {
            var u = 0;
            foreach (var (from, units) in Steps)
            {
                if (from > t) break;
                u = units;
            }
            return u;
        }

        public void Set(long t, int units)
        {
            if (Steps.Count > 0 && Steps[^1].Units == units) return;
            if (Steps.Count > 0 && Steps[^1].From == t) Steps[^1] = (t, units);
            else Steps.Add((t, units));
        }
    }

    /// <summary>
    /// Serves one fabric's tails from the units no line holds, in signing order, event by event: a change of free units,
    /// a tail starting, or a tail made up. Stops when every tail is made up or free units never change again.
    /// </summary>
    private void ServeTails(int fabric, List<TailRequest> requests)
    {
        // Signing order, then the line's block order: the same order whichever lines were recomputed.
        requests.Sort((x, y) => x.Priority != y.Priority ? x.Priority.CompareTo(y.Priority) : x.Block.CompareTo(y.Block));
        var free = Free[fabric];
        var t = long.MaxValue;
        foreach (var r in requests) t = Math.Min(t, r.Start);
        while (true)
        {
            var open = false;
            var next = long.MaxValue;
            var avail = Math.Max(0, free.At(t));
            foreach (var r in requests)
            {
                if (r.Left <= 0) continue;
                open = true;
                if (r.Start > t)
                {
                    next = Math.Min(next, r.Start);
                    continue;
                }
                r.Taking = Math.Min(r.Units, avail);
                avail -= r.Taking;
                r.Set(t, r.Taking);
                if (r.Taking > 0) next = Math.Min(next, t + (r.Left + r.Taking - 1) / r.Taking);
            }
            if (!open) return;
            var k = free.IndexAt(t) + 1;
            if (k < free.Count) next = Math.Min(next, free.Times[k]);
            if (next == long.MaxValue) return; // free units never change again and no tail is served: never made up
            foreach (var r in requests)
            {
                if (r.Left <= 0 || r.Start > t || r.Taking == 0) continue;
                r.Left -= r.Taking * (next - t);
                if (r.Left <= 0) r.Set(next, 0);
            }
            t = next;
        }
    }

    /// <summary>A line's coverage steps, and the unit-minutes of its term that supply did not cover.</summary>
    private List<CoverageStep> CoverageOf(LineState state, out long missedUnitMinutes)
    {
        missedUnitMinutes = 0;
        var unit = PlatformList[state.Platform].GpusPerUnit;
        var from = state.Pieces.Min(p => p.Start);
        var to = state.Pieces.Max(p => p.End);
        var cuts = new SortedSet<long> { from, to };
        foreach (var p in state.Pieces)
        {
            cuts.Add(p.Start);
            cuts.Add(p.End);
            var tl = Free[p.Fabric];
            // Where the fabric is never oversold over the piece, the piece is covered in full throughout: the other pieces'
            // edges and the free timeline's breakpoints cannot change its coverage (and cost O(pieces) per line).
            if (tl.Min(p.Start, p.End) >= 0) continue;
            for (var k = tl.IndexAt(p.Start) + 1; k < tl.Count && tl.Times[k] < p.End; k++) cuts.Add(tl.Times[k]);
            foreach (var other in FabricPieces[p.Fabric])
            {
                if (other.Start > p.Start && other.Start < p.End) cuts.Add(other.Start);
                if (other.End > p.Start && other.End < p.End) cuts.Add(other.End);
            }
        }
        var steps = new List<CoverageStep>();
        long previous = 0;
        var previousLacking = 0;
        foreach (var t in cuts)
        {
            missedUnitMinutes += previousLacking * (t - previous);
            var covered = 0;
            var lackingNow = 0;
            if (t < to)
            {
                var shortCache = new Dictionary<int, Dictionary<Piece, int>>();
                foreach (var p in state.Pieces)
                {
                    if (p.Start > t || t >= p.End) continue;
                    var lacking = 0;
                    if (Free[p.Fabric].At(t) < 0)
                    {
                        if (!shortCache.TryGetValue(p.Fabric, out var byPiece)) shortCache[p.Fabric] = byPiece = ShortByPiece(p.Fabric, t);
                        byPiece.TryGetValue(p, out lacking);
                    }
                    covered += p.Units - lacking;
                    lackingNow += lacking;
                }
            }
            previous = t;
            previousLacking = lackingNow;
            var gpus = new GpuCount(covered * unit);
            if (steps.Count == 0 || steps[^1].Gpus != gpus) steps.Add(new CoverageStep(Utc.FromMinute(t), gpus));
        }
        return steps;
    }

    private UncoveredLine Uncovered(LineState line, int fabric, long from, long to, int units)
    {
        // A shortfall open to the end of time ends, for the line, when its last piece in the fabric does.
        if (to == long.MaxValue)
        {
            to = from + 1;
            foreach (var p in line.Pieces) if (p.Fabric == fabric && p.End > to) to = p.End;
        }
        return new UncoveredLine(line.Ref, FabricList[fabric].Id, new Period(Utc.FromMinute(from), Utc.FromMinute(to)),
            new GpuCount(units * PlatformList[line.Platform].GpusPerUnit));
    }

    private Dictionary<LineState, int> ShortByLine(int fabric, long t)
    {
        var result = new Dictionary<LineState, int>();
        foreach (var (piece, units) in ShortByPiece(fabric, t))
        {
            result.TryGetValue(piece.Line, out var sum);
            result[piece.Line] = sum + units;
        }
        return result;
    }

    /// <summary>Units each active piece lacks at t: supply goes to pieces in priority order (earliest signed first).</summary>
    private Dictionary<Piece, int> ShortByPiece(int fabric, long t)
    {
        var active = new List<Piece>();
        foreach (var p in FabricPieces[fabric]) if (p.Start <= t && t < p.End) active.Add(p);
        active.Sort((x, y) =>
        {
            var c = x.Line.Priority.CompareTo(y.Line.Priority);
            return c != 0 ? c : x.Line.Pieces.IndexOf(x).CompareTo(y.Line.Pieces.IndexOf(y));
        });
        var left = Supply[fabric].At(t);
        var result = new Dictionary<Piece, int>();
        foreach (var p in active)
        {
            var take = Math.Clamp(left, 0, p.Units);
            left -= take;
            if (take < p.Units) result[p] = p.Units - take;
        }
        return result;
    }
}

/// <summary>
/// Every line's coverage with tails at one moment of a ledger, and what incremental coverage needs to bring it up to
/// date after later writes (<see cref="CapacityLedger.CoverageWithTails(Func{LineRef, bool}?, CoverageSnapshot?, IReadOnlyCollection{LineRef}?)"/>).
/// </summary>
public sealed class CoverageSnapshot
{
    internal CoverageSnapshot(CapacityLedger ledger, long[] stamps, long pieceChanges, Dictionary<LineRef, IReadOnlyList<CoverageStep>> map,
        Dictionary<LineRef, int[]> tails, HashSet<LineRef>? changed)
    {
        Ledger = ledger;
        Stamps = stamps;
        PieceChanges = pieceChanges;
        Map = map;
        Tails = tails;
        Changed = changed;
    }

    internal CapacityLedger Ledger { get; }
    internal long[] Stamps { get; }
    internal long PieceChanges { get; }
    internal Dictionary<LineRef, int[]> Tails { get; }

    /// <summary>Every line's coverage steps (with tails).</summary>
    public IReadOnlyDictionary<LineRef, IReadOnlyList<CoverageStep>> Map { get; }

    /// <summary>Whether the snapshot is of <paramref name="ledger"/> as it stands (no fabric changed since, no line added or removed).</summary>
    public bool IsCurrent(CapacityLedger ledger) =>
        ReferenceEquals(Ledger, ledger) && ledger.PieceChanges == PieceChanges && ledger.Lines.Count == Map.Count && Stamps.AsSpan().SequenceEqual(ledger.FabricStamp);

    /// <summary>The lines recomputed, added or removed since the snapshot this one was brought up from; null when all were computed.</summary>
    public IReadOnlySet<LineRef>? Changed { get; }
}
