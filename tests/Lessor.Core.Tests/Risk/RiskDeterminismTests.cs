using System.Text.Json;
using Lessor.Core.Model;
using Lessor.Core.Risk;
using static Lessor.Core.Tests.Ledger.TinyWorld;
using static Lessor.Core.Tests.Risk.RiskWorld;

namespace Lessor.Core.Tests.Risk;

/// <summary>Same seed, same figures: for any number of threads, and for shards merged back together.</summary>
public sealed class RiskDeterminismTests
{
    /// <summary>Four fabrics on two sites, a late power step, deliveries that can slip, and failures with SLA credits.</summary>
    private static Scenario Busy()
    {
        var sla = new SlaTerms(0.999m, 0.10m, 0.50m);
        var site2 = Site("s2", "r1") with { Power = [new PowerStep(Utc.Date(2020, 1, 1), 1m), new PowerStep(Utc.Date(2027, 2, 15), 100m)] };
        var deliveries = new List<Delivery>();
        var contracts = new List<Contract>();
        for (var f = 1; f <= 4; f++)
        {
            var status = f == 1 ? DeliveryStatus.Accepted : DeliveryStatus.Ordered;
            deliveries.Add(Delivery($"d{f}", $"f{f}", 4, Utc.Date(2027, f, 1)) with { Status = status });
            contracts.Add(Pinned($"c{f}", f, $"f{f}", 3, new Period(Utc.Date(2027, f, 1), Utc.Date(2028, 6, 1))) with { Sla = sla });
        }
        return new Scenario
        {
            Name = "busy", Currency = Currency.Usd, Platforms = [Hgx()], Regions = [new Region { Id = new RegionId("r1"), Name = "r1" }],
            Sites = [Site("s1", "r1"), site2], Fabrics = [Fabric("f1", "s1", 8), Fabric("f2", "s1", 8), Fabric("f3", "s2", 8), Fabric("f4", "s2", 8)],
            Deliveries = deliveries, Contracts = contracts,
            Uncertainty = new UncertaintyModel
            {
                Deliveries = [new DelayRule { OnTime = 0.4, Delay = Distribution.LogNormalMedian(20, 0.8) }],
                Power = [new DelayRule { OnTime = 0.3, Delay = Distribution.Exponential(45) }],
                // Failures far more often than in life, so credits show up in a small test.
                Failures = new FailureModel { GpuHoursBetweenFailures = 500 },
                Spares = new SparePolicy(0.05),
            },
        };
    }

    private static string Json(RiskRun run) => JsonSerializer.Serialize(run.Rows);

    [Fact]
    public void Given_the_same_seed_When_running_on_one_and_on_four_threads_Then_every_trial_is_identical()
    {
        var one = RiskEngine.Run(Busy(), Options(64, threads: 1, seed: 5) with { Until = Utc.Date(2029, 1, 1) });
        var four = RiskEngine.Run(Busy(), Options(64, threads: 4, seed: 5) with { Until = Utc.Date(2029, 1, 1) });

        Assert.Equal(Json(one), Json(four));
        Assert.Contains(one.Rows, r => r.Credits.Sum() > 0);
        Assert.Contains(one.Rows, r => r.ShortLines.Length > 0);
        var other = RiskEngine.Run(Busy(), Options(64, threads: 1, seed: 6) with { Until = Utc.Date(2029, 1, 1) });
        Assert.NotEqual(Json(one), Json(other));
    }

    [Fact]
    public void Given_a_run_in_three_shards_When_merged_Then_it_equals_the_whole_run()
    {
        var whole = RiskEngine.Run(Busy(), Options(50, seed: 9));
        var shards = new[] { (0, 17), (17, 20), (37, 13) }
            .Select(s => RiskEngine.Run(Busy(), Options(50, seed: 9) with { FirstTrial = s.Item1, Count = s.Item2 })).ToArray();

        var merged = RiskRun.Merge([shards[2], shards[0], shards[1]]);

        Assert.Equal(Json(whole), Json(merged));
        Assert.Equal(JsonSerializer.Serialize(RiskSummary.Of(whole, 4)), JsonSerializer.Serialize(RiskSummary.Of(merged, 4)));
        Assert.Throws<ArgumentException>(() => RiskRun.Merge([shards[0], shards[0]]));
    }

    [Fact]
    public void Given_a_late_power_step_Then_energized_mw_waits_for_it_and_deliveries_on_it_are_not_accepted_before_it()
    {
        var run = RiskEngine.Run(Busy() with { Uncertainty = Busy().Uncertainty! with { Deliveries = [] } }, Options(200, seed: 3));
        // The step is due 2027-02-15: Q1 ends with 200 MW when it came by 2027-03-31, with 101 MW otherwise; both happen.
        Assert.Contains(run.Rows, r => r.MwEnergized[0] == 200m);
        Assert.Contains(run.Rows, r => r.MwEnergized[0] == 101m);
        // f3's delivery (due 2027-03-01, on that step) waits for it: whenever the step is not there by the end of March,
        // c3 started short.
        var c3 = run.Lines.ToList().IndexOf("c3/L1");
        Assert.All(run.Rows.Where(r => r.MwEnergized[0] == 101m), r => Assert.Contains(c3, r.ShortLines));
        Assert.All(run.Rows, r => Assert.True(r.MwInService[0] <= r.MwEnergized[0]));
    }
}
