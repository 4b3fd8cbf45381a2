using Lessor.Core.Finance;
using Lessor.Core.Generation;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using static Lessor.Core.Tests.Ledger.TinyWorld;

namespace Lessor.Core.Tests.Ledger;

/// <summary>
/// GPU-time a late delivery kept from a line is served after the line's end on capacity no line holds (issue 10): tails
/// share free units in signing order, last until the missed unit-minutes are made up, and never take units another line
/// holds. Figures are worked by hand in minutes from <see cref="TinyWorld.T0"/>.
/// </summary>
public sealed class LateTailTests
{
    private static Scenario World(IReadOnlyList<Delivery> deliveries, params Contract[] contracts) => new()
    {
        Name = "tails", Currency = Currency.Usd, Platforms = [Hgx()], Regions = [new Region { Id = new RegionId("r1"), Name = "r1" }],
        Sites = [Site("s1", "r1")], Fabrics = [Fabric("f1", "s1", 8)], Deliveries = [.. deliveries], Contracts = [.. contracts],
    };

    private static (long From, int Gpus)[] Steps(IReadOnlyList<CoverageStep> steps) =>
        [.. steps.Select(s => ((long)(s.From - T0).TotalMinutes, s.Gpus.Value))];

    [Fact]
    public void Given_a_delivery_after_the_whole_term_When_covering_Then_the_line_is_served_from_acceptance_for_its_length()
    {
        // One unit accepted at minute 300; the line holds it over [0, 100): 100 unit-minutes missed, served [300, 400).
        var world = World([Delivery("d", "f1", 1, At(300))], Pinned("a", 0, "f1", 1, Span(0, 100)));
        var ledger = CapacityLedger.Build(world).Ledger;

        var steps = ledger.CoverageWithTails()[new LineRef(new ContractId("a"), new LineId("L1"))];

        Assert.Equal([(0L, 0), (300L, 8), (400L, 0)], Steps(steps));
    }

    [Fact]
    public void Given_two_late_lines_on_one_late_unit_Then_the_earlier_signed_is_served_first_and_the_other_after_it()
    {
        // Both hold the fabric's one unit over [0, 100) (oversold by the slip); it arrives at 200. a (signed first) missed
        // 100 unit-minutes and is served [200, 300); b missed 100 too and waits for a: [300, 400).
        var world = World([Delivery("d", "f1", 1, At(200))], Pinned("a", 0, "f1", 1, Span(0, 100)), Pinned("b", 1, "f1", 1, Span(0, 100)));
        var tails = CapacityLedger.Build(world).Ledger.CoverageWithTails();

        Assert.Equal([(0L, 0), (200L, 8), (300L, 0)], Steps(tails[new LineRef(new ContractId("a"), new LineId("L1"))]));
        Assert.Equal([(0L, 0), (300L, 8), (400L, 0)], Steps(tails[new LineRef(new ContractId("b"), new LineId("L1"))]));
    }

    [Fact]
    public void Given_the_fabric_is_held_by_another_line_after_the_term_Then_the_tail_waits_and_never_takes_its_units()
    {
        // a holds [0, 100) on a unit accepted only at 50: 50 unit-minutes missed. c holds the unit over [100, 500), so a's
        // tail is served once c ends: [500, 550).
        var world = World([Delivery("d", "f1", 1, At(50))], Pinned("a", 0, "f1", 1, Span(0, 100)), Pinned("c", 1, "f1", 1, Span(100, 500)));
        var tails = CapacityLedger.Build(world).Ledger.CoverageWithTails();

        Assert.Equal([(0L, 0), (50L, 8), (100L, 0), (500L, 8), (550L, 0)], Steps(tails[new LineRef(new ContractId("a"), new LineId("L1"))]));
        Assert.Equal([(100L, 8), (500L, 0)], Steps(tails[new LineRef(new ContractId("c"), new LineId("L1"))]));
    }

    [Fact]
    public void Given_supply_never_arrives_Then_the_tail_is_never_served_and_finance_forfeits_the_value_instead_of_owing_it()
    {
        // No delivery at all: the pinned line is never covered. Its 100 minutes x 8 GPUs x $2/h = 26.67 never become revenue
        // and do not stay in RPO.
        var world = World([], Pinned("a", 0, "f1", 1, Span(0, 100)));
        var ledger = CapacityLedger.Build(world).Ledger;
        var coverage = CoverageSource.FromMap(ledger.CoverageWithTails());

        var kpis = FinanceReport.Kpis(world, coverage, At(1_000), FinanceSettings.Default);

        Assert.Equal(26.67m, kpis.Total.Tcv.Amount); // 8 x 100 / 60 x $2 = 26.666..., in cents
        Assert.Equal(0m, kpis.Total.Recognized.Amount);
        Assert.Equal(kpis.Total.Tcv.Amount, kpis.Total.Forfeited.Amount);
        Assert.Equal(0m, kpis.Total.Rpo.Amount);
    }

    [Theory]
    [InlineData(100_000, 7)]
    [InlineData(100_000, 11)]
    public void Given_a_generated_book_When_reporting_utilization_at_any_month_Then_it_never_exceeds_one(int gpus, ulong seed)
    {
        // Issue 10: deliveries past their date but not marked accepted covered lines while the denominator left them out.
        var scenario = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = gpus, Seed = seed });
        var ledger = CapacityLedger.Build(scenario).Ledger;
        var book = FinanceBook.Build(scenario, CoverageSource.FromMap(ledger.CoverageWithTails()));

        for (var asOf = Utc.Date(2024, 1, 1); asOf < Utc.Date(2033, 1, 1); asOf = asOf.AddMonths(5))
        {
            var kpis = FinanceReport.Kpis(book, asOf, FinanceSettings.Default);
            Assert.True(kpis.Total.Utilization is null or <= 1m, $"{asOf:yyyy-MM-dd}: {kpis.Total.Utilization}");
            foreach (var slice in kpis.ByPlatform.Concat(kpis.BySite))
                Assert.True(slice.Utilization is null or <= 1m, $"{asOf:yyyy-MM-dd} {slice.Key}: {slice.Utilization}");
        }
    }
}
