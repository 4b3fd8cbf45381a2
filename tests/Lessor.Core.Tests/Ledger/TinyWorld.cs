using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Ledger;

/// <summary>Random tiny estates (a few fabrics, minutes from 2030-01-01) and a brute-force reference to check the ledger against.</summary>
internal static class TinyWorld
{
    public static readonly DateTime T0 = Utc.Date(2030, 1, 1);
    public const int Unit = 8;

    public static DateTime At(int minute) => T0.AddMinutes(minute);
    public static Period Span(int from, int to) => new(At(from), At(to));

    public static Platform Hgx(string id = "hgx", int gpusPerUnit = Unit) => new()
    {
        Id = new PlatformId(id), Name = id, Vendor = "NVIDIA", GpusPerUnit = gpusPerUnit, ScaleUpDomainGpus = gpusPerUnit,
        UnitKw = 10m, Cooling = Cooling.Air, CapexPerUnit = Money.Usd(300_000m),
        Prices = new PriceList(Money.Usd(2.2m), Money.Usd(1.8m), Money.Usd(1.5m)),
        LeadTimeDays = 180, AvailableFrom = Utc.Date(2020, 1, 1),
    };

    public static Site Site(string id, string region) => new()
    {
        Id = new SiteId(id), Name = id, Region = new RegionId(region), Cooling = [Cooling.Air, Cooling.Liquid],
        Power = [new PowerStep(Utc.Date(2020, 1, 1), 100m)],
    };

    public static Fabric Fabric(string id, string site, int maxUnits, string platform = "hgx") =>
        new() { Id = new FabricId(id), Site = new SiteId(site), Platform = new PlatformId(platform), MaxUnits = maxUnits };

    public static Delivery Delivery(string id, string fabric, int units, DateTime accepted) => new()
    {
        Id = new DeliveryId(id), Fabric = new FabricId(fabric), Units = units, Status = DeliveryStatus.Accepted, AcceptanceDate = accepted,
    };

    public static Contract Pinned(string id, int signedOrder, string fabric, int units, Period period, string platform = "hgx", int unit = Unit) => new()
    {
        Id = new ContractId(id), Customer = new CustomerId("c"), SignedOn = Utc.Date(2025, 1, 1).AddDays(signedOrder), Currency = Currency.Usd,
        Lines =
        [
            new ContractLine
            {
                Id = new LineId("L1"), Platform = new PlatformId(platform), Gpus = new GpuCount(units * unit), Period = period,
                PricePerGpuHour = Money.Usd(2m), Pinned = [new PlacedBlock(new FabricId(fabric), units)],
            },
        ],
    };

    /// <summary>1 platform, 2 regions, 3 sites, 2-4 fabrics, 1-2 deliveries each; optionally 0-3 pinned lines (which may oversell).</summary>
    public static Scenario Random(Random rng, bool withPinned)
    {
        var sites = new[] { Site("s1", "r1"), Site("s2", rng.Next(2) == 0 ? "r1" : "r2"), Site("s3", "r2") };
        var fabrics = new List<Fabric>();
        var deliveries = new List<Delivery>();
        var nf = rng.Next(2, 5);
        for (var i = 0; i < nf; i++)
        {
            var id = $"f{i + 1}";
            fabrics.Add(Fabric(id, sites[rng.Next(3)].Id.Value, rng.Next(6, 11)));
            var nd = rng.Next(1, 3);
            for (var d = 0; d < nd; d++) deliveries.Add(Delivery($"{id}-d{d}", id, rng.Next(1, 5), At(rng.Next(0, 40))));
        }
        var contracts = new List<Contract>();
        if (withPinned)
        {
            var nc = rng.Next(0, 4);
            for (var c = 0; c < nc; c++)
            {
                var a = rng.Next(0, 50);
                contracts.Add(Pinned($"k{c}", c, fabrics[rng.Next(nf)].Id.Value, rng.Next(1, 4), Span(a, a + rng.Next(1, 30))));
            }
        }
        return new Scenario
        {
            Name = "tiny", Platforms = [Hgx()], Regions = [new Region { Id = new RegionId("r1"), Name = "r1" }, new Region { Id = new RegionId("r2"), Name = "r2" }],
            Sites = sites, Fabrics = fabrics, Deliveries = deliveries, Contracts = contracts,
        };
    }

    public static DealLine RandomLine(Random rng)
    {
        var a = rng.Next(0, 50);
        return new DealLine
        {
            Platform = new PlatformId("hgx"), Gpus = new GpuCount(rng.Next(1, 7) * Unit), Period = Span(a, a + rng.Next(1, 30)),
            Locality = (Locality)rng.Next(4), BlockSize = rng.Next(3) == 0 ? null : new GpuCount(rng.Next(1, 4) * Unit),
            MinSites = rng.Next(4) == 0 ? rng.Next(2, 4) : 1, PricePerGpuHour = Money.Usd(2m),
        };
    }

    public static DealRequest Deal(params DealLine[] lines) => new(new CustomerId("c"), lines);
}

/// <summary>Brute force: free units minute by minute from raw deliveries and pieces; fit by enumerating every block assignment.</summary>
internal sealed class Reference(Scenario scenario, IReadOnlyList<(FabricId Fabric, int Units, Period Period)> pieces)
{
    public static Reference Of(Scenario s, CapacityLedger ledger) =>
        new(s, ledger.LineRefs.SelectMany(ledger.PlacementOf).ToList());

    public int FreeAt(FabricId fabric, DateTime t) =>
        scenario.Deliveries.Where(d => d.Fabric == fabric && d.AcceptanceDate <= t).Sum(d => d.Units)
        - pieces.Where(p => p.Fabric == fabric && p.Period.Contains(t)).Sum(p => p.Units);

    /// <summary>Asserts no fabric is oversold at any of the first <paramref name="minutes"/> minutes.</summary>
    public void AssertNeverOversold(int minutes)
    {
        for (var m = 0; m < minutes; m++)
        {
            foreach (var f in scenario.Fabrics) Assert.True(FreeAt(f.Id, TinyWorld.At(m)) >= 0, $"{f.Id} oversold at minute {m}");
        }
    }

    public int MinFree(FabricId fabric, Period period)
    {
        var min = int.MaxValue;
        for (var t = period.Start; t < period.End; t = t.AddMinutes(1)) min = Math.Min(min, FreeAt(fabric, t));
        return min;
    }

    public bool Fits(DealLine line)
    {
        var unit = scenario.Platforms.Single(p => p.Id == line.Platform).GpusPerUnit;
        var units = line.Gpus.Value / unit;
        var b = line.BlockSize is { } bs ? bs.Value / unit : 1;
        var full = units / b;
        var rem = units % b;
        var fabrics = scenario.Fabrics.Where(f => f.Platform == line.Platform).ToList();
        var free = fabrics.Select(f => Math.Max(0, MinFree(f.Id, line.Period))).ToArray();
        var siteOf = fabrics.Select(f => f.Site).ToArray();
        var regionOf = fabrics.Select(f => scenario.Sites.Single(s => s.Id == f.Site).Region).ToArray();
        var assignment = new int[full + (rem > 0 ? 1 : 0)];
        return Assign(0, 0);

        bool Assign(int block, int minFabric)
        {
            if (block == assignment.Length) return Valid();
            var size = block < full ? b : rem;
            // Full blocks are interchangeable: assign them to fabrics in non-decreasing order.
            for (var f = block < full ? minFabric : 0; f < fabrics.Count; f++)
            {
                if (free[f] < size) continue;
                free[f] -= size;
                assignment[block] = f;
                var ok = Assign(block + 1, block < full ? f : 0);
                free[f] += size;
                if (ok) return true;
            }
            return false;
        }

        bool Valid()
        {
            var first = assignment[0];
            foreach (var f in assignment)
            {
                var same = line.Locality switch
                {
                    Locality.Fabric => f == first,
                    Locality.Site => siteOf[f] == siteOf[first],
                    Locality.Region => regionOf[f] == regionOf[first],
                    _ => true,
                };
                if (!same) return false;
            }
            return assignment.Select(f => siteOf[f]).Distinct().Count() >= line.MinSites;
        }
    }

    /// <summary>Checks a placement obeys the line's rules; returns the first broken rule or null.</summary>
    public string? Violation(LinePlacement placement, bool rulesOnly = false)
    {
        var line = placement.Spec;
        var unit = scenario.Platforms.Single(p => p.Id == line.Platform).GpusPerUnit;
        var units = line.Gpus.Value / unit;
        if (placement.Blocks.Sum(x => x.Units) != units) return "units do not add up";
        if (line.BlockSize is { } bs)
        {
            var b = bs.Value / unit;
            var sizes = placement.Blocks.Select(x => x.Units).ToList();
            if (sizes.Count(x => x == b) != units / b || sizes.Count(x => x != b) != (units % b > 0 ? 1 : 0)) return "block sizes wrong";
        }
        else if (placement.Blocks.Select(x => x.Fabric).Distinct().Count() != placement.Blocks.Count) return "a fabric repeated without a block size";
        var fabrics = placement.Blocks.Select(x => scenario.Fabrics.Single(f => f.Id == x.Fabric)).ToList();
        var sites = fabrics.Select(f => f.Site).Distinct().ToList();
        var regions = sites.Select(s => scenario.Sites.Single(x => x.Id == s).Region).Distinct().Count();
        if (line.Locality == Locality.Fabric && fabrics.Select(f => f.Id).Distinct().Count() != 1) return "locality fabric broken";
        if (line.Locality == Locality.Site && sites.Count != 1) return "locality site broken";
        if (line.Locality == Locality.Region && regions != 1) return "locality region broken";
        if (sites.Count < line.MinSites) return "min sites broken";
        if (rulesOnly) return null;
        foreach (var group in placement.Blocks.GroupBy(x => x.Fabric))
        {
            if (MinFree(group.Key, line.Period) < group.Sum(x => x.Units)) return $"fabric {group.Key} oversold";
        }
        return null;
    }
}
