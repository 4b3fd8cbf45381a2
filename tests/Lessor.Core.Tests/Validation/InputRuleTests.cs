using Lessor.Core.Model;
using static Lessor.Core.Tests.Validation.Sample;

namespace Lessor.Core.Tests.Validation;

/// <summary>
/// The rules on what a scenario may hold at all (issue 11): dates inside the supported range, ids that are slugs,
/// names that are not blank, text the stores can keep, aliases that cannot be mistaken for another platform.
/// </summary>
public class InputRuleTests
{
    private static void AssertOnly(Scenario s, string path, string message) =>
        Assert.Equal([new ValidationIssue(path, message)], ScenarioValidator.Validate(s));

    private static readonly DateTime Far = Utc.Date(9999, 12, 31);
    private static readonly DateTime Early = Utc.Date(1999, 12, 31);

    private static Scenario WithDate(string field)
    {
        var s = Valid();
        var line = Line("l1", 1440, Pin("f1", 20));
        Scenario OneContract(Contract c) => s with { Contracts = [c] };
        Scenario OneLine(ContractLine l) => OneContract(Contract("c1", l));
        var option = new OptionTerms { ExerciseBy = Utc.Date(2026, 2, 1) };
        var amendment = new Amendment { Sequence = 1, EffectiveOn = Utc.Date(2026, 2, 1), Kind = AmendmentKind.Grow, Line = new LineId("l1") };
        return field switch
        {
            "platforms[0].available_from" => s with { Platforms = [Platform() with { AvailableFrom = Early }] },
            "sites[0].power[0].from" => s with { Sites = [Site() with { Power = [new PowerStep(Early, 10m)] }] },
            "deliveries[0].acceptance_date" => s with { Deliveries = [Delivery(on: Far)] },
            "deliveries[0].ordered_on" => s with { Deliveries = [Delivery() with { OrderedOn = Early }] },
            "deliveries[0].original_acceptance_date" => s with { Deliveries = [Delivery() with { OriginalAcceptanceDate = Far }] },
            "contracts[0].signed_on" => OneContract(Contract("c1", line) with { SignedOn = Early }),
            "contracts[0].backstop_period.start" => OneContract(Contract("c1", line) with { BackstopPeriod = new Period(Early, Utc.Date(2027, 1, 1)) }),
            "contracts[0].backstop_period.end" => OneContract(Contract("c1", line) with { BackstopPeriod = new Period(Utc.Date(2027, 1, 1), Far) }),
            "contracts[0].cancellation.effective_on" => OneContract(Contract("c1", line) with { Cancellation = new Cancellation(Far, Money.Usd(0m), null) }),
            "contracts[0].lines[0].period.start" => OneLine(line with { Period = new Period(Early, Utc.Date(2028, 3, 1)) }),
            "contracts[0].lines[0].period.end" => OneLine(line with { Period = new Period(Utc.Date(2026, 3, 1), Far) }),
            "contracts[0].lines[0].option.exercise_by" => OneLine(line with { Option = option with { ExerciseBy = Far } }),
            "contracts[0].lines[0].option.exercised_on" => OneLine(line with { Option = option with { ExercisedOn = Early } }),
            "contracts[0].amendments[0].effective_on" => OneContract(Contract("c1", line) with { Amendments = [amendment with { EffectiveOn = Far }] }),
            "contracts[0].amendments[0].after.period.end" => OneContract(Contract("c1", line) with { Amendments = [amendment with { After = line with { Period = new Period(Utc.Date(2026, 3, 1), Far) } }] }),
            _ => throw new ArgumentOutOfRangeException(nameof(field), field, "no such case"),
        };
    }

    [Theory]
    [InlineData("platforms[0].available_from", 1999)]
    [InlineData("sites[0].power[0].from", 1999)]
    [InlineData("deliveries[0].acceptance_date", 9999)]
    [InlineData("deliveries[0].ordered_on", 1999)]
    [InlineData("deliveries[0].original_acceptance_date", 9999)]
    [InlineData("contracts[0].signed_on", 1999)]
    [InlineData("contracts[0].backstop_period.start", 1999)]
    [InlineData("contracts[0].backstop_period.end", 9999)]
    [InlineData("contracts[0].cancellation.effective_on", 9999)]
    [InlineData("contracts[0].lines[0].period.start", 1999)]
    [InlineData("contracts[0].lines[0].period.end", 9999)]
    [InlineData("contracts[0].lines[0].option.exercise_by", 9999)]
    [InlineData("contracts[0].lines[0].option.exercised_on", 1999)]
    [InlineData("contracts[0].amendments[0].effective_on", 9999)]
    [InlineData("contracts[0].amendments[0].after.period.end", 9999)]
    public void Given_a_date_outside_the_supported_range_When_validated_Then_its_field_is_named(string path, int year)
    {
        var issues = ScenarioValidator.Validate(WithDate(path));

        var at = Assert.Single(issues, i => i.Path == path);
        Assert.Equal(Utc.OutOfRangeMessage(year == 9999 ? Far : Early), at.Message);
        Assert.DoesNotContain(issues, i => i.Path != path && i.Message.Contains("supported range", StringComparison.Ordinal));
    }

    [Fact]
    public void Given_a_period_ending_at_the_end_of_the_supported_range_When_validated_Then_it_is_accepted() =>
        Assert.Empty(ScenarioValidator.Validate(WithLine(Line("l1", 1440, Pin("f1", 20)) with { Period = new Period(Utc.Date(2026, 3, 1), Utc.SupportedRange.End) })));

    [Theory]
    [InlineData("iad 1")]
    [InlineData("-iad")]
    [InlineData("iad/1")]
    [InlineData("ïad")]
    public void Given_a_site_id_that_is_not_a_slug_When_validated_Then_the_rule_is_stated(string id)
    {
        var s = Valid();
        var issues = ScenarioValidator.Validate(s with { Sites = [Site(id)], Fabrics = [Fabric(site: id)] });

        var issue = Assert.Single(issues);
        Assert.Equal("sites[0].id", issue.Path);
        Assert.EndsWith("is not an id: an id is 1 to 128 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit", issue.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("L1")]
    [InlineData("gb300-nvl72")]
    [InlineData("meta_2.v1")]
    public void Given_ids_the_desk_and_generator_make_When_validated_Then_they_are_slugs(string id) =>
        Assert.Empty(ScenarioValidator.Validate(WithLine(Line(id, 1440, Pin("f1", 20)))));

    [Fact]
    public void Given_a_huge_customer_id_When_validated_Then_the_message_stays_short_and_states_the_length()
    {
        var id = new string('a', 2_000_000);
        var s = Valid();

        var issues = ScenarioValidator.Validate(s with
        {
            Customers = [new Customer { Id = new CustomerId(id), Name = "Meta" }],
            Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 20))) with { Customer = new CustomerId(id) }],
        });

        var issue = Assert.Single(issues);
        Assert.Equal("customers[0].id", issue.Path);
        Assert.Equal("'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…' (2,000,000 characters) is not an id: an id is 1 to 128 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit", issue.Message);
    }

    [Fact]
    public void Given_an_id_of_exactly_the_longest_length_When_validated_Then_it_is_accepted() =>
        Assert.Empty(ScenarioValidator.Validate(WithLine(Line(new string('x', 128), 1440, Pin("f1", 20)))));

    [Fact]
    public void Given_a_line_id_one_past_the_longest_length_When_validated_Then_it_is_refused() =>
        Assert.Equal("contracts[0].lines[0].id", Assert.Single(ScenarioValidator.Validate(WithLine(Line(new string('x', 129), 1440, Pin("f1", 20))))).Path);

    [Fact]
    public void Given_a_site_with_an_empty_name_When_validated_Then_the_name_is_reported() =>
        AssertOnly(Valid() with { Sites = [Site() with { Name = "" }] }, "sites[0].name", "the name is empty");

    [Fact]
    public void Given_a_customer_with_a_blank_name_When_validated_Then_the_name_is_reported() =>
        AssertOnly(Valid() with { Customers = [new Customer { Id = new CustomerId("meta"), Name = "  " }] }, "customers[0].name", "the name is empty");

    [Fact]
    public void Given_a_nul_inside_a_name_When_validated_Then_it_is_refused_at_the_name() =>
        AssertOnly(Valid() with { Customers = [new Customer { Id = new CustomerId("meta"), Name = "Me\u0000ta" }] },
            "customers[0].name", "the text holds a NUL character (U+0000), which the stores cannot keep");

    [Fact]
    public void Given_a_nul_inside_a_description_When_validated_Then_it_is_refused() =>
        AssertOnly(Valid() with { Description = "a\u0000b" }, "description", "the text holds a NUL character (U+0000), which the stores cannot keep");

    [Fact]
    public void Given_an_unpaired_surrogate_in_a_title_When_validated_Then_it_is_refused()
    {
        var s = Valid();
        AssertOnly(s with { Contracts = [s.Contracts[0] with { Title = "x\ud800y" }] },
            "contracts[0].title", "the text holds an unpaired surrogate (U+D800), which is not Unicode text");
    }

    [Fact]
    public void Given_an_alias_that_is_another_platforms_id_When_validated_Then_it_is_ambiguous() =>
        AssertOnly(Valid() with { Platforms = [Platform(), Platform("gb200") with { Aliases = ["GB300"] }] },
            "platforms[1].aliases[0]", "alias 'GB300' is the id of platform 'gb300'");

    [Fact]
    public void Given_an_alias_that_is_a_later_platforms_id_When_validated_Then_it_is_ambiguous() =>
        AssertOnly(Valid() with { Platforms = [Platform() with { Aliases = ["gb200"] }, Platform("gb200")] },
            "platforms[0].aliases[0]", "alias 'gb200' is the id of platform 'gb200'");

    [Fact]
    public void Given_an_alias_that_is_its_own_platforms_id_When_validated_Then_it_is_harmless() =>
        Assert.Empty(ScenarioValidator.Validate(Valid() with { Platforms = [Platform() with { Aliases = ["GB300"] }] }));
}
