using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Core.Ledger;

public sealed partial class CapacityLedger
{
    private static BindingConstraint UnknownPlatform(DealLine spec, LineId id) =>
        new(ConstraintKind.PlatformSupply, id, spec.Platform.Value, spec.Period, spec.Gpus,
            $"Platform '{spec.Platform}' is not in the catalog, so none of its {N(spec.Gpus.Value)} GPUs can be placed.");

    /// <summary>
    /// Why a line does not fit, in the order a planner fixes things: shapes no fabric can ever hold (fabric size,
    /// min sites), then supply over time in the best locality group, then locality, block packing and site spread.
    /// </summary>
    /// <remarks>Reads the free units <see cref="BestFitPlacement.LoadFree"/> loaded for this line: call it right after the failed placement.</remarks>
    private List<BindingConstraint> Diagnose(DealLine spec, LineId id, LineShape s, int anchorFabric)
    {
        var p = s.Platform;
        var unit = PlatformList[p].GpusPerUnit;
        var name = spec.Platform.Value;
        var fabrics = PlatformFabrics[p];
        var gpus = spec.Gpus.Value;
        if (fabrics.Length == 0)
        {
            return [new(ConstraintKind.PlatformSupply, id, name, spec.Period, spec.Gpus,
                $"{name} has no fabric in the estate, so none of its {N(gpus)} GPUs can be placed.")];
        }

        var structural = new List<BindingConstraint>();
        if (s.MinSites > 1 && s.Locality is Locality.Fabric or Locality.Site)
        {
            structural.Add(new(ConstraintKind.MinSites, id, name, spec.Period, GpuCount.Zero,
                $"A line kept in one {Word(s.Locality)} sits in one site, so it cannot span the {s.MinSites} sites it asks for."));
        }
        var biggest = fabrics[0];
        foreach (var f in fabrics) if (FabricList[f].MaxUnits > FabricList[biggest].MaxUnits) biggest = f;
        var maxUnits = FabricList[biggest].MaxUnits;
        if (spec.BlockSize is { } block && s.BlockUnits > maxUnits)
        {
            structural.Add(new(ConstraintKind.FabricSize, id, FabricList[biggest].Id.Value, spec.Period, new GpuCount((s.BlockUnits - maxUnits) * unit),
                $"A block of {N(block.Value)} {name} GPUs must sit in one fabric, but the largest, {FabricList[biggest].Id}, holds {N(maxUnits * unit)} GPUs."));
        }
        else if (s.Locality == Locality.Fabric && s.Units > maxUnits)
        {
            structural.Add(new(ConstraintKind.FabricSize, id, FabricList[biggest].Id.Value, spec.Period, new GpuCount((s.Units - maxUnits) * unit),
                $"The line needs {N(gpus)} {name} GPUs in one fabric, but the largest, {FabricList[biggest].Id}, holds {N(maxUnits * unit)} GPUs."));
        }
        if (s.MinSites > 1 && s.Locality is Locality.Region or Locality.Any)
        {
            var most = 0;
            var mostWhere = name;
            for (var start = 0; start < fabrics.Length;)
            {
                var end = _placement.GroupEnd(p, start, s.Locality);
                var sites = 0;
                for (var i = start; i < end; i++) if (i == start || FabricSite[fabrics[i]] != FabricSite[fabrics[i - 1]]) sites++;
                if (sites > most) { most = sites; mostWhere = s.Locality == Locality.Any ? name : RegionIds[SiteRegion[FabricSite[fabrics[start]]]].Value; }
                start = end;
            }
            if (most < s.MinSites)
            {
                structural.Add(new(ConstraintKind.MinSites, id, mostWhere, spec.Period, GpuCount.Zero,
                    $"{name} sits in only {most} site{(most == 1 ? "" : "s")}{(s.Locality == Locality.Region ? $" of any one region (best: {mostWhere})" : "")}, but the line asks for {s.MinSites}."));
            }
        }
        if (structural.Count > 0) return structural;

        // The best group: the one with the most free capacity over the period (ties: first by id). The free units are
        // those the failed placement just loaded for this line's period (a refusal used to load them a second time).
        ReadOnlySpan<int> g = _placement.FreeScratch(p);
        long platformFree = 0;
        foreach (var v in g) platformFree += v;
        int bestStart = 0, bestEnd = fabrics.Length, groups = 0;
        long bestFree = -1;
        var groupStart = anchorFabric >= 0 ? _placement.GroupStartOf(p, anchorFabric, s.Locality) : -1;
        for (var start = 0; start < fabrics.Length;)
        {
            var end = _placement.GroupEnd(p, start, s.Locality);
            groups++;
            long free = 0;
            for (var i = start; i < end; i++) free += g[i];
            if ((groupStart < 0 || start == groupStart) && free > bestFree) { bestFree = free; bestStart = start; bestEnd = end; }
            start = end;
        }
        var where = WhereOf(s.Locality, fabrics[bestStart], name);
        if (bestFree < s.Units)
        {
            if (s.Locality != Locality.Any && platformFree >= s.Units)
            {
                return [new(ConstraintKind.Locality, id, where, spec.Period, new GpuCount(checked((int)(s.Units - bestFree) * unit)),
                    $"{N(platformFree * unit)} {name} GPUs are free from {Day(spec.Period.Start)} to {LastDay(spec.Period.End)} across {groups} {Word(s.Locality)}s, "
                    + $"but none holds {N(gpus)}: the best, {where}, has {N(bestFree * unit)} free.")];
            }
            return SupplyShortfall(spec, id, s, bestStart, bestEnd, bestFree, where);
        }

        var total = 0;
        var sitesWithBlock = 0;
        for (var i = bestStart; i < bestEnd;)
        {
            var site = FabricSite[fabrics[i]];
            var cap = 0;
            for (; i < bestEnd && FabricSite[fabrics[i]] == site; i++) cap += g[i] / s.BlockUnits;
            total += cap;
            if (cap > 0) sitesWithBlock++;
        }
        var blockGpus = s.BlockUnits * unit;
        if (!_placement.GroupFeasible(s with { MinSites = 1 }, bestStart, bestEnd, out _))
        {
            var shortBlocks = Math.Max(1, s.Full - total);
            return [new(ConstraintKind.BlockSize, id, where, spec.Period, new GpuCount(shortBlocks * blockGpus),
                $"{Scope(s.Locality, where, name)} has {N(bestFree * unit)} GPUs free from {Day(spec.Period.Start)} to {LastDay(spec.Period.End)}, "
                + $"but in pieces: {N(total)} blocks of {N(blockGpus)} GPUs fit and the line needs {N(s.Full)}{(s.Remainder > 0 ? $" plus a block of {N(s.Remainder * unit)}" : "")}.")];
        }
        return [new(ConstraintKind.MinSites, id, where, spec.Period, new GpuCount(Math.Max(1, s.MinSites - sitesWithBlock) * blockGpus),
            $"Only {sitesWithBlock} site{(sitesWithBlock == 1 ? "" : "s")} in {Scope(s.Locality, where, name)} can take a block of {N(blockGpus)} GPUs "
            + $"from {Day(spec.Period.Start)} to {LastDay(spec.Period.End)}, but the line asks for {s.MinSites}.")];
    }

    /// <summary>Where supply over time falls short in a group: one constraint per stretch of dates it is short.</summary>
    private List<BindingConstraint> SupplyShortfall(DealLine spec, LineId id, LineShape s, int start, int end, long groupFree, string where)
    {
        var fabrics = PlatformFabrics[s.Platform];
        var unit = PlatformList[s.Platform].GpusPerUnit;
        var name = spec.Platform.Value;
        // Sweep the summed free units (each fabric clamped at zero) over the period: the fabrics' breakpoints merged in
        // time order through a heap of one cursor per fabric (each fabric's breakpoints are already sorted), so a refusal
        // costs O(events x log fabrics) with no event arrays to fill and sort.
        var n = end - start;
        var cursor = new int[n];
        var current = new int[n];
        var due = new PriorityQueue<int, long>(n);
        long sum = 0;
        var mostFree = fabrics[start];
        var mostFreeUnits = -1;
        for (var i = 0; i < n; i++)
        {
            var tl = Free[fabrics[start + i]];
            var k = tl.IndexAt(s.Start);
            current[i] = Math.Max(0, tl.Values[k]);
            sum += current[i];
            cursor[i] = k + 1;
            if (k + 1 < tl.Count && tl.Times[k + 1] < s.End) due.Enqueue(i, tl.Times[k + 1]);
            var least = Math.Max(0, tl.Min(s.Start, s.End));
            if (least > mostFreeUnits) { mostFreeUnits = least; mostFree = fabrics[start + i]; }
        }
        var result = new List<BindingConstraint>();
        long? shortFrom = null;
        var tightest = long.MaxValue;
        var t = s.Start;
        while (true)
        {
            // The slice [t, next event) holds sum free units.
            if (sum < s.Units)
            {
                shortFrom ??= t;
                tightest = Math.Min(tightest, sum);
            }
            else if (shortFrom is { } from)
            {
                result.Add(Shortfall(spec, id, s, where, from, t, tightest, end - start, mostFree, mostFreeUnits));
                shortFrom = null;
                tightest = long.MaxValue;
            }
            if (!due.TryPeek(out _, out var next)) break;
            t = next;
            while (due.TryPeek(out var i, out var at) && at == t)
            {
                due.Dequeue();
                var tl = Free[fabrics[start + i]];
                var v = Math.Max(0, tl.Values[cursor[i]]);
                sum += v - current[i];
                current[i] = v;
                if (++cursor[i] < tl.Count && tl.Times[cursor[i]] < s.End) due.Enqueue(i, tl.Times[cursor[i]]);
            }
        }
        if (shortFrom is { } last) result.Add(Shortfall(spec, id, s, where, last, s.End, tightest, end - start, mostFree, mostFreeUnits));
        var shortfalls = result.Count;
        for (var r = 0; r < shortfalls; r++)
        {
            if (BuildOutLimit(spec, id, s, start, end, where, result[r]) is { } limit) result.Add(limit);
        }
        if (result.Count == 0)
        {
            // Enough free at every instant, but in different fabrics at different times: a line does not migrate.
            result.Add(new(ConstraintKind.PlatformSupply, id, where, spec.Period, new GpuCount(checked((int)(s.Units - groupFree) * unit)),
                $"{Scope(s.Locality, where, name)} has enough {name} GPUs free at every instant from {Day(spec.Period.Start)} to {LastDay(spec.Period.End)}, "
                + $"but in different fabrics over time and a line does not move: only {N(groupFree * unit)} are free for the whole period, {N(spec.Gpus.Value)} needed."));
        }
        return result;
    }

    /// <summary>
    /// Whether the group could even take the missing units: first its fabrics' room (size less delivered units),
    /// then: each site's power envelope less what its delivered units draw (all platforms), at the tightest point of the
    /// shortfall. When they cannot, buying units is not enough: a larger fabric or more power must come first.
    /// </summary>
    private BindingConstraint? BuildOutLimit(DealLine spec, LineId id, LineShape s, int start, int end, string where, BindingConstraint shortfall)
    {
        var fabrics = PlatformFabrics[s.Platform];
        var platform = PlatformList[s.Platform];
        var unit = platform.GpusPerUnit;
        var shortUnits = shortfall.Short.Value / unit;
        var from = Utc.ToMinute(shortfall.When.Start);
        var to = Utc.ToMinute(shortfall.When.End);
        long addable = 0;
        long roomTotal = 0;
        var tightestSite = -1;
        var tightestMw = decimal.MaxValue;
        for (var i = start; i < end;)
        {
            var site = FabricSite[fabrics[i]];
            long room = 0;
            for (; i < end && FabricSite[fabrics[i]] == site; i++)
            {
                room += Math.Max(0, FabricList[fabrics[i]].MaxUnits - Supply[fabrics[i]].At(to - 1));
            }
            var spare = SpareMw(site, from, to);
            var byPower = platform.UnitKw <= 0 ? room : (long)Math.Max(0m, Math.Floor(spare * 1000m / platform.UnitKw));
            addable += Math.Min(room, byPower);
            roomTotal += room;
            if (spare < tightestMw || (spare == tightestMw && tightestSite < 0)) { tightestMw = spare; tightestSite = site; }
        }
        if (addable >= shortUnits || tightestSite < 0) return null;
        if (roomTotal < shortUnits)
        {
            return new(ConstraintKind.FabricSize, id, where, shortfall.When, new GpuCount(checked((int)(shortUnits - roomTotal) * unit)),
                $"Even filled to its size, {FabricsOf(s.Locality, where, spec.Platform.Value)} room for only {N(roomTotal * unit)} more GPUs "
                + $"from {Day(shortfall.When.Start)} to {LastDay(shortfall.When.End)}; the remaining {N((shortUnits - roomTotal) * unit)} GPUs need a new or larger fabric.");
        }
        var neededMw = (shortUnits - addable) * platform.UnitKw / 1000m;
        return new(ConstraintKind.SitePower, id, where, shortfall.When, new GpuCount(checked((int)(shortUnits - addable) * unit)),
            $"Even with more units, {SitesOf(s.Locality, where)} {(s.Locality is Locality.Site or Locality.Fabric ? "has" : "have")} power and fabric room for only {N(addable * unit)} more {spec.Platform} GPUs "
            + $"from {Day(shortfall.When.Start)} to {LastDay(shortfall.When.End)} ({SiteList[tightestSite].Id} has the least spare power, "
            + $"{tightestMw.ToString("0.###", CultureInfo.InvariantCulture)} MW); the remaining {N((shortUnits - addable) * unit)} GPUs need about "
            + $"{neededMw.ToString("0.###", CultureInfo.InvariantCulture)} MW more.");
    }

    private static string FabricsOf(Locality locality, string where, string platform) => locality switch
    {
        Locality.Fabric => $"fabric {where} has",
        Locality.Site => $"the {platform} capacity of site {where} has",
        Locality.Region => $"the {platform} capacity of {where} has",
        _ => $"the {platform} fleet has",
    };

    private static string SitesOf(Locality locality, string where) => locality switch
    {
        Locality.Fabric => $"the site of fabric {where}",
        Locality.Site => $"site {where}",
        Locality.Region => $"the sites of {where}",
        _ => $"the sites of the {where} fleet",
    };

    /// <summary>Least MW a site has spare over [from, to): energized envelope less the IT power of all units delivered to its fabrics.</summary>
    private decimal SpareMw(int site, long from, long to)
    {
        var cuts = new List<long> { from };
        foreach (var step in SiteList[site].Power)
        {
            var t = Utc.ToMinute(step.From);
            if (t > from && t < to) cuts.Add(t);
        }
        var atSite = SiteFabrics[site];
        foreach (var f in atSite)
        {
            var tl = Supply[f];
            for (var k = tl.IndexAt(from) + 1; k < tl.Count && tl.Times[k] < to; k++) cuts.Add(tl.Times[k]);
        }
        cuts.Sort();
        var least = decimal.MaxValue;
        for (var c = 0; c < cuts.Count; c++)
        {
            if (c > 0 && cuts[c] == cuts[c - 1]) continue;
            var drawn = 0m;
            foreach (var f in atSite) drawn += Supply[f].At(cuts[c]) * PlatformList[FabricPlatform[f]].UnitKw;
            least = Math.Min(least, SiteList[site].MwAt(Utc.FromMinute(cuts[c])) - drawn / 1000m);
        }
        return least;
    }

    private BindingConstraint Shortfall(DealLine spec, LineId id, LineShape s, string where, long from, long to, long tightest, int fabricCount, int mostFree, int mostFreeUnits)
    {
        var unit = PlatformList[s.Platform].GpusPerUnit;
        var name = spec.Platform.Value;
        var shortGpus = checked((int)(s.Units - tightest) * unit);
        var when = new Period(Utc.FromMinute(from), Utc.FromMinute(to));
        var scope = s.Locality switch
        {
            Locality.Any => $"{name} supply",
            Locality.Fabric => $"{name} supply in fabric {where}",
            Locality.Site => $"{name} supply at site {where}",
            _ => $"{name} supply in {where}",
        };
        return new(ConstraintKind.PlatformSupply, id, where, when, new GpuCount(shortGpus),
            $"{scope} is short by {N(shortGpus)} GPUs from {Day(when.Start)} to {LastDay(when.End)}: {N(spec.Gpus.Value)} needed, "
            + $"{N(tightest * unit)} free at the tightest point in {fabricCount} fabric{(fabricCount == 1 ? "" : "s")}; "
            + (mostFreeUnits > 0
                ? $"{FabricList[mostFree].Id} has the most free over the whole period ({N(mostFreeUnits * unit)})."
                : "none has a GPU free over the whole period."));
    }

    private string WhereOf(Locality locality, int fabric, string platform) => locality switch
    {
        Locality.Fabric => FabricList[fabric].Id.Value,
        Locality.Site => FabricList[fabric].Site.Value,
        Locality.Region => RegionIds[SiteRegion[FabricSite[fabric]]].Value,
        _ => platform,
    };

    private static string Scope(Locality locality, string where, string platform) => locality switch
    {
        Locality.Fabric => $"Fabric {where}",
        Locality.Site => $"Site {where}",
        Locality.Region => $"Region {where}",
        _ => $"The {platform} fleet",
    };

    private static string Word(Locality locality) => locality switch
    {
        Locality.Fabric => "fabric",
        Locality.Site => "site",
        Locality.Region => "region",
        _ => "fleet",
    };

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A date as a planner writes it; the time only when it is not midnight.</summary>
    internal static string Day(DateTime t) =>
        t.TimeOfDay == TimeSpan.Zero ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The last day inside a half-open period ending at <paramref name="end"/> ("to 2027-06-30" for an end of 2027-07-01).</summary>
    internal static string LastDay(DateTime end) =>
        end.TimeOfDay == TimeSpan.Zero ? end.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : Day(end);
}
