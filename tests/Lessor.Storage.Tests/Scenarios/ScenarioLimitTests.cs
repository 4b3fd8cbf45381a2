using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Lessor.Core.Generation;
using Lessor.Core.Model;
using Lessor.Storage.Scenarios;

namespace Lessor.Storage.Tests.Scenarios;

/// <summary>
/// Files built to break the reader (issue 11): each gets a clean error that names the field, its line and, where a
/// limit is at stake, the limit; never an exception, a crash or an unbounded amount of work.
/// </summary>
public class ScenarioLimitTests
{
    private static string Minimal() => File.ReadAllText(Fixtures.Valid("minimal.yaml"));

    private static string Replace(string text, string from, string to)
    {
        Assert.Contains(from, text, StringComparison.Ordinal);
        return text.Replace(from, to, StringComparison.Ordinal);
    }

    private static ScenarioError Only(ScenarioParseResult result, string path)
    {
        Assert.Null(result.Scenario);
        return Assert.Single(result.Errors, e => e.Path == path);
    }

    [Fact]
    public void Given_100000_nested_brackets_When_parsed_Then_the_depth_limit_is_named_instead_of_overflowing_the_stack()
    {
        var text = "name: x\ndescription: " + new string('[', 100_000) + new string(']', 100_000) + "\n";

        var error = Assert.Single(ScenarioFile.Parse(text).Errors);

        Assert.Equal(("description", 2), (error.Path, error.Line));
        Assert.Equal($"the file nests lists and mappings deeper than {ScenarioLimits.MaxDepth} levels, the most Lessor reads", error.Message);
    }

    [Fact]
    public void Given_nesting_just_within_the_limit_When_parsed_Then_only_the_field_type_is_wrong()
    {
        var depth = ScenarioLimits.MaxDepth - 1;
        var text = "name: x\ndescription: " + new string('[', depth) + new string(']', depth) + "\n";

        Assert.Equal("expected a single value, found a list", Only(ScenarioFile.Parse(text), "description").Message);
    }

    [Fact]
    public void Given_a_list_item_with_an_empty_key_When_parsed_Then_the_item_and_line_are_named()
    {
        var error = Only(ScenarioFile.Parse("name: x\nplatforms:\n  - id: p\n    :\n"), "platforms[0]");

        Assert.Equal(4, error.Line);
        Assert.Equal("a field with no name; write the field's name before ':'", error.Message);
    }

    [Fact]
    public void Given_a_flow_mapping_with_an_empty_key_When_parsed_Then_the_item_is_named()
    {
        var error = Only(ScenarioFile.Parse("name: x\nregions:\n  - { : 1 }\n"), "regions[0]");

        Assert.Equal((3, "a field with no name; write the field's name before ':'"), (error.Line, error.Message));
    }

    [Fact]
    public void Given_a_list_used_as_a_key_When_parsed_Then_only_names_are_keys()
    {
        var error = Only(ScenarioFile.Parse("name: x\n? [a, b]\n: 1\n"), "");

        Assert.Equal((2, "a field name must be a plain name, not a list"), (error.Line, error.Message));
    }

    [Fact]
    public void Given_100_references_to_a_1_mb_anchored_string_When_parsed_Then_the_expanded_size_limit_is_named()
    {
        var text = new StringBuilder("name: x\ndescription: &big ").Append('a', 1 << 20).Append("\ncustomers:\n");
        for (var i = 0; i < 100; i++) text.Append("  - { id: c").Append(i).Append(", name: *big }\n");

        var result = ScenarioFile.Parse(text.ToString());

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("customers[", error.Path, StringComparison.Ordinal);
        Assert.Equal($"with its aliases expanded the file holds more than {ScenarioLimits.MaxExpandedSize:N0} characters, the most Lessor reads; repeat less through aliases", error.Message);
    }

    [Fact]
    public void Given_nested_aliases_that_double_at_each_level_When_parsed_Then_the_expanded_size_limit_is_named()
    {
        var text = new StringBuilder("name: x\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 40; i++) text.Append('a').Append(i).Append(": &a").Append(i).Append(" [*a").Append(i - 1).Append(", *a").Append(i - 1).Append("]\n");

        var error = Assert.Single(ScenarioFile.Parse(text.ToString()).Errors);

        Assert.StartsWith("with its aliases expanded the file holds more than", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name: x\ndescription: &a [*a]\n")]
    [InlineData("name: x\ncontracts: &c\n  - id: c1\n    lines: *c\n")]
    [InlineData("name: x\nplatforms:\n  - &p\n    id: p\n    aliases: *p\n")]
    public void Given_an_alias_inside_its_own_anchor_When_parsed_Then_it_is_refused_without_looping(string text)
    {
        var result = ScenarioFile.Parse(text);

        Assert.Null(result.Scenario);
        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public void Given_a_file_larger_than_the_limit_When_loaded_Then_it_is_refused_unread_with_the_limit_named()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lessor-big-{Guid.NewGuid():N}.yaml");
        try
        {
            using (var f = File.Create(path)) f.SetLength(ScenarioLimits.MaxFileBytes + 1L);

            var error = Assert.Single(ScenarioFile.Load(path).Errors);

            Assert.Equal($"the file is {ScenarioLimits.MaxFileBytes + 1L:N0} bytes; Lessor reads scenario files up to {ScenarioLimits.MaxFileBytes:N0} bytes (64 MiB)", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Given_text_larger_than_the_limit_When_parsed_Then_it_is_refused_with_the_limit_named()
    {
        var error = Assert.Single(ScenarioFile.Parse(new string(' ', ScenarioLimits.MaxFileBytes + 1)).Errors);

        Assert.EndsWith($"Lessor reads scenario files up to {ScenarioLimits.MaxFileBytes:N0} bytes (64 MiB)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_invalid_utf8_in_a_name_When_loaded_Then_the_name_and_line_are_named_instead_of_a_replacement_character()
    {
        var bytes = Encoding.UTF8.GetBytes(Minimal());
        var at = Encoding.UTF8.GetBytes(Minimal()[..Minimal().IndexOf("Ashburn", StringComparison.Ordinal)]).Length + 3;
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        var path = Path.Combine(Path.GetTempPath(), $"lessor-utf8-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllBytes(path, bytes);

            var error = Only(ScenarioFile.Load(path), "sites[0].name");

            Assert.Equal((20, 14), (error.Line, error.Column));
            Assert.Equal("the file is not valid UTF-8 here (byte 0xC3); save it as UTF-8", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Given_a_utf8_byte_order_mark_When_loaded_Then_it_is_read()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lessor-bom-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Minimal())]);

            Assert.True(ScenarioFile.Load(path).IsValid);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Given_an_unknown_local_tag_When_parsed_Then_it_is_refused_at_its_field()
    {
        var error = Only(ScenarioFile.Parse(Replace(Minimal(), "name: Ashburn 1", "name: !foo Ashburn 1")), "sites[0].name");

        Assert.Equal((20, "unknown tag !foo; Lessor reads plain values, lists and mappings only"), (error.Line, error.Message));
    }

    [Fact]
    public void Given_a_standard_tag_When_parsed_Then_it_is_accepted() =>
        Assert.True(ScenarioFile.Parse(Replace(Minimal(), "name: Ashburn 1", "name: !!str Ashburn 1")).IsValid);

    [Fact]
    public void Given_an_alias_equal_to_another_platforms_id_When_parsed_Then_the_alias_is_named()
    {
        var text = Replace(File.ReadAllText(Fixtures.Valid("annotated.yaml")), "aliases: [NVL144, VR200 NVL144]", "aliases: [h100-hgx, VR200 NVL144]");

        var error = Only(ScenarioFile.Parse(text), "platforms[1].aliases[0]");

        Assert.Equal((22, "alias 'h100-hgx' is the id of platform 'h100-hgx'"), (error.Line, error.Message));
    }

    [Fact]
    public void Given_an_empty_site_name_When_parsed_Then_the_name_is_named() =>
        Assert.Equal(20, Only(ScenarioFile.Parse(Replace(Minimal(), "name: Ashburn 1", "name: \"\"")), "sites[0].name").Line);

    [Fact]
    public void Given_an_id_that_is_not_a_slug_When_parsed_Then_the_id_and_line_are_named() =>
        Assert.Equal(40, Only(ScenarioFile.Parse(Replace(Minimal(), "  - id: c1", "  - id: \"c 1\"")), "contracts[0].id").Line);

    [Fact]
    public void Given_a_2000000_character_id_When_parsed_Then_it_is_refused_and_the_errors_stay_short()
    {
        var result = ScenarioFile.Parse(Replace(Minimal(), "  - id: meta", "  - id: " + new string('m', 2_000_000)));

        var error = Only(result, "customers[0].id");
        Assert.Equal(37, error.Line);
        Assert.All(result.Errors, e => Assert.InRange(e.Message.Length, 0, 399));
    }

    [Fact]
    public void Given_a_nul_inside_a_name_When_parsed_Then_the_name_is_named()
    {
        var error = Only(ScenarioFile.Parse(Replace(Minimal(), "name: Meta", "name: \"Me\\0ta\"")), "customers[0].name");

        Assert.Equal((38, "the text holds a NUL character (U+0000), which the stores cannot keep"), (error.Line, error.Message));
    }

    [Fact]
    public void Given_a_key_written_twice_When_parsed_Then_its_path_and_second_line_are_named()
    {
        var error = Assert.Single(ScenarioFile.Parse("name: a\ncurrency: USD\nname: b\n").Errors);

        Assert.Equal(("name", 3, 1, "the field name is written twice in one mapping; keep one"), (error.Path, error.Line, error.Column, error.Message));
    }

    [Fact]
    public void Given_a_nested_key_written_twice_When_parsed_Then_its_full_path_is_named()
    {
        var error = Assert.Single(ScenarioFile.Parse(Replace(Minimal(), "    vendor: NVIDIA", "    vendor: NVIDIA\n    vendor: AMD")).Errors);

        Assert.Equal(("platforms[0].vendor", 8), (error.Path, error.Line));
    }

    [Theory]
    [InlineData("available_from: 2025-09-01", "1999-12-31", "platforms[0].available_from", 14)]
    [InlineData("{ from: 2026-01-01, mw: 10 }", "0001-01-01", "sites[0].power[0].from", 24)]
    [InlineData("acceptance_date: 2026-03-01", "9999-12-31", "deliveries[0].acceptance_date", 35)]
    [InlineData("signed_on: 2026-01-01", "1999-01-01", "contracts[0].signed_on", 42)]
    [InlineData("end: 2028-03-01", "9999-11-01", "contracts[0].lines[0].period.end", 47)]
    public void Given_a_date_outside_the_supported_range_When_parsed_Then_its_field_and_line_are_named(string field, string date, string path, int line)
    {
        var text = Replace(Minimal(), field, Regex.Replace(field, "[0-9]{4}-[0-9]{2}-[0-9]{2}", date));
        var (year, month, day) = (int.Parse(date[..4], CultureInfo.InvariantCulture), int.Parse(date[5..7], CultureInfo.InvariantCulture), int.Parse(date[8..], CultureInfo.InvariantCulture));

        var error = Only(ScenarioFile.Parse(text), path);

        Assert.Equal((line, Utc.OutOfRangeMessage(Utc.Date(year, month, day))), (error.Line, error.Message));
    }

    [Fact]
    public void Given_a_cancellation_in_9999_When_parsed_Then_its_date_is_named()
    {
        var text = Replace(Minimal(), "    signed_on: 2026-01-01\n", "    signed_on: 2026-01-01\n    cancellation: { effective_on: 9999-12-31, fee: 0 }\n");

        Assert.Equal(43, Only(ScenarioFile.Parse(text), "contracts[0].cancellation.effective_on").Line);
    }

    [Fact]
    public void Given_a_generated_scenario_When_written_and_read_Then_its_ids_are_slugs_and_it_is_valid()
    {
        // Facts mode is the bundled sample (seed 2026), loaded below.
        var result = ScenarioFile.Parse(ScenarioFile.ToYaml(ScenarioGenerator.Generate(new GeneratorOptions { Gpus = 20_000, Seed = 3 })));

        Assert.True(result.IsValid, string.Join("\n", result.Errors.Take(5)));
    }

    [Fact]
    public void Given_the_bundled_sample_When_loaded_Then_it_is_within_every_limit() =>
        Assert.All(Fixtures.Samples(), f => Assert.True(ScenarioFile.Load(f).IsValid, f));
}
