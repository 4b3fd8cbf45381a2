using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Bench.Ledger;

/// <summary>
/// A synthetic 1,000,000-GPU estate for the ledger bench (the lead swaps in the real generator): four platforms of
/// 250,000 GPUs each, 4 regions x 4 sites, deliveries in four waves 2024-2030, and lines of 8 to 4,096 GPUs from 2024 to 2035.
/// </summary>
internal static class SyntheticFleet
{
    public static Scenario Generate(int seed, int targetLines)
    {
        var rng = new Random(seed);
        var platforms = new[] { Platform("h100", 8, 10.2m), Platform("b200", 8, 14m), Platform("gb300", 72, 130m), Platform("vr", 72, 190m) };
        var regions = Enumerable.Range(0, 4).Select(r => new Region { Id = new RegionId($"region-{r}"), Name = $"Region {r}" }).ToList();
        var sites = new List<Site>();
        var fabrics = new List<Fabric>();
        var deliveries = new List<Delivery>();
        for (var r = 0; r < 4; r++)
        {
            for (var k = 0; k < 4; k++)
            {
                var site = new Site
                {
                    Id = new SiteId($"site-{r}-{k}"), Name = $"Site {r}-{k}", Region = regions[r].Id, Cooling = [Cooling.Air, Cooling.Liquid],
                    Power = [new PowerStep(Utc.Date(2023, 1, 1), 400m)],
                };
                sites.Add(site);
                foreach (var p in platforms)
                {
                    // 250,000 GPUs per platform over 16 sites: 15,625 GPUs per site, in two fabrics for 8-GPU nodes.
                    var unitsPerSite = 15_625 / p.GpusPerUnit;
                    var fabricCount = p.GpusPerUnit == 8 ? 2 : 1;
                    for (var f = 0; f < fabricCount; f++)
                    {
                        var id = new FabricId($"{site.Id}-{p.Id}-{f}");
                        var units = unitsPerSite / fabricCount + (f == 0 ? unitsPerSite % fabricCount : 0);
                        fabrics.Add(new Fabric { Id = id, Site = site.Id, Platform = p.Id, MaxUnits = units });
                        var first = p.Id.Value switch { "h100" => 2024, "b200" => 2025, "gb300" => 2026, _ => 2027 };
                        var left = units;
                        for (var w = 0; w < 4; w++)
                        {
                            var wave = w == 3 ? left : units / 4;
                            left -= wave;
                            if (wave == 0) continue;
                            deliveries.Add(new Delivery
                            {
                                Id = new DeliveryId($"{id}-w{w}"), Fabric = id, Units = wave, Status = DeliveryStatus.Planned,
                                AcceptanceDate = Utc.Date(first + w, 1 + rng.Next(12), 1 + rng.Next(28)),
                            });
                        }
                    }
                }
            }
        }
        // Sizes and terms chosen so the book fills roughly two thirds of the fleet: mostly small and inference lines, a few clusters.
        var sizes = new[] { 8, 8, 16, 32, 64, 72, 72, 144, 256, 512, 1_024 };
        var contracts = new List<Contract>();
        for (var i = 0; i < targetLines; i++)
        {
            var p = platforms[rng.Next(platforms.Length)];
            var gpus = Math.Max(p.GpusPerUnit, sizes[rng.Next(sizes.Length)] / p.GpusPerUnit * p.GpusPerUnit);
            var first = p.Id.Value switch { "h100" => 2024, "b200" => 2025, "gb300" => 2026, _ => 2027 };
            var start = Utc.Date(first + 1 + rng.Next(0, 2035 - first - 2), 1 + rng.Next(12), 1);
            var end = start.AddMonths(3 + rng.Next(0, 36));
            if (end > Utc.Date(2035, 12, 31)) end = Utc.Date(2035, 12, 31);
            contracts.Add(new Contract
            {
                Id = new ContractId($"k{i}"), Customer = new CustomerId($"c{i % 200}"), SignedOn = start.AddDays(-30 - (i % 7)), Currency = Currency.Usd,
                Lines =
                [
                    new ContractLine
                    {
                        Id = new LineId("L1"), Platform = p.Id, Gpus = new GpuCount(gpus), Period = new Period(start, end),
                        PricePerGpuHour = Money.Usd(2m), Locality = rng.Next(3) == 0 ? Locality.Site : Locality.Any,
                    },
                ],
            });
        }
        return new Scenario
        {
            Name = "synthetic-1m", Platforms = platforms, Regions = regions, Sites = sites, Fabrics = fabrics, Deliveries = deliveries, Contracts = contracts,
        };
    }

    /// <summary>The same book with every placed line pinned where the ledger put it, and unplaced lines dropped: what a restart reads from the store.</summary>
    public static Scenario Pin(Scenario s, CapacityLedger ledger)
    {
        var contracts = new List<Contract>();
        foreach (var c in s.Contracts)
        {
            var line = c.Lines[0];
            var placement = ledger.PlacementOf(new LineRef(c.Id, line.Id));
            if (placement.Count == 0) continue;
            contracts.Add(c with { Lines = [line with { Pinned = placement.Select(p => new PlacedBlock(p.Fabric, p.Units)).ToList() }] });
        }
        return s with { Contracts = contracts };
    }

    private static Platform Platform(string id, int gpusPerUnit, decimal kw) => new()
    {
        Id = new PlatformId(id), Name = id, Vendor = "NVIDIA", GpusPerUnit = gpusPerUnit, ScaleUpDomainGpus = gpusPerUnit, UnitKw = kw,
        Cooling = gpusPerUnit == 8 ? Cooling.Air : Cooling.Liquid, CapexPerUnit = Money.Usd(gpusPerUnit * 40_000m),
        Prices = new PriceList(Money.Usd(3m), Money.Usd(2.5m), Money.Usd(1.5m)), LeadTimeDays = 200, AvailableFrom = Utc.Date(2023, 1, 1),
    };
}
