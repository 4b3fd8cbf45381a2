using Lessor.Core.Finance;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Finance;

/// <summary>A small hand-built estate and book whose numbers the golden tests work out by hand.</summary>
internal static class FinanceFixtures
{
    public static readonly DateTime Jan1 = Utc.Date(2026, 1, 1);
    public static readonly DateTime Feb1 = Utc.Date(2026, 2, 1);
    public static readonly DateTime Mar1 = Utc.Date(2026, 3, 1);
    public static readonly DateTime Apr1 = Utc.Date(2026, 4, 1);

    public static Platform H100 { get; } = new()
    {
        Id = new PlatformId("h100"),
        Name = "H100 SXM HGX",
        Vendor = "NVIDIA",
        GpusPerUnit = 8,
        ScaleUpDomainGpus = 8,
        UnitKw = 10.2m,
        Cooling = Cooling.Air,
        CapexPerUnit = Money.Usd(250_000m),
        Prices = new PriceList(Money.Usd(2.2m), Money.Usd(1.8m), Money.Usd(1.5m)),
        LeadTimeDays = 180,
        AvailableFrom = Utc.Date(2023, 1, 1),
    };

    /// <summary>16 GPUs on fabric f1 for Q1 2026 at $2/GPU-hour: Jan 23,808, Feb 21,504, Mar 23,808, TCV 69,120.</summary>
    public static ContractLine AcmeLine(Money? price = null) => new()
    {
        Id = new LineId("l1"),
        Platform = H100.Id,
        Gpus = new GpuCount(16),
        Period = new Period(Jan1, Apr1),
        PricePerGpuHour = price ?? Money.Usd(2m),
        Pinned = [new PlacedBlock(new FabricId("f1"), 2)],
    };

    public static Contract Acme(params ContractLine[] lines) => new()
    {
        Id = new ContractId("acme-1"),
        Customer = new CustomerId("acme"),
        SignedOn = Utc.Date(2025, 6, 1),
        Currency = Currency.Usd,
        Lines = lines.Length == 0 ? [AcmeLine()] : lines,
    };

    /// <summary>8 unpinned GPUs for February 2026 at $1.50: 8 x 672 h x 1.5 = 8,064.</summary>
    public static Contract Beta() => new()
    {
        Id = new ContractId("beta-1"),
        Customer = new CustomerId("beta"),
        SignedOn = Utc.Date(2025, 12, 1),
        Currency = Currency.Usd,
        Lines =
        [
            new ContractLine
            {
                Id = new LineId("l1"),
                Platform = H100.Id,
                Gpus = new GpuCount(8),
                Period = new Period(Feb1, Mar1),
                PricePerGpuHour = Money.Usd(1.5m),
            },
        ],
    };

    /// <summary>A backstop with a $100,000 cap over 2026 and nothing bought yet.</summary>
    public static Contract Backstop() => new()
    {
        Id = new ContractId("nv-backstop"),
        Customer = new CustomerId("nv"),
        SignedOn = Utc.Date(2025, 12, 1),
        Currency = Currency.Usd,
        Kind = ContractKind.Backstop,
        BackstopCap = Money.Usd(100_000m),
        BackstopPeriod = new Period(Jan1, Utc.Date(2027, 1, 1)),
    };

    /// <summary>One site (1 MW energized from 2026, 2 MW signed for 2027) with one fabric of 64 accepted H100 nodes.</summary>
    public static Scenario Scenario(params Contract[] contracts) => new()
    {
        Name = "finance-golden",
        Platforms = [H100],
        Regions = [new Region { Id = new RegionId("r1"), Name = "Region 1" }],
        Sites =
        [
            new Site
            {
                Id = new SiteId("s1"),
                Name = "Site 1",
                Region = new RegionId("r1"),
                Cooling = [Cooling.Air],
                Power = [new PowerStep(Jan1, 1m), new PowerStep(Utc.Date(2027, 1, 1), 2m)],
            },
        ],
        Fabrics = [new Fabric { Id = new FabricId("f1"), Site = new SiteId("s1"), Platform = H100.Id, MaxUnits = 128 }],
        Deliveries =
        [
            new Delivery { Id = new DeliveryId("d1"), Fabric = new FabricId("f1"), Units = 64, Status = DeliveryStatus.Accepted, AcceptanceDate = Jan1 },
        ],
        Customers =
        [
            new Customer { Id = new CustomerId("acme"), Name = "Acme <AI> & Co" },
            new Customer { Id = new CustomerId("beta"), Name = "Beta Labs" },
            new Customer { Id = new CustomerId("nv"), Name = "NV Backstop" },
        ],
        Contracts = contracts,
    };

    public static LineRef AcmeL1 => new(new ContractId("acme-1"), new LineId("l1"));

    public static ICoverageSource Steps(LineRef line, params CoverageStep[] steps) =>
        CoverageSource.FromMap(new Dictionary<LineRef, IReadOnlyList<CoverageStep>> { [line] = steps });

    public static decimal[] MonthlyAmounts(LineSchedule s) => [.. s.Monthly().Select(m => m.Amount.Amount)];
}
