using CsCheck;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using static Lessor.Planning.Tests.Fleet;

namespace Lessor.Planning.Tests;

/// <summary>On random small fleets: a plan, applied, makes the deal fit without breaking the scenario, and no unit of it is spare.</summary>
public sealed class PlannerProperties
{
    private sealed record SiteSpec(int Region, int Cooling, int PowerSteps, int Fabrics, int MaxUnits, int FillPercent);

    private sealed record DealSpec(int Platform, int Units, int Locality, int BlockUnits, int MinSites, int StartMonth, int Years);

    private static readonly Gen<SiteSpec> SiteGen = Gen.Select(Gen.Int[0, 1], Gen.Int[0, 2], Gen.Int[1, 100], Gen.Int[0, 2], Gen.Int[2, 16], Gen.Int[0, 100])
        .Select(t => new SiteSpec(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6));

    private static readonly Gen<DealSpec> DealGen = Gen.Select(Gen.Int[0, 1], Gen.Int[1, 16], Gen.Int[0, 3], Gen.Int[0, 4], Gen.Int[1, 3], Gen.Int[0, 11], Gen.Int[1, 3])
        .Select(t => new DealSpec(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7));

    private static (Scenario, DealRequest) Build(SiteSpec[] specs, DealSpec d)
    {
        var sites = new List<Site>();
        var fabrics = new List<Fabric>();
        var deliveries = new List<Delivery>();
        var lines = new List<ContractLine>();
        for (var i = 0; i < specs.Length; i++)
        {
            var spec = specs[i];
            var id = $"s{i}";
            Cooling[] cooling = spec.Cooling switch { 0 => [Cooling.Air], 1 => [Cooling.Liquid], _ => [Cooling.Air, Cooling.Liquid] };
            var kw = 0m;
            for (var k = 0; k < spec.Fabrics; k++)
            {
                var p = spec.Cooling == 1 || (spec.Cooling == 2 && k == 1) ? Rack : Hgx;
                var fid = $"{id}-f{k + 1}";
                fabrics.Add(Fabric(fid, id, spec.MaxUnits, p));
                var units = spec.MaxUnits * spec.FillPercent / 100;
                if (units == 0) continue;
                deliveries.Add(Delivery(fid, units));
                kw += units * p.UnitKw;
                // Half of the fabric is already sold, pinned so a rebuild never moves it.
                var sold = units / 2;
                if (sold > 0)
                {
                    lines.Add(new ContractLine
                    {
                        Id = new LineId($"{fid}-l"), Platform = p.Id, Gpus = p.GpusOf(sold), PricePerGpuHour = Money.Usd(2m),
                        Period = new Period(Utc.Date(2026, 1, 1), Utc.Date(2028, 1, 1)), Pinned = [new PlacedBlock(new FabricId(fid), sold)],
                    });
                }
            }
            var mw = Math.Max(spec.PowerSteps * 0.05m, kw / 1000m);
            sites.Add(Site(id, $"r{spec.Region}", mw, cooling));
        }
        var contracts = lines.Count == 0 ? new List<Contract>() :
        [
            new Contract { Id = new ContractId("book"), Customer = new CustomerId("c"), SignedOn = Utc.Date(2025, 6, 1), Currency = Currency.Usd, Lines = lines },
        ];
        var platform = d.Platform == 0 ? Hgx : Rack;
        var locality = (Locality)d.Locality;
        var block = d.BlockUnits == 0 ? (int?)null : d.BlockUnits * platform.GpusPerUnit;
        var deal = Deal(d.Units * platform.GpusPerUnit, locality, block, d.MinSites, platform, Utc.Date(2027, 1, 1).AddMonths(d.StartMonth), d.Years);
        return (Make(sites, fabrics, deliveries, contracts), deal);
    }

    [Fact]
    public void Given_random_fleets_When_a_plan_exists_Then_applied_it_fits_breaks_nothing_and_has_no_spare_unit()
    {
        var outcomes = new int[3];
        Gen.Select(SiteGen.Array[1, 4], DealGen).Sample((specs, dealSpec) =>
        {
            var (s, deal) = Build(specs, dealSpec);
            var plan = Plan(s, deal);
            Interlocked.Increment(ref outcomes[(int)plan.Outcome]);
            if (plan.Outcome == PlanOutcome.NoPlan)
            {
                Assert.Contains(plan.Blocker, new[] { PlanBlocker.Power, PlanBlocker.FabricLimits });
                Assert.False(string.IsNullOrEmpty(plan.Why));
                return;
            }
            var applied = BuildOutPlanner.Apply(s, plan.Deliveries);
            Assert.True(CapacityLedger.Build(applied).Ledger.Check(deal).Fits);
            var before = ScenarioValidator.Validate(s).Select(i => i.ToString()).ToHashSet();
            Assert.DoesNotContain(ScenarioValidator.Validate(applied), i => !before.Contains(i.ToString()));
            Assert.All(plan.Deliveries, d => Assert.True(d.OrderBy >= Today && d.AcceptanceDate == deal.Lines[0].Period.Start));
            Assert.Equal(plan.Units, plan.Deliveries.Sum(d => d.Units));
            // Least capex: one unit fewer in any delivery and the deal no longer fits.
            for (var i = 0; i < plan.Deliveries.Count; i++)
            {
                var fewer = plan.Deliveries.ToList();
                if (fewer[i].Units == 1) fewer.RemoveAt(i);
                else fewer[i] = fewer[i] with { Units = fewer[i].Units - 1 };
                Assert.False(FitsAfter(s, fewer, deal), $"delivery {plan.Deliveries[i].Id} has a spare unit");
            }
        }, iter: 300, threads: 1);
        // The cases must exercise planning, not only fits and refusals.
        Assert.True(outcomes[(int)PlanOutcome.Planned] >= 50, $"fits {outcomes[0]}, planned {outcomes[1]}, no plan {outcomes[2]}");
    }
}
