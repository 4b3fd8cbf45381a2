using System.Text.Json;
using CsCheck;
using Lessor.Core.Generation;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Generation;

public sealed class ScaleGeneratorTests
{
    private static readonly Lazy<Scenario> Scale50K = new(() => ScenarioGenerator.Generate(new GeneratorOptions { Gpus = 50_000, Seed = 7 }));

    /// <summary>A canonical dump: equal dumps mean equal scenarios, field for field.</summary>
    internal static string Dump(Scenario s) => JsonSerializer.Serialize(s);

    internal static long DeliveredGpus(Scenario s, DateTime? before = null)
    {
        var units = s.Platforms.ToDictionary(p => p.Id, p => p.GpusPerUnit);
        var platformOf = s.Fabrics.ToDictionary(f => f.Id, f => f.Platform);
        return s.Deliveries.Where(d => before is null || d.AcceptanceDate < before).Sum(d => (long)d.Units * units[platformOf[d.Fabric]]);
    }

    [Fact]
    public void Given_a_50k_scale_scenario_When_checked_Then_every_validity_rule_holds()
    {
        Assert.Empty(ScenarioChecker.Check(Scale50K.Value));
    }

    [Fact]
    public void Given_the_same_seed_When_generated_twice_Then_the_scenarios_are_identical()
    {
        var again = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = 50_000, Seed = 7 });
        Assert.Equal(Dump(Scale50K.Value), Dump(again));
    }

    [Fact]
    public void Given_another_seed_When_generated_Then_the_scenario_differs()
    {
        var other = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = 50_000, Seed = 8 });
        Assert.NotEqual(Dump(Scale50K.Value), Dump(other));
    }

    [Fact]
    public void Given_50k_gpus_When_generated_Then_exactly_50k_gpus_are_delivered()
    {
        Assert.Equal(50_000, DeliveredGpus(Scale50K.Value));
    }

    [Fact]
    public void Given_a_50k_scenario_When_utilization_is_measured_Then_it_leaves_headroom_between_70_and_85_percent()
    {
        var s = Scale50K.Value;
        var end = Utc.Date(2036, 1, 1);
        var units = s.Platforms.ToDictionary(p => p.Id, p => p.GpusPerUnit);
        var platformOf = s.Fabrics.ToDictionary(f => f.Id, f => f.Platform);
        var available = s.Deliveries.Sum(d => (decimal)d.Units * units[platformOf[d.Fabric]] * (decimal)(end - d.AcceptanceDate).TotalHours);
        var committed = s.Contracts.SelectMany(c => c.CommittedLines).Sum(l => l.Gpus.Value * l.Period.Hours);
        Assert.InRange(committed / available, 0.70m, 0.85m);
    }

    [Fact]
    public void Given_a_50k_scenario_When_its_lines_are_counted_Then_small_lines_dominate_and_training_lines_exist_in_every_year()
    {
        var lines = Scale50K.Value.Contracts.SelectMany(c => c.Lines).ToList();
        Assert.True(lines.Count(l => l.Gpus.Value <= 144) * 2 > lines.Count, "most lines are 8-144 GPUs");
        Assert.Contains(lines, l => l.Gpus.Value >= 1_024);
        var years = lines.Select(l => l.Period.Start.Year).Distinct().Order().ToArray();
        Assert.Equal(Enumerable.Range(2024, 12), years);
    }

    [Fact]
    public void Given_1m_gpus_When_generated_Then_the_book_holds_at_least_20k_committed_lines_from_2024_to_2035()
    {
        var s = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = 1_000_000, Seed = 1 });
        var lines = s.Contracts.SelectMany(c => c.CommittedLines).ToList();
        Assert.True(lines.Count >= 20_000, $"{lines.Count} lines");
        Assert.Equal(2024, lines.Min(l => l.Period.Start.Year));
        Assert.Equal(2035, lines.Max(l => l.Period.Start.Year));
        Assert.Equal(1_000_000, DeliveredGpus(s));
        Assert.True(s.Customers.Count >= 5_000, $"{s.Customers.Count} customers");
    }

    [Fact]
    public void Given_any_seed_and_size_When_generated_Then_the_scenario_is_valid_and_holds_the_requested_gpus()
    {
        Gen.Select(Gen.ULong, Gen.Int[1_000, 12_000]).Sample((seed, gpus) =>
        {
            var s = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = gpus, Seed = seed });
            Assert.Empty(ScenarioChecker.Check(s));
            // Whole 8-GPU nodes close the count, so at most 7 GPUs are left over.
            Assert.InRange(DeliveredGpus(s), gpus - 7, gpus);
        }, iter: 12, threads: 1);
    }
}
