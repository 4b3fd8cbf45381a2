using Lessor.Storage.Scenarios;

namespace Lessor.Storage.Tests.Scenarios;

/// <summary>How reading reports problems: all at once, located, in file order, and never by throwing.</summary>
public class ScenarioErrorTests
{
    [Fact]
    public void Given_a_file_with_problems_of_every_stage_When_parsed_Then_all_are_reported_in_file_order()
    {
        var text = File.ReadAllText(Fixtures.Valid("minimal.yaml"))
            .Replace("    region: us-east", "    region: us-west", StringComparison.Ordinal)
            .Replace("    max_units: 40", "    max_units: 40\n    rack_count: 3", StringComparison.Ordinal)
            .Replace("    status: accepted", "    status: done", StringComparison.Ordinal)
            .Replace("    signed_on: 2026-01-01", "    signed_on: 2026-01-01T00:00", StringComparison.Ordinal)
            .Replace("        gpus: 1440", "        gpus: 100", StringComparison.Ordinal);

        var result = ScenarioFile.Parse(text, "broken.yaml");

        Assert.Null(result.Scenario);
        Assert.Equal(
            [
                "broken.yaml:21:13: sites[0].region: region 'us-west' is not defined under regions",
                "broken.yaml:30:5: fabrics[0].rack_count: unknown field; expected one of id, site, platform, max_units",
                "broken.yaml:35:13: deliveries[0].status: 'done' is not one of planned, ordered, delivered, accepted",
                "broken.yaml:43:16: contracts[0].signed_on: '2026-01-01T00:00' has no time zone; write times in UTC with a trailing Z, e.g. 2026-01-01T00:00Z",
            ],
            result.Errors.Take(4).Select(e => e.ToString()));
        // The line is an item of its own, so its problems still show while its contract's date is unreadable.
        Assert.Equal("broken.yaml:47:15: contracts[0].lines[0].gpus: 100 is not a multiple of 72, the unit of gb300", result.Errors[4].ToString());
        Assert.Equal("broken.yaml:52:11: contracts[0].lines[0].pinned: pinned blocks hold 20 units = 1440 GPUs of gb300, but the line has 100 GPUs", result.Errors[5].ToString());
        Assert.Equal(6, result.Errors.Count);
    }

    [Fact]
    public void Given_an_unclosed_brace_When_parsed_Then_a_syntax_error_is_reported_not_thrown()
    {
        var result = ScenarioFile.Parse("name: x\nregions:\n  - { id: a, name: b\n  - { id: c, name: d }\n", "brace.yaml");

        Assert.Null(result.Scenario);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("YAML syntax error", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Line);
    }

    [Fact]
    public void Given_an_alias_to_an_undefined_anchor_When_parsed_Then_a_syntax_error_is_reported()
    {
        var error = Assert.Single(ScenarioFile.Parse("name: a\nregions:\n  - *nowhere\n").Errors);

        Assert.Equal("<input>:3:5: YAML syntax error: the alias *nowhere refers to no anchor &nowhere defined before it", error.ToString());
    }

    [Fact]
    public void Given_anchors_reused_by_aliases_When_parsed_Then_each_use_is_read()
    {
        var result = ScenarioFile.Parse("name: a\nregions:\n  - &r { id: eu, name: Europe }\n  - *r\n");

        Assert.Equal(["regions[1].id: duplicate id 'eu', already used by regions[0]"], result.Errors.Select(e => $"{e.Path}: {e.Message}"));
    }

    [Fact]
    public void Given_a_number_near_the_decimal_limit_When_parsed_Then_it_is_refused_instead_of_overflowing()
    {
        var text = File.ReadAllText(Fixtures.Valid("minimal.yaml")).Replace("mw: 10", "mw: 79228162514264337593543950335", StringComparison.Ordinal);

        var error = Assert.Single(ScenarioFile.Parse(text).Errors);

        Assert.Equal(("sites[0].power[0].mw", "'79228162514264337593543950335' is too large; Lessor accepts numbers up to 1,000,000,000,000,000,000"), (error.Path, error.Message));
    }

    [Theory]
    [InlineData("units: 99999999999", "deliveries[0].units", "'99999999999' is too large; Lessor accepts whole numbers up to 2,147,483,647")]
    [InlineData("acceptance_date: soon", "deliveries[0].acceptance_date", "'soon' is not a date; write 2027-01-01 (midnight UTC) or 2027-01-01T08:30Z")]
    [InlineData("mw: lots", "sites[0].power[0].mw", "'lots' is not a number")]
    [InlineData("max_units: many", "fabrics[0].max_units", "'many' is not a number")]
    [InlineData("unit_kw: x", "platforms[0].unit_kw", "'x' is not a number")]
    [InlineData("gpus_per_unit: x", "platforms[0].gpus_per_unit", "'x' is not a number")]
    public void Given_one_unreadable_value_When_parsed_Then_its_placeholder_causes_no_other_finding(string replacement, string path, string message)
    {
        var key = replacement[..(replacement.IndexOf(':', StringComparison.Ordinal) + 1)];
        var lines = File.ReadAllLines(Fixtures.Valid("minimal.yaml"));
        var at = Array.FindIndex(lines, l => l.TrimStart().StartsWith(key, StringComparison.Ordinal) || l.Contains("{ from: 2026-01-01, " + key, StringComparison.Ordinal));
        lines[at] = key == "mw:" ? lines[at].Replace("mw: 10", replacement, StringComparison.Ordinal) : lines[at][..lines[at].IndexOf(key, StringComparison.Ordinal)] + replacement;

        var error = Assert.Single(ScenarioFile.Parse(string.Join("\n", lines)).Errors);

        Assert.Equal((path, message), (error.Path, error.Message));
    }

    [Fact]
    public void Given_an_empty_file_When_parsed_Then_it_says_so() =>
        Assert.Equal(["<input>:1:1: the file is empty; a scenario needs at least a name"], ScenarioFile.Parse("# nothing\n").Errors.Select(e => e.ToString()));

    [Fact]
    public void Given_a_list_at_the_top_When_parsed_Then_a_mapping_is_asked_for() =>
        Assert.Equal("expected a mapping of fields (name, description, currency, platforms, regions, sites, fabrics, deliveries, customers, contracts, uncertainty), found a list",
            Assert.Single(ScenarioFile.Parse("- a\n- b\n").Errors).Message);

    [Fact]
    public void Given_a_missing_file_When_loaded_Then_one_error_names_the_file()
    {
        var result = ScenarioFile.Load("/nonexistent/scenario.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal("/nonexistent/scenario.yaml", error.Source);
        Assert.StartsWith("/nonexistent/scenario.yaml: cannot read the file: ", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2027-01-01", null)]
    [InlineData("2027-01-01T08:30Z", null)]
    [InlineData("2027-01-01T08:30:00Z", null)]
    [InlineData("2027-01-01T08:30:15Z", "'2027-01-01T08:30:15Z' is not on a whole minute; Lessor keeps time to the minute")]
    [InlineData("2027-01-01T08:30+01:00", "'2027-01-01T08:30+01:00' has a UTC offset; write times in UTC with a trailing Z, e.g. 2027-01-01T07:30Z")]
    [InlineData("2027-01-01T08:30+00:00", "'2027-01-01T08:30+00:00' has a UTC offset; write times in UTC with a trailing Z, e.g. 2027-01-01T08:30Z")]
    [InlineData("01/02/2027", "'01/02/2027' is not a date; write 2027-01-01 (midnight UTC) or 2027-01-01T08:30Z")]
    [InlineData("2027-02-30", "'2027-02-30' is not a date; write 2027-01-01 (midnight UTC) or 2027-01-01T08:30Z")]
    public void Given_a_date_text_When_read_Then_only_utc_to_the_minute_is_accepted(string text, string? problem)
    {
        var actual = YamlInput.TryDate(text, out var t);

        Assert.Equal(problem, actual);
        if (problem is null) Assert.Equal(DateTimeKind.Utc, t.Kind);
    }

    [Fact]
    public void Given_the_format_document_When_read_Then_its_example_is_the_annotated_fixture()
    {
        var doc = File.ReadAllText(Path.Combine(Fixtures.Root, "..", "..", "..", "docs", "scenario-format.md"));
        var fixture = File.ReadAllText(Fixtures.Valid("annotated.yaml"));

        Assert.Contains("```yaml\n" + fixture + "```", doc, StringComparison.Ordinal);
    }
}

/// <summary>The SLA terms issue 14 added: tiers, degraded policy and maintenance notice, each checked with its path.</summary>
public class SlaTermsFileTests
{
    private static string With(string sla) =>
        File.ReadAllText(Fixtures.Valid("minimal.yaml")).Replace("    signed_on: 2026-01-01\n", $"    signed_on: 2026-01-01\n    sla: {sla}\n", StringComparison.Ordinal);

    [Fact]
    public void Given_tiers_a_degraded_policy_and_notice_When_parsed_Then_they_are_read()
    {
        var result = ScenarioFile.Parse(With(
            "{ availability_target: 0.999, credit_fraction: 0.1, credit_cap_fraction: 0.5, degraded: unavailable, maintenance_notice_days: 7, " +
            "tiers: [{ below: 0.999, credit_fraction: 0.05 }, { below: 0.99, credit_fraction: 0.25 }] }"));
        Assert.Empty(result.Errors);
        var sla = result.Scenario!.Contracts[0].Sla!;
        Assert.Equal([new Core.Model.SlaTier(0.999m, 0.05m), new Core.Model.SlaTier(0.99m, 0.25m)], sla.Tiers);
        Assert.Equal(Core.Model.DegradedPolicy.Unavailable, sla.Degraded);
        Assert.Equal(7, sla.MaintenanceNoticeDays);
    }

    [Fact]
    public void Given_the_terms_of_before_When_parsed_Then_they_read_as_before_with_the_defaults()
    {
        var sla = ScenarioFile.Parse(With("{ availability_target: 0.999, credit_fraction: 0.1, credit_cap_fraction: 0.5 }")).Scenario!.Contracts[0].Sla!;
        Assert.Equal(new Core.Model.SlaTerms(0.999m, 0.1m, 0.5m), sla);
        Assert.Empty(sla.Tiers);
        Assert.Equal(Core.Model.DegradedPolicy.Available, sla.Degraded);
        Assert.Equal(5, sla.MaintenanceNoticeDays);
    }

    [Fact]
    public void Given_bad_tiers_policy_and_notice_When_parsed_Then_each_problem_names_its_field()
    {
        var result = ScenarioFile.Parse(With(
            "{ availability_target: 0.999, credit_fraction: 0.1, credit_cap_fraction: 0.5, maintenance_notice_days: -1, " +
            "tiers: [{ below: 0.99, credit_fraction: 0.25 }, { below: 0.995, credit_fraction: 0.05 }, { below: 1.5, credit_fraction: 0.3 }] }"));
        Assert.Equal(
            [
                "contracts[0].sla.maintenance_notice_days: maintenance_notice_days cannot be negative, not -1",
                "contracts[0].sla.tiers[1].below: tiers go deeper in order: below 0.995 is not under the previous tier's 0.99",
                "contracts[0].sla.tiers[1].credit_fraction: a deeper tier cannot credit less: 0.05 is under the previous tier's 0.25",
                "contracts[0].sla.tiers[2].below: below must be a fraction above 0 up to 1 (0.99 means 99%), not 1.5",
                "contracts[0].sla.tiers[2].below: tiers go deeper in order: below 1.5 is not under the previous tier's 0.995",
            ],
            result.Errors.Select(e => $"{e.Path}: {e.Message}"));
        var policy = ScenarioFile.Parse(With("{ availability_target: 0.999, credit_fraction: 0.1, credit_cap_fraction: 0.5, degraded: half }"));
        Assert.Equal(["contracts[0].sla.degraded: 'half' is not one of available, unavailable"], policy.Errors.Select(e => $"{e.Path}: {e.Message}"));
    }
}
