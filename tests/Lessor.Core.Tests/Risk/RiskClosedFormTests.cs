using Lessor.Core.Model;
using Lessor.Core.Risk;
using MathNet.Numerics.Distributions;
using static Lessor.Core.Tests.Risk.RiskWorld;

namespace Lessor.Core.Tests.Risk;

/// <summary>The engine against closed forms: each figure is worked by hand or by a textbook formula, and each can fail.</summary>
public sealed class RiskClosedFormTests
{
    [Fact]
    public void Given_one_delivery_with_a_known_delay_distribution_When_running_Then_each_trial_loses_exactly_its_days_and_the_mean_is_the_exact_expectation()
    {
        // 8 GPUs x $2 x 24 h = $384 a day; 2027 has 365 days. On time (p = 0.5): 140,160; 10 days late: 136,320; 30 days: 128,640.
        // Forfeit terms: the missed days are lost. E = 0.5 x 140,160 + 0.25 x 136,320 + 0.25 x 128,640 = 136,320.
        var run = RiskEngine.Run(Book(Delays(0.5)), Options(4000));

        var totals = run.Rows.Select(r => r.Revenue.Sum()).ToList();
        Assert.All(totals, t => Assert.Contains(t, new[] { 140_160m, 136_320m, 128_640m }));
        var sd = Math.Sqrt(0.5 * Math.Pow(140_160 - 136_320, 2) + 0.25 * 0 + 0.25 * Math.Pow(128_640 - 136_320, 2));
        var mean = (double)totals.Average();
        Assert.InRange(mean, 136_320 - 4 * sd / Math.Sqrt(4000), 136_320 + 4 * sd / Math.Sqrt(4000));
        // Each outcome's frequency is near its probability.
        Assert.InRange(totals.Count(t => t == 140_160m) / 4000.0, 0.47, 0.53);
        Assert.InRange(totals.Count(t => t == 128_640m) / 4000.0, 0.22, 0.28);
        // The line starts short exactly when the delivery is late.
        Assert.Equal(totals.Count(t => t != 140_160m), run.Rows.Count(r => r.ShortLines.Length == 1));
    }

    [Fact]
    public void Given_extend_terms_When_the_delivery_is_late_Then_the_missed_days_are_deferred_past_the_window_not_earned_in_it()
    {
        // Under extend the GPU-time is served after 2028; within 2027 the trial earns the same as under forfeit.
        var run = RiskEngine.Run(Book(Delays(0), LateDeliveryRule.Extend), Options(200));

        Assert.All(run.Rows, r => Assert.Contains(r.Revenue.Sum(), new[] { 136_320m, 128_640m }));
    }

    [Fact]
    public void Given_one_failure_domain_When_simulating_long_Then_its_availability_converges_to_mtbf_over_mtbf_plus_mttr()
    {
        // One 8-GPU domain, 50,700 GPU-hours between failures: MTBF 6,337.5 h; every repair takes 100 h and no spares.
        var model = new FailureModel { Causes = [new FailureCause("any", 1, Distribution.Fixed(100), false)] };
        var sim = new FleetSimulation(model, new SparePolicy(0));
        var expected = 6337.5 / (6337.5 + 100);

        var tally = sim.Run([0.0], [1], 100_000_000, new RiskRandom(7, 0, 1), null);

        var availability = 1 - tally.DownDomainHours / tally.DomainHours;
        // About 15,500 cycles: the standard error of the availability is about 1.3e-4.
        Assert.InRange(availability, expected - 6e-4, expected + 6e-4);
        var shorter = sim.Run([0.0], [1], 1_000_000, new RiskRandom(7, 0, 1), null);
        Assert.True(Math.Abs(availability - expected) < 6e-4 && shorter.Failures < tally.Failures);
    }

    [Fact]
    public void Given_spares_and_repairs_When_simulating_Then_the_share_of_failures_finding_no_spare_is_the_erlang_b_formula()
    {
        // 10,000 domains of 8 GPUs: 1.578 failures an hour, each holding a spare 20 h: offered load a = 31.56. With S = ceil(29.5) = 30
        // spares, a failure finds none with probability B(S, a) = P(N = S) / P(N <= S) for N ~ Poisson(a) (Erlang's loss
        // formula, insensitive to the repair distribution).
        const int domains = 10_000;
        var model = new FailureModel { Causes = [new FailureCause("gpu", 1, Distribution.Uniform(10, 30), true)] };
        var sim = new FleetSimulation(model, new SparePolicy(0.00295));
        var a = domains * 8 / 50_700.0 * 20;
        var erlangB = Poisson.PMF(a, 30) / Poisson.CDF(a, 30);

        var tally = sim.Run([0.0], [domains], 400_000, new RiskRandom(11, 0, 1), null);

        var observed = (double)tally.Stockouts / tally.SpareDemands;
        Assert.InRange(erlangB, 0.10, 0.20);
        Assert.InRange(observed, erlangB - 0.01, erlangB + 0.01);
    }

    [Fact]
    public void Given_one_node_in_the_book_When_running_trials_Then_its_mean_availability_is_mtbf_over_mtbf_plus_mttr()
    {
        // The engine's path (FailureCells): one accepted 8-GPU node, every interruption down 100 h, no spares.
        var model = new UncertaintyModel { Failures = new FailureModel { Causes = [new FailureCause("any", 1, Distribution.Fixed(100), false)] } };
        var book = Book(model) with { Deliveries = [Book(model).Deliveries[0] with { Status = Lessor.Core.Model.DeliveryStatus.Accepted }] };
        var expected = 6337.5 / (6337.5 + 100);

        var run = RiskEngine.Run(book, Options(3000, threads: 2));

        // 12,000 node-quarters, each down 100 h x Poisson(0.34): the standard error of the mean is about 2.4e-4.
        var mean = run.Rows.SelectMany(r => r.Availability).Average(a => (double)a);
        Assert.InRange(mean, expected - 1e-3, expected + 1e-3);
    }

    [Fact]
    public void Given_a_large_site_in_the_book_When_running_trials_Then_stockouts_follow_the_erlang_b_formula()
    {
        // 10,000 accepted 8-GPU nodes, every interruption needs a spare held 10-30 h, ceil(0.00295 x 10,000) = 30 spares.
        var model = new UncertaintyModel
        {
            Failures = new FailureModel { Causes = [new FailureCause("gpu", 1, Distribution.Uniform(10, 30), true)] },
            Spares = new SparePolicy(0.00295),
        };
        var basic = Book(model);
        var book = basic with
        {
            Fabrics = [basic.Fabrics[0] with { MaxUnits = 10_000 }],
            Deliveries = [basic.Deliveries[0] with { Units = 10_000, Status = Lessor.Core.Model.DeliveryStatus.Accepted }],
        };
        var run = RiskEngine.Run(book, Options(40, threads: 2));

        // Demands arrive at 10,000 x 8 x A / 50,700 an hour, A just below 1 (B x 20 h + (1 - B) x 0.25 h down per
        // interruption); offered load a = that x 20 h. B(S, a) = P(N = S) / P(N <= S) for N ~ Poisson(a).
        var b = 0.0;
        var availability = 1.0;
        for (var i = 0; i < 5; i++)
        {
            var a = 10_000 * 8 * availability / 50_700.0 * 20;
            b = Poisson.PMF(a, 30) / Poisson.CDF(a, 30);
            availability = 6337.5 / (6337.5 + b * 20 + (1 - b) * 0.25);
        }
        var observed = (double)run.Rows.Sum(r => r.Stockouts) / run.Rows.Sum(r => r.SpareDemands);
        Assert.InRange(b, 0.10, 0.20);
        Assert.InRange(observed, b - 0.005, b + 0.005);
    }

    [Fact]
    public void Given_two_policies_on_common_draws_When_trials_quadruple_Then_the_confidence_interval_halves()
    {
        // A second supplier on time 80% instead of 50%: on the same draws, B is never worse than A in any trial.
        var book = Book(Delays(0.5));
        var better = new UncertaintyPolicy { Name = "second-supplier", Deliveries = Delays(0.8).Deliveries };
        var small = PolicyComparison.Of(RiskEngine.Run(book, Options(500)), RiskEngine.Run(book, Options(500, policy: better)), 4);
        var large = PolicyComparison.Of(RiskEngine.Run(book, Options(2000)), RiskEngine.Run(book, Options(2000, policy: better)), 4);

        var ratio = (double)(small.RevenueHalfWidth.Amount / large.RevenueHalfWidth.Amount);
        Assert.InRange(ratio, 1.7, 2.3);
        // Exact: E[B - A] = (0.8 - 0.5) x (20 days mean delay x $384) = $2,304.
        Assert.InRange(large.RevenueDifference.Amount, 2304m - 3 * large.RevenueHalfWidth.Amount / 1.96m, 2304m + 3 * large.RevenueHalfWidth.Amount / 1.96m);
        var a = RiskEngine.Run(book, Options(300));
        var b = RiskEngine.Run(book, Options(300, policy: better));
        Assert.All(a.Rows.Zip(b.Rows), p => Assert.True(p.Second.Revenue.Sum() >= p.First.Revenue.Sum()));
    }
}

/// <summary>The small numerical pieces of the failure path against MathNet.Numerics.</summary>
public sealed class FailureCellsNumericsTests
{
    [Fact]
    public void Given_probabilities_across_the_range_Then_the_fast_normal_quantile_matches_mathnet_within_1e_5_relative()
    {
        foreach (var u in new[] { 1e-10, 1e-4, 0.01, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97575, 0.999, 1 - 1e-9 })
        {
            var exact = Normal.InvCDF(0, 1, u);
            Assert.InRange(FailureCells.Z(u), exact - 1e-5 * Math.Abs(exact) - 1e-9, exact + 1e-5 * Math.Abs(exact) + 1e-9);
        }
    }

    [Fact]
    public void Given_loads_and_servers_Then_erlang_b_matches_the_poisson_ratio()
    {
        foreach (var (s, a) in new[] { (1, 0.5), (5, 3.0), (30, 31.56), (100, 80.0), (250, 107.0) })
            Assert.Equal(Poisson.PMF(a, s) / Poisson.CDF(a, s), FailureCells.ErlangB(s, a), 1e-9);
    }

    [Fact]
    public void Given_a_mean_Then_poisson_by_inversion_has_that_mean_and_variance()
    {
        foreach (var mean in new[] { 0.3, 4.0, 29.0, 120.0 })
        {
            var rng = new RiskRandom(3, 0, (long)(mean * 10));
            var draws = Enumerable.Range(0, 40_000).Select(_ => (double)FailureCells.PoissonInv(mean, rng.Next())).ToArray();
            var m = draws.Average();
            var v = draws.Average(x => (x - m) * (x - m));
            Assert.InRange(m, mean - 5 * Math.Sqrt(mean / 40_000), mean + 5 * Math.Sqrt(mean / 40_000));
            Assert.InRange(v, mean * 0.95, mean * 1.05);
        }
    }
}
