using Lessor.Core.Model;

namespace Lessor.Core.Estate;

/// <summary>The estate at one instant: power, fabrics and GPUs in service by platform and by site.</summary>
public sealed record FleetSnapshot(
    DateTime At,
    decimal EnergizedMw,
    decimal ContractedMw,
    decimal DrawnMw,
    int Sites,
    int Fabrics,
    IReadOnlyList<PlatformGpus> ByPlatform,
    IReadOnlyList<SiteSnapshot> BySite)
{
    /// <summary>GPUs on accepted units, all platforms.</summary>
    public int TotalGpus => ByPlatform.Sum(p => p.Gpus);
}

/// <summary>GPUs of one platform in service at an instant, and how many more are planned or ordered.</summary>
public sealed record PlatformGpus(PlatformId Platform, int Gpus, int Units, int PendingGpus);

/// <summary>One site at an instant: energized and drawn power, and GPUs in service.</summary>
public sealed record SiteSnapshot(SiteId Site, RegionId Region, decimal EnergizedMw, decimal ContractedMw, decimal DrawnMw, int Fabrics, int Gpus);

/// <summary>Summarises the estate (sites, MW, fabrics, GPUs by platform) at chosen instants.</summary>
public static class FleetSummary
{
    /// <summary>
    /// The estate at each instant: a delivery counts once its acceptance date is on or before the instant;
    /// units not yet accepted count as pending.
    /// </summary>
    public static IReadOnlyList<FleetSnapshot> At(Scenario scenario, IReadOnlyList<DateTime> instants)
    {
        var platforms = scenario.Platforms.ToDictionary(p => p.Id);
        var fabrics = scenario.Fabrics.ToDictionary(f => f.Id);
        var result = new List<FleetSnapshot>(instants.Count);
        foreach (var at in instants)
        {
            var gpus = new Dictionary<PlatformId, (int Gpus, int Units, int Pending)>();
            var siteKw = new Dictionary<SiteId, decimal>();
            var siteGpus = new Dictionary<SiteId, int>();
            foreach (var p in scenario.Platforms) gpus[p.Id] = (0, 0, 0);
            foreach (var d in scenario.Deliveries)
            {
                var fabric = fabrics[d.Fabric];
                var platform = platforms[fabric.Platform];
                var (g, u, pending) = gpus[platform.Id];
                if (d.AcceptanceDate <= at)
                {
                    gpus[platform.Id] = (g + d.Units * platform.GpusPerUnit, u + d.Units, pending);
                    siteKw[fabric.Site] = siteKw.GetValueOrDefault(fabric.Site) + d.Units * platform.UnitKw;
                    siteGpus[fabric.Site] = siteGpus.GetValueOrDefault(fabric.Site) + d.Units * platform.GpusPerUnit;
                }
                else
                {
                    gpus[platform.Id] = (g, u, pending + d.Units * platform.GpusPerUnit);
                }
            }

            var fabricsPerSite = scenario.Fabrics.GroupBy(f => f.Site).ToDictionary(g => g.Key, g => g.Count());
            var sites = scenario.Sites
                .Select(s => new SiteSnapshot(
                    s.Id, s.Region, s.MwAt(at), s.ContractedMw, siteKw.GetValueOrDefault(s.Id) / 1000m,
                    fabricsPerSite.GetValueOrDefault(s.Id), siteGpus.GetValueOrDefault(s.Id)))
                .ToList();
            result.Add(new FleetSnapshot(
                at,
                sites.Sum(s => s.EnergizedMw),
                sites.Sum(s => s.ContractedMw),
                sites.Sum(s => s.DrawnMw),
                scenario.Sites.Count(s => s.MwAt(at) > 0m),
                scenario.Fabrics.Count,
                scenario.Platforms.Select(p => new PlatformGpus(p.Id, gpus[p.Id].Gpus, gpus[p.Id].Units, gpus[p.Id].Pending)).ToList(),
                sites));
        }
        return result;
    }

    /// <summary>Year-end instants (1 January of the following year) from the first to the last delivery year.</summary>
    public static IReadOnlyList<DateTime> YearEnds(Scenario scenario)
    {
        // A stored delivery may predate the range check (accepted in 9999, whose year end .NET cannot represent): year
        // ends cover the deliveries inside the supported range only.
        var dates = scenario.Deliveries.Select(d => d.AcceptanceDate).Where(Utc.InSupportedRange).ToList();
        if (dates.Count == 0) return [];
        var first = dates.Min().Year;
        var last = Math.Min(dates.Max().Year, Utc.SupportedRange.End.Year - 1);
        return Enumerable.Range(first, last - first + 1).Select(y => Utc.Date(y + 1, 1, 1)).ToList();
    }
}
