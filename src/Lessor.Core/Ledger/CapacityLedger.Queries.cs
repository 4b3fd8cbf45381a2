using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Core.Ledger;

public sealed partial class CapacityLedger
{
    // Lines of a deal under check are committed tentatively under this id, which no scenario can use.
    private static readonly ContractId Tentative = new("\0tentative");

    /// <summary>Does the deal fit, and where? Lines are placed in order, each seeing the earlier ones' tentative commitments.</summary>
    public FitResult Check(DealRequest deal) => CheckLines(deal.Lines, LineIds(deal));

    /// <summary>
    /// The earliest start in [<paramref name="notBefore"/>, <paramref name="horizonEnd"/>) at which the deal fits,
    /// every line moved by the same amount. For one line, only starts where some fabric's free capacity rises can
    /// turn a "no" into a "yes" (see <see cref="EarliestSweep"/>); for several, every start where a line's window
    /// edge crosses a breakpoint. Both are exact.
    /// </summary>
    public EarliestResult Earliest(DealRequest deal, DateTime notBefore, DateTime horizonEnd)
    {
        var ids = LineIds(deal);
        var s0 = deal.Lines.Min(l => Utc.ToMinute(l.Period.Start));
        var nb = Utc.ToMinute(notBefore);
        var he = Utc.ToMinute(horizonEnd);
        var offsets = new List<long>();
        var platforms = new List<int>();
        foreach (var line in deal.Lines)
        {
            offsets.Add(Utc.ToMinute(line.Period.Start) - s0);
            offsets.Add(Utc.ToMinute(line.Period.End) - s0);
            if (PlatformIndex.TryGetValue(line.Platform, out var p) && !platforms.Contains(p)) platforms.Add(p);
        }
        if (deal.Lines.Count == 1 && platforms.Count == 1)
        {
            var shape = ShapeOf(deal.Lines[0], platforms[0]);
            var evaluated = 0;
            var start = nb < he ? _earliest.Find(shape, nb, he, out evaluated) : -1;
            if (start >= 0)
            {
                var fit = CheckLines(Shift(deal, start - s0).Lines, ids);
                if (!fit.Fits) throw new InvalidOperationException("The earliest-start sweep and the fit check disagree.");
                return new EarliestResult(Utc.FromMinute(start), fit, evaluated);
            }
            return new EarliestResult(null, CheckLines(Shift(deal, nb - s0).Lines, ids), evaluated);
        }
        // Several lines are placed greedily one after another, so a fabric losing capacity can change where line 1
        // goes and let line 2 fit: every start where a line's window edge crosses any breakpoint is a candidate.
        // A necessary condition prunes most of them: each line must fit on its own, so no start comes before every
        // line's own earliest start (each found by the single-line sweep). Candidates are generated a chunk of time
        // at a time, so a deal that fits soon never pays for the whole horizon.
        var known = deal.Lines.All(l => PlatformIndex.ContainsKey(l.Platform));
        var shapes = known ? deal.Lines.Select(l => ShapeOf(l, PlatformIndex[l.Platform])).ToArray() : [];
        var chunk = Math.Max(16, deal.Lines.Max(l => Utc.ToMinute(l.Period.End)) - s0);
        var floor = nb;
        var checkedCount = 0;
        var candidates = new List<long>();
        for (var lo = nb; lo < he;)
        {
            var hi = Math.Min(he, lo + chunk);
            candidates.Clear();
            candidates.Add(lo);
            foreach (var p in platforms)
            {
                foreach (var f in PlatformFabrics[p])
                {
                    var times = Free[f].Times;
                    foreach (var o in offsets)
                    {
                        // Breakpoints t with lo <= t - o + 1 and t - o < hi.
                        var k = times.BinarySearch(lo + o - 1);
                        for (k = k >= 0 ? k : ~k; k < times.Length && times[k] - o < hi; k++)
                        {
                            var c = times[k] - o;
                            if (c >= lo) candidates.Add(c);
                            if (c + 1 < hi) candidates.Add(c + 1);
                        }
                    }
                }
            }
            candidates.Sort();
            for (var ci = 0; ci < candidates.Count; ci++)
            {
                var c = candidates[ci];
                if ((ci > 0 && c == candidates[ci - 1]) || c < floor) continue;
                for (var i = 0; i < shapes.Length; i++)
                {
                    var offset = shapes[i].Start - s0;
                    var own = _earliest.Find(shapes[i], c + offset, he + offset, out _);
                    if (own < 0) return new EarliestResult(null, CheckLines(Shift(deal, nb - s0).Lines, ids), checkedCount);
                    floor = Math.Max(floor, own - offset);
                }
                if (floor > c) continue;
                checkedCount++;
                var fit = CheckLines(Shift(deal, c - s0).Lines, ids);
                if (fit.Fits) return new EarliestResult(Utc.FromMinute(c), fit, checkedCount);
            }
            lo = Math.Max(hi, floor);
        }
        return new EarliestResult(null, CheckLines(Shift(deal, nb - s0).Lines, ids), checkedCount);
    }

    /// <summary>The largest size (a multiple of the block size, or of the unit) at which a single-line deal fits in its period.</summary>
    public LargestResult Largest(DealRequest deal)
    {
        if (deal.Lines.Count != 1) throw new ArgumentException("Largest answers for a single-line deal.", nameof(deal));
        var spec = deal.Lines[0];
        if (!PlatformIndex.TryGetValue(spec.Platform, out var p)) return new LargestResult(GpuCount.Zero, Check(deal));
        var shape = ShapeOf(spec, p);
        var unit = PlatformList[p].GpusPerUnit;
        var blockUnits = spec.BlockSize is { } b ? b.Value / unit : 1;
        _placement.LoadFree(p, shape.Start, shape.End);
        var blocks = _placement.MaxBlocks(shape with { BlockUnits = blockUnits, Remainder = 0 });
        var ids = LineIds(deal);
        // Nothing fits: say why a single block (or unit) does not.
        if (blocks == 0) return new LargestResult(GpuCount.Zero, CheckLines([spec.With(new GpuCount(blockUnits * unit), spec.Period)], ids));
        var largest = new GpuCount(checked(blocks * blockUnits * unit));
        return new LargestResult(largest, CheckLines([spec.With(largest, spec.Period)], ids));
    }

    /// <summary>The deal's TCV and utilization (committed / supply GPU-hours) by platform and site over the deal's period, before and after.</summary>
    public ImpactResult Impact(DealRequest deal)
    {
        var fit = Check(deal);
        var over = new Period(deal.Lines.Min(l => l.Period.Start), deal.Lines.Max(l => l.Period.End));
        Money? tcv = null;
        if (deal.Lines.All(l => l.PricePerGpuHour is not null))
        {
            tcv = Money.Zero(deal.Lines[0].PricePerGpuHour!.Value.Currency);
            foreach (var l in deal.Lines) tcv = tcv.Value + l.PricePerGpuHour!.Value * (l.Gpus.Value * l.Period.Hours);
        }
        var a = Utc.ToMinute(over.Start);
        var b = Utc.ToMinute(over.End);
        var n = FabricList.Length;
        var supply = new long[n];
        var committed = new long[n];
        var added = new long[n];
        for (var f = 0; f < n; f++)
        {
            var unit = PlatformList[FabricPlatform[f]].GpusPerUnit;
            supply[f] = Supply[f].Integral(a, b) * unit;
            committed[f] = supply[f] - Free[f].Integral(a, b) * unit;
        }
        if (fit.Fits)
        {
            foreach (var placement in fit.Placements)
            {
                var minutes = Utc.ToMinute(placement.Spec.Period.End) - Utc.ToMinute(placement.Spec.Period.Start);
                foreach (var block in placement.Blocks)
                {
                    var f = FabricIndex[block.Fabric];
                    added[f] += block.Units * PlatformList[FabricPlatform[f]].GpusPerUnit * minutes;
                }
            }
        }
        var byPlatform = Aggregate(FabricPlatform, PlatformList.Select(p => p.Id.Value).ToArray(), supply, committed, added);
        var bySite = Aggregate(FabricSite, SiteList.Select(x => x.Id.Value).ToArray(), supply, committed, added);
        return new ImpactResult(tcv, fit, over, byPlatform, bySite);
    }

    // Sums per scope in dense arrays (no dictionary on the request path), then rows in ordinal order of the scope's id.
    private static List<Utilization> Aggregate(int[] scopeOfFabric, string[] scopeIds, long[] supply, long[] committed, long[] added)
    {
        var s = new long[scopeIds.Length];
        var c = new long[scopeIds.Length];
        var a = new long[scopeIds.Length];
        for (var f = 0; f < scopeOfFabric.Length; f++)
        {
            var k = scopeOfFabric[f];
            s[k] += supply[f];
            c[k] += committed[f];
            a[k] += added[f];
        }
        var order = Enumerable.Range(0, scopeIds.Length).OrderBy(k => scopeIds[k], StringComparer.Ordinal);
        var result = new List<Utilization>();
        foreach (var k in order)
        {
            if (s[k] == 0 && a[k] == 0) continue;
            result.Add(new Utilization(scopeIds[k], Ratio(c[k], s[k]), Ratio(c[k] + a[k], s[k])));
        }
        return result;
    }

    private static decimal Ratio(long part, long whole) => whole == 0 ? 0m : Math.Round((decimal)part / whole, 6, MidpointRounding.AwayFromZero);

    internal static LineId[] LineIds(DealRequest deal)
    {
        if (deal.Lines.Count == 0) throw new ArgumentException("A deal needs at least one line.", nameof(deal));
        var ids = new LineId[deal.Lines.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = deal.Lines[i].Id ?? new LineId(string.Create(CultureInfo.InvariantCulture, $"L{i + 1}"));
            for (var j = 0; j < i; j++)
                if (ids[j] == ids[i]) throw new ArgumentException($"Deal lines {j} and {i} share the id '{ids[i]}'.", nameof(deal));
        }
        return ids;
    }

    private static DealRequest Shift(DealRequest deal, long minutes)
    {
        if (minutes == 0) return deal;
        var by = TimeSpan.FromMinutes(minutes);
        return deal with { Lines = deal.Lines.Select(l => l.With(l.Gpus, new Period(l.Period.Start + by, l.Period.End + by))).ToList() };
    }

    /// <summary>Validates a line and reduces it to units and blocks. Malformed input is a caller's bug: it throws.</summary>
    internal LineShape ShapeOf(DealLine line, int platform)
    {
        var unit = PlatformList[platform].GpusPerUnit;
        var gpus = line.Gpus.Value;
        if (gpus <= 0 || gpus % unit != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"GPUs ({gpus}) must be a positive multiple of the {line.Platform} unit ({unit})."), nameof(line));
        if (line.MinSites < 1) throw new ArgumentException("MinSites must be at least 1.", nameof(line));
        var units = gpus / unit;
        var a = Utc.ToMinute(line.Period.Start);
        var b = Utc.ToMinute(line.Period.End);
        if (line.BlockSize is not { } block) return new LineShape(platform, units, 1, units, 0, line.Locality, line.MinSites, a, b);
        if (block.Value <= 0 || block.Value % unit != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Block size ({block.Value}) must be a positive multiple of the {line.Platform} unit ({unit})."), nameof(line));
        var blockUnits = block.Value / unit;
        return new LineShape(platform, units, blockUnits, units / blockUnits, units % blockUnits, line.Locality, line.MinSites, a, b);
    }

    /// <summary>Places lines in order (anchored to one fabric's locality group when anchor >= 0), undoing the tentative commitments after.</summary>
    internal FitResult CheckLines(IReadOnlyList<DealLine> lines, IReadOnlyList<LineId> ids, int anchorFabric = -1)
    {
        var placements = new List<LinePlacement>(lines.Count);
        List<LedgerOp>? journal = null;
        try
        {
            for (var i = 0; i < lines.Count; i++)
            {
                var spec = lines[i];
                if (!PlatformIndex.TryGetValue(spec.Platform, out var p))
                {
                    return new FitResult(false, [], [UnknownPlatform(spec, ids[i])]);
                }
                var shape = ShapeOf(spec, p);
                _placement.LoadFree(p, shape.Start, shape.End);
                var chunks = _placement.Place(shape, anchorFabric);
                if (chunks is null) return new FitResult(false, [], Diagnose(spec, ids[i], shape, anchorFabric));
                var placement = new LinePlacement(ids[i], spec, ToBlocks(chunks, shape, spec.BlockSize is not null));
                placements.Add(placement);
                if (i < lines.Count - 1)
                {
                    journal ??= [];
                    ApplyPlacement(Tentative, placement, journal);
                }
            }
            return new FitResult(true, placements, []);
        }
        finally
        {
            if (journal is not null) Rollback(journal);
        }
    }

    private List<PlacedBlock> ToBlocks(List<(int Fabric, int Units)> chunks, in LineShape s, bool blocked)
    {
        var blocks = new List<PlacedBlock>();
        var fullChunks = s.Remainder > 0 ? chunks.Count - 1 : chunks.Count;
        for (var i = 0; i < fullChunks; i++)
        {
            var (fabric, units) = chunks[i];
            if (blocked)
            {
                for (var k = 0; k < units / s.BlockUnits; k++) blocks.Add(new PlacedBlock(FabricList[fabric].Id, s.BlockUnits));
                continue;
            }
            // Without a block size a line is one block per fabric.
            var merged = false;
            for (var j = 0; j < blocks.Count; j++)
            {
                if (blocks[j].Fabric != FabricList[fabric].Id) continue;
                blocks[j] = blocks[j] with { Units = blocks[j].Units + units };
                merged = true;
                break;
            }
            if (!merged) blocks.Add(new PlacedBlock(FabricList[fabric].Id, units));
        }
        if (s.Remainder > 0) blocks.Add(new PlacedBlock(FabricList[chunks[^1].Fabric].Id, s.Remainder));
        return blocks;
    }
}
