using Lessor.Core.Model;
using Lessor.Server.Api;
using Lessor.Server.Tests.Desk;

namespace Lessor.Server.Tests.Browser;

/// <summary>The dashboard's series, computed by hand on the small book (H100 nodes of 8 GPUs at 10.2 kW).</summary>
public sealed class DashboardSeriesTests
{
    /// <summary>
    /// The small book with site b's envelope cut to 0.05 MW (so its 81.6 kW of nodes are capped) and one contract
    /// of acme: 64 GPUs over 2027, cancelled from 2027-07-01.
    /// </summary>
    private static Scenario Book()
    {
        var s = SmallBook.Build();
        var sites = s.Sites.Select(x => x.Id.Value == "b" ? x with { Power = [new PowerStep(Utc.Date(2026, 1, 1), 0.05m)] } : x).ToList();
        var contract = new Contract
        {
            Id = new ContractId("acme-1"), Customer = new CustomerId("acme"), SignedOn = Utc.Date(2026, 6, 1), Currency = Currency.Usd,
            Lines =
            [
                new ContractLine
                {
                    Id = new LineId("l1"), Platform = new PlatformId("h100-hgx"), Gpus = new GpuCount(64),
                    Period = new Period(SmallBook.Y2027, SmallBook.Y2028), PricePerGpuHour = Money.Usd(2m),
                },
            ],
            Cancellation = new Cancellation(Utc.Date(2027, 7, 1), Money.Usd(0m), "test"),
        };
        return s with { Sites = sites, Contracts = [contract] };
    }

    private static readonly string[] Quarters = ["2026 Q1", "2026 Q2", "2026 Q3", "2026 Q4", "2027 Q1", "2027 Q2", "2027 Q3", "2027 Q4"];

    [Fact]
    public void Given_a_book_from_2026_to_2027_When_listing_quarter_ends_Then_each_quarter_ends_at_the_next_ones_first_instant()
    {
        var quarters = DashboardApi.QuarterEnds(Book());

        Assert.Equal(Quarters, quarters.Select(q => q.Label));
        Assert.Equal(Utc.Date(2026, 4, 1), quarters[0].At);
        Assert.Equal(Utc.Date(2028, 1, 1), quarters[^1].At);
    }

    [Fact]
    public void Given_a_site_with_more_nodes_than_envelope_When_computing_power_Then_its_drawn_mw_is_capped_by_the_envelope()
    {
        var power = DashboardApi.Power(Book());

        Assert.Equal(Quarters, power.Quarters);
        // 2026-Q4's end is 2027-01-01: site a has 16 nodes (163.2 kW), site b 8 nodes (81.6 kW) capped at 50 kW.
        // 2027-Q2's end is 2027-07-01: site a has 20 nodes (204 kW).
        Assert.Equal([0m, 0m, 0m, 0.213m, 0.213m, 0.254m, 0.254m, 0.254m], power.DrawnMw);
        Assert.Equal(Enumerable.Repeat(5.05m, 8), power.EnergizedMw);
        Assert.Equal(Enumerable.Repeat(5.05m, 8), power.ContractedMw);
    }

    [Fact]
    public void Given_a_cancelled_line_When_computing_capacity_Then_committed_gpus_stop_at_the_cancellation_and_supply_follows_deliveries()
    {
        var capacity = DashboardApi.Capacity(Book());

        var h100 = Assert.Single(capacity.Platforms);
        Assert.Equal("h100-hgx", h100.Platform.Value);
        Assert.Equal([0, 0, 0, 192, 192, 224, 224, 224], h100.SupplyGpus);
        Assert.Equal([0, 0, 0, 64, 64, 0, 0, 0], h100.CommittedGpus);
    }

    [Fact]
    public void Given_an_empty_book_When_computing_the_series_Then_they_are_empty()
    {
        var empty = new Scenario { Name = "empty" };

        Assert.Empty(DashboardApi.Power(empty).Quarters);
        Assert.Empty(DashboardApi.Capacity(empty).Platforms);
    }
}
