using Lessor.Core.Model;

namespace Lessor.Storage.Tests.Store;

/// <summary>Builds scenarios for storage tests; <see cref="Full"/> sets every field of the model at least once.</summary>
internal static class ScenarioBuilder
{
    private static readonly Currency Eur = new("EUR");

    private static DateTime At(int year, int month, int day, int hour = 0, int minute = 0) =>
        new(year, month, day, hour, minute, 0, DateTimeKind.Utc);

    /// <summary>
    /// An estate and a book that exercise every field: aliases, dies, power steps with fractional MW, slipped
    /// deliveries, options (open, exercised under another contract), pinned blocks, amendments with before and
    /// after snapshots, a cancellation, a prepayment, SLA terms, a backstop with cap and period, two currencies,
    /// and money with more decimals than cents. Ids carry <paramref name="prefix"/> so several can share a store.
    /// </summary>
    public static Scenario Full(string prefix = "")
    {
        string Id(string id) => prefix + id;
        var gb300 = new PlatformId(Id("gb300-nvl72"));
        var h100 = new PlatformId(Id("h100-hgx"));
        var fabA = new FabricId(Id("fab-a"));
        var fabB = new FabricId(Id("fab-b"));
        var fabC = new FabricId(Id("fab-c"));

        var firm = new ContractLine
        {
            Id = new LineId("l1"),
            Platform = gb300,
            Gpus = new GpuCount(1440),
            Period = new Period(At(2026, 3, 1, 6, 15), At(2031, 12, 14)),
            PricePerGpuHour = Money.Usd(2.987654321098765432m),
            Locality = Locality.Site,
            BlockSize = new GpuCount(576),
            MinSites = 2,
            Pinned = [new PlacedBlock(fabA, 12), new PlacedBlock(fabB, 8)],
        };
        var exercised = new ContractLine
        {
            Id = new LineId("l2"),
            Platform = gb300,
            Gpus = new GpuCount(720),
            Period = new Period(At(2032, 1, 1), At(2032, 12, 31, 23, 59)),
            PricePerGpuHour = Money.Usd(3.10m),
            Locality = Locality.Region,
            Option = new OptionTerms { ExerciseBy = At(2031, 6, 30), ExercisedOn = At(2026, 4, 9, 14, 30), ExercisedUnder = new ContractId(Id("meta-2")) },
        };
        var open = new ContractLine
        {
            Id = new LineId("l3"),
            Platform = h100,
            Gpus = new GpuCount(64),
            Period = new Period(At(2027, 1, 1), At(2028, 1, 1)),
            PricePerGpuHour = Money.Usd(1.8m),
            Locality = Locality.Fabric,
            Option = new OptionTerms { ExerciseBy = At(2026, 12, 1) },
        };
        var grownBefore = firm with { Gpus = new GpuCount(1152), Pinned = [new PlacedBlock(fabA, 16)] };

        var meta1 = new Contract
        {
            Id = new ContractId(Id("meta-1")),
            Customer = new CustomerId(Id("meta")),
            SignedOn = At(2025, 9, 30, 17, 45),
            Currency = Currency.Usd,
            Kind = ContractKind.TakeOrPay,
            Title = "Meta GB300 capacity (\"deal #1\")",
            HeadlineValue = Money.Usd(14_200_000_000.00m),
            Lines = [firm, exercised, open],
            Prepayment = Money.Usd(2_840_000_000.125m),
            Sla = new SlaTerms(0.999m, 0.10m, 0.5m),
            CancellationTerms = new CancellationTerms(0.35m, 180),
            Amendments =
            [
                new Amendment
                {
                    Sequence = 1,
                    EffectiveOn = At(2026, 1, 15, 9, 1),
                    Kind = AmendmentKind.Grow,
                    Line = firm.Id,
                    Before = grownBefore,
                    After = firm,
                    Note = "expansion of l1",
                },
                new Amendment
                {
                    Sequence = 2,
                    EffectiveOn = At(2026, 4, 9, 14, 30),
                    Kind = AmendmentKind.Exercise,
                    Line = exercised.Id,
                    Before = exercised with { Option = exercised.Option! with { ExercisedOn = null, ExercisedUnder = null } },
                    After = exercised,
                },
                new Amendment { Sequence = 3, EffectiveOn = At(2026, 5, 1), Kind = AmendmentKind.Reprice },
            ],
        };
        var meta2 = new Contract
        {
            Id = new ContractId(Id("meta-2")),
            Customer = new CustomerId(Id("meta")),
            SignedOn = At(2026, 4, 9),
            Currency = Currency.Usd,
            HeadlineValue = Money.Usd(21_000_000_000m),
            Lines =
            [
                new ContractLine
                {
                    Id = new LineId("vr-1"),
                    Platform = gb300,
                    Gpus = new GpuCount(72),
                    Period = new Period(At(2027, 1, 1), At(2032, 12, 31)),
                    PricePerGpuHour = Money.Usd(4.25m),
                },
            ],
        };
        var euro = new Contract
        {
            Id = new ContractId(Id("mistral-1")),
            Customer = new CustomerId(Id("mistral")),
            SignedOn = At(2025, 2, 3, 8, 0),
            Currency = Eur,
            Lines =
            [
                new ContractLine
                {
                    Id = new LineId("a"),
                    Platform = h100,
                    Gpus = new GpuCount(16),
                    Period = new Period(At(2025, 3, 1), At(2026, 3, 1)),
                    PricePerGpuHour = new Money(1.95m, Eur),
                    Pinned = [new PlacedBlock(fabC, 2)],
                },
            ],
            CancellationTerms = new CancellationTerms(0.2m, 30),
            Cancellation = new Cancellation(At(2025, 11, 1, 12, 0), new Money(123_456.789m, Eur), "customer moved region"),
            Amendments = [new Amendment { Sequence = 1, EffectiveOn = At(2025, 11, 1, 12, 0), Kind = AmendmentKind.Cancel, Line = new LineId("a") }],
        };
        var backstop = new Contract
        {
            Id = new ContractId(Id("nvidia-backstop")),
            Customer = new CustomerId(Id("nvidia")),
            SignedOn = At(2025, 9, 1),
            Currency = Currency.Usd,
            Kind = ContractKind.Backstop,
            Title = "Unsold capacity backstop",
            BackstopCap = Money.Usd(6_300_000_000m),
            BackstopPeriod = new Period(At(2025, 9, 1), At(2032, 4, 13)),
        };
        var bare = new Contract
        {
            Id = new ContractId(Id("bare")),
            Customer = new CustomerId(Id("nvidia")),
            SignedOn = At(2024, 1, 1),
            Currency = Currency.Usd,
        };

        return new Scenario
        {
            Name = "storage full-model fixture",
            Description = "Every field set at least once.",
            Currency = Currency.Usd,
            Platforms =
            [
                new Platform
                {
                    Id = gb300,
                    Name = "GB300 NVL72",
                    Vendor = "NVIDIA",
                    Aliases = ["GB300", "Blackwell Ultra NVL72"],
                    GpusPerUnit = 72,
                    DiesPerGpu = 2,
                    ScaleUpDomainGpus = 72,
                    UnitKw = 132.5m,
                    Cooling = Cooling.Liquid,
                    CapexPerUnit = Money.Usd(3_900_000.50m),
                    Prices = new PriceList(Money.Usd(6.00m), Money.Usd(4.1234m), Money.Usd(2.25m)),
                    LeadTimeDays = 240,
                    AvailableFrom = At(2025, 7, 1, 6, 30),
                },
                new Platform
                {
                    Id = h100,
                    Name = "H100 SXM HGX",
                    Vendor = "NVIDIA",
                    GpusPerUnit = 8,
                    ScaleUpDomainGpus = 8,
                    UnitKw = 10.2m,
                    Cooling = Cooling.Air,
                    CapexPerUnit = new Money(250_000m, Eur),
                    Prices = new PriceList(Money.Usd(2.2m), Money.Usd(1.8m), Money.Usd(1.5m)),
                    LeadTimeDays = 180,
                    AvailableFrom = At(2023, 1, 1),
                },
            ],
            Regions =
            [
                new Region { Id = new RegionId(Id("us-east")), Name = "US East" },
                new Region { Id = new RegionId(Id("eu-west")), Name = "EU West" },
            ],
            Sites =
            [
                new Site
                {
                    Id = new SiteId(Id("nj-1")),
                    Name = "Kenilworth, NJ",
                    Region = new RegionId(Id("us-east")),
                    Cooling = [Cooling.Air, Cooling.Liquid],
                    Power = [new PowerStep(At(2024, 6, 1), 12.345m), new PowerStep(At(2026, 1, 1, 0, 1), 48.5m), new PowerStep(At(2027, 7, 1), 250m)],
                },
                new Site
                {
                    Id = new SiteId(Id("no-1")),
                    Name = "Norway",
                    Region = new RegionId(Id("eu-west")),
                    Cooling = [Cooling.Air],
                    Power = [new PowerStep(At(2024, 1, 1), 5.000m)],
                },
            ],
            Fabrics =
            [
                new Fabric { Id = fabA, Site = new SiteId(Id("nj-1")), Platform = gb300, MaxUnits = 32 },
                new Fabric { Id = fabB, Site = new SiteId(Id("nj-1")), Platform = gb300, MaxUnits = 16 },
                new Fabric { Id = fabC, Site = new SiteId(Id("no-1")), Platform = h100, MaxUnits = 128 },
            ],
            Deliveries =
            [
                new Delivery
                {
                    Id = new DeliveryId(Id("d-1")),
                    Fabric = fabA,
                    Units = 20,
                    Status = DeliveryStatus.Accepted,
                    OrderedOn = At(2025, 8, 1),
                    AcceptanceDate = At(2026, 2, 20, 16, 5),
                    OriginalAcceptanceDate = At(2026, 1, 10),
                },
                new Delivery { Id = new DeliveryId(Id("d-2")), Fabric = fabB, Units = 8, Status = DeliveryStatus.Planned, AcceptanceDate = At(2026, 9, 1) },
                new Delivery { Id = new DeliveryId(Id("d-3")), Fabric = fabC, Units = 4, Status = DeliveryStatus.Ordered, OrderedOn = At(2024, 11, 30), AcceptanceDate = At(2025, 2, 1) },
                new Delivery { Id = new DeliveryId(Id("d-4")), Fabric = fabC, Units = 2, Status = DeliveryStatus.Delivered, AcceptanceDate = At(2025, 2, 1) },
            ],
            Customers =
            [
                new Customer { Id = new CustomerId(Id("meta")), Name = "Meta Platforms" },
                new Customer { Id = new CustomerId(Id("mistral")), Name = "Mistral AI" },
                new Customer { Id = new CustomerId(Id("nvidia")), Name = "NVIDIA" },
            ],
            Contracts = [meta1, meta2, euro, backstop, bare],
        };
    }

    /// <summary>One contract for an existing customer and platform, carrying the given amount and instant in its money and time fields.</summary>
    public static Contract Probe(string id, CustomerId customer, PlatformId platform, decimal amount, DateTime instant) => new()
    {
        Id = new ContractId(id),
        Customer = customer,
        SignedOn = instant,
        Currency = Currency.Usd,
        HeadlineValue = Money.Usd(amount),
        Prepayment = Money.Usd(amount),
        Lines =
        [
            new ContractLine
            {
                Id = new LineId("probe"),
                Platform = platform,
                Gpus = new GpuCount(8),
                Period = new Period(instant, instant.AddMinutes(1)),
                PricePerGpuHour = Money.Usd(amount),
            },
        ],
    };
}
