using Lessor.Core.Catalog;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Catalog;

public sealed class DefaultCatalogTests
{
    private static readonly IReadOnlyList<Platform> Usd = DefaultCatalog.Platforms(Currency.Usd);
    private static Platform Get(PlatformId id) => Usd.Single(p => p.Id == id);

    [Fact]
    public void Given_the_catalog_When_listed_Then_it_holds_the_nine_default_platforms_once_each()
    {
        Assert.Equal(
            ["h100-hgx", "h200-hgx", "b200-hgx", "gb200-nvl72", "gb300-nvl72", "vr-nvl72", "rubin-ultra-nvl576", "mi355x", "trn2-ultraserver"],
            Usd.Select(p => p.Id.Value));
    }

    [Fact]
    public void Given_vera_rubin_When_looked_up_by_its_die_counting_name_Then_it_is_72_packages_of_2_dies_at_190_kw_from_july_2026()
    {
        var scenario = new Scenario { Name = "catalog", Platforms = Usd };
        var vr = scenario.FindPlatform("NVL144");
        Assert.NotNull(vr);
        Assert.Equal(DefaultCatalog.Ids.VeraRubin, vr.Id);
        Assert.Same(vr, scenario.FindPlatform("Vera Rubin NVL144"));
        Assert.Same(vr, scenario.FindPlatform("vera rubin nvl72"));
        Assert.Equal((72, 2, 72, 190m, Cooling.Liquid), (vr.GpusPerUnit, vr.DiesPerGpu, vr.ScaleUpDomainGpus, vr.UnitKw, vr.Cooling));
        Assert.Equal(Utc.Date(2026, 7, 1), vr.AvailableFrom);
    }

    [Fact]
    public void Given_rubin_ultra_When_read_Then_it_is_144_packages_of_576_dies_at_600_kw_from_the_second_half_of_2027()
    {
        var ru = Get(DefaultCatalog.Ids.RubinUltra);
        Assert.Equal(576, ru.GpusPerUnit * ru.DiesPerGpu);
        Assert.Equal(144, ru.GpusPerUnit);
        Assert.Equal(600m, ru.UnitKw);
        Assert.Equal(Utc.Date(2027, 7, 1), ru.AvailableFrom);
    }

    [Fact]
    public void Given_every_rack_scale_platform_When_read_Then_it_needs_liquid_cooling()
    {
        Assert.All(Usd.Where(p => p.GpusPerUnit >= 72), p => Assert.Equal(Cooling.Liquid, p.Cooling));
        Assert.Equal(Cooling.Air, Get(DefaultCatalog.Ids.H100).Cooling);
    }

    [Fact]
    public void Given_the_prices_When_compared_Then_on_demand_exceeds_reserved_exceeds_spot_and_h100_matches_domain()
    {
        Assert.All(Usd, p => Assert.True(p.Prices.OnDemand > p.Prices.Reserved && p.Prices.Reserved > p.Prices.Spot, p.Id.Value));
        var h100 = Get(DefaultCatalog.Ids.H100).Prices;
        Assert.Equal((2.20m, 1.80m, 1.50m), (h100.OnDemand.Amount, h100.Reserved.Amount, h100.Spot.Amount));
        Assert.Equal(2.25m, Get(DefaultCatalog.Ids.B200).Prices.Spot.Amount);
    }

    [Fact]
    public void Given_another_currency_When_listed_Then_every_amount_is_in_it()
    {
        var eur = new Currency("EUR");
        Assert.All(DefaultCatalog.Platforms(eur), p =>
        {
            Assert.Equal(eur, p.CapexPerUnit.Currency);
            Assert.Equal(eur, p.Prices.Spot.Currency);
        });
    }

    [Fact]
    public void Given_lead_times_and_unit_power_When_read_Then_lead_times_are_six_to_nine_months_and_power_positive()
    {
        Assert.All(Usd, p => Assert.InRange(p.LeadTimeDays, 180, 270));
        Assert.All(Usd, p => Assert.True(p.UnitKw > 0 && p.CapexPerUnit.Amount > 0));
        Assert.Equal(10.2m, Get(DefaultCatalog.Ids.H100).UnitKw);
    }
}
