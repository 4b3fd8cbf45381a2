using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Planning.Tests;

/// <summary>Small hand-made estates: an air-cooled 8-GPU node (10 kW) and a liquid-cooled 72-GPU rack (100 kW).</summary>
internal static class Fleet
{
    public static readonly Platform Hgx = new()
    {
        Id = new("hgx"), Name = "HGX", Vendor = "NVIDIA", GpusPerUnit = 8, ScaleUpDomainGpus = 8, UnitKw = 10m,
        Cooling = Cooling.Air, CapexPerUnit = Money.Usd(300_000m),
        Prices = new PriceList(Money.Usd(3m), Money.Usd(2m), Money.Usd(1m)), LeadTimeDays = 100, AvailableFrom = Utc.Date(2020, 1, 1),
    };

    public static readonly Platform Rack = new()
    {
        Id = new("rack"), Name = "Rack72", Vendor = "NVIDIA", GpusPerUnit = 72, ScaleUpDomainGpus = 72, UnitKw = 100m,
        Cooling = Cooling.Liquid, CapexPerUnit = Money.Usd(4_000_000m),
        Prices = new PriceList(Money.Usd(6m), Money.Usd(5m), Money.Usd(3m)), LeadTimeDays = 200, AvailableFrom = Utc.Date(2026, 6, 1),
    };

    public static readonly DateTime Today = Utc.Date(2026, 1, 1);

    public static Site Site(string id, string region, decimal mw, params Cooling[] cooling) => new()
    {
        Id = new(id), Name = id, Region = new(region), Cooling = cooling.Length == 0 ? [Cooling.Air] : cooling,
        Power = [new PowerStep(Utc.Date(2024, 1, 1), mw)],
    };

    public static Fabric Fabric(string id, string site, int maxUnits, Platform? p = null) =>
        new() { Id = new(id), Site = new(site), Platform = (p ?? Hgx).Id, MaxUnits = maxUnits };

    public static Delivery Delivery(string fabric, int units, DateTime? at = null) => new()
    {
        Id = new($"{fabric}-d{units}-{(at ?? Utc.Date(2025, 1, 1)).Ticks}"), Fabric = new(fabric), Units = units,
        Status = DeliveryStatus.Accepted, AcceptanceDate = at ?? Utc.Date(2025, 1, 1),
    };

    public static Scenario Make(IEnumerable<Site> sites, IEnumerable<Fabric> fabrics, IEnumerable<Delivery> deliveries,
        IEnumerable<Contract>? contracts = null)
    {
        var siteList = sites.ToList();
        return new Scenario
        {
            Name = "fleet",
            Platforms = [Hgx, Rack],
            Regions = siteList.Select(s => s.Region).Distinct().Select(r => new Region { Id = r, Name = r.Value }).ToList(),
            Sites = siteList,
            Fabrics = fabrics.ToList(),
            Deliveries = deliveries.ToList(),
            Customers = [new Customer { Id = new("c"), Name = "C" }],
            Contracts = contracts?.ToList() ?? [],
        };
    }

    public static DealRequest Deal(int gpus, Locality locality = Locality.Any, int? block = null, int minSites = 1,
        Platform? p = null, DateTime? start = null, int years = 2) =>
        new(new CustomerId("c"),
        [
            new DealLine
            {
                Platform = (p ?? Hgx).Id, Gpus = new GpuCount(gpus), Locality = locality, MinSites = minSites,
                BlockSize = block is { } b ? new GpuCount(b) : null,
                Period = new Period(start ?? Utc.Date(2027, 1, 1), (start ?? Utc.Date(2027, 1, 1)).AddYears(years)),
            },
        ]);

    public static BuildOutPlan Plan(Scenario s, DealRequest deal, DateTime? today = null) =>
        BuildOutPlanner.Plan(s, CapacityLedger.Build(s).Ledger, deal, today ?? Today);

    public static bool FitsAfter(Scenario s, IReadOnlyList<PlannedDelivery> deliveries, DealRequest deal) =>
        CapacityLedger.Build(BuildOutPlanner.Apply(s, deliveries)).Ledger.Check(deal).Fits;
}
