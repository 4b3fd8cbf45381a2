using Lessor.Core.Model;

namespace Lessor.Server.Tests.Desk;

/// <summary>
/// A small estate for deal-desk tests: H100 HGX nodes (8 GPUs) in three fabrics over two sites of one region:
/// fabric a1 (site a, 10 units from 2027-01-01), a2 (site a, 6 units from 2027-01-01, 4 more from 2027-07-01),
/// b1 (site b, 8 units from 2027-01-01). Customers acme and zeta; no contracts.
/// </summary>
internal static class SmallBook
{
    public static readonly DateTime Y2027 = Utc.Date(2027, 1, 1);
    public static readonly DateTime Y2028 = Utc.Date(2028, 1, 1);
    public static readonly DateTime Y2029 = Utc.Date(2029, 1, 1);

    public static Scenario Build()
    {
        var usd = Currency.Usd;
        var h100 = new Platform
        {
            Id = new PlatformId("h100-hgx"), Name = "H100 SXM HGX", Vendor = "NVIDIA", Aliases = ["DGX H100"], GpusPerUnit = 8,
            ScaleUpDomainGpus = 8, UnitKw = 10.2m, Cooling = Cooling.Air, CapexPerUnit = Money.Usd(300_000m),
            Prices = new PriceList(Money.Usd(2.2m), Money.Usd(1.8m), Money.Usd(1.5m)), LeadTimeDays = 180, AvailableFrom = Utc.Date(2023, 1, 1),
        };
        Site Site(string id) => new()
        {
            Id = new SiteId(id), Name = $"Site {id}", Region = new RegionId("us-east"), Cooling = [Cooling.Air, Cooling.Liquid],
            Power = [new PowerStep(Utc.Date(2026, 1, 1), 5m)],
        };
        Fabric Fabric(string id, string site) => new() { Id = new FabricId(id), Site = new SiteId(site), Platform = h100.Id, MaxUnits = 16 };
        Delivery Delivery(string id, string fabric, int units, DateTime at) => new()
        {
            Id = new DeliveryId(id), Fabric = new FabricId(fabric), Units = units, Status = DeliveryStatus.Accepted, AcceptanceDate = at,
        };
        return new Scenario
        {
            Name = "small-book",
            Currency = usd,
            Platforms = [h100],
            Regions = [new Region { Id = new RegionId("us-east"), Name = "US East" }],
            Sites = [Site("a"), Site("b")],
            Fabrics = [Fabric("a1", "a"), Fabric("a2", "a"), Fabric("b1", "b")],
            Deliveries =
            [
                Delivery("d1", "a1", 10, Y2027), Delivery("d2", "a2", 6, Y2027),
                Delivery("d3", "a2", 4, Utc.Date(2027, 7, 1)), Delivery("d4", "b1", 8, Y2027),
            ],
            Customers = [new Customer { Id = new CustomerId("acme"), Name = "Acme AI" }, new Customer { Id = new CustomerId("zeta"), Name = "Zeta Labs" }],
        };
    }

    /// <summary>Accepted units of each fabric at an instant, computed straight from the deliveries.</summary>
    public static int SupplyAt(Scenario s, FabricId fabric, DateTime t) =>
        s.Deliveries.Where(d => d.Fabric == fabric && d.AcceptanceDate <= t).Sum(d => d.Units);
}
