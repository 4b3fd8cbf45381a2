using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Planning.Tests;

/// <summary>
/// Issue 17: plans whose blocks leave part of every new fabric empty (so they need more new fabrics than units / size),
/// the limit of new fabrics per site, and the tie-break order (capex, then new fabrics, then deliveries). The
/// expected plans are worked out by hand in each test.
/// </summary>
public sealed class PackingAndTieBreakTests
{
    /// <summary>8 GPUs per unit, 10.2 kW, $250,000, 30 days' lead time: the platform.</summary>
    internal static readonly Platform H8 = new()
    {
        Id = new("h8"), Name = "H8", Vendor = "NVIDIA", GpusPerUnit = 8, ScaleUpDomainGpus = 8, UnitKw = 10.2m,
        Cooling = Cooling.Air, CapexPerUnit = Money.Usd(250_000m),
        Prices = new PriceList(Money.Usd(3m), Money.Usd(2m), Money.Usd(1m)), LeadTimeDays = 30, AvailableFrom = Utc.Date(2024, 1, 1),
    };

    private static readonly DateTime Today = Utc.Date(2026, 1, 1);

    /// <summary>One 1 MW site s0 whose fabrics (id, max units, accepted units) are all sold to c1 until 2030, pinned.</summary>
    internal static Scenario SoldOut(int soldGpus, params (string Id, int MaxUnits, int Units)[] fabrics) => new()
    {
        Name = "issue-17",
        Platforms = [H8],
        Regions = [new Region { Id = new("r"), Name = "r" }],
        Sites =
        [
            new Site { Id = new("s0"), Name = "s0", Region = new("r"), Cooling = [Cooling.Air], Power = [new PowerStep(Utc.Date(2024, 1, 1), 1m)] },
        ],
        Fabrics = fabrics.Select(f => new Fabric { Id = new(f.Id), Site = new("s0"), Platform = H8.Id, MaxUnits = f.MaxUnits }).ToList(),
        Deliveries = fabrics.Select(f => new Delivery
        {
            Id = new(f.Id + "-d1"), Fabric = new(f.Id), Units = f.Units, Status = DeliveryStatus.Accepted, AcceptanceDate = Utc.Date(2024, 6, 1),
        }).ToList(),
        Customers = [new Customer { Id = new("c1"), Name = "C1" }],
        Contracts =
        [
            new Contract
            {
                Id = new("c1-book"), Customer = new("c1"), SignedOn = Utc.Date(2024, 6, 1), Currency = Currency.Usd,
                Lines =
                [
                    new ContractLine
                    {
                        Id = new("c1-l1"), Platform = H8.Id, Gpus = new GpuCount(soldGpus), PricePerGpuHour = Money.Usd(2m),
                        Period = new Period(Utc.Date(2025, 1, 1), Utc.Date(2030, 1, 1)),
                        Pinned = fabrics.Select(f => new PlacedBlock(new FabricId(f.Id), f.Units)).ToList(),
                    },
                ],
            },
        ],
    };

    internal static DealRequest Deal(int gpus, int? block = null) => new(new CustomerId("c1"),
    [
        new DealLine
        {
            Platform = H8.Id, Gpus = new GpuCount(gpus), BlockSize = block is { } b ? new GpuCount(b) : null,
            Period = new Period(Utc.Date(2027, 1, 1), Utc.Date(2028, 1, 1)),
        },
    ]);

    private static BuildOutPlan Plan(Scenario s, DealRequest deal, PlanOptions? options = null) =>
        BuildOutPlanner.Plan(s, CapacityLedger.Build(s).Ledger, deal, Today, options);

    private static void AssertPlan(Scenario s, DealRequest deal, BuildOutPlan plan, decimal capex,
        params (string Fabric, bool New, int Units)[] expected)
    {
        Assert.Equal(PlanOutcome.Planned, plan.Outcome);
        Assert.True(plan.Optimal);
        Assert.Equal(expected, plan.Deliveries.Select(d => (d.Fabric.Value, d.NewFabric, d.Units)));
        Assert.Equal(Money.Usd(capex), plan.Capex);
        Assert.All(plan.Deliveries, d =>
        {
            Assert.Equal(new SiteId("s0"), d.Site);
            Assert.Equal(Utc.Date(2027, 1, 1), d.AcceptanceDate);
            Assert.Equal(Utc.Date(2026, 12, 2), d.OrderBy);
        });
        Assert.True(CapacityLedger.Build(BuildOutPlanner.Apply(s, plan.Deliveries)).Ledger.Check(deal).Fits);
    }

    [Fact]
    public void Given_blocks_of_two_units_and_three_unit_fabrics_When_planned_Then_three_new_fabrics_hold_one_block_each()
    {
        // 48 GPUs in blocks of 16: three blocks of 2 units. A new fabric has f0's 3 units and holds one block, so the
        // plan needs three new fabrics (6 units, $1.5M) where units / size counted two.
        var s = SoldOut(24, ("f0", 3, 3));
        var deal = Deal(48, block: 16);

        var plan = Plan(s, deal);

        AssertPlan(s, deal, plan, 1_500_000m, ("s0-f2", true, 2), ("s0-f3", true, 2), ("s0-f4", true, 2));
        Assert.All(plan.Deliveries, d => Assert.Equal(3, d.NewFabricMaxUnits));
        Assert.Equal(6 * 10.2m / 1000m, plan.Mw);
    }

    [Fact]
    public void Given_blocks_of_three_units_and_a_remainder_with_four_unit_fabrics_When_planned_Then_three_new_fabrics()
    {
        // 64 GPUs in blocks of 24: two blocks of 3 units and a remainder of 2. A 4-unit fabric holds one block and
        // then has 1 unit left, too little for the remainder: 3 + 3 + 2 units in three new fabrics, $2M.
        var s = SoldOut(32, ("f0", 4, 4));
        var deal = Deal(64, block: 24);

        AssertPlan(s, deal, Plan(s, deal), 2_000_000m, ("s0-f2", true, 3), ("s0-f3", true, 3), ("s0-f4", true, 2));
    }

    [Fact]
    public void Given_blocks_of_three_units_and_five_unit_fabrics_When_planned_Then_three_new_fabrics_of_three_units()
    {
        // 72 GPUs in blocks of 24: three blocks of 3 units; a 5-unit fabric holds one: 9 units in three new fabrics, $2.25M.
        var s = SoldOut(40, ("f0", 5, 5));
        var deal = Deal(72, block: 24);

        AssertPlan(s, deal, Plan(s, deal), 2_250_000m, ("s0-f2", true, 3), ("s0-f3", true, 3), ("s0-f4", true, 3));
    }

    [Fact]
    public void Given_a_plan_that_needs_more_new_fabrics_than_the_limit_When_planned_Then_no_plan_says_to_raise_the_limit()
    {
        var s = SoldOut(24, ("f0", 3, 3));
        var deal = Deal(48, block: 16);

        var plan = Plan(s, deal, new PlanOptions { MaxNewFabricsPerSite = 2 });

        Assert.Equal(PlanOutcome.NoPlan, plan.Outcome);
        Assert.Equal(PlanBlocker.FabricLimits, plan.Blocker);
        Assert.Equal("A plan may open at most 2 new H8 fabrics per site, and none within that limit fits; the least-capex plan opens 3 new " +
            "3-unit fabrics at s0: raise the limit of new fabrics per site to 3.", plan.Why);
    }

    [Fact]
    public void Given_a_limit_of_new_fabrics_When_planned_Then_exactly_that_many_are_enough()
    {
        var s = SoldOut(24, ("f0", 3, 3));
        var deal = Deal(48, block: 16);

        var plan = Plan(s, deal, new PlanOptions { MaxNewFabricsPerSite = 3 });

        AssertPlan(s, deal, plan, 1_500_000m, ("s0-f2", true, 2), ("s0-f3", true, 2), ("s0-f4", true, 2));
    }

    [Fact]
    public void Given_two_fabrics_with_a_unit_of_room_each_When_planned_Then_one_unit_goes_into_each_not_a_new_fabric()
    {
        // Two units at $250,000 either way: +1 into fa and +1 into fb, or a new 2-unit fabric. Same capex, so fewer new
        // fabrics decides (a weighted 2 per new fabric + 1 per delivery tied them).
        var s = SoldOut(16, ("fa", 2, 1), ("fb", 2, 1));
        var deal = Deal(16);

        AssertPlan(s, deal, Plan(s, deal), 500_000m, ("fa", false, 1), ("fb", false, 1));
    }

    [Fact]
    public void Given_equal_capex_and_no_new_fabric_When_planned_Then_fewer_deliveries_decides()
    {
        // Two units into existing fabrics either way: +2 into one of fa, fb (room 3 each) is one delivery, +1 into each two.
        var s = SoldOut(16, ("fa", 4, 1), ("fb", 4, 1));
        var deal = Deal(16);

        var plan = Plan(s, deal);

        Assert.Equal(PlanOutcome.Planned, plan.Outcome);
        Assert.True(plan.Optimal);
        var d = Assert.Single(plan.Deliveries);
        Assert.Equal((2, false), (d.Units, d.NewFabric));
        Assert.Contains(d.Fabric.Value, new[] { "fa", "fb" });
        Assert.True(CapacityLedger.Build(BuildOutPlanner.Apply(s, plan.Deliveries)).Ledger.Check(deal).Fits);
    }

    [Fact]
    public void Given_a_block_no_existing_fabric_can_hold_When_planned_Then_one_new_fabric_takes_it()
    {
        // 16 GPUs in one block of 2 units: fa and fb have room for 1 more unit each, so only a new 2-unit fabric holds it.
        var s = SoldOut(16, ("fa", 2, 1), ("fb", 2, 1));
        var deal = Deal(16, block: 16);

        AssertPlan(s, deal, Plan(s, deal), 500_000m, ("s0-f3", true, 2));
    }
}
