using Lessor.Core.Model;
using Lessor.Storage.Scenarios;

namespace Lessor.Storage.Tests.Scenarios;

/// <summary>What is written reads back as the same scenario, in YAML and in JSON.</summary>
public class ScenarioRoundTripTests
{
    [Fact]
    public void Given_the_annotated_example_as_json_When_parsed_Then_it_equals_the_yaml()
    {
        var yaml = ScenarioFile.Load(Fixtures.Valid("annotated.yaml"));
        var json = ScenarioFile.Load(Fixtures.Valid("annotated.json"));

        Assert.Empty(json.Errors);
        DeepEqual.Assert(yaml.Scenario, json.Scenario);
    }

    [Fact]
    public void Given_the_annotated_example_When_parsed_Then_it_is_valid()
    {
        var result = ScenarioFile.Load(Fixtures.Valid("annotated.yaml"));

        Assert.Empty(result.Errors);
        Assert.True(result.IsValid);
        var s = result.Scenario!;
        Assert.Equal("Annotated example", s.Name);
        Assert.Equal(3, s.Platforms.Count);
        Assert.Equal(["NVL144", "VR200 NVL144"], s.Platforms[1].Aliases);
        Assert.Equal(new PlatformId("vera-rubin-nvl72"), s.Fabrics[1].Platform);
        Assert.Equal(new PlatformId("vera-rubin-nvl72"), s.Contracts[1].Lines[0].Platform);
        Assert.True(s.Deliveries[4].HasSlipped);
        Assert.Equal(Utc.Date(2026, 4, 9), s.Contracts[0].Lines[2].Option!.ExercisedOn);
        Assert.Equal(new ContractId("meta-2"), s.Contracts[0].Lines[2].Option!.ExercisedUnder);
        Assert.Equal(Money.Usd(2_500_000_000m), s.Contracts[0].Prepayment);
        Assert.Equal(new SlaTerms(0.99m, 0.10m, 0.50m), s.Contracts[0].Sla);
        Assert.Equal(new GpuCount(512), s.Contracts[0].Amendments[0].Before!.Gpus);
        Assert.Equal([new PlacedBlock(new FabricId("iad1-gb300-a"), 60)], s.Contracts[0].Lines[0].Pinned);
        Assert.Equal(ContractKind.Backstop, s.Contracts[2].Kind);
    }

    [Fact]
    public void Given_the_annotated_example_When_written_and_read_back_Then_the_scenario_is_equal()
    {
        var original = ScenarioFile.Load(Fixtures.Valid("annotated.yaml")).Scenario!;

        var yaml = ScenarioFile.ToYaml(original);
        var again = ScenarioFile.Parse(yaml, "written.yaml");

        Assert.Empty(again.Errors);
        DeepEqual.Assert(original, again.Scenario!);
        Assert.Equal(yaml, ScenarioFile.ToYaml(again.Scenario!));
    }

    [Fact]
    public void Given_a_scenario_with_every_optional_field_set_When_written_as_yaml_and_read_back_Then_it_is_equal()
    {
        var original = FullScenario.Build();
        Assert.Empty(ScenarioValidator.Validate(original));

        var again = ScenarioFile.Parse(ScenarioFile.ToYaml(original));

        Assert.Empty(again.Errors);
        DeepEqual.Assert(original, again.Scenario!);
    }

    [Fact]
    public void Given_a_scenario_with_every_optional_field_set_When_written_as_json_and_read_back_Then_it_is_equal()
    {
        var original = FullScenario.Build();

        var json = ScenarioFile.ToJson(original);
        var again = ScenarioFile.Parse(json, "full.json");

        Assert.StartsWith("{", json, StringComparison.Ordinal);
        Assert.Empty(again.Errors);
        DeepEqual.Assert(original, again.Scenario!);
    }

    [Fact]
    public void Given_json_written_by_hand_with_tabs_When_parsed_Then_it_is_read()
    {
        const string json = "{\n\t\"name\": \"Tiny\",\n\t\"currency\": \"EUR\",\n\t\"regions\": [{\"id\": \"eu\", \"name\": \"Europe\"}]\n}\n";

        var result = ScenarioFile.Parse(json, "tiny.json");

        Assert.Empty(result.Errors);
        Assert.Equal(new Currency("EUR"), result.Scenario!.Currency);
        Assert.Equal(new RegionId("eu"), result.Scenario.Regions[0].Id);
    }

    [Fact]
    public void Given_json_with_an_unknown_field_When_parsed_Then_the_line_of_the_field_is_reported()
    {
        const string json = "{\n  \"name\": \"Tiny\",\n  \"regions\": [\n    {\"id\": \"eu\", \"nmae\": \"Europe\"}\n  ]\n}\n";

        var result = ScenarioFile.Parse(json, "tiny.json");

        Assert.Null(result.Scenario);
        var error = Assert.Single(result.Errors, e => e.Path == "regions[0].nmae");
        Assert.Equal("unknown field; did you mean name?", error.Message);
        Assert.Equal(4, error.Line);
    }

    [Fact]
    public void Given_strings_that_need_quoting_When_round_tripped_Then_they_come_back_exactly()
    {
        string[] names = ["yes", "12", "2027-01-01", "a: b", "# not a comment", "quote \" and \\ back", "line\nbreak", " padded ", "Zürich", "[x]", "-dash", "~", "null"];
        var s = new Scenario { Name = "quoting", Customers = names.Select((n, i) => new Customer { Id = new CustomerId($"c{i}"), Name = n }).ToList() };

        foreach (var text in new[] { ScenarioFile.ToYaml(s), ScenarioFile.ToJson(s) })
        {
            var again = ScenarioFile.Parse(text);
            Assert.Empty(again.Errors);
            Assert.Equal(names, again.Scenario!.Customers.Select(c => c.Name));
        }
    }
}
