using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Planning.Tests;

/// <summary>
/// The best build-out by brute force, for checking the planner on small estates. It shares nothing with the planner's
/// model: it tries every number of new units per existing fabric and per new fabric (at most the limit per site, each
/// at most the new-fabric size), adds them to the scenario as planned deliveries accepted when the deal starts, and asks
/// the real ledger whether the deal fits and the validator whether anything broke (power envelope, fabric size). Totals
/// are tried from 0 units up, so the first total with a fit is the least capex (one platform: capex is units times its
/// price); among the fits at that total it keeps the fewest new fabrics, then the fewest deliveries.
/// </summary>
internal static class ExhaustivePlans
{
    /// <summary>The optimum's criteria, or null when no build-out within the limits makes the deal fit.</summary>
    public sealed record Best(int Units, int NewFabrics, int Deliveries);

    public static Best? Search(Scenario s, DealRequest deal, Platform p, DateTime today, int newFabricUnits, int maxNewPerSite)
    {
        var line = deal.Lines[0];
        var acceptance = line.Period.Start;
        var before = ScenarioValidator.Validate(s).Select(i => i.ToString()).ToHashSet(StringComparer.Ordinal);
        if (CapacityLedger.Build(s).Ledger.Check(deal).Fits) return new Best(0, 0, 0);

        var rooms = new List<(FabricId Id, int Room)>();
        foreach (var f in s.Fabrics)
        {
            if (f.Platform != p.Id) continue;
            var delivered = s.Deliveries.Where(d => d.Fabric == f.Id).Sum(d => d.Units);
            if (f.MaxUnits > delivered) rooms.Add((f.Id, f.MaxUnits - delivered));
        }
        var sites = s.Sites.Where(site => site.Cooling.Contains(p.Cooling)).Select(site => site.Id).ToList();
        var need = line.Gpus.Value / p.GpusPerUnit;
        // Nothing ordered in time: no plan (the date rules are the planner's other tests).
        if (acceptance.AddDays(-p.LeadTimeDays) < today || acceptance < p.AvailableFrom) return null;

        // Every unit of a least-capex plan serves the deal (the ledger's fit is exact, so a spare unit could go),
        // so no plan needs more units than the deal has.
        for (var total = 1; total <= need; total++)
        {
            Best? best = null;
            var existing = new int[rooms.Count];
            var fresh = new List<int>[sites.Count];
            for (var i = 0; i < fresh.Length; i++) fresh[i] = [];

            void Leaf()
            {
                var applied = Apply(s, p, rooms, existing, sites, fresh, newFabricUnits, acceptance);
                if (!CapacityLedger.Build(applied).Ledger.Check(deal).Fits) return;
                if (ScenarioValidator.Validate(applied).Any(i => !before.Contains(i.ToString()))) return;
                var opened = fresh.Sum(f => f.Count);
                var deliveries = opened + existing.Count(u => u > 0);
                if (best is null || (opened, deliveries).CompareTo((best.NewFabrics, best.Deliveries)) < 0)
                    best = new Best(total, opened, deliveries);
            }

            // New fabrics of one site are interchangeable: their units are tried in non-increasing order.
            void NewAt(int site, int left, int cap)
            {
                if (site == sites.Count)
                {
                    if (left == 0) Leaf();
                    return;
                }
                NewAt(site + 1, left, newFabricUnits);
                if (fresh[site].Count == maxNewPerSite) return;
                for (var u = Math.Min(cap, left); u >= 1; u--)
                {
                    fresh[site].Add(u);
                    NewAt(site, left - u, u);
                    fresh[site].RemoveAt(fresh[site].Count - 1);
                }
            }

            void Existing(int i, int left)
            {
                if (i == rooms.Count)
                {
                    NewAt(0, left, newFabricUnits);
                    return;
                }
                for (var u = 0; u <= Math.Min(rooms[i].Room, left); u++)
                {
                    existing[i] = u;
                    Existing(i + 1, left - u);
                }
                existing[i] = 0;
            }

            Existing(0, total);
            if (best is not null) return best;
        }
        return null;
    }

    private static Scenario Apply(Scenario s, Platform p, List<(FabricId Id, int Room)> rooms, int[] existing,
        List<SiteId> sites, List<int>[] fresh, int newFabricUnits, DateTime acceptance)
    {
        var fabrics = s.Fabrics.ToList();
        var deliveries = s.Deliveries.ToList();
        void Deliver(FabricId fabric, int units) => deliveries.Add(new Delivery
        {
            Id = new DeliveryId($"x-{fabric.Value}"), Fabric = fabric, Units = units, Status = DeliveryStatus.Planned,
            AcceptanceDate = acceptance,
        });
        for (var i = 0; i < rooms.Count; i++) if (existing[i] > 0) Deliver(rooms[i].Id, existing[i]);
        for (var si = 0; si < sites.Count; si++)
        {
            for (var k = 0; k < fresh[si].Count; k++)
            {
                var id = new FabricId($"x-{sites[si].Value}-{k}");
                fabrics.Add(new Fabric { Id = id, Site = sites[si], Platform = p.Id, MaxUnits = newFabricUnits });
                Deliver(id, fresh[si][k]);
            }
        }
        return s with { Fabrics = fabrics, Deliveries = deliveries };
    }
}
