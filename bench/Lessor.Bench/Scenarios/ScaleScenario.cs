using Lessor.Core.Model;

namespace Lessor.Bench.Scenarios;

/// <summary>
/// A deterministic, valid scenario of about <c>gpus</c> GPUs shaped like the 1,000,000-GPU target: ~15k deliveries,
/// ~20k contract lines each pinned to a fabric, so the file benchmarks read, validate and write at full scale.
/// </summary>
internal static class ScaleScenario
{
    public static Scenario Build(int gpus, int seed)
    {
        var rng = new Random(seed);
        Platform P(string id, int perUnit, decimal kw, Cooling cooling, int year) => new()
        {
            Id = new PlatformId(id), Name = id.ToUpperInvariant(), Vendor = "NVIDIA", Aliases = [id + "-alias"],
            GpusPerUnit = perUnit, ScaleUpDomainGpus = perUnit, UnitKw = kw, Cooling = cooling,
            CapexPerUnit = Money.Usd(perUnit * 45_000m), Prices = new PriceList(Money.Usd(4.5m), Money.Usd(3.2m), Money.Usd(2.1m)),
            LeadTimeDays = 200, AvailableFrom = Utc.Date(year, 1, 1),
        };
        Platform[] platforms = [P("h100-hgx", 8, 10.2m, Cooling.Air, 2023), P("gb300-nvl72", 72, 132m, Cooling.Liquid, 2025), P("vr-nvl72", 72, 190m, Cooling.Liquid, 2026)];
        var regions = Enumerable.Range(0, 6).Select(i => new Region { Id = new RegionId($"region-{i}"), Name = $"Region {i}" }).ToList();

        const int siteCount = 43;
        const int fabricsPerSite = 12;
        var sites = new List<Site>(siteCount);
        var fabrics = new List<Fabric>(siteCount * fabricsPerSite);
        for (var s = 0; s < siteCount; s++)
        {
            sites.Add(new Site
            {
                Id = new SiteId($"site-{s:D2}"), Name = $"Site {s}", Region = regions[s % regions.Count].Id,
                Cooling = [Cooling.Air, Cooling.Liquid],
                Power = [new PowerStep(Utc.Date(2023, 1, 1), 60m), new PowerStep(Utc.Date(2026, 1, 1), 120m), new PowerStep(Utc.Date(2027, 7, 1), 200m)],
            });
            for (var f = 0; f < fabricsPerSite; f++)
            {
                var p = platforms[f % platforms.Length];
                fabrics.Add(new Fabric { Id = new FabricId($"site-{s:D2}-fab-{f:D2}"), Site = sites[s].Id, Platform = p.Id, MaxUnits = p.GpusPerUnit == 8 ? 4000 : 400 });
            }
        }

        // Deliveries fill the fabrics round-robin until the GPU target is met.
        var deliveries = new List<Delivery>();
        var fabricUnits = new int[fabrics.Count];
        var total = 0L;
        for (var i = 0; total < gpus; i++)
        {
            var f = i % fabrics.Count;
            var p = platforms[f % fabricsPerSite % platforms.Length];
            var units = p.GpusPerUnit == 8 ? 8 : 1;
            if (fabricUnits[f] + units > fabrics[f].MaxUnits) continue;
            fabricUnits[f] += units;
            total += units * p.GpusPerUnit;
            var year = p.AvailableFrom.Year + rng.Next(0, 2);
            var accepted = Utc.Date(year, 1 + rng.Next(12), 1 + rng.Next(28));
            var slipped = rng.Next(10) == 0;
            deliveries.Add(new Delivery
            {
                Id = new DeliveryId($"del-{i:D6}"), Fabric = fabrics[f].Id, Units = units,
                Status = accepted < Utc.Date(2026, 11, 1) ? DeliveryStatus.Accepted : DeliveryStatus.Planned,
                OrderedOn = accepted.AddDays(-200), AcceptanceDate = accepted,
                OriginalAcceptanceDate = slipped ? accepted.AddDays(-45) : null,
            });
        }

        var customers = Enumerable.Range(0, 200).Select(i => new Customer { Id = new CustomerId($"cust-{i:D3}"), Name = $"Customer {i}" }).ToList();
        var contracts = new List<Contract>();
        for (var c = 0; c < 2000; c++)
        {
            var lines = new List<ContractLine>(10);
            for (var l = 0; l < 10; l++)
            {
                var f = rng.Next(fabrics.Count);
                var p = platforms[f % fabricsPerSite % platforms.Length];
                var units = p.GpusPerUnit == 8 ? 1 + rng.Next(16) : 1 + rng.Next(4);
                var start = Utc.Date(2026 + rng.Next(2), 1 + rng.Next(12), 1);
                lines.Add(new ContractLine
                {
                    Id = new LineId($"l{l}"), Platform = p.Id, Gpus = p.GpusOf(units),
                    Period = new Period(start, start.AddYears(1 + rng.Next(5))), PricePerGpuHour = Money.Usd(1.5m + rng.Next(400) / 100m),
                    Locality = (Locality)rng.Next(4), Pinned = [new PlacedBlock(fabrics[f].Id, units)],
                });
            }
            contracts.Add(new Contract
            {
                Id = new ContractId($"contract-{c:D4}"), Customer = customers[c % customers.Count].Id, SignedOn = Utc.Date(2025, 1 + c % 12, 1),
                Currency = Currency.Usd, Title = $"Contract {c}", Prepayment = Money.Usd(1_000_000m * (c % 7)),
                Sla = new SlaTerms(0.99m, 0.1m, 0.5m), Lines = lines,
            });
        }

        return new Scenario
        {
            Name = $"scale-{gpus}", Currency = Currency.Usd, Platforms = platforms, Regions = regions, Sites = sites,
            Fabrics = fabrics, Deliveries = deliveries, Customers = customers, Contracts = contracts,
        };
    }
}
