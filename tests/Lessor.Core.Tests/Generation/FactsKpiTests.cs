using CsCheck;
using Lessor.Core.Finance;
using Lessor.Core.Generation;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Xunit.Abstractions;

namespace Lessor.Core.Tests.Generation;

/// <summary>
/// The facts scenario measured the way an operator would: the real capacity ledger gives coverage, finance builds the
/// book, and the KPIs at 2025-12-31 must land on CoreWeave's reported end-2025 figures (DOMAIN.md section 2).
/// </summary>
public sealed class FactsKpiTests(ITestOutputHelper output)
{
    private static readonly DateTime EndOf2025 = Utc.Date(2025, 12, 31);

    private static readonly Lazy<(Scenario Scenario, FinanceBook Book)> Facts = new(() => Measure(2026));

    internal static (Scenario Scenario, FinanceBook Book) Measure(ulong seed)
    {
        var s = ScenarioGenerator.Generate(new GeneratorOptions { Facts = true, Seed = seed });
        var ledger = CapacityLedger.Build(s).Ledger;
        var map = new Dictionary<LineRef, IReadOnlyList<CoverageStep>>();
        foreach (var line in ledger.LineRefs) map[line] = ledger.Coverage(line);
        return (s, FinanceBook.Build(s, CoverageSource.FromMap(map)));
    }

    private static void Near(decimal expected, decimal actual, decimal tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= expected * tolerance, $"{what}: {actual:N0} is not within {tolerance:P0} of {expected:N0}");

    private KpiSlice Kpis(FinanceBook book, DateTime asOf)
    {
        var t = FinanceReport.Kpis(book, asOf, FinanceSettings.Default).Total;
        output.WriteLine($"{asOf:yyyy-MM-dd}: backlog {t.Backlog.Amount:N0} (RPO {t.Rpo.Amount:N0} + other {t.OtherCommitted.Amount:N0}), " +
            $"run-rate {t.RunRate.Amount:N0}, in service {t.InServiceMw:N1} MW, drawn {t.DrawnMw:N1} MW, contracted {t.ContractedMw:N0} MW, " +
            $"per MW-year {t.RevenuePerMwYear?.Amount:N0}, utilization {t.Utilization:P1}");
        return t;
    }

    [Fact]
    public void Given_the_bundled_facts_scenario_When_kpis_are_taken_at_end_2025_with_the_real_ledger_Then_they_land_on_the_public_figures()
    {
        var (s, book) = Facts.Value;
        AssertPublicFigures(s, Kpis(book, EndOf2025));
    }

    [Fact]
    public void Given_any_seed_When_facts_are_generated_Then_the_scenario_is_valid_and_its_end_2025_kpis_land_on_the_public_figures()
    {
        Gen.ULong.Sample(seed =>
        {
            var (s, book) = Measure(seed);
            Assert.Empty(ScenarioChecker.Check(s));
            AssertPublicFigures(s, Kpis(book, EndOf2025));
        }, iter: 6, threads: 1);
    }

    /// <summary>CoreWeave at the end of 2025: backlog $66.8B, >850 MW active in 43 sites, about $9M per MW-year, >3.1 GW contracted, >250k GPUs.</summary>
    private static void AssertPublicFigures(Scenario s, KpiSlice t)
    {
        Near(66_800_000_000m, t.Backlog.Amount, 0.03m, "backlog");
        Assert.InRange(t.InServiceMw!.Value, 850m, 950m);
        Near(9_000_000m, t.RevenuePerMwYear!.Value.Amount, 0.15m, "revenue per MW-year");
        Assert.True(t.ContractedMw > 3_100m, $"contracted {t.ContractedMw} MW");
        // Racks draw less than the energized envelope they sit in.
        Assert.True(t.DrawnMw < t.InServiceMw, $"drawn {t.DrawnMw} MW, in service {t.InServiceMw} MW");
        Assert.Equal(43, s.Sites.Count);
        Assert.True(ScaleGeneratorTests.DeliveredGpus(s, Utc.Date(2026, 1, 1)) > 250_000);
    }

    [Fact]
    public void Given_the_bundled_facts_scenario_When_kpis_are_taken_before_and_after_meta_2_is_signed_Then_only_the_later_backlog_has_it()
    {
        var (s, book) = Facts.Value;
        var meta2 = s.Contracts.Single(c => c.Id.Value == "meta-2");

        var before = FinanceReport.Kpis(book, EndOf2025, FinanceSettings.Default);
        var after = FinanceReport.Kpis(book, Utc.Date(2026, 6, 30), FinanceSettings.Default);
        Kpis(book, Utc.Date(2026, 6, 30));

        var metaBefore = before.ByCustomer.Single(c => c.Key == "meta");
        var metaAfter = after.ByCustomer.Single(c => c.Key == "meta");
        // At the end of 2025 Meta's book is meta-1's firm $14.2B alone (the option it exercised under meta-2 came later).
        Near(14_200_000_000m, metaBefore.Tcv.Amount, 0.001m, "meta TCV at end 2025");
        // By mid-2026 meta-2's own lines and the exercised meta-1 option add about $21B.
        Near(14_200_000_000m + 21_000_000_000m, metaAfter.Tcv.Amount, 0.001m, "meta TCV mid-2026");
        Assert.True(meta2.SignedOn > EndOf2025);
    }
}
