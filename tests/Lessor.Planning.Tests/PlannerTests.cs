using Lessor.Core.Model;
using static Lessor.Planning.Tests.Fleet;

namespace Lessor.Planning.Tests;

/// <summary>The planner on hand-made fleets where the least-capex answer is known.</summary>
public sealed class PlannerTests
{
    [Fact]
    public void Given_a_deal_that_fits_When_planned_Then_nothing_is_built_and_the_margin_is_the_tcv()
    {
        var s = Make([Site("a", "r", 1m)], [Fabric("a-f1", "a", 16)], [Delivery("a-f1", 16)]);
        var plan = Plan(s, Deal(64));
        Assert.Equal(PlanOutcome.AlreadyFits, plan.Outcome);
        Assert.Empty(plan.Deliveries);
        Assert.Equal(Money.Usd(0m), plan.Capex);
        Assert.Equal(Money.Usd(2m * 64 * 17_544m), plan.Tcv);
        Assert.Equal(plan.Tcv, plan.Margin);
        Assert.Equal(100m, plan.MarginPercent);
    }

    [Fact]
    public void Given_a_fabric_one_unit_short_of_a_block_When_planned_Then_one_unit_goes_there_not_a_new_fabric()
    {
        // Free: 3 units in a-f1 (room 5 more). A block of 4 units must sit in one fabric: one unit completes it.
        var s = Make([Site("a", "r", 1m)], [Fabric("a-f1", "a", 8)], [Delivery("a-f1", 3)]);
        var plan = Plan(s, Deal(32, block: 32));
        Assert.Equal(PlanOutcome.Planned, plan.Outcome);
        var d = Assert.Single(plan.Deliveries);
        Assert.Equal((new FabricId("a-f1"), 1, false), (d.Fabric, d.Units, d.NewFabric));
        Assert.Equal(Utc.Date(2027, 1, 1), d.AcceptanceDate);
        Assert.Equal(Utc.Date(2026, 9, 23), d.OrderBy);
        Assert.Equal(0.01m, d.Mw);
        Assert.Equal(Money.Usd(300_000m), d.Capex);
        Assert.True(FitsAfter(s, plan.Deliveries, Deal(32, block: 32)));
    }

    [Fact]
    public void Given_min_sites_three_and_one_site_with_fabrics_When_planned_Then_a_new_fabric_opens_at_each_other_site()
    {
        var s = Make([Site("a", "r", 1m), Site("b", "r", 1m), Site("c", "r", 1m)], [Fabric("a-f1", "a", 16)], [Delivery("a-f1", 16)]);
        var deal = Deal(24, minSites: 3);
        var plan = Plan(s, deal);
        Assert.Equal(PlanOutcome.Planned, plan.Outcome);
        Assert.Equal(2, plan.Units);
        Assert.Equal(["b-f1", "c-f1"], plan.Deliveries.Select(d => d.Fabric.Value));
        Assert.All(plan.Deliveries, d => Assert.True(d.NewFabric));
        Assert.All(plan.Deliveries, d => Assert.Equal(16, d.NewFabricMaxUnits));
        Assert.True(FitsAfter(s, plan.Deliveries, deal));
    }

    [Fact]
    public void Given_a_site_whose_later_deliveries_take_its_power_When_planned_Then_the_rest_goes_to_another_site()
    {
        // Site a: 1 MW, 90 units (900 kW) arrive in 2028, so from 2027 on only 10 units fit there; site b holds 10.
        var s = Make([Site("a", "r", 1m), Site("b", "r", 0.1m)], [Fabric("a-f1", "a", 128)],
            [Delivery("a-f1", 90, Utc.Date(2028, 1, 1))]);
        var deal = Deal(20 * 8, years: 1);
        var plan = Plan(s, deal);
        Assert.Equal(PlanOutcome.Planned, plan.Outcome);
        Assert.Equal(20, plan.Units);
        Assert.Equal(10, plan.Deliveries.Where(d => d.Site.Value == "a").Sum(d => d.Units));
        Assert.Equal(10, plan.Deliveries.Where(d => d.Site.Value == "b").Sum(d => d.Units));
        Assert.True(FitsAfter(s, plan.Deliveries, deal));
    }

    [Fact]
    public void Given_a_site_without_liquid_cooling_When_a_rack_deal_is_planned_Then_only_the_liquid_site_gets_racks()
    {
        var s = Make([Site("air", "r", 10m), Site("wet", "r", 10m, Cooling.Liquid)], [], []);
        var deal = Deal(72 * 5, p: Rack);
        var plan = Plan(s, deal);
        Assert.Equal(PlanOutcome.Planned, plan.Outcome);
        var d = Assert.Single(plan.Deliveries);
        Assert.Equal(("wet", 5, true), (d.Site.Value, d.Units, d.NewFabric));
        Assert.Equal(Utc.Date(2026, 6, 15), d.OrderBy);
    }

    [Fact]
    public void Given_too_little_power_When_planned_Then_no_plan_says_how_much_is_left_and_needed()
    {
        var s = Make([Site("a", "r", 0.05m)], [], []);
        var plan = Plan(s, Deal(80));
        Assert.Equal(PlanBlocker.Power, plan.Blocker);
        Assert.Equal("From 2027-01-01 on, the 1 sites that can cool HGX have 0.05 MW of power left, room for 5 units, but the deal needs 10 more units drawing 0.1 MW.", plan.Why);
    }

    [Fact]
    public void Given_site_locality_and_two_sites_When_planned_Then_no_plan_names_the_shape()
    {
        var s = Make([Site("a", "r", 1m), Site("b", "r", 1m)], [], []);
        var plan = Plan(s, Deal(16, Locality.Site, minSites: 2));
        Assert.Equal(PlanBlocker.FabricLimits, plan.Blocker);
        Assert.Equal("Line L1 must sit in one site, so it cannot span the 2 sites it asks for.", plan.Why);
    }

    [Fact]
    public void Given_a_block_larger_than_a_new_fabric_When_planned_with_small_fabrics_Then_no_plan_names_the_fabric_size()
    {
        var s = Make([Site("a", "r", 10m)], [], []);
        var plan = BuildOutPlanner.Plan(s, Lessor.Core.Ledger.CapacityLedger.Build(s).Ledger, Deal(8 * 64, block: 8 * 64), Today,
            new PlanOptions { NewFabricMaxUnits = 32 });
        Assert.Equal(PlanBlocker.FabricLimits, plan.Blocker);
        Assert.Equal("A block of 512 HGX GPUs of line L1 must sit in one fabric, but a new fabric holds 256 GPUs; plan with larger new fabrics.", plan.Why);
    }

    [Fact]
    public void Given_two_platforms_in_one_deal_When_planned_Then_each_gets_its_own_dates_and_the_deal_fits()
    {
        var s = Make([Site("a", "r", 2m, Cooling.Air, Cooling.Liquid)], [], []);
        var deal = new Lessor.Core.Ledger.DealRequest(new CustomerId("c"),
        [
            Deal(16).Lines[0],
            Deal(72 * 2, p: Rack, start: Utc.Date(2027, 6, 1)).Lines[0] with { Id = new LineId("racks") },
        ]);
        var plan = Plan(s, deal);
        Assert.Equal(PlanOutcome.Planned, plan.Outcome);
        Assert.Equal([(2, Utc.Date(2027, 1, 1)), (2, Utc.Date(2027, 6, 1))], plan.Deliveries.Select(d => (d.Units, d.AcceptanceDate)));
        Assert.Equal(Money.Usd(2 * 300_000m + 2 * 4_000_000m), plan.Capex);
        Assert.True(FitsAfter(s, plan.Deliveries, deal));
    }

    [Fact]
    public void Given_two_overlapping_lines_of_one_platform_When_planned_Then_they_share_the_new_units_without_overselling()
    {
        // 10 free units in a-f1 for both periods; the lines overlap in 2028 and need 12 + 8 = 20 units then.
        var s = Make([Site("a", "r", 1m)], [Fabric("a-f1", "a", 64)], [Delivery("a-f1", 10)]);
        var deal = new Lessor.Core.Ledger.DealRequest(new CustomerId("c"),
        [
            Deal(12 * 8, years: 2).Lines[0],
            Deal(8 * 8, Locality.Fabric, start: Utc.Date(2028, 1, 1)).Lines[0] with { Id = new LineId("L2") },
        ]);
        var plan = Plan(s, deal);
        Assert.Equal(PlanOutcome.Planned, plan.Outcome);
        var d = Assert.Single(plan.Deliveries);
        Assert.Equal(("a-f1", 10, Utc.Date(2027, 1, 1)), (d.Fabric.Value, d.Units, d.AcceptanceDate));
        Assert.True(FitsAfter(s, plan.Deliveries, deal));
    }

    [Fact]
    public void Given_a_ramp_whose_first_tranche_fits_now_When_planned_Then_units_arrive_for_the_second_tranche_only()
    {
        // Tranche 1 starts before anything ordered today could arrive, but fits on the 10 free units; tranche 2 needs 6 more.
        var s = Make([Site("a", "r", 1m)], [Fabric("a-f1", "a", 64)], [Delivery("a-f1", 10)]);
        var deal = new Lessor.Core.Ledger.DealRequest(new CustomerId("c"),
        [
            Deal(10 * 8, start: Utc.Date(2026, 3, 1), years: 3).Lines[0],
            Deal(6 * 8, start: Utc.Date(2027, 1, 1)).Lines[0] with { Id = new LineId("L2") },
        ]);
        var plan = Plan(s, deal);
        Assert.Equal(PlanOutcome.Planned, plan.Outcome);
        var d = Assert.Single(plan.Deliveries);
        Assert.Equal((6, Utc.Date(2027, 1, 1), Utc.Date(2026, 9, 23)), (d.Units, d.AcceptanceDate, d.OrderBy));
        Assert.True(FitsAfter(s, plan.Deliveries, deal));
    }
}
