using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Ledger;

/// <summary>Readable examples on a small Vera Rubin estate: two regions, three sites, four fabrics.</summary>
public class LedgerExampleTests
{
    private static readonly PlatformId Vr = new("vr-nvl72");

    // us-east: ash (ash-a 200 units, ash-b 200), atl (atl-a 100); us-west: pdx (pdx-a 300).
    // Supply: ash-a 100 from 2026-10-01, ash-b 100 from 2027-04-01, atl-a 50 from 2026-12-01, pdx-a 300 from 2026-10-01.
    // Book: meta-1 holds 60 units of ash-a from 2026-10-01 to 2031-12-15.
    private static Scenario Estate() => new()
    {
        Name = "examples",
        Platforms = [TinyWorld.Hgx("vr-nvl72", 72)],
        Regions = [new Region { Id = new RegionId("us-east"), Name = "US East" }, new Region { Id = new RegionId("us-west"), Name = "US West" }],
        Sites = [TinyWorld.Site("ash", "us-east"), TinyWorld.Site("atl", "us-east"), TinyWorld.Site("pdx", "us-west")],
        Fabrics =
        [
            TinyWorld.Fabric("ash-a", "ash", 200, "vr-nvl72"), TinyWorld.Fabric("ash-b", "ash", 200, "vr-nvl72"),
            TinyWorld.Fabric("atl-a", "atl", 100, "vr-nvl72"), TinyWorld.Fabric("pdx-a", "pdx", 300, "vr-nvl72"),
        ],
        Deliveries =
        [
            TinyWorld.Delivery("d1", "ash-a", 100, Utc.Date(2026, 10, 1)), TinyWorld.Delivery("d2", "ash-b", 100, Utc.Date(2027, 4, 1)),
            TinyWorld.Delivery("d3", "atl-a", 50, Utc.Date(2026, 12, 1)), TinyWorld.Delivery("d4", "pdx-a", 300, Utc.Date(2026, 10, 1)),
        ],
        Contracts = [TinyWorld.Pinned("meta-1", 0, "ash-a", 60, new Period(Utc.Date(2026, 10, 1), Utc.Date(2031, 12, 15)), "vr-nvl72", 72)],
    };

    private static readonly Period H1 = new(Utc.Date(2027, 1, 1), Utc.Date(2027, 7, 1));
    private static readonly Period Y2027 = new(Utc.Date(2027, 1, 1), Utc.Date(2028, 1, 1));

    private static DealRequest Deal(int gpus, Period period, Locality locality = Locality.Any, int? block = null, decimal? price = null) =>
        TinyWorld.Deal(new DealLine
        {
            Platform = Vr, Gpus = new GpuCount(gpus), Period = period, Locality = locality,
            BlockSize = block is { } b ? new GpuCount(b) : null, PricePerGpuHour = price is { } p ? Money.Usd(p) : null,
        });

    private static CapacityLedger Ledger()
    {
        var build = CapacityLedger.Build(Estate());
        Assert.Empty(build.Issues);
        Assert.Empty(build.Uncovered);
        return build.Ledger;
    }

    [Fact]
    public void Given_us_east_is_short_When_a_region_deal_is_checked_Then_it_is_placed_whole_in_us_west()
    {
        var fit = Ledger().Check(Deal(14_400, Y2027, Locality.Region));
        Assert.True(fit.Fits);
        Assert.Equal([new PlacedBlock(new FabricId("pdx-a"), 200)], fit.Placements[0].Blocks);
    }

    [Fact]
    public void Given_the_fleet_is_short_early_in_the_year_When_checked_Then_supply_binds_with_dates_and_gpus()
    {
        var fit = Ledger().Check(Deal(36_000, H1));
        Assert.False(fit.Fits);
        var c = Assert.Single(fit.Constraints);
        Assert.Equal(ConstraintKind.PlatformSupply, c.Kind);
        Assert.Equal(new GpuCount(7_920), c.Short);
        Assert.Equal(H1, c.When);
        Assert.Equal(
            "vr-nvl72 supply is short by 7,920 GPUs from 2027-01-01 to 2027-06-30: 36,000 needed, 28,080 free at the tightest point in 4 fabrics; "
            + "pdx-a has the most free over the whole period (21,600).", c.Reason);
    }

    [Fact]
    public void Given_sites_without_spare_power_When_supply_is_short_Then_site_power_binds_too()
    {
        // 2 MW per site at 10 kW a unit: ash is full once ash-b arrives, pdx already draws 3 MW, atl can take 50 more units.
        var estate = Estate() with { Sites = [.. Estate().Sites.Select(x => x with { Power = [new PowerStep(Utc.Date(2020, 1, 1), 2m)] })] };
        var fit = CapacityLedger.Build(estate).Ledger.Check(Deal(36_000, H1));
        Assert.Equal([ConstraintKind.PlatformSupply, ConstraintKind.SitePower], fit.Constraints.Select(c => c.Kind));
        var power = fit.Constraints[1];
        Assert.Equal(new GpuCount(4_320), power.Short);
        Assert.Equal(
            "Even with more units, the sites of the vr-nvl72 fleet have power and fabric room for only 3,600 more vr-nvl72 GPUs from 2027-01-01 to 2027-06-30 "
            + "(pdx has the least spare power, -1 MW); the remaining 4,320 GPUs need about 0.6 MW more.", power.Reason);
    }

    [Fact]
    public void Given_a_region_with_two_sites_When_three_sites_are_asked_Then_min_sites_binds()
    {
        var fit = Ledger().Check(TinyWorld.Deal(new DealLine { Platform = Vr, Gpus = new GpuCount(720), Period = H1, Locality = Locality.Region, MinSites = 3 }));
        var c = Assert.Single(fit.Constraints);
        Assert.Equal(ConstraintKind.MinSites, c.Kind);
        Assert.Equal("vr-nvl72 sits in only 2 sites of any one region (best: us-east), but the line asks for 3.", c.Reason);
    }

    [Fact]
    public void Given_min_sites_When_the_fleet_allows_it_Then_blocks_span_that_many_sites()
    {
        var fit = Ledger().Check(TinyWorld.Deal(new DealLine { Platform = Vr, Gpus = new GpuCount(2_160), Period = H1, BlockSize = new GpuCount(720), MinSites = 3 }));
        Assert.True(fit.Fits);
        Assert.Equal(
            [new PlacedBlock(new FabricId("ash-a"), 10), new PlacedBlock(new FabricId("atl-a"), 10), new PlacedBlock(new FabricId("pdx-a"), 10)],
            fit.Placements[0].Blocks.OrderBy(b => b.Fabric.Value));
    }

    [Fact]
    public void Given_enough_fleet_but_no_big_enough_site_When_a_site_deal_is_checked_Then_locality_binds()
    {
        var fit = Ledger().Check(Deal(25_200, H1, Locality.Site));
        var c = Assert.Single(fit.Constraints);
        Assert.Equal(ConstraintKind.Locality, c.Kind);
        Assert.Equal("pdx", c.Where);
        Assert.Equal(new GpuCount(3_600), c.Short);
        Assert.Equal("28,080 vr-nvl72 GPUs are free from 2027-01-01 to 2027-06-30 across 3 sites, but none holds 25,200: the best, pdx, has 21,600 free.", c.Reason);
    }

    [Fact]
    public void Given_a_block_larger_than_any_fabric_When_checked_Then_fabric_size_binds()
    {
        var fit = Ledger().Check(Deal(28_800, H1, block: 28_800));
        var c = Assert.Single(fit.Constraints);
        Assert.Equal(ConstraintKind.FabricSize, c.Kind);
        Assert.Equal(new GpuCount(7_200), c.Short);
        Assert.Equal("A block of 28,800 vr-nvl72 GPUs must sit in one fabric, but the largest, pdx-a, holds 21,600 GPUs.", c.Reason);
    }

    [Fact]
    public void Given_free_capacity_in_pieces_When_blocks_do_not_fit_Then_block_size_binds()
    {
        // 390 units free in H1 but only pdx-a (300 free) can hold 70-unit blocks: 4 fit, 5 and a 10-unit remainder needed.
        var fit = Ledger().Check(Deal(25_920, H1, block: 5_040));
        var c = Assert.Single(fit.Constraints);
        Assert.Equal(ConstraintKind.BlockSize, c.Kind);
        Assert.Equal("The vr-nvl72 fleet has 28,080 GPUs free from 2027-01-01 to 2027-06-30, but in pieces: 4 blocks of 5,040 GPUs fit and the line needs 5 plus a block of 720.", c.Reason);
    }

    [Fact]
    public void Given_two_lines_for_one_fabric_When_checked_jointly_Then_the_second_sees_the_first()
    {
        var line = new DealLine { Platform = Vr, Gpus = new GpuCount(14_400), Period = Y2027, Locality = Locality.Fabric };
        var deal = TinyWorld.Deal(line, line with { Id = new LineId("L2") });
        var ledger = Ledger();
        var before = ledger.Snapshot();
        var fit = ledger.Check(deal);
        Assert.Equal(before, ledger.Snapshot());
        Assert.Equal([ConstraintKind.PlatformSupply, ConstraintKind.FabricSize], fit.Constraints.Select(x => x.Kind));
        Assert.Equal("Even filled to its size, fabric pdx-a has room for only 0 more GPUs from 2027-01-01 to 2027-12-31; "
            + "the remaining 7,200 GPUs need a new or larger fabric.", fit.Constraints[1].Reason);
        var c = fit.Constraints[0];
        Assert.Equal(new LineId("L2"), c.Line);
        Assert.Equal(ConstraintKind.PlatformSupply, c.Kind);
        Assert.Equal("vr-nvl72 supply in fabric pdx-a is short by 7,200 GPUs from 2027-01-01 to 2027-12-31: 14,400 needed, 7,200 free at the tightest point in 1 fabric; "
            + "pdx-a has the most free over the whole period (7,200).", c.Reason);
    }

    [Fact]
    public void Given_supply_arrives_in_april_When_asking_the_earliest_start_Then_it_is_the_acceptance_date()
    {
        var earliest = Ledger().Earliest(Deal(30_240, H1), Utc.Date(2027, 1, 1), Utc.Date(2030, 1, 1));
        Assert.Equal(Utc.Date(2027, 4, 1), earliest.Start);
        Assert.True(earliest.Fit.Fits);
        Assert.Equal(new Period(Utc.Date(2027, 4, 1), Utc.Date(2027, 9, 29)), earliest.Fit.Placements[0].Spec.Period);
    }

    [Fact]
    public void Given_the_estate_When_asking_the_largest_size_Then_it_is_all_free_units_or_the_whole_blocks_that_fit()
    {
        var ledger = Ledger();
        Assert.Equal(new GpuCount(28_080), ledger.Largest(Deal(72, H1)).Largest);
        Assert.Equal(new GpuCount(21_600), ledger.Largest(Deal(72, H1, block: 7_200)).Largest);
        Assert.Equal(new GpuCount(21_600), ledger.Largest(Deal(72, H1, Locality.Fabric)).Largest);
    }

    [Fact]
    public void Given_a_priced_deal_When_asking_its_impact_Then_tcv_and_utilization_before_and_after_are_exact()
    {
        var impact = Ledger().Impact(Deal(14_400, Y2027, Locality.Region, price: 3m));
        Assert.Equal(Money.Usd(378_432_000m), impact.Tcv);
        Assert.Equal([new Utilization("vr-nvl72", 0.114211m, 0.494915m)], impact.ByPlatform);
        Assert.Equal(
            [new Utilization("ash", 0.342188m, 0.342188m), new Utilization("atl", 0m, 0m), new Utilization("pdx", 0m, 0.666667m)],
            impact.BySite);
    }

    [Fact]
    public void Given_a_signed_line_When_its_delivery_slips_Then_the_line_is_reported_uncovered_and_coverage_moves_later()
    {
        var ledger = Ledger();
        var contract = new ContractId("acme-1");
        var year = new Period(Utc.Date(2027, 4, 1), Utc.Date(2028, 4, 1));
        Assert.True(ledger.Sign(contract, Deal(7_200, year, Locality.Fabric)).Applied);
        var line = new LineRef(contract, new LineId("L1"));
        Assert.Equal(new FabricId("ash-b"), ledger.PlacementOf(line)[0].Fabric);

        var slipped = TinyWorld.Delivery("d2", "ash-b", 100, Utc.Date(2027, 6, 1)) with { OriginalAcceptanceDate = Utc.Date(2027, 4, 1) };
        var change = ledger.ApplyDeliveryChange(slipped);
        Assert.Equal(
            [new UncoveredLine(line, new FabricId("ash-b"), new Period(Utc.Date(2027, 4, 1), Utc.Date(2027, 6, 1)), new GpuCount(7_200))],
            change.Uncovered);
        Assert.Equal(
            [new CoverageStep(Utc.Date(2027, 4, 1), GpuCount.Zero), new CoverageStep(Utc.Date(2027, 6, 1), new GpuCount(7_200)), new CoverageStep(Utc.Date(2028, 4, 1), GpuCount.Zero)],
            ledger.Coverage(line));

        ledger.Release(change.Token);
        Assert.Empty(ledger.Uncovered());
    }

    [Fact]
    public void Given_a_signed_contract_When_cancelled_mid_term_Then_the_future_is_free_and_the_past_stays()
    {
        var ledger = Ledger();
        var contract = new ContractId("acme-1");
        Assert.True(ledger.Sign(contract, Deal(14_400, Y2027, Locality.Fabric)).Applied);
        Assert.Equal(100, ledger.FreeUnits(new FabricId("pdx-a"), Y2027));
        Assert.True(ledger.CancelLine(new LineRef(contract, new LineId("L1")), Utc.Date(2027, 7, 1)).Applied);
        Assert.Equal(100, ledger.FreeUnits(new FabricId("pdx-a"), H1));
        Assert.Equal(300, ledger.FreeUnits(new FabricId("pdx-a"), new Period(Utc.Date(2027, 7, 1), Utc.Date(2028, 1, 1))));
    }

    [Fact]
    public void Given_bad_scenario_lines_When_building_Then_each_is_skipped_with_an_issue_naming_its_field()
    {
        var good = Estate();
        var bad = good with
        {
            Contracts =
            [
                .. good.Contracts,
                TinyWorld.Pinned("odd", 1, "pdx-a", 1, H1, "vr-nvl72", 72) with { Lines = [TinyWorld.Pinned("odd", 1, "pdx-a", 1, H1, "vr-nvl72", 72).Lines[0] with { Gpus = new GpuCount(100), Pinned = [] }] },
                TinyWorld.Pinned("ghost", 2, "nowhere", 1, H1, "vr-nvl72", 72),
            ],
            Deliveries = [.. good.Deliveries, TinyWorld.Delivery("late", "pdx-a", 5, Utc.Date(2027, 1, 1).AddSeconds(30))],
        };
        var build = CapacityLedger.Build(bad);
        Assert.Equal(
            [
                "deliveries[4].acceptanceDate: must be UTC on a whole minute",
                "contracts[1].lines[0].gpus: must be a positive multiple of the vr-nvl72 unit (72)",
                "contracts[2].lines[0].pinned[0]: fabric 'nowhere' is unknown, of another platform, or given no units",
            ],
            build.Issues.Select(i => i.ToString()));
        Assert.Equal([new LineRef(new ContractId("meta-1"), new LineId("L1"))], build.Ledger.LineRefs);
    }

    [Fact]
    public void Given_a_book_pinned_beyond_supply_When_building_Then_the_latest_signed_line_is_reported_uncovered()
    {
        // atl-a has 50 units from 2026-12-01; two pinned lines of 30 units each from 2026-11-01.
        var term = new Period(Utc.Date(2026, 11, 1), Utc.Date(2027, 11, 1));
        var estate = Estate() with
        {
            Contracts = [.. Estate().Contracts, TinyWorld.Pinned("early", 1, "atl-a", 30, term, "vr-nvl72", 72), TinyWorld.Pinned("late", 2, "atl-a", 30, term, "vr-nvl72", 72)],
        };
        var build = CapacityLedger.Build(estate);
        var early = new LineRef(new ContractId("early"), new LineId("L1"));
        var late = new LineRef(new ContractId("late"), new LineId("L1"));
        var atl = new FabricId("atl-a");
        Assert.Equal(
            [
                new UncoveredLine(early, atl, new Period(Utc.Date(2026, 11, 1), Utc.Date(2026, 12, 1)), new GpuCount(2_160)),
                new UncoveredLine(late, atl, new Period(Utc.Date(2026, 11, 1), Utc.Date(2026, 12, 1)), new GpuCount(2_160)),
                new UncoveredLine(late, atl, new Period(Utc.Date(2026, 12, 1), Utc.Date(2027, 11, 1)), new GpuCount(720)),
            ],
            build.Uncovered);
        Assert.Equal(
            [new CoverageStep(Utc.Date(2026, 11, 1), GpuCount.Zero), new CoverageStep(Utc.Date(2026, 12, 1), new GpuCount(1_440)), new CoverageStep(Utc.Date(2027, 11, 1), GpuCount.Zero)],
            build.Ledger.Coverage(late));
    }

    [Fact]
    public void Given_two_writes_When_releasing_out_of_order_or_twice_Then_it_is_refused()
    {
        var ledger = Ledger();
        var first = ledger.Sign(new ContractId("a"), Deal(720, H1)).Token!;
        var second = ledger.Sign(new ContractId("b"), Deal(720, H1)).Token!;
        Assert.Throws<InvalidOperationException>(() => ledger.Release(first));
        ledger.Release(second);
        ledger.Release(first);
        Assert.Throws<InvalidOperationException>(() => ledger.Release(first));
        Assert.Equal(CapacityLedger.Build(Estate()).Ledger.Snapshot(), ledger.Snapshot());
    }

    [Fact]
    public void Given_a_commit_for_capacity_taken_since_the_check_When_committed_Then_it_is_refused_and_nothing_changes()
    {
        var ledger = Ledger();
        var deal = Deal(21_600, Y2027, Locality.Fabric);
        var first = ledger.Check(deal);
        var second = ledger.Check(deal);
        Assert.True(ledger.Commit(new ContractId("a"), first.Placements).Applied);
        var before = ledger.Snapshot();
        var refused = ledger.Commit(new ContractId("b"), second.Placements);
        Assert.False(refused.Applied);
        Assert.Equal("Fabric pdx-a no longer has room for line b/L1: another commitment took it first.", refused.Error);
        Assert.Equal(before, ledger.Snapshot());
    }
}
