using Lessor.Core.Finance;
using Lessor.Core.Model;
using static Lessor.Core.Tests.Finance.FinanceFixtures;

namespace Lessor.Core.Tests.Finance;

public sealed class FinanceReportTests
{
    private static FinanceKpis GoldenKpis(RunRateMethod method = RunRateMethod.LatestMonthTimes12) =>
        FinanceReport.Kpis(Scenario(Acme(), Beta(), Backstop()), CoverageSource.Full, Mar1, new FinanceSettings { RunRate = method });

    [Fact]
    public void Given_the_golden_book_When_kpis_as_of_march_1_Then_totals_match_the_hand_computation()
    {
        var k = GoldenKpis();
        var t = k.Total;

        // TCV: acme 69,120 + beta 8,064 (8 x 672 h x 1.5) = 77,184; the backstop is not TCV but other committed.
        Assert.Equal(Money.Usd(77_184m), t.Tcv);
        // Recognized before Mar 1: acme Jan 23,808 + Feb 21,504 + beta 8,064 = 53,376.
        Assert.Equal(Money.Usd(53_376m), t.Recognized);
        // RPO: 77,184 - 53,376 = 23,808 (acme's March).
        Assert.Equal(Money.Usd(23_808m), t.Rpo);
        Assert.Equal(Money.Usd(100_000m), t.OtherCommitted);
        Assert.Equal(Money.Usd(123_808m), t.Backlog);
        Assert.Equal(Money.Usd(23_808m), t.NextTwelveMonths);
        // Run-rate: February (21,504 + 8,064 = 29,568) x 12 = 354,816.
        Assert.Equal(Money.Usd(354_816m), t.RunRate);
        Assert.Equal("latest month x 12", k.RunRateName);
        Assert.Equal(new Period(Feb1, Mar1), k.RunRateWindow);
        // Active: the site is in service, so its whole 1 MW envelope; drawn: 64 nodes x 10.2 kW = 652.8 kW within it;
        // contracted: the 2 MW step of 2027.
        Assert.Equal(1m, t.InServiceMw);
        Assert.Equal(0.6528m, t.DrawnMw);
        Assert.Equal(2m, t.ContractedMw);
        // Run-rate / in-service MW: 354,816 / 1.
        Assert.Equal(Money.Usd(354_816m), t.RevenuePerMwYear);
        // Utilization in Feb: (16 + 8) GPUs x 672 h = 16,128 over 512 GPUs x 672 h = 344,064 -> 3/64.
        Assert.Equal(0.046875m, t.Utilization);
    }

    [Fact]
    public void Given_the_golden_book_When_broken_down_Then_each_slice_carries_its_own_share()
    {
        var k = GoldenKpis();

        Assert.Equal(["acme", "beta", "nv"], k.ByCustomer.Select(s => s.Key));
        var acme = k.ByCustomer[0];
        Assert.Equal(Money.Usd(69_120m), acme.Tcv);
        Assert.Equal(Money.Usd(23_808m), acme.Rpo);
        Assert.Null(acme.InServiceMw);
        Assert.Null(acme.DrawnMw);
        Assert.Null(acme.Utilization);
        Assert.Equal(Money.Usd(100_000m), k.ByCustomer[2].Backlog);

        // Sites: acme is pinned to s1, beta is unplaced, the backstop's cap sits under "unplaced" too.
        Assert.Equal(["s1", "unplaced"], k.BySite.Select(s => s.Key));
        var s1 = k.BySite[0];
        Assert.Equal(Money.Usd(69_120m), s1.Tcv);
        Assert.Equal(1m, s1.InServiceMw);
        Assert.Equal(0.6528m, s1.DrawnMw);
        // 16 x 672 / 344,064 = 1/32.
        Assert.Equal(0.03125m, s1.Utilization);
        // Unplaced: beta's 8,064 is all recognized by Mar 1, so its backlog is the backstop's 100,000 alone.
        Assert.Equal(Money.Usd(8_064m), k.BySite[1].Tcv);
        Assert.Equal(Money.Usd(100_000m), k.BySite[1].Backlog);

        Assert.Equal(["any", "h100"], k.ByPlatform.Select(s => s.Key));
        Assert.Equal(Money.Usd(77_184m), k.ByPlatform[1].Tcv);
        // The only platform gets the whole envelope of the site it draws from.
        Assert.Equal(1m, k.ByPlatform[1].InServiceMw);
        Assert.Equal(0.6528m, k.ByPlatform[1].DrawnMw);
        Assert.Equal(["r1", "unplaced"], k.ByRegion.Select(s => s.Key));
    }

    [Fact]
    public void Given_quarter_run_rate_When_kpis_as_of_april_1_Then_q1_times_4_is_reported()
    {
        var k = FinanceReport.Kpis(Scenario(Acme(), Beta()), CoverageSource.Full, Apr1, new FinanceSettings { RunRate = RunRateMethod.LatestQuarterTimes4 });

        // Q1: 69,120 + 8,064 = 77,184; x 4 = 308,736.
        Assert.Equal(Money.Usd(308_736m), k.Total.RunRate);
        Assert.Equal(new Period(Jan1, Apr1), k.RunRateWindow);
        Assert.Equal("latest quarter x 4", k.RunRateName);
        // Utilization stays on the latest month, March: 16 x 744 / (512 x 744) = 1/32.
        Assert.Equal(new Period(Mar1, Apr1), k.UtilizationWindow);
        Assert.Equal(0.03125m, k.Total.Utilization);
    }

    [Fact]
    public void Given_an_option_exercised_after_as_of_When_kpis_Then_it_is_not_in_tcv_yet()
    {
        var option = AcmeLine() with { Option = new OptionTerms { ExerciseBy = Mar1, ExercisedOn = Feb1 } };
        var s = Scenario(Acme(option));

        var before = FinanceReport.Kpis(s, CoverageSource.Full, Utc.Date(2026, 1, 15), FinanceSettings.Default);
        var after = FinanceReport.Kpis(s, CoverageSource.Full, Utc.Date(2026, 2, 15), FinanceSettings.Default);

        Assert.Equal(Money.Usd(0m), before.Total.Tcv);
        // From exercise: Feb 21,504 + Mar 23,808 = 45,312; recognized by Feb 15: 16 x 336 h x 2 = 10,752.
        Assert.Equal(Money.Usd(45_312m), after.Total.Tcv);
        Assert.Equal(Money.Usd(10_752m), after.Total.Recognized);
    }

    [Fact]
    public void Given_a_site_whose_units_exceed_its_envelope_When_kpis_Then_drawn_mw_is_capped_at_the_active_envelope()
    {
        var s = Scenario(Acme()) with
        {
            Sites = [Scenario().Sites[0] with { Power = [new PowerStep(Jan1, 0.5m)] }],
        };

        var k = FinanceReport.Kpis(s, CoverageSource.Full, Mar1, FinanceSettings.Default);

        Assert.Equal(0.5m, k.Total.InServiceMw);
        Assert.Equal(0.5m, k.Total.DrawnMw);
        Assert.Equal(0.5m, k.ByPlatform.Single(p => p.Key == "h100").InServiceMw);
        Assert.Equal(0.5m, k.ByPlatform.Single(p => p.Key == "h100").DrawnMw);
    }

    [Fact]
    public void Given_contracts_signed_after_as_of_When_kpis_Then_they_add_nothing_until_signed()
    {
        // beta is signed mid-February (its line still runs all February); the backstop in mid-March.
        var beta = Beta() with { SignedOn = Utc.Date(2026, 2, 15) };
        var backstop = Backstop() with { SignedOn = Utc.Date(2026, 3, 15) };
        var s = Scenario(Acme(), beta, backstop);

        var feb1 = FinanceReport.Kpis(s, CoverageSource.Full, Feb1, FinanceSettings.Default);
        var mar1 = FinanceReport.Kpis(s, CoverageSource.Full, Mar1, FinanceSettings.Default);
        var apr1 = FinanceReport.Kpis(s, CoverageSource.Full, Apr1, FinanceSettings.Default);

        // Feb 1: acme alone. TCV 69,120; recognized Jan 23,808; RPO 45,312; no backstop yet, so backlog = RPO.
        Assert.Equal(Money.Usd(69_120m), feb1.Total.Tcv);
        Assert.Equal(Money.Usd(23_808m), feb1.Total.Recognized);
        Assert.Equal(Money.Usd(45_312m), feb1.Total.Rpo);
        Assert.Equal(Money.Usd(0m), feb1.Total.OtherCommitted);
        Assert.Equal(Money.Usd(45_312m), feb1.Total.Backlog);
        // NTM: acme's Feb 21,504 + Mar 23,808; beta's February is not in the book yet.
        Assert.Equal(Money.Usd(45_312m), feb1.Total.NextTwelveMonths);
        Assert.Equal(Money.Usd(23_808m * 12m), feb1.Total.RunRate);
        var betaFeb1 = feb1.ByCustomer.Single(c => c.Key == "beta");
        Assert.Equal(Money.Usd(0m), betaFeb1.Tcv);
        Assert.Equal(Money.Usd(0m), betaFeb1.Backlog);
        Assert.Equal(Money.Usd(0m), feb1.ByCustomer.Single(c => c.Key == "nv").Backlog);
        Assert.Equal(Money.Usd(0m), feb1.BySite.Single(c => c.Key == "unplaced").Tcv);

        // Mar 1: beta is in (8,064, all recognized in February); the backstop is not yet.
        Assert.Equal(Money.Usd(77_184m), mar1.Total.Tcv);
        Assert.Equal(Money.Usd(53_376m), mar1.Total.Recognized);
        Assert.Equal(Money.Usd(23_808m), mar1.Total.Backlog);
        Assert.Equal(Money.Usd(0m), mar1.Total.OtherCommitted);

        // Apr 1: everything is recognized; the backstop's 100,000 cap is the whole backlog.
        Assert.Equal(Money.Usd(0m), apr1.Total.Rpo);
        Assert.Equal(Money.Usd(100_000m), apr1.Total.OtherCommitted);
        Assert.Equal(Money.Usd(100_000m), apr1.Total.Backlog);
    }

    [Fact]
    public void Given_an_energized_site_without_accepted_units_When_kpis_Then_it_is_not_active_until_its_first_acceptance()
    {
        var s2 = new Site
        {
            Id = new SiteId("s2"), Name = "Site 2", Region = new RegionId("r1"), Cooling = [Cooling.Air],
            Power = [new PowerStep(Jan1, 3m)],
        };
        var f2 = new Fabric { Id = new FabricId("f2"), Site = s2.Id, Platform = H100.Id, MaxUnits = 64 };
        var empty = Scenario(Acme()) with { Sites = [.. Scenario().Sites, s2], Fabrics = [.. Scenario().Fabrics, f2] };
        var d2 = new Delivery { Id = new DeliveryId("d2"), Fabric = f2.Id, Units = 8, Status = DeliveryStatus.Accepted, AcceptanceDate = Feb1 };
        var filled = empty with { Deliveries = [.. empty.Deliveries, d2] };

        var before = FinanceReport.Kpis(empty, CoverageSource.Full, Mar1, FinanceSettings.Default);
        var after = FinanceReport.Kpis(filled, CoverageSource.Full, Mar1, FinanceSettings.Default);

        // Empty s2: only s1's 1 MW is active though 4 MW are energized; contracted 2 + 3 = 5 MW.
        Assert.Equal(1m, before.Total.InServiceMw);
        Assert.Equal(0.6528m, before.Total.DrawnMw);
        Assert.Equal(5m, before.Total.ContractedMw);
        Assert.Equal(0m, before.BySite.Single(x => x.Key == "s2").InServiceMw);
        // Run-rate (Feb 21,504 x 12 = 258,048) / 1 MW.
        Assert.Equal(Money.Usd(258_048m), before.Total.RevenuePerMwYear);

        // 8 nodes accepted at s2 on Feb 1: s2's 3 MW turn active; drawn 0.6528 + 8 x 10.2 kW = 0.7344 MW.
        Assert.Equal(4m, after.Total.InServiceMw);
        Assert.Equal(0.7344m, after.Total.DrawnMw);
        Assert.Equal(3m, after.BySite.Single(x => x.Key == "s2").InServiceMw);
        Assert.Equal(0.0816m, after.BySite.Single(x => x.Key == "s2").DrawnMw);
        Assert.Equal(4m, after.ByRegion.Single(x => x.Key == "r1").InServiceMw);
        Assert.Equal(4m, after.ByPlatform.Single(x => x.Key == "h100").InServiceMw);
        Assert.Equal(Money.Usd(258_048m / 4m), after.Total.RevenuePerMwYear);
    }

    [Fact]
    public void Given_a_backstop_period_that_has_ended_When_kpis_Then_no_other_committed_remains()
    {
        var k = FinanceReport.Kpis(Scenario(Backstop()), CoverageSource.Full, Utc.Date(2027, 1, 1), FinanceSettings.Default);

        Assert.Equal(Money.Usd(0m), k.Total.OtherCommitted);
    }

    [Fact]
    public void Given_the_golden_book_When_revenue_by_customer_Then_months_and_totals_match()
    {
        var table = RevenueReport.By(Scenario(Acme(), Beta()), CoverageSource.Full, FinanceDimension.Customer, new YearMonth(2026, 1), new YearMonth(2026, 4));

        Assert.Equal(["acme", "beta"], table.Rows.Select(r => r.Key));
        Assert.Equal([23_808m, 21_504m, 23_808m, 0m], table.Rows[0].Months.Select(m => m.Amount));
        Assert.Equal([0m, 8_064m, 0m, 0m], table.Rows[1].Months.Select(m => m.Amount));
        Assert.Equal([23_808m, 29_568m, 23_808m, 0m], table.MonthTotals.Select(m => m.Amount));
        Assert.Equal(Money.Usd(77_184m), table.Total);
    }

    [Fact]
    public void Given_a_ten_day_slip_When_measuring_delivery_risk_Then_q1_loses_and_q2_gains_the_same_amount()
    {
        var slipped = Steps(AcmeL1, new CoverageStep(Utc.Date(2026, 1, 11), new GpuCount(16)));

        var moved = DeliveryRisk.RevenueMoved(Scenario(Acme(), Beta()), CoverageSource.Full, slipped);

        // 16 GPUs x 240 h x $2 = 7,680 leaves Q1 and lands in Q2; nothing is lost.
        Assert.Equal(["2026-Q1", "2026-Q2"], moved.Quarters.Select(q => q.Quarter));
        Assert.Equal(Money.Usd(-7_680m), moved.Quarters[0].Moved);
        Assert.Equal(Money.Usd(7_680m), moved.Quarters[1].Moved);
        var impact = Assert.Single(moved.Contracts);
        Assert.Equal(new ContractId("acme-1"), impact.Contract);
        Assert.Equal("2026-Q1", impact.FirstQuarter);
        Assert.Equal(Money.Usd(7_680m), impact.Deferred);
        Assert.Equal(Money.Usd(0m), impact.Lost);
    }

    [Fact]
    public void Given_a_planned_delivery_When_kpis_Then_it_is_active_only_when_expected_deliveries_count()
    {
        var planned = new Delivery { Id = new DeliveryId("d2"), Fabric = new FabricId("f1"), Units = 16, Status = DeliveryStatus.Planned, AcceptanceDate = Feb1 };
        var late = new Delivery { Id = new DeliveryId("d3"), Fabric = new FabricId("f1"), Units = 8, Status = DeliveryStatus.Accepted, AcceptanceDate = Apr1 };
        var s = Scenario(Acme()) with { Deliveries = [.. Scenario().Deliveries, planned, late] };

        var accepted = FinanceReport.Kpis(s, CoverageSource.Full, Mar1, FinanceSettings.Default);
        var expected = FinanceReport.Kpis(s, CoverageSource.Full, Mar1, new FinanceSettings { CountExpectedDeliveries = true });

        // Drawn, accepted only: 64 x 10.2 kW = 0.6528 MW (d3 is accepted after as-of). Expected too: (64 + 16) x 10.2 = 0.816 MW.
        // Active is the site's 1 MW envelope either way.
        Assert.Equal(0.6528m, accepted.Total.DrawnMw);
        Assert.Equal(0.816m, expected.Total.DrawnMw);
        Assert.Equal(1m, accepted.Total.InServiceMw);
        Assert.Equal(1m, expected.Total.InServiceMw);
        // Feb utilization with d2: 16 x 672 / ((64 + 16) x 8 x 672) = 16 / 640 = 0.025.
        Assert.Equal(0.025m, expected.Total.Utilization);
    }

    [Fact]
    public void Given_coverage_that_never_arrives_When_measuring_delivery_risk_Then_the_revenue_is_reported_lost()
    {
        var never = Steps(AcmeL1, new CoverageStep(Jan1, GpuCount.Zero));

        var moved = DeliveryRisk.RevenueMoved(Scenario(Acme()), CoverageSource.Full, never);

        var impact = Assert.Single(moved.Contracts);
        Assert.Equal(Money.Usd(69_120m), impact.Lost);
        Assert.Equal(Money.Usd(69_120m), impact.Deferred);
        Assert.Equal(Money.Usd(-69_120m), moved.Quarters.Single().Moved);
    }
}
