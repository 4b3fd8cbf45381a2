using System.Globalization;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Planning;

/// <summary>A platform of the deal: when its new units must be accepted, and whether they can be by then.</summary>
internal sealed record PlatformPlan(
    Platform Platform, DateTime Acceptance, DateTime OrderBy, PlanBlocker DateBlocker, string? DateWhy, int NewFabricUnits,
    long WattsPerUnit, long CapexCents)
{
    public bool CanBuild => DateBlocker == PlanBlocker.None;
}

/// <summary>
/// A fabric the plan may deliver into: an existing one with room, or a new slot at a site that can cool the platform.
/// <see cref="Free"/> holds, per deal line, the ledger's least free units over the line's period (null: unusable).
/// </summary>
internal sealed record Candidate(
    FabricId Id, int Site, int Platform, bool IsNew, int MaxUnits, int Room, int?[] Free);

/// <summary>
/// Everything the unit model needs, computed once from the scenario, the ledger and the deal: the deal's platforms
/// and dates, candidate fabrics, and each site's power headroom (watts) from each acceptance date on.
/// </summary>
internal sealed class PlanSpace
{
    public required Scenario Scenario { get; init; }
    public required IReadOnlyList<DealLine> Lines { get; init; }
    public required int[] LinePlatform { get; init; }
    public required LineId[] LineIds { get; init; }
    public required List<PlatformPlan> Platforms { get; init; }
    public required List<Candidate> Candidates { get; init; }

    /// <summary>Headroom[site][platform]: watts free at the site from the platform's acceptance date on (never below zero).</summary>
    public required long[][] Headroom { get; init; }

    /// <summary>Sites where the limit on new fabrics per site offered fewer slots than the deal's blocks could need there.</summary>
    public required List<(int Site, int Platform, long Needed)> CappedSlots { get; init; }

    /// <param name="planned">Fabrics an earlier round of the same plan created: they count against the per-site limit.</param>
    public static PlanSpace Build(Scenario s, CapacityLedger ledger, DealRequest deal, DateTime today, PlanOptions options,
        IReadOnlySet<FabricId>? planned = null)
    {
        var ids = LineIdsOf(deal);
        var platforms = new List<PlatformPlan>();
        var linePlatform = new int[deal.Lines.Count];
        var platformOf = new Dictionary<PlatformId, Platform>();
        foreach (var p in s.Platforms) platformOf.TryAdd(p.Id, p);
        for (var l = 0; l < deal.Lines.Count; l++)
        {
            var line = deal.Lines[l];
            var p = platformOf[line.Platform];
            var pi = platforms.FindIndex(x => x.Platform.Id == p.Id);
            if (pi < 0)
            {
                platforms.Add(DatesOf(s, ledger, deal, p, today, options, ids));
                pi = platforms.Count - 1;
            }
            linePlatform[l] = pi;
        }

        var siteIndex = new Dictionary<SiteId, int>();
        for (var i = 0; i < s.Sites.Count; i++) siteIndex.TryAdd(s.Sites[i].Id, i);
        var known = new HashSet<FabricId>(ledger.FabricIds);
        var delivered = new Dictionary<FabricId, long>();
        foreach (var d in s.Deliveries) delivered[d.Fabric] = delivered.GetValueOrDefault(d.Fabric) + d.Units;

        var headroom = new long[s.Sites.Count][];
        var load = SiteLoads(s, siteIndex);
        for (var si = 0; si < s.Sites.Count; si++)
        {
            headroom[si] = new long[platforms.Count];
            for (var pi = 0; pi < platforms.Count; pi++) headroom[si][pi] = Math.Max(0, HeadroomFrom(s.Sites[si], load[si], platforms[pi].Acceptance));
        }

        var candidates = new List<Candidate>();
        var capped = new List<(int Site, int Platform, long Needed)>();
        var taken = new HashSet<FabricId>(s.Fabrics.Select(f => f.Id));
        for (var pi = 0; pi < platforms.Count; pi++)
        {
            var pp = platforms[pi];
            var p = pp.Platform;
            foreach (var f in s.Fabrics)
            {
                if (f.Platform != p.Id || !known.Contains(f.Id) || !siteIndex.TryGetValue(f.Site, out var si)) continue;
                var room = pp.CanBuild && Admits(s.Sites[si], p) ? (int)Math.Clamp(f.MaxUnits - delivered.GetValueOrDefault(f.Id), 0, int.MaxValue) : 0;
                var free = new int?[deal.Lines.Count];
                for (var l = 0; l < deal.Lines.Count; l++)
                {
                    if (linePlatform[l] != pi) continue;
                    var g = ledger.FreeUnits(f.Id, deal.Lines[l].Period);
                    // An oversold fabric (a slip) is left out for that line: building there would first repay the slip.
                    free[l] = g >= 0 ? g : null;
                }
                candidates.Add(new Candidate(f.Id, si, pi, false, f.MaxUnits, room, free));
            }
            if (!pp.CanBuild) continue;
            for (var si = 0; si < s.Sites.Count; si++)
            {
                var site = s.Sites[si];
                if (!Admits(site, p)) continue;
                var byPower = headroom[si][pi] / pp.WattsPerUnit;
                var needed = NewFabricsNeeded(deal, linePlatform, pi, pp, byPower);
                if (needed <= 0) continue;
                var limit = options.MaxNewFabricsPerSite;
                if (planned is not null)
                {
                    foreach (var f in s.Fabrics) if (f.Site == site.Id && f.Platform == p.Id && planned.Contains(f.Id)) limit--;
                }
                limit = Math.Max(0, limit);
                if (needed > limit) capped.Add((si, pi, needed));
                var slots = (int)Math.Min(limit, needed);
                for (var k = 0; k < slots; k++)
                {
                    var id = NewFabricId(s, site.Id, taken);
                    var free = new int?[deal.Lines.Count];
                    // A line that starts before the units arrive cannot sit on them.
                    for (var l = 0; l < deal.Lines.Count; l++) if (linePlatform[l] == pi && deal.Lines[l].Period.Start >= pp.Acceptance) free[l] = 0;
                    candidates.Add(new Candidate(id, si, pi, true, pp.NewFabricUnits, pp.NewFabricUnits, free));
                }
            }
        }
        return new PlanSpace
        {
            Scenario = s, Lines = deal.Lines, LinePlatform = linePlatform, LineIds = ids, Platforms = platforms,
            Candidates = candidates, Headroom = headroom, CappedSlots = capped,
        };
    }

    /// <summary>
    /// How many new fabrics a least-capex plan can use at one site. Each new fabric it opens holds a piece of some line
    /// that can use new units (a full block or the line's remainder), or it would be spare; one line's pieces at a site
    /// pack floor(size / block) blocks to a new fabric, plus one fabric for the remainder, and a line kept in one fabric
    /// needs one. Summed over the lines (exact for one line), and at most the units the site's power admits.
    /// A count from units alone (units / size) misses plans whose blocks leave part of each fabric empty.
    /// </summary>
    internal static long NewFabricsNeeded(DealRequest deal, int[] linePlatform, int platform, PlatformPlan pp, long byPower)
    {
        var p = pp.Platform;
        long pieces = 0;
        for (var l = 0; l < deal.Lines.Count; l++)
        {
            var line = deal.Lines[l];
            if (linePlatform[l] != platform || line.Period.Start < pp.Acceptance) continue;
            if (line.Locality == Locality.Fabric)
            {
                pieces++;
                continue;
            }
            long units = line.Gpus.Value / p.GpusPerUnit;
            long block = line.BlockSize is { } b ? Math.Max(1, b.Value / p.GpusPerUnit) : 1;
            long perFabric = pp.NewFabricUnits / block;
            if (perFabric > 0)
            {
                var full = Math.Min(units / block, byPower / block);
                pieces += (full + perFabric - 1) / perFabric;
            }
            if (units % block > 0) pieces++;
        }
        return Math.Min(pieces, byPower);
    }

    internal static LineId[] LineIdsOf(DealRequest deal)
    {
        var ids = new LineId[deal.Lines.Count];
        for (var i = 0; i < ids.Length; i++) ids[i] = deal.Lines[i].Id ?? new LineId(string.Create(CultureInfo.InvariantCulture, $"L{i + 1}"));
        return ids;
    }

    internal static bool Admits(Site site, Platform p)
    {
        foreach (var c in site.Cooling) if (c == p.Cooling) return true;
        return false;
    }

    /// <summary>
    /// New units of a platform are accepted when the first of its lines that the estate cannot hold starts: its lines in
    /// start order, the first whose prefix no longer fits (its first line otherwise). Later never hurts power or
    /// ordering, and lines before it fit on what exists.
    /// </summary>
    private static PlatformPlan DatesOf(Scenario s, CapacityLedger ledger, DealRequest deal, Platform p, DateTime today, PlanOptions options, LineId[] ids)
    {
        var order = new List<int>();
        for (var l = 0; l < deal.Lines.Count; l++) if (deal.Lines[l].Platform == p.Id) order.Add(l);
        order.Sort((a, b) =>
        {
            var c = deal.Lines[a].Period.Start.CompareTo(deal.Lines[b].Period.Start);
            return c != 0 ? c : a.CompareTo(b);
        });
        var first = order[0];
        var firstShort = -1;
        var prefix = new List<DealLine>();
        for (var k = 0; k < order.Count && order.Count > 1; k++)
        {
            prefix.Add(deal.Lines[order[k]] with { Id = ids[order[k]] });
            if (ledger.Check(new DealRequest(deal.Customer, [.. prefix])).Fits) continue;
            firstShort = order[k];
            break;
        }
        if (firstShort >= 0) first = firstShort;
        var acceptance = deal.Lines[first].Period.Start;
        var orderBy = acceptance.AddDays(-p.LeadTimeDays);
        var earliestByLead = today.AddDays(p.LeadTimeDays);
        var blocker = PlanBlocker.None;
        string? why = null;
        if (acceptance < p.AvailableFrom && p.AvailableFrom >= earliestByLead)
        {
            blocker = PlanBlocker.PlatformNotAvailable;
            why = $"{p.Name} ships from {ModelText.Date(p.AvailableFrom)}, after line {ids[first]} starts on {ModelText.Date(acceptance)}: no unit can be accepted in time; start the deal on or after {ModelText.Date(p.AvailableFrom)}.";
        }
        else if (orderBy < today)
        {
            var earliest = earliestByLead > p.AvailableFrom ? earliestByLead : p.AvailableFrom;
            blocker = PlanBlocker.LeadTime;
            why = $"{p.Name} ordered today ({ModelText.Date(today)}) is accepted {ModelText.Date(earliest)} at the earliest ({ModelText.Int(p.LeadTimeDays)} days' lead time), after line {ids[first]} starts on {ModelText.Date(acceptance)}; start the deal on or after {ModelText.Date(earliest)}.";
        }
        var maxBlock = 1;
        for (var l = 0; l < deal.Lines.Count; l++)
        {
            if (deal.Lines[l].Platform != p.Id) continue;
            var units = deal.Lines[l].Gpus.Value / p.GpusPerUnit;
            var blockUnits = deal.Lines[l].BlockSize is { } b ? b.Value / p.GpusPerUnit
                : deal.Lines[l].Locality == Locality.Fabric ? units : 1;
            maxBlock = Math.Max(maxBlock, blockUnits);
        }
        var size = options.NewFabricMaxUnits ?? Math.Max(maxBlock, LargestFabric(s, p) ?? 256);
        return new PlatformPlan(p, acceptance, orderBy, blocker, why, Math.Max(1, size), (long)Math.Ceiling(p.UnitKw * 1000m),
            (long)Math.Ceiling(p.CapexPerUnit.Amount * 100m));
    }

    private static int? LargestFabric(Scenario s, Platform p)
    {
        int? max = null;
        foreach (var f in s.Fabrics) if (f.Platform == p.Id && (max is null || f.MaxUnits > max)) max = f.MaxUnits;
        return max;
    }

    /// <summary>Per site, the kW each delivery adds from its acceptance date, sorted by date.</summary>
    private static List<(DateTime At, decimal Watts)>[] SiteLoads(Scenario s, Dictionary<SiteId, int> siteIndex)
    {
        var fabricSite = new Dictionary<FabricId, (int Site, decimal UnitW)>();
        var platformOf = new Dictionary<PlatformId, Platform>();
        foreach (var p in s.Platforms) platformOf.TryAdd(p.Id, p);
        foreach (var f in s.Fabrics)
        {
            if (siteIndex.TryGetValue(f.Site, out var si) && platformOf.TryGetValue(f.Platform, out var p))
                fabricSite.TryAdd(f.Id, (si, p.UnitKw * 1000m));
        }
        var loads = new List<(DateTime At, decimal Watts)>[s.Sites.Count];
        for (var i = 0; i < loads.Length; i++) loads[i] = [];
        foreach (var d in s.Deliveries)
        {
            if (d.Units > 0 && fabricSite.TryGetValue(d.Fabric, out var fs)) loads[fs.Site].Add((d.AcceptanceDate, d.Units * fs.UnitW));
        }
        foreach (var l in loads) l.Sort(static (a, b) => a.At.CompareTo(b.At));
        return loads;
    }

    /// <summary>
    /// Watts free at the site from <paramref name="from"/> on: the least, over every instant from then, of the envelope
    /// minus the deliveries accepted by that instant. Both are step functions, so their breakpoints suffice.
    /// </summary>
    internal static long HeadroomFrom(Site site, List<(DateTime At, decimal Watts)> load, DateTime from)
    {
        var checkpoints = new List<DateTime> { from };
        foreach (var step in site.Power) if (step.From > from) checkpoints.Add(step.From);
        foreach (var (at, _) in load) if (at > from) checkpoints.Add(at);
        var min = decimal.MaxValue;
        foreach (var t in checkpoints)
        {
            var drawn = 0m;
            foreach (var (at, w) in load)
            {
                if (at > t) break;
                drawn += w;
            }
            var free = site.MwAt(t) * 1_000_000m - drawn;
            if (free < min) min = free;
        }
        return (long)Math.Floor(min);
    }

    /// <summary>A new fabric is named like the estate's own: the site's id and the next unused "-fN".</summary>
    private static FabricId NewFabricId(Scenario s, SiteId site, HashSet<FabricId> taken)
    {
        var n = 1;
        foreach (var f in s.Fabrics) if (f.Site == site) n++;
        while (true)
        {
            var id = new FabricId(string.Create(CultureInfo.InvariantCulture, $"{site.Value}-f{n}"));
            if (taken.Add(id)) return id;
            n++;
        }
    }
}
