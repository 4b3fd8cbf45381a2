using System.Text.Json;
using Lessor.Core.Generation;
using Lessor.Core.Model;
using Xunit.Abstractions;

namespace Lessor.Core.Tests.Generation;

public sealed class ScaleGeneratorTests(ITestOutputHelper output)
{
    private static readonly Lazy<Scenario> Scale50K = new(() => ScenarioGenerator.Generate(new GeneratorOptions { Gpus = 50_000, Seed = 7 }));

    internal static string Dump(Scenario s) => JsonSerializer.Serialize(s);

    [Fact]
    public void Given_a_50k_scale_scenario_When_checked_Then_every_validity_rule_holds()
    {
        var problems = ScenarioChecker.Check(Scale50K.Value);
        Assert.Empty(problems.Take(20));
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
    public void Given_50k_gpus_When_generated_Then_exactly_that_many_gpus_are_delivered()
    {
        var s = Scale50K.Value;
        var units = s.Platforms.ToDictionary(p => p.Id, p => p.GpusPerUnit);
        var fabricPlatform = s.Fabrics.ToDictionary(f => f.Id, f => f.Platform);
        var gpus = s.Deliveries.Sum(d => (long)d.Units * units[fabricPlatform[d.Fabric]]);
        Assert.Equal(50_000, gpus);
    }

    [Fact]
    public void Stats()
    {
        foreach (var n in new[] { 50_000, 1_000_000 })
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var s = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = n, Seed = 1 });
            var ms = sw.ElapsedMilliseconds;
            var lines = s.Contracts.SelectMany(c => c.Lines).ToList();
            var units = s.Platforms.ToDictionary(p => p.Id, p => p.GpusPerUnit);
            var fabricPlatform = s.Fabrics.ToDictionary(f => f.Id, f => f.Platform);
            var gpus = s.Deliveries.Sum(d => (long)d.Units * units[fabricPlatform[d.Fabric]]);
            // utilization: committed GPU-hours / available GPU-hours within horizon
            var end = new DateTime(2036, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            var avail = s.Deliveries.Sum(d => (double)d.Units * units[fabricPlatform[d.Fabric]] * (end - d.AcceptanceDate).TotalHours);
            var used = lines.Sum(l => (double)l.Gpus.Value * l.Period.Hours.GetHashCode() * 0 + (double)l.Gpus.Value * (double)l.Period.Hours);
            output.WriteLine($"N={n} ms={ms} sites={s.Sites.Count} fabrics={s.Fabrics.Count} deliveries={s.Deliveries.Count} customers={s.Customers.Count} contracts={s.Contracts.Count} lines={lines.Count} gpus={gpus} util={used / avail:F3}");
            foreach (var g in lines.GroupBy(l => l.Gpus.Value).OrderBy(g => g.Key)) output.WriteLine($"  size {g.Key}: {g.Count()}");
            foreach (var g in lines.GroupBy(l => l.Period.Start.Year).OrderBy(g => g.Key)) output.WriteLine($"  start {g.Key}: {g.Count()}");
            foreach (var g in lines.GroupBy(l => l.Platform).OrderBy(g => g.Key.Value)) output.WriteLine($"  {g.Key}: {g.Count()} lines, {g.Sum(l => (long)l.Gpus.Value)} GPUs");
            sw.Restart();
            var problems = ScenarioChecker.Check(s);
            output.WriteLine($"  check ms={sw.ElapsedMilliseconds} problems={problems.Count}");
            foreach (var p in problems.Take(10)) output.WriteLine("  " + p);
        }
    }
}
