using Lessor.Core.Risk;
using Lessor.Storage.Scenarios;

namespace Lessor.Storage.Tests.Scenarios;

/// <summary>The `uncertainty:` section and policy files: read, checked with paths and lines, written back.</summary>
public sealed class UncertaintyFileTests
{
    private static string Bundled => File.ReadAllText(Fixtures.Samples().First(f => f.EndsWith("neocloud-2026.yaml", StringComparison.Ordinal)));

    [Fact]
    public void Given_the_bundled_book_When_written_as_yaml_and_json_and_read_back_Then_the_uncertainty_model_is_equal()
    {
        var book = ScenarioFile.Parse(Bundled, "neocloud-2026.yaml").Scenario!;
        Assert.Equal(3, book.Uncertainty!.Deliveries.Count);
        Assert.Equal(0.05, book.Uncertainty.Spares.Fraction);
        Assert.Equal(6, book.Uncertainty.Failures!.Causes.Count);

        DeepEqual.Assert(book.Uncertainty, ScenarioFile.Parse(ScenarioFile.ToYaml(book), "back.yaml").Scenario!.Uncertainty);
        DeepEqual.Assert(book.Uncertainty, ScenarioFile.Parse(ScenarioFile.ToJson(book), "back.json").Scenario!.Uncertainty);
    }

    [Fact]
    public void Given_bad_uncertainty_parameters_When_parsed_Then_each_is_named_with_its_path_line_and_reason()
    {
        var text = Bundled.Replace("    - on_time: 0.55\n      delay_days: { kind: lognormal, median: 21, sigma: 0.9 }",
            "    - on_time: 1.5\n      delay_days: { kind: lognormal, sigma: 0.9 }", StringComparison.Ordinal)
            .Replace("delay_days: { kind: empirical, values: [14, 21, 30, 60] }", "delay_days: { kind: weibull, values: [14] }", StringComparison.Ordinal)
            .Replace("  spares: { fraction: 0.05 }", "  spares: { fraction: 0.05, ratio: 1 }", StringComparison.Ordinal);

        var result = ScenarioFile.Parse(text, "bad.yaml");

        Assert.Null(result.Scenario);
        var lines = result.Errors.Select(e => $"{e.Path}: {e.Message}").ToList();
        Assert.Contains(lines, l => l.StartsWith("uncertainty.deliveries[2].delay_days.kind: 'weibull' is not one of fixed, exponential, lognormal, uniform, empirical", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("uncertainty.spares.ratio: ", StringComparison.Ordinal));
        Assert.All(result.Errors, e => Assert.NotNull(e.Line));
        // With the reading errors fixed, the validator names the values.
        var values = ScenarioFile.Parse(Bundled.Replace("    - on_time: 0.55\n      delay_days: { kind: lognormal, median: 21, sigma: 0.9 }",
            "    - on_time: 1.5\n      delay_days: { kind: lognormal, sigma: 0.9 }", StringComparison.Ordinal), "bad.yaml");
        Assert.Equal(
            ["uncertainty.deliveries[0].on_time: a probability must lie in [0, 1], not 1.5",
             "uncertainty.deliveries[0].delay_days.mean: a lognormal distribution needs a mean or a median (it has no mean without one)"],
            values.Errors.Select(e => $"{e.Path}: {e.Message}"));
        Assert.All(values.Errors, e => Assert.NotNull(e.Line));
    }

    [Fact]
    public void Given_a_policy_file_When_parsed_against_the_book_Then_its_sections_and_errors_come_back()
    {
        var book = ScenarioFile.Parse(Bundled, "neocloud-2026.yaml").Scenario!;

        var (ok, none) = ScenarioFile.ParsePolicy("name: spares-2pct\nspares: { fraction: 0.02 }\n", book);
        var (bad, errors) = ScenarioFile.ParsePolicy("name: x\ndeliveries:\n  - match: { site: nowhere }\n    on_time: 0.5\n    delay_days: { kind: fixed, value: -2 }\n", book);

        Assert.Empty(none);
        Assert.Equal(new SparePolicy(0.02), ok!.Spares);
        Assert.Null(ok.Deliveries);
        Assert.Null(bad);
        Assert.Equal(["deliveries[0].match.site: no site 'nowhere'", "deliveries[0].delay_days.value: a delay cannot be negative (-2 days)"],
            errors.Select(e => $"{e.Path}: {e.Message}"));
    }
}
