using Lessor.Core.Catalog;
using Lessor.Core.Generation;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Generation;

public sealed class FactsGeneratorTests
{
    private static readonly Lazy<Scenario> Facts = new(() => ScenarioGenerator.Generate(new GeneratorOptions { Facts = true }));
    private static readonly DateTime EndOf2025 = Utc.Date(2026, 1, 1);

    private static Contract C(string id) => Facts.Value.Contracts.Single(c => c.Id.Value == id);
    private static decimal Sum(IEnumerable<ContractLine> lines) => lines.Sum(l => l.Value.Amount);

    private static void Near(decimal expected, decimal actual, decimal tolerance) =>
        Assert.True(Math.Abs(actual - expected) <= expected * tolerance, $"{actual:N0} is not within {tolerance:P1} of {expected:N0}");

    [Fact]
    public void Given_the_facts_scenario_When_checked_Then_every_validity_rule_holds()
    {
        Assert.Empty(ScenarioChecker.Check(Facts.Value));
    }

    [Fact]
    public void Given_the_facts_options_When_generated_twice_Then_the_scenarios_are_identical()
    {
        var again = ScenarioGenerator.Generate(new GeneratorOptions { Facts = true });
        Assert.Equal(ScaleGeneratorTests.Dump(Facts.Value), ScaleGeneratorTests.Dump(again));
    }

    [Fact]
    public void Given_another_seed_When_facts_are_generated_Then_the_scenario_differs()
    {
        var s = ScenarioGenerator.Generate(new GeneratorOptions { Facts = true, Seed = 2 });
        Assert.NotEqual(ScaleGeneratorTests.Dump(Facts.Value), ScaleGeneratorTests.Dump(s));
    }

    [Fact]
    public void Given_meta_1_When_valued_Then_its_firm_gb300_lines_sum_to_14_2_billion_ending_14_december_2031()
    {
        var meta1 = C("meta-1");
        Assert.Equal(Utc.Date(2025, 9, 30), meta1.SignedOn);
        Assert.Equal(14_200_000_000m, meta1.HeadlineValue!.Value.Amount);
        var firm = meta1.Lines.Where(l => l.Option is null).ToList();
        Near(14_200_000_000m, Sum(firm), 0.001m);
        Assert.All(firm, l => Assert.Equal(DefaultCatalog.Ids.Gb300, l.Platform));
        Assert.All(firm, l => Assert.Equal(Utc.Date(2031, 12, 14), l.Period.End));
        var options = meta1.Lines.Where(l => l.Option is not null).ToList();
        Assert.All(options, l => Assert.Equal(Utc.Date(2031, 12, 14), l.Period.Start));
        Assert.All(options, l => Assert.Equal(2032, l.Period.End.AddTicks(-1).Year));
        Assert.Contains(options, l => l.Option!.ExercisedUnder == new ContractId("meta-2"));
        Assert.Contains(options, l => !l.Option!.IsExercised);
        Assert.Contains(meta1.Amendments, a => a.Kind == AmendmentKind.Exercise && a.After!.Option!.IsExercised && !a.Before!.Option!.IsExercised);
    }

    [Fact]
    public void Given_meta_2_When_valued_with_the_options_exercised_under_it_Then_it_is_21_billion_of_mainly_vera_rubin_over_three_sites()
    {
        var meta2 = C("meta-2");
        Assert.Equal(Utc.Date(2026, 4, 9), meta2.SignedOn);
        var exercised = Facts.Value.Contracts.SelectMany(c => c.Lines).Where(l => l.Option?.ExercisedUnder == meta2.Id).ToList();
        Assert.NotEmpty(exercised);
        Near(21_000_000_000m, Sum(meta2.Lines) + Sum(exercised), 0.001m);
        Assert.All(meta2.Lines, l => Assert.Equal(Utc.Date(2033, 1, 1), l.Period.End));
        var vr = meta2.Lines.Where(l => l.Platform == DefaultCatalog.Ids.VeraRubin).ToList();
        Assert.True(Sum(vr) > Sum(meta2.Lines) * 0.8m, "mainly Vera Rubin");
        Assert.All(vr, l => Assert.True(l.Period.Start >= Utc.Date(2027, 1, 1)));
        Assert.All(meta2.Lines, l => Assert.True(l.MinSites >= 3 && l.Locality is Locality.Any or Locality.Region));
        var sites = Facts.Value.Fabrics.ToDictionary(f => f.Id, f => f.Site);
        Assert.All(meta2.Lines, l => Assert.True(l.Pinned.Select(b => sites[b.Fabric]).Distinct().Count() >= 3));
    }

    [Fact]
    public void Given_openai_When_valued_Then_it_is_22_4_billion_with_the_6_5_billion_expansion_in_its_history()
    {
        var openai = C("openai-1");
        Near(22_400_000_000m, openai.Value.Amount, 0.001m);
        var grow = Assert.Single(openai.Amendments, a => a.Kind == AmendmentKind.Grow);
        Assert.Null(grow.Before);
        Near(6_500_000_000m, grow.After!.Value.Amount, 0.001m);
        Assert.Contains(openai.Lines, l => l.Id == grow.Line);
        Assert.True(grow.EffectiveOn > openai.SignedOn);
    }

    [Fact]
    public void Given_nvidia_When_read_Then_it_is_a_6_3_billion_backstop_through_2032_without_lines()
    {
        var nvidia = C("nvidia-backstop");
        Assert.Equal(ContractKind.Backstop, nvidia.Kind);
        Assert.Equal(6_300_000_000m, nvidia.BackstopCap!.Value.Amount);
        Assert.Equal(Utc.Date(2033, 1, 1), nvidia.BackstopPeriod!.Value.End);
        Assert.Empty(nvidia.Lines);
    }

    [Fact]
    public void Given_the_estate_When_measured_Then_43_sites_over_850_mw_active_at_end_2025_over_3_1_gw_contracted_and_250k_gpus()
    {
        var s = Facts.Value;
        Assert.Equal(43, s.Sites.Count);
        Assert.True(s.Sites.Sum(x => x.MwAt(Utc.Date(2025, 12, 31))) > 850m);
        Assert.True(s.Sites.Sum(x => x.ContractedMw) > 3_100m);
        Assert.All(s.Sites, x => Assert.True(x.Power[^1].From < Utc.Date(2028, 1, 1), "contracted power energizes through 2027"));
        Assert.True(ScaleGeneratorTests.DeliveredGpus(s, EndOf2025) > 250_000);
        var platforms = s.Fabrics.Select(f => f.Platform).Distinct().ToHashSet();
        Assert.Superset(platforms, new[] { DefaultCatalog.Ids.H100, DefaultCatalog.Ids.H200, DefaultCatalog.Ids.Gb200, DefaultCatalog.Ids.Gb300, DefaultCatalog.Ids.VeraRubin }.ToHashSet());
    }

    [Fact]
    public void Given_the_deliveries_When_read_Then_future_vera_rubin_is_planned_or_ordered_and_one_or_two_have_slipped()
    {
        var s = Facts.Value;
        var vrFabrics = s.Fabrics.Where(f => f.Platform == DefaultCatalog.Ids.VeraRubin).Select(f => f.Id).ToHashSet();
        var vr = s.Deliveries.Where(d => vrFabrics.Contains(d.Fabric)).ToList();
        Assert.Contains(vr, d => d.Status is DeliveryStatus.Planned or DeliveryStatus.Ordered);
        Assert.All(vr, d => Assert.True(d.AcceptanceDate >= Utc.Date(2026, 7, 1)));
        var slipped = s.Deliveries.Where(d => d.HasSlipped).ToList();
        Assert.InRange(slipped.Count, 1, 2);
        Assert.All(slipped, d => Assert.True(d.OriginalAcceptanceDate < d.AcceptanceDate));
    }

    [Fact]
    public void Given_the_book_When_prices_and_terms_are_read_Then_they_are_realistic()
    {
        var s = Facts.Value;
        var lines = s.Contracts.SelectMany(c => c.Lines).ToList();
        Assert.All(lines.Where(l => l.Platform == DefaultCatalog.Ids.H100), l => Assert.InRange(l.PricePerGpuHour.Amount, 1.80m, 2.20m));
        Assert.All(lines.Where(l => l.Platform == DefaultCatalog.Ids.Gb300 || l.Platform == DefaultCatalog.Ids.VeraRubin),
            l => Assert.InRange(l.PricePerGpuHour.Amount, 3.00m, 5.00m));
        foreach (var id in new[] { "meta-1", "meta-2", "openai-1" })
        {
            var c = C(id);
            Assert.InRange(c.Prepayment!.Value.Amount / c.HeadlineValue!.Value.Amount, 0.15m, 0.25m);
            Assert.Equal(0.999m, c.Sla!.AvailabilityTarget);
        }
        // Value-weighted contract length of about five years.
        var take = s.Contracts.Where(c => c.Kind == ContractKind.TakeOrPay).ToList();
        var weighted = take.Sum(c => c.Value.Amount * (decimal)(c.CommittedLines.Max(l => l.Period.End) - c.CommittedLines.Min(l => l.Period.Start)).TotalDays / 365.25m);
        Assert.InRange(weighted / take.Sum(c => c.Value.Amount), 4.5m, 6.0m);
    }
}
