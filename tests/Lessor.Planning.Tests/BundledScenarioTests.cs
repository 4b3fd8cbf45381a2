using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Planning;
using Lessor.Storage.Scenarios;

namespace Lessor.Planning.Tests;

/// <summary>The bundled operator: Meta's 100,008 Vera Rubin GPUs over 2027-2032 across at least 3 sites.</summary>
public sealed class BundledScenarioTests
{
    private static readonly Lazy<Scenario> Bundled = new(() =>
    {
        var parsed = ScenarioFile.Load(Path.Combine(AppContext.BaseDirectory, "samples", "neocloud-2026.yaml"));
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors));
        return parsed.Scenario!;
    });

    internal static DealRequest Meta(int gpus = 100_008, DateTime? start = null) => new(new CustomerId("meta"),
    [
        new DealLine
        {
            Platform = new PlatformId("vr-nvl72"), Gpus = new GpuCount(gpus),
            Period = new Period(start ?? Utc.Date(2027, 1, 1), Utc.Date(2033, 1, 1)), MinSites = 3,
        },
    ]);

    private static readonly DateTime Today = Utc.Date(2026, 4, 1);

    [Fact]
    public void Given_the_Meta_deal_When_planned_Then_the_deliveries_applied_make_it_fit_at_least_capex()
    {
        var s = Bundled.Value;
        var ledger = CapacityLedger.Build(s).Ledger;
        Assert.False(ledger.Check(Meta()).Fits);

        var plan = BuildOutPlanner.Plan(s, ledger, Meta(), Today);

        Assert.Equal(PlanOutcome.Planned, plan.Outcome);
        Assert.True(plan.Optimal);
        Assert.NotEmpty(plan.Deliveries);
        var rebuilt = CapacityLedger.Build(BuildOutPlanner.Apply(s, plan.Deliveries)).Ledger;
        Assert.True(rebuilt.Check(Meta()).Fits);
        // Least capex: exactly the units the deal lacks, i.e. it no longer fits with one unit fewer anywhere.
        var free = s.Fabrics.Where(f => f.Platform.Value == "vr-nvl72")
            .Sum(f => Math.Max(0, ledger.FreeUnits(f.Id, Meta().Lines[0].Period)));
        Assert.Equal(100_008 / 72 - free, plan.Units);
        Assert.Equal(plan.Units * 6_000_000m, plan.Capex.Amount);
        Assert.Equal(plan.Units * 190m / 1000m, plan.Mw);
        Assert.All(plan.Deliveries, d =>
        {
            Assert.Equal(Utc.Date(2027, 1, 1), d.AcceptanceDate);
            Assert.Equal(Utc.Date(2026, 4, 6), d.OrderBy);
            Assert.True(d.OrderBy >= Today);
        });
        var tcv = 5.00m * 100_008 * (decimal)(Utc.Date(2033, 1, 1) - Utc.Date(2027, 1, 1)).TotalHours;
        Assert.Equal(tcv, plan.Tcv.Amount);
        Assert.Equal(tcv - plan.Capex.Amount, plan.Margin.Amount);
        Assert.Equal(Math.Round((tcv - plan.Capex.Amount) / tcv * 100m, 2, MidpointRounding.AwayFromZero), plan.MarginPercent);
    }

    [Fact]
    public void Given_the_Meta_deal_When_planned_twice_Then_the_plans_are_identical()
    {
        var s = Bundled.Value;
        var a = BuildOutPlanner.Plan(s, CapacityLedger.Build(s).Ledger, Meta(), Today);
        var b = BuildOutPlanner.Plan(s, CapacityLedger.Build(s).Ledger, Meta(), Today);
        Assert.Equal(a.Deliveries, b.Deliveries);
    }

    [Fact]
    public void Given_today_too_late_for_the_lead_time_When_planned_Then_no_plan_names_the_lead_time()
    {
        var s = Bundled.Value;
        var plan = BuildOutPlanner.Plan(s, CapacityLedger.Build(s).Ledger, Meta(), Utc.Date(2026, 11, 27));
        Assert.Equal(PlanOutcome.NoPlan, plan.Outcome);
        Assert.Equal(PlanBlocker.LeadTime, plan.Blocker);
        Assert.Equal(
            "Vera Rubin NVL72 ordered today (2026-11-27) is accepted 2027-08-24 at the earliest (270 days' lead time), after line L1 starts on 2027-01-01; start the deal on or after 2027-08-24.",
            plan.Why);
        Assert.Empty(plan.Deliveries);
    }

    [Fact]
    public void Given_a_start_before_Vera_Rubin_ships_When_planned_Then_no_plan_names_availability()
    {
        var s = Bundled.Value;
        var plan = BuildOutPlanner.Plan(s, CapacityLedger.Build(s).Ledger, Meta(start: Utc.Date(2026, 3, 1)), Utc.Date(2025, 1, 1));
        Assert.Equal(PlanBlocker.PlatformNotAvailable, plan.Blocker);
        Assert.Equal(
            "Vera Rubin NVL72 ships from 2026-07-01, after line L1 starts on 2026-03-01: no unit can be accepted in time; start the deal on or after 2026-07-01.",
            plan.Why);
    }

    [Fact]
    public void Given_a_deal_far_beyond_the_estates_power_When_planned_Then_no_plan_names_power()
    {
        var s = Bundled.Value;
        var plan = BuildOutPlanner.Plan(s, CapacityLedger.Build(s).Ledger, Meta(gpus: 72 * 40_000), Today);
        Assert.Contains("room for", plan.Why, StringComparison.Ordinal);
        Assert.Equal(PlanBlocker.Power, plan.Blocker);
        Assert.StartsWith("From 2027-01-01 on, the ", plan.Why, StringComparison.Ordinal);
    }
}
