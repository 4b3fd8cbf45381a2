using Lessor.Core.Model;
using static Lessor.Core.Tests.Validation.Sample;

namespace Lessor.Core.Tests.Validation;

/// <summary>One test per kind of problem: the sample broken in one way gives exactly one issue, with its path and message.</summary>
public class ScenarioValidatorTests
{
    private static void AssertOnly(Scenario s, string path, string message) =>
        Assert.Equal([new ValidationIssue(path, message)], ScenarioValidator.Validate(s));

    [Fact]
    public void Given_the_sample_When_validated_Then_there_are_no_issues() =>
        Assert.Empty(ScenarioValidator.Validate(Valid()));

    [Fact]
    public void Given_no_name_When_validated_Then_the_name_is_reported() =>
        AssertOnly(Valid() with { Name = " " }, "name", "the scenario needs a name");

    [Fact]
    public void Given_two_regions_with_one_id_When_validated_Then_the_second_is_a_duplicate()
    {
        var s = Valid();
        AssertOnly(s with { Regions = [.. s.Regions, new Region { Id = new RegionId("us-east"), Name = "again" }] },
            "regions[1].id", "duplicate id 'us-east', already used by regions[0]");
    }

    [Fact]
    public void Given_two_deliveries_with_one_id_When_validated_Then_the_second_is_a_duplicate() =>
        AssertOnly(Valid() with { Deliveries = [Delivery("d1", units: 10), Delivery("d1", units: 10)] },
            "deliveries[1].id", "duplicate id 'd1', already used by deliveries[0]");

    [Fact]
    public void Given_two_lines_with_one_id_When_validated_Then_the_second_is_a_duplicate() =>
        AssertOnly(Valid() with { Contracts = [Contract("c1", Line("l1", 720, Pin("f1", 10)), Line("l1", 720, Pin("f1", 10)))] },
            "contracts[0].lines[1].id", "duplicate line id 'l1' in contract 'c1', already used by contracts[0].lines[0]");

    [Fact]
    public void Given_an_empty_customer_id_When_validated_Then_it_is_reported()
    {
        var s = Valid();
        AssertOnly(s with { Customers = [.. s.Customers, new Customer { Id = new CustomerId(""), Name = "nobody" }] },
            "customers[1].id", "the id is empty");
    }

    [Fact]
    public void Given_a_site_in_an_unknown_region_When_validated_Then_the_region_is_dangling() =>
        AssertOnly(Valid() with { Sites = [Site(region: "us-west")] }, "sites[0].region", "region 'us-west' is not defined under regions");

    [Fact]
    public void Given_a_fabric_at_an_unknown_site_When_validated_Then_the_site_is_dangling() =>
        AssertOnly(Valid() with { Fabrics = [Fabric(site: "iad-9")] }, "fabrics[0].site", "site 'iad-9' is not defined under sites");

    [Fact]
    public void Given_a_fabric_of_an_unknown_platform_When_validated_Then_the_platform_is_dangling_and_the_pin_mismatches()
    {
        var issues = ScenarioValidator.Validate(Valid() with { Fabrics = [Fabric(platform: "gb200")] });

        Assert.Equal(
            [
                new ValidationIssue("fabrics[0].platform", "platform 'gb200' is not defined under platforms"),
                new ValidationIssue("contracts[0].lines[0].pinned[0].fabric", "fabric 'f1' holds gb200, not the line's gb300"),
            ],
            issues);
    }

    [Fact]
    public void Given_a_delivery_into_an_unknown_fabric_When_validated_Then_the_fabric_is_dangling() =>
        AssertOnly(Valid() with { Deliveries = [Delivery(fabric: "f9")], Contracts = [] }, "deliveries[0].fabric", "fabric 'f9' is not defined under fabrics");

    [Fact]
    public void Given_a_contract_with_an_unknown_customer_When_validated_Then_the_customer_is_dangling() =>
        AssertOnly(Valid() with { Contracts = [Contract() with { Customer = new CustomerId("openai"), Lines = [Line("l1", 1440, Pin("f1", 20))] }] },
            "contracts[0].customer", "customer 'openai' is not defined under customers");

    [Fact]
    public void Given_a_line_of_an_unknown_platform_When_validated_Then_the_platform_is_dangling() =>
        AssertOnly(WithLine(Line() with { Platform = new PlatformId("b200") }), "contracts[0].lines[0].platform", "platform 'b200' is not defined under platforms");

    [Fact]
    public void Given_a_line_pinned_to_an_unknown_fabric_When_validated_Then_the_fabric_is_dangling() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f7", 20))), "contracts[0].lines[0].pinned[0].fabric", "fabric 'f7' is not defined under fabrics");

    [Fact]
    public void Given_an_option_exercised_under_an_unknown_contract_When_validated_Then_the_contract_is_dangling() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 20)) with { Option = new OptionTerms { ExerciseBy = Utc.Date(2026, 2, 1), ExercisedOn = Utc.Date(2026, 1, 15), ExercisedUnder = new ContractId("meta-9") } }),
            "contracts[0].lines[0].option.exercised_under", "contract 'meta-9' is not defined under contracts");

    [Fact]
    public void Given_an_option_exercised_under_its_own_contract_When_validated_Then_it_is_reported() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 20)) with { Option = new OptionTerms { ExerciseBy = Utc.Date(2026, 2, 1), ExercisedOn = Utc.Date(2026, 1, 15), ExercisedUnder = new ContractId("c1") } }),
            "contracts[0].lines[0].option.exercised_under", "an option cannot be exercised under its own contract 'c1'");

    [Fact]
    public void Given_an_option_exercised_after_its_deadline_When_validated_Then_it_is_reported() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 20)) with { Option = new OptionTerms { ExerciseBy = Utc.Date(2026, 2, 1), ExercisedOn = Utc.Date(2026, 3, 1) } }),
            "contracts[0].lines[0].option.exercised_on", "exercised on 2026-03-01, after the last exercise date 2026-02-01");

    [Fact]
    public void Given_a_line_with_an_empty_period_When_validated_Then_the_period_is_reported() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 20)) with { Period = default }),
            "contracts[0].lines[0].period.end", "the period ends 0001-01-01, not after its start 0001-01-01 (end is exclusive)");

    [Fact]
    public void Given_a_line_of_zero_gpus_When_validated_Then_it_is_reported() =>
        AssertOnly(WithLine(Line("l1", 0)), "contracts[0].lines[0].gpus", "gpus must be greater than zero, not 0");

    [Fact]
    public void Given_a_delivery_of_negative_units_When_validated_Then_it_is_reported() =>
        AssertOnly(Valid() with { Deliveries = [Delivery(units: 20), Delivery("d2", units: -5)] }, "deliveries[1].units", "units must be greater than zero, not -5");

    [Fact]
    public void Given_a_fabric_of_zero_units_When_validated_Then_it_is_reported() =>
        AssertOnly(Valid() with { Fabrics = [Fabric(maxUnits: 0)] }, "fabrics[0].max_units", "max_units must be greater than zero, not 0");

    [Fact]
    public void Given_a_power_step_of_zero_mw_When_validated_Then_it_is_reported()
    {
        var site = Site() with { Power = [new PowerStep(Utc.Date(2026, 1, 1), 10m), new PowerStep(Utc.Date(2030, 1, 1), 0m)] };
        var issues = ScenarioValidator.Validate(Valid() with { Sites = [site] });
        Assert.Equal(new ValidationIssue("sites[0].power[1].mw", "mw must be greater than zero, not 0"), issues[0]);
    }

    [Fact]
    public void Given_a_platform_of_zero_unit_kw_When_validated_Then_it_is_reported() =>
        AssertOnly(Valid() with { Platforms = [Platform(unitKw: 0m)] }, "platforms[0].unit_kw", "unit_kw must be greater than zero, not 0");

    [Fact]
    public void Given_a_platform_of_zero_gpus_per_unit_When_validated_Then_it_is_reported_once() =>
        AssertOnly(Valid() with { Platforms = [Platform(gpusPerUnit: 0)] }, "platforms[0].gpus_per_unit", "gpus_per_unit must be greater than zero, not 0");

    [Fact]
    public void Given_a_platform_with_a_negative_lead_time_and_zero_dies_When_validated_Then_both_are_reported() =>
        Assert.Equal(
            [
                new ValidationIssue("platforms[0].dies_per_gpu", "dies_per_gpu must be greater than zero, not 0"),
                new ValidationIssue("platforms[0].lead_time_days", "lead_time_days cannot be negative, not -1"),
            ],
            ScenarioValidator.Validate(Valid() with { Platforms = [Platform() with { DiesPerGpu = 0, LeadTimeDays = -1 }] }));

    [Fact]
    public void Given_a_negative_price_When_validated_Then_it_is_reported() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 20)) with { PricePerGpuHour = Money.Usd(-4m) }),
            "contracts[0].lines[0].price_per_gpu_hour", "price_per_gpu_hour cannot be negative, not -4");

    [Fact]
    public void Given_a_negative_capex_When_validated_Then_it_is_reported() =>
        AssertOnly(Valid() with { Platforms = [Platform() with { CapexPerUnit = Money.Usd(-1m) }] },
            "platforms[0].capex_per_unit", "capex_per_unit cannot be negative, not -1");

    [Fact]
    public void Given_gpus_not_a_multiple_of_the_unit_When_validated_Then_the_unit_is_named() =>
        AssertOnly(WithLine(Line("l1", 100)), "contracts[0].lines[0].gpus", "100 is not a multiple of 72, the unit of gb300");

    [Fact]
    public void Given_a_block_size_not_a_multiple_of_the_unit_When_validated_Then_the_unit_is_named() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 20)) with { BlockSize = new GpuCount(100) }),
            "contracts[0].lines[0].block_size", "100 is not a multiple of 72, the unit of gb300");

    [Fact]
    public void Given_a_block_size_larger_than_the_line_When_validated_Then_it_is_reported() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 20)) with { BlockSize = new GpuCount(2160) }),
            "contracts[0].lines[0].block_size", "block size 2160 is larger than the line's 1440 GPUs");

    [Fact]
    public void Given_min_sites_zero_When_validated_Then_it_is_reported() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 20)) with { MinSites = 0 }), "contracts[0].lines[0].min_sites", "min_sites must be at least 1, not 0");

    [Fact]
    public void Given_min_sites_two_with_site_locality_When_validated_Then_the_contradiction_is_reported() =>
        AssertOnly(WithLine(Line("l1", 1440) with { Locality = Locality.Site, MinSites = 2 }),
            "contracts[0].lines[0].min_sites", "min_sites 2 cannot hold with locality site, which keeps every GPU in one site");

    [Fact]
    public void Given_a_pin_into_a_fabric_of_another_platform_When_validated_Then_both_platforms_are_named()
    {
        var s = Valid();
        s = s with
        {
            Platforms = [.. s.Platforms, Platform("h100", 8, 10.2m)],
            Fabrics = [.. s.Fabrics, Fabric("h1", platform: "h100", maxUnits: 200)],
            Contracts = [Contract("c1", Line("l1", 1440, Pin("h1", 20)))],
        };
        AssertOnly(s, "contracts[0].lines[0].pinned[0].fabric", "fabric 'h1' holds h100, not the line's gb300");
    }

    [Fact]
    public void Given_pins_that_do_not_add_up_to_the_line_When_validated_Then_both_counts_are_named() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 10))), "contracts[0].lines[0].pinned",
            "pinned blocks hold 10 units = 720 GPUs of gb300, but the line has 1440 GPUs");

    [Fact]
    public void Given_fabric_locality_pinned_to_two_fabrics_When_validated_Then_it_is_reported() =>
        AssertOnly(TwoFabrics() with { Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 10), Pin("f2", 10)))] },
            "contracts[0].lines[0].pinned", "locality fabric keeps the line in one fabric, but it is pinned to 2 fabrics (f1, f2)");

    [Fact]
    public void Given_site_locality_pinned_to_two_sites_When_validated_Then_it_is_reported() =>
        AssertOnly(TwoFabrics("dfw-1") with { Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 10), Pin("f2", 10)) with { Locality = Locality.Site })] },
            "contracts[0].lines[0].pinned", "locality site keeps the line in one site, but it is pinned to 2 sites (iad-1, dfw-1)");

    [Fact]
    public void Given_region_locality_pinned_to_two_regions_When_validated_Then_it_is_reported() =>
        AssertOnly(TwoFabrics("dfw-1", "us-central") with { Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 10), Pin("f2", 10)) with { Locality = Locality.Region })] },
            "contracts[0].lines[0].pinned", "locality region keeps the line in one region, but it is pinned to 2 regions (us-east, us-central)");

    [Fact]
    public void Given_region_locality_across_two_sites_of_one_region_with_min_sites_two_When_validated_Then_it_is_sound() =>
        Assert.Empty(ScenarioValidator.Validate(TwoFabrics("iad-2") with
        {
            Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 10), Pin("f2", 10)) with { Locality = Locality.Region, MinSites = 2 })],
        }));

    [Fact]
    public void Given_min_sites_two_pinned_in_one_site_When_validated_Then_it_is_reported() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 20)) with { Locality = Locality.Any, MinSites = 2 }),
            "contracts[0].lines[0].pinned", "min_sites is 2, but the pinned blocks sit in 1 site");

    [Fact]
    public void Given_pins_that_split_a_block_When_validated_Then_the_fabrics_are_named() =>
        AssertOnly(TwoFabrics() with { Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 15), Pin("f2", 5)) with { Locality = Locality.Site, BlockSize = new GpuCount(720) })] },
            "contracts[0].lines[0].pinned", "block size 720 GPUs (10 units) keeps each block in one fabric, but f1 (15 units), f2 (5 units) would split a block");

    [Fact]
    public void Given_pins_of_whole_blocks_plus_one_remainder_When_validated_Then_it_is_sound() =>
        // 20 units in blocks of 8: two whole blocks and a remainder of 4; f1 holds 8 + 4, f2 holds 8.
        Assert.Empty(ScenarioValidator.Validate(TwoFabrics() with
        {
            Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 12), Pin("f2", 8)) with { Locality = Locality.Site, BlockSize = new GpuCount(576) })],
        }));

    [Fact]
    public void Given_a_delivery_into_a_site_without_the_cooling_When_validated_Then_both_coolings_are_named() =>
        AssertOnly(Valid() with { Sites = [Site() with { Cooling = [Cooling.Air] }] }, "deliveries[0].fabric",
            "fabric 'f1' is at site 'iad-1', whose cooling (air) does not admit gb300, which needs liquid cooling");

    [Fact]
    public void Given_a_site_without_any_cooling_When_validated_Then_it_is_reported_once_at_the_site() =>
        AssertOnly(Valid() with { Sites = [Site() with { Cooling = [] }] }, "sites[0].cooling", "the site offers no cooling; list air, liquid or both");

    [Fact]
    public void Given_a_delivery_before_the_platform_is_available_When_validated_Then_both_dates_are_named() =>
        AssertOnly(Valid() with
        {
            Sites = [Site() with { Power = [new PowerStep(Utc.Date(2025, 1, 1), 10m)] }],
            Deliveries = [Delivery(on: Utc.Date(2025, 6, 1))],
        }, "deliveries[0].acceptance_date", "accepted on 2025-06-01, before gb300 is available from 2025-09-01");

    [Fact]
    public void Given_a_delivery_ordered_after_its_acceptance_When_validated_Then_it_is_reported() =>
        AssertOnly(Valid() with { Deliveries = [Delivery() with { OrderedOn = Utc.Date(2026, 4, 1) }] },
            "deliveries[0].ordered_on", "ordered on 2026-04-01, after its acceptance date 2026-03-01");

    [Fact]
    public void Given_deliveries_over_the_power_envelope_When_validated_Then_the_sites_power_step_is_named_with_the_date_and_the_delivery() =>
        AssertOnly(Valid() with { Sites = [Site(mw: 2m)] }, "sites[0].power[0].mw",
            "on 2026-03-01 site 'iad-1' needs 2640 kW for the deliveries accepted by then but its power envelope is 2000 kW (the last to arrive: deliveries[0] 'd1', 20 units)");

    [Fact]
    public void Given_deliveries_before_the_first_power_step_When_validated_Then_the_envelope_is_zero() =>
        AssertOnly(Valid() with { Sites = [Site() with { Power = [new PowerStep(Utc.Date(2026, 6, 1), 10m)] }] }, "sites[0].power",
            "on 2026-03-01 site 'iad-1' needs 2640 kW for the deliveries accepted by then but its power envelope is 0 kW, before its first power step (the last to arrive: deliveries[0] 'd1', 20 units)");

    [Fact]
    public void Given_a_power_step_down_below_the_load_When_validated_Then_the_step_is_named() =>
        AssertOnly(Valid() with { Sites = [Site() with { Power = [new PowerStep(Utc.Date(2026, 1, 1), 10m), new PowerStep(Utc.Date(2027, 1, 1), 1m)] }] },
            "sites[0].power[1].mw", "on 2027-01-01 site 'iad-1' needs 2640 kW for the deliveries accepted by then but its power envelope is 1000 kW");

    [Fact]
    public void Given_a_breach_that_ends_and_a_second_one_When_validated_Then_each_episode_is_reported_once()
    {
        var site = Site() with { Power = [new PowerStep(Utc.Date(2026, 1, 1), 2m), new PowerStep(Utc.Date(2026, 6, 1), 3m)] };
        var s = Valid() with
        {
            Sites = [site],
            Fabrics = [Fabric(maxUnits: 60)],
            // 20 racks (2640 kW) breach 2 MW on 3/1, fit 3 MW from 6/1; 10 more on 7/1 (3960 kW) breach again; 5 more on 8/1 stay in the same breach.
            Deliveries = [Delivery("d1", units: 20), Delivery("d2", units: 10, on: Utc.Date(2026, 7, 1)), Delivery("d3", units: 5, on: Utc.Date(2026, 8, 1))],
            Contracts = [],
        };
        Assert.Equal(
            [
                new ValidationIssue("sites[0].power[0].mw", "on 2026-03-01 site 'iad-1' needs 2640 kW for the deliveries accepted by then but its power envelope is 2000 kW (the last to arrive: deliveries[0] 'd1', 20 units)"),
                new ValidationIssue("sites[0].power[1].mw", "on 2026-07-01 site 'iad-1' needs 3960 kW for the deliveries accepted by then but its power envelope is 3000 kW (the last to arrive: deliveries[1] 'd2', 10 units)"),
            ],
            ScenarioValidator.Validate(s));
    }

    [Fact]
    public void Given_deliveries_over_the_fabric_size_When_validated_Then_both_counts_are_named() =>
        AssertOnly(Valid() with { Fabrics = [Fabric(maxUnits: 15)] }, "fabrics[0].max_units", "deliveries bring 20 units into fabric 'f1', which holds at most 15");

    [Fact]
    public void Given_power_steps_out_of_order_When_validated_Then_both_dates_are_named() =>
        AssertOnly(Valid() with { Sites = [Site() with { Power = [new PowerStep(Utc.Date(2026, 1, 1), 10m), new PowerStep(Utc.Date(2025, 6, 1), 20m)] }] },
            "sites[0].power[1].from", "power steps must be in date order: 2025-06-01 does not come after the previous step's 2026-01-01");

    [Fact]
    public void Given_a_price_in_another_currency_When_validated_Then_both_currencies_are_named() =>
        AssertOnly(WithLine(Line("l1", 1440, Pin("f1", 20)) with { PricePerGpuHour = new Money(4m, new Currency("EUR")) }),
            "contracts[0].lines[0].price_per_gpu_hour", "price_per_gpu_hour is in EUR but contract 'c1' is in USD");

    [Fact]
    public void Given_contract_money_in_another_currency_When_validated_Then_each_value_is_reported()
    {
        var eur = new Currency("EUR");
        var contract = Contract("c1", Line("l1", 1440, Pin("f1", 20))) with
        {
            HeadlineValue = new Money(1m, eur),
            Prepayment = new Money(1m, eur),
            Cancellation = new Cancellation(Utc.Date(2027, 1, 1), new Money(1m, eur), null),
        };
        Assert.Equal(
            [
                new ValidationIssue("contracts[0].headline_value", "headline_value is in EUR but contract 'c1' is in USD"),
                new ValidationIssue("contracts[0].prepayment", "prepayment is in EUR but contract 'c1' is in USD"),
                new ValidationIssue("contracts[0].cancellation.fee", "cancellation fee is in EUR but contract 'c1' is in USD"),
            ],
            ScenarioValidator.Validate(Valid() with { Contracts = [contract] }));
    }

    [Fact]
    public void Given_a_negative_prepayment_When_validated_Then_it_is_reported() =>
        AssertOnly(Valid() with { Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 20))) with { Prepayment = Money.Usd(-10m) }] },
            "contracts[0].prepayment", "prepayment cannot be negative, not -10");

    [Fact]
    public void Given_a_backstop_without_cap_or_period_When_validated_Then_both_are_reported() =>
        Assert.Equal(
            [
                new ValidationIssue("contracts[0].backstop_cap", "a backstop contract needs backstop_cap, the most it will pay"),
                new ValidationIssue("contracts[0].backstop_period", "a backstop contract needs backstop_period, when it buys unsold capacity"),
            ],
            ScenarioValidator.Validate(Valid() with { Contracts = [Contract() with { Kind = ContractKind.Backstop }] }));

    [Fact]
    public void Given_sla_fractions_out_of_range_When_validated_Then_each_is_reported() =>
        Assert.Equal(
            [
                new ValidationIssue("contracts[0].sla.availability_target", "availability_target must be a fraction above 0 up to 1 (0.99 means 99%), not 99"),
                new ValidationIssue("contracts[0].sla.credit_cap_fraction", "credit_cap_fraction must be a fraction from 0 up to 1 (0.99 means 99%), not 1.5"),
            ],
            ScenarioValidator.Validate(Valid() with { Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 20))) with { Sla = new SlaTerms(99m, 0.1m, 1.5m) }] }));

    [Fact]
    public void Given_a_cancellation_before_signing_When_validated_Then_both_dates_are_named() =>
        AssertOnly(Valid() with { Contracts = [Contract("c1", Line("l1", 1440, Pin("f1", 20))) with { Cancellation = new Cancellation(Utc.Date(2025, 12, 1), Money.Usd(0m), null) }] },
            "contracts[0].cancellation.effective_on", "cancelled on 2025-12-01, before the contract was signed on 2026-01-01");

    [Fact]
    public void Given_amendments_out_of_sequence_and_on_an_unknown_line_When_validated_Then_both_are_reported()
    {
        var contract = Contract("c1", Line("l1", 1440, Pin("f1", 20))) with
        {
            Amendments =
            [
                new Amendment { Sequence = 2, EffectiveOn = Utc.Date(2026, 2, 1), Kind = AmendmentKind.Reprice, Line = new LineId("l1") },
                new Amendment { Sequence = 1, EffectiveOn = Utc.Date(2026, 3, 1), Kind = AmendmentKind.Grow, Line = new LineId("l9") },
            ],
        };
        Assert.Equal(
            [
                new ValidationIssue("contracts[0].amendments[1].sequence", "amendments must be in sequence order: 1 does not come after 2"),
                new ValidationIssue("contracts[0].amendments[1].line", "line 'l9' is not a line of contract 'c1'"),
            ],
            ScenarioValidator.Validate(Valid() with { Contracts = [contract] }));
    }

    [Fact]
    public void Given_an_amendment_snapshot_with_bad_gpus_When_validated_Then_the_snapshot_path_is_named()
    {
        var line = Line("l1", 1440, Pin("f1", 20));
        var contract = Contract("c1", line) with
        {
            Amendments = [new Amendment { Sequence = 1, EffectiveOn = Utc.Date(2026, 2, 1), Kind = AmendmentKind.Grow, Line = line.Id, Before = Line("l1", 100), After = line }],
        };
        AssertOnly(Valid() with { Contracts = [contract] }, "contracts[0].amendments[0].before.gpus", "100 is not a multiple of 72, the unit of gb300");
    }

    [Fact]
    public void Given_one_alias_on_two_platforms_When_validated_Then_it_is_ambiguous() =>
        AssertOnly(Valid() with { Platforms = [Platform() with { Aliases = ["NVL72"] }, Platform("gb200") with { Aliases = ["nvl72"] }] },
            "platforms[1].aliases[0]", "alias 'nvl72' also names platform 'gb300'");

    [Fact]
    public void Given_a_scenario_broken_in_many_places_When_validated_Then_every_problem_is_reported()
    {
        var s = Valid() with
        {
            Sites = [Site(region: "nowhere", mw: 1m)],
            Fabrics = [Fabric(maxUnits: 10)],
            Contracts = [Contract("c1", Line("l1", 100))],
        };

        var paths = ScenarioValidator.Validate(s).Select(i => i.Path).ToList();

        Assert.Equal(["sites[0].region", "fabrics[0].max_units", "sites[0].power[0].mw", "contracts[0].lines[0].gpus"], paths);
    }
}
