using Lessor.Core.Model;

namespace Lessor.Core.Tests.Generation;

/// <summary>
/// Test-side checker of the generator's validity rules, written independently of the generator: unique ids,
/// resolved references, unit multiples, availability and cooling, site power, fabric size, pinned placements
/// and never-oversold fabrics. Returns every problem found.
/// </summary>
internal static class ScenarioChecker
{
    public static List<string> Check(Scenario s)
    {
        var problems = new List<string>();
        void Unique<T>(string what, IEnumerable<T> ids)
        {
            var seen = new HashSet<T>();
            foreach (var id in ids)
                if (!seen.Add(id)) problems.Add($"duplicate {what} id {id}");
        }
        Unique("platform", s.Platforms.Select(p => p.Id));
        Unique("region", s.Regions.Select(r => r.Id));
        Unique("site", s.Sites.Select(x => x.Id));
        Unique("fabric", s.Fabrics.Select(f => f.Id));
        Unique("delivery", s.Deliveries.Select(d => d.Id));
        Unique("customer", s.Customers.Select(c => c.Id));
        Unique("contract", s.Contracts.Select(c => c.Id));
        foreach (var c in s.Contracts) Unique($"line of {c.Id}", c.Lines.Select(l => l.Id));

        var platforms = s.Platforms.ToDictionary(p => p.Id);
        var regions = s.Regions.Select(r => r.Id).ToHashSet();
        var sites = s.Sites.ToDictionary(x => x.Id);
        var fabrics = s.Fabrics.ToDictionary(f => f.Id);
        var customers = s.Customers.Select(c => c.Id).ToHashSet();
        var contracts = s.Contracts.Select(c => c.Id).ToHashSet();

        foreach (var site in s.Sites)
        {
            if (!regions.Contains(site.Region)) problems.Add($"site {site.Id}: region {site.Region} unknown");
            for (var i = 1; i < site.Power.Count; i++)
                if (site.Power[i].From <= site.Power[i - 1].From) problems.Add($"site {site.Id}: power steps out of order");
        }
        foreach (var f in s.Fabrics)
        {
            if (!sites.TryGetValue(f.Site, out var site)) { problems.Add($"fabric {f.Id}: site {f.Site} unknown"); continue; }
            if (!platforms.TryGetValue(f.Platform, out var p)) { problems.Add($"fabric {f.Id}: platform {f.Platform} unknown"); continue; }
            if (!site.Cooling.Contains(p.Cooling)) problems.Add($"fabric {f.Id}: site {site.Id} lacks {p.Cooling} cooling for {p.Id}");
        }

        var deliveredPerFabric = new Dictionary<FabricId, int>();
        var fabricEvents = new Dictionary<FabricId, List<(DateTime At, int Supply, int Committed)>>();
        var powerEvents = new Dictionary<SiteId, List<(DateTime At, decimal Kw)>>();
        foreach (var d in s.Deliveries)
        {
            if (!fabrics.TryGetValue(d.Fabric, out var f)) { problems.Add($"delivery {d.Id}: fabric {d.Fabric} unknown"); continue; }
            var p = platforms[f.Platform];
            if (d.Units <= 0) problems.Add($"delivery {d.Id}: {d.Units} units");
            if (d.AcceptanceDate < p.AvailableFrom) problems.Add($"delivery {d.Id}: accepted {d.AcceptanceDate:d} before {p.Id} is available");
            deliveredPerFabric[f.Id] = deliveredPerFabric.GetValueOrDefault(f.Id) + d.Units;
            Add(fabricEvents, f.Id, (d.AcceptanceDate, d.Units, 0));
            Add(powerEvents, f.Site, (d.AcceptanceDate, d.Units * p.UnitKw));
        }
        foreach (var (id, units) in deliveredPerFabric)
            if (units > fabrics[id].MaxUnits) problems.Add($"fabric {id}: {units} units delivered, max {fabrics[id].MaxUnits}");

        foreach (var (siteId, events) in powerEvents)
        {
            var site = sites[siteId];
            var instants = events.Select(e => e.At).Concat(site.Power.Select(p => p.From)).Distinct().Order();
            foreach (var t in instants)
            {
                var kw = events.Where(e => e.At <= t).Sum(e => e.Kw);
                if (kw > site.MwAt(t) * 1000m) problems.Add($"site {siteId}: {kw} kW drawn at {t:d} over {site.MwAt(t)} MW");
            }
        }

        foreach (var c in s.Contracts)
        {
            if (!customers.Contains(c.Customer)) problems.Add($"contract {c.Id}: customer {c.Customer} unknown");
            foreach (var l in c.Lines)
            {
                var where = $"contract {c.Id} line {l.Id}";
                if (l.Option?.ExercisedUnder is { } under && !contracts.Contains(under)) problems.Add($"{where}: exercised under unknown {under}");
                if (!platforms.TryGetValue(l.Platform, out var p)) { problems.Add($"{where}: platform {l.Platform} unknown"); continue; }
                if (l.Gpus.Value <= 0 || l.Gpus.Value % p.GpusPerUnit != 0) problems.Add($"{where}: {l.Gpus} GPUs not a positive multiple of {p.GpusPerUnit}");
                if (l.BlockSize is { } b && (b.Value <= 0 || b.Value % p.GpusPerUnit != 0)) problems.Add($"{where}: block {b} not a multiple of {p.GpusPerUnit}");
                if (l.MinSites < 1) problems.Add($"{where}: min sites {l.MinSites}");
                if (!l.IsCommitted) continue;
                CheckPins(l, p, where, fabrics, sites, problems);
                foreach (var pin in l.Pinned)
                {
                    if (!fabrics.ContainsKey(pin.Fabric)) continue;
                    Add(fabricEvents, pin.Fabric, (l.Period.Start, 0, pin.Units));
                    Add(fabricEvents, pin.Fabric, (l.Period.End, 0, -pin.Units));
                }
            }
        }

        foreach (var (id, events) in fabricEvents)
        {
            int supply = 0, committed = 0;
            foreach (var group in events.GroupBy(e => e.At).OrderBy(g => g.Key))
            {
                foreach (var e in group) { supply += e.Supply; committed += e.Committed; }
                if (committed > supply) problems.Add($"fabric {id}: {committed} units committed at {group.Key:d}, {supply} accepted");
            }
        }
        return problems;
    }

    private static void CheckPins(ContractLine l, Platform p, string where, Dictionary<FabricId, Fabric> fabrics, Dictionary<SiteId, Site> sites, List<string> problems)
    {
        if (l.Pinned.Count == 0) { problems.Add($"{where}: committed but not pinned"); return; }
        var units = l.Gpus.Value / p.GpusPerUnit;
        if (l.Pinned.Sum(b => b.Units) != units) problems.Add($"{where}: pinned {l.Pinned.Sum(b => b.Units)} units, line has {units}");
        var placed = new List<Fabric>();
        foreach (var b in l.Pinned)
        {
            if (b.Units <= 0) problems.Add($"{where}: block of {b.Units} units");
            if (!fabrics.TryGetValue(b.Fabric, out var f)) { problems.Add($"{where}: fabric {b.Fabric} unknown"); continue; }
            if (f.Platform != l.Platform) problems.Add($"{where}: block in {f.Id} of platform {f.Platform}");
            placed.Add(f);
        }
        if (l.BlockSize is { } size)
        {
            var b = size.Value / p.GpusPerUnit;
            var odd = l.Pinned.Where(x => x.Units != b).ToList();
            if (odd.Count > 1 || (odd.Count == 1 && odd[0].Units != units % b))
                problems.Add($"{where}: blocks {string.Join(",", l.Pinned.Select(x => x.Units))} do not follow block size {b} units");
        }
        var siteIds = placed.Select(f => f.Site).Distinct().ToList();
        var regionIds = siteIds.Where(sites.ContainsKey).Select(x => sites[x].Region).Distinct().ToList();
        switch (l.Locality)
        {
            case Locality.Fabric when placed.Select(f => f.Id).Distinct().Count() > 1:
                problems.Add($"{where}: locality fabric but spans {placed.Select(f => f.Id).Distinct().Count()} fabrics"); break;
            case Locality.Site when siteIds.Count > 1:
                problems.Add($"{where}: locality site but spans {siteIds.Count} sites"); break;
            case Locality.Region when regionIds.Count > 1:
                problems.Add($"{where}: locality region but spans {regionIds.Count} regions"); break;
        }
        if (siteIds.Count < l.MinSites) problems.Add($"{where}: {siteIds.Count} sites, needs {l.MinSites}");
    }

    private static void Add<TKey, TValue>(Dictionary<TKey, List<TValue>> map, TKey key, TValue value) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(value);
    }
}
