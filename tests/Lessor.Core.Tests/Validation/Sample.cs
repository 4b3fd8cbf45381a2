using Lessor.Core.Model;

namespace Lessor.Core.Tests.Validation;

/// <summary>
/// A small valid scenario (one GB300 fabric of 40 racks at a 10 MW site, 20 racks delivered, one contract
/// pinned to them) that each validation test breaks in exactly one way.
/// </summary>
internal static class Sample
{
    public static readonly PlatformId Gb300 = new("gb300");
    public static readonly Currency Usd = Currency.Usd;

    public static Platform Platform(string id = "gb300", int gpusPerUnit = 72, decimal unitKw = 132m, Cooling cooling = Cooling.Liquid) => new()
    {
        Id = new PlatformId(id), Name = id.ToUpperInvariant(), Vendor = "NVIDIA", GpusPerUnit = gpusPerUnit, ScaleUpDomainGpus = gpusPerUnit,
        UnitKw = unitKw, Cooling = cooling, CapexPerUnit = Money.Usd(3_900_000m),
        Prices = new PriceList(Money.Usd(6.2m), Money.Usd(4.1m), Money.Usd(3m)), LeadTimeDays = 210, AvailableFrom = Utc.Date(2025, 9, 1),
    };

    public static Site Site(string id = "iad-1", string region = "us-east", decimal mw = 10m) => new()
    {
        Id = new SiteId(id), Name = id, Region = new RegionId(region), Cooling = [Cooling.Liquid],
        Power = [new PowerStep(Utc.Date(2026, 1, 1), mw)],
    };

    public static Fabric Fabric(string id = "f1", string site = "iad-1", string platform = "gb300", int maxUnits = 40) => new()
    {
        Id = new FabricId(id), Site = new SiteId(site), Platform = new PlatformId(platform), MaxUnits = maxUnits,
    };

    public static Delivery Delivery(string id = "d1", string fabric = "f1", int units = 20, DateTime? on = null) => new()
    {
        Id = new DeliveryId(id), Fabric = new FabricId(fabric), Units = units, Status = DeliveryStatus.Accepted,
        AcceptanceDate = on ?? Utc.Date(2026, 3, 1),
    };

    public static ContractLine Line(string id = "l1", int gpus = 1440, params PlacedBlock[] pinned) => new()
    {
        Id = new LineId(id), Platform = Gb300, Gpus = new GpuCount(gpus),
        Period = new Period(Utc.Date(2026, 3, 1), Utc.Date(2028, 3, 1)), PricePerGpuHour = Money.Usd(4m),
        Locality = Locality.Fabric, Pinned = pinned,
    };

    public static PlacedBlock Pin(string fabric, int units) => new(new FabricId(fabric), units);

    public static Contract Contract(string id = "c1", params ContractLine[] lines) => new()
    {
        Id = new ContractId(id), Customer = new CustomerId("meta"), SignedOn = Utc.Date(2026, 1, 1), Currency = Usd,
        Lines = lines,
    };

    public static Scenario Valid() => new()
    {
        Name = "Sample",
        Platforms = [Platform()],
        Regions = [new Region { Id = new RegionId("us-east"), Name = "US East" }],
        Sites = [Site()],
        Fabrics = [Fabric()],
        Deliveries = [Delivery()],
        Customers = [new Customer { Id = new CustomerId("meta"), Name = "Meta" }],
        Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 20)))],
    };

    /// <summary>The sample with its one contract line replaced.</summary>
    public static Scenario WithLine(ContractLine line) => Valid() with { Contracts = [Contract("c1", line)] };

    /// <summary>The sample with two fabrics of 20 delivered racks each: f1 at iad-1 and f2 at <paramref name="site2"/>.</summary>
    public static Scenario TwoFabrics(string site2 = "iad-1", string region2 = "us-east")
    {
        var s = Valid();
        var sites = site2 == "iad-1" ? s.Sites : [.. s.Sites, Site(site2, region2)];
        var regions = region2 == "us-east" ? s.Regions : [.. s.Regions, new Region { Id = new RegionId(region2), Name = region2 }];
        return s with
        {
            Regions = regions,
            Sites = sites,
            Fabrics = [Fabric("f1"), Fabric("f2", site2)],
            Deliveries = [Delivery("d1", "f1"), Delivery("d2", "f2")],
        };
    }
}
