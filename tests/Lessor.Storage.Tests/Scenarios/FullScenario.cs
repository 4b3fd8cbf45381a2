using Lessor.Core.Model;

namespace Lessor.Storage.Tests.Scenarios;

/// <summary>A small scenario in which every optional field of the model is set to a non-default value.</summary>
internal static class FullScenario
{
    public static Scenario Build()
    {
        var eur = new Currency("EUR");
        var gb = new PlatformId("gb300");
        var line = new ContractLine
        {
            Id = new LineId("l1"),
            Platform = gb,
            Gpus = new GpuCount(144),
            Period = new Period(Utc.Date(2027, 1, 1), new DateTime(2028, 1, 1, 12, 30, 0, DateTimeKind.Utc)),
            PricePerGpuHour = new Money(3.100m, eur),
            Locality = Locality.Region,
            BlockSize = new GpuCount(72),
            MinSites = 2,
            Pinned = [new PlacedBlock(new FabricId("f1"), 1), new PlacedBlock(new FabricId("f2"), 1)],
            Option = new OptionTerms { ExerciseBy = Utc.Date(2026, 12, 1), ExercisedOn = Utc.Date(2026, 11, 1), ExercisedUnder = new ContractId("c2") },
        };
        return new Scenario
        {
            Name = "Everything set",
            Description = "Every optional field: \"quoted\", and a colon: here",
            Currency = eur,
            Platforms =
            [
                new Platform
                {
                    Id = gb, Name = "GB300 NVL72", Vendor = "NVIDIA", Aliases = ["GB300", "B300 NVL72"],
                    GpusPerUnit = 72, DiesPerGpu = 2, ScaleUpDomainGpus = 144, UnitKw = 132.50m, Cooling = Cooling.Liquid,
                    CapexPerUnit = new Money(3_900_000m, eur),
                    Prices = new PriceList(new Money(6.2m, eur), new Money(4.10m, eur), new Money(3m, eur)),
                    LeadTimeDays = 200, AvailableFrom = Utc.Date(2025, 9, 1),
                },
            ],
            Regions = [new Region { Id = new RegionId("eu"), Name = "Europe" }],
            Sites =
            [
                new Site { Id = new SiteId("s1"), Name = "One", Region = new RegionId("eu"), Cooling = [Cooling.Air, Cooling.Liquid], Power = [new PowerStep(Utc.Date(2026, 1, 1), 1.5m), new PowerStep(new DateTime(2026, 6, 1, 6, 15, 0, DateTimeKind.Utc), 3m)] },
                new Site { Id = new SiteId("s2"), Name = "Two", Region = new RegionId("eu"), Cooling = [Cooling.Liquid], Power = [new PowerStep(Utc.Date(2026, 1, 1), 2m)] },
            ],
            Fabrics =
            [
                new Fabric { Id = new FabricId("f1"), Site = new SiteId("s1"), Platform = gb, MaxUnits = 4 },
                new Fabric { Id = new FabricId("f2"), Site = new SiteId("s2"), Platform = gb, MaxUnits = 4 },
            ],
            Deliveries =
            [
                new Delivery { Id = new DeliveryId("d1"), Fabric = new FabricId("f1"), Units = 2, Status = DeliveryStatus.Delivered, OrderedOn = Utc.Date(2026, 1, 2), AcceptanceDate = Utc.Date(2026, 7, 1), OriginalAcceptanceDate = Utc.Date(2026, 5, 1) },
                new Delivery { Id = new DeliveryId("d2"), Fabric = new FabricId("f2"), Units = 1, Status = DeliveryStatus.Accepted, AcceptanceDate = Utc.Date(2026, 2, 1) },
            ],
            Customers = [new Customer { Id = new CustomerId("cu"), Name = "Customer & Co" }],
            Contracts =
            [
                new Contract
                {
                    Id = new ContractId("c1"), Customer = new CustomerId("cu"), SignedOn = Utc.Date(2026, 1, 1), Currency = eur,
                    Title = "First", HeadlineValue = new Money(1_000_000m, eur), Prepayment = new Money(250_000.50m, eur),
                    Sla = new SlaTerms(0.999m, 0.1m, 0.5m) { Tiers = [new SlaTier(0.999m, 0.05m), new SlaTier(0.99m, 0.25m)], Degraded = DegradedPolicy.Unavailable, MaintenanceNoticeDays = 10 },
                    CancellationTerms = new CancellationTerms(0.8m, 90),
                    Cancellation = new Cancellation(Utc.Date(2027, 6, 1), new Money(12_345.67m, eur), "customer left"),
                    Lines = [line],
                    Amendments =
                    [
                        new Amendment { Sequence = 1, EffectiveOn = Utc.Date(2026, 11, 1), Kind = AmendmentKind.Exercise, Line = new LineId("l1"), Before = line with { Option = line.Option! with { ExercisedOn = null, ExercisedUnder = null } }, After = line, Note = "exercised" },
                        new Amendment { Sequence = 2, EffectiveOn = Utc.Date(2027, 6, 1), Kind = AmendmentKind.Cancel },
                    ],
                },
                new Contract
                {
                    Id = new ContractId("c2"), Customer = new CustomerId("cu"), SignedOn = Utc.Date(2026, 10, 1), Currency = new Currency("USD"),
                    Kind = ContractKind.Backstop, BackstopCap = Money.Usd(5_000_000m),
                    BackstopPeriod = new Period(Utc.Date(2027, 1, 1), Utc.Date(2030, 1, 1)),
                },
            ],
        };
    }
}
