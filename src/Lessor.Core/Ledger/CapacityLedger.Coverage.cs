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
    public IReadOnlyList<CoverageStep> Coverage(LineRef line)
    {
        if (!Lines.TryGetValue(line, out var state) || state.Pieces.Count == 0) return [];
        var unit = PlatformList[state.Platform].GpusPerUnit;
        var from = state.Pieces.Min(p => p.Start);
        var to = state.Pieces.Max(p => p.End);
        var cuts = new SortedSet<long> { from, to };
        foreach (var p in state.Pieces)
        {
            cuts.Add(p.Start);
            cuts.Add(p.End);
            var tl = Free[p.Fabric];
            for (var k = tl.IndexAt(p.Start) + 1; k < tl.Count && tl.Times[k] < p.End; k++) cuts.Add(tl.Times[k]);
            foreach (var other in FabricPieces[p.Fabric])
            {
                if (other.Start > p.Start && other.Start < p.End) cuts.Add(other.Start);
                if (other.End > p.Start && other.End < p.End) cuts.Add(other.End);
            }
        }
        var steps = new List<CoverageStep>();
        foreach (var t in cuts)
        {
            var covered = 0;
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
                }
            }
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
