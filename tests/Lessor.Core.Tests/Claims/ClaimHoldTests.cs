using CsCheck;
using Lessor.Core.Claims;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Core.Tests.Ledger;

namespace Lessor.Core.Tests.Claims;

/// <summary>Claims held now, taken out of the ledger's fit over the guard window: a line placed meanwhile never displaces them.</summary>
public class ClaimHoldTests
{
    [Fact]
    public void Given_claims_on_a_fabric_and_a_delivery_landing_in_the_window_When_holding_Then_the_hold_is_the_claims_plus_the_arriving_units()
    {
        // f1: 10 units accepted at T0, 4 more at T0+60; f2: 6 units; claims hold units [0, 3) of f1 and none of f2.
        var s = TinyScenario();
        var ledger = CapacityLedger.Build(s).Ledger;
        var extents = new Dictionary<FabricId, int> { [new("f1")] = 3, [new("f2")] = 0 };

        var holds = ClaimableUnits.Holds(s, ledger, TinyWorld.At(0), TimeSpan.FromMinutes(120), extents);

        Assert.Equal([(new FabricId("f1"), 7)], holds);
        Assert.Equal(ClaimableUnits.Window(TinyWorld.At(0).AddSeconds(30), TimeSpan.FromMinutes(120)), TinyWorld.Span(0, 121));
    }

    [Fact]
    public void Given_a_hold_When_a_line_is_checked_committed_and_the_hold_released_Then_the_fit_avoided_the_held_units_and_the_line_stays()
    {
        var s = TinyScenario();
        var ledger = CapacityLedger.Build(s).Ledger;
        var window = TinyWorld.Span(0, 120);
        var wide = TinyWorld.Deal(new DealLine { Platform = new PlatformId("hgx"), Gpus = new GpuCount(8 * TinyWorld.Unit), Period = TinyWorld.Span(10, 300), Locality = Locality.Fabric });

        var hold = ledger.HoldUnits([(new FabricId("f1"), 7)], window);
        var refused = ledger.Check(wide);
        var small = ledger.Sign(new ContractId("k1"), TinyWorld.Deal(new DealLine { Platform = new PlatformId("hgx"), Gpus = new GpuCount(3 * TinyWorld.Unit), Period = TinyWorld.Span(10, 300) }));
        hold.Release();

        Assert.False(refused.Fits);
        Assert.True(small.Applied);
        Assert.Equal(10, ledger.FreeUnits(new FabricId("f1"), TinyWorld.Span(0, 10)));
        Assert.Throws<InvalidOperationException>(hold.Release);
        // The line took 3 units in f1 (10 - 7 free there while held) or f2: either way it is still in the ledger.
        Assert.Equal(3, ledger.PlacementOf(new LineRef(new ContractId("k1"), new LineId("L1"))).Sum(p => p.Units));
        ledger.Release(small.Token!);
        Assert.Equal(10, ledger.FreeUnits(new FabricId("f1"), TinyWorld.Span(0, 60)));
    }

    [Fact]
    public void Given_random_fleets_and_claims_within_the_claimable_units_When_a_line_fits_under_the_hold_Then_every_claim_stays_claimable()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: true);
            var ledger = CapacityLedger.Build(s).Ledger;
            var now = TinyWorld.At(rng.Next(0, 40));
            var guard = TimeSpan.FromMinutes(rng.Next(1, 40));
            var claimable = ClaimableUnits.Compute(s, ledger, now, guard);
            var extents = claimable.ToDictionary(kv => kv.Key, kv => rng.Next(0, kv.Value + 1));

            var hold = ledger.HoldUnits(ClaimableUnits.Holds(s, ledger, now, guard, extents), ClaimableUnits.Window(now, guard));
            var signed = ledger.Sign(new ContractId("new"), TinyWorld.Deal(TinyWorld.RandomLine(rng), TinyWorld.RandomLine(rng)));
            hold.Release();

            var after = ClaimableUnits.Compute(s, ledger, now, guard);
            foreach (var (fabric, extent) in extents)
            {
                if (after.GetValueOrDefault(fabric) < extent)
                    throw new InvalidOperationException($"seed {seed}: {fabric} claimable {after.GetValueOrDefault(fabric)} < claimed extent {extent} (signed: {signed.Applied})");
            }
        }, iter: 2_000);
    }

    private static Scenario TinyScenario() => new()
    {
        Name = "holds",
        Platforms = [TinyWorld.Hgx()],
        Regions = [new Region { Id = new RegionId("r1"), Name = "r1" }],
        Sites = [TinyWorld.Site("s1", "r1")],
        Fabrics = [TinyWorld.Fabric("f1", "s1", 16), TinyWorld.Fabric("f2", "s1", 16)],
        Deliveries = [TinyWorld.Delivery("d1", "f1", 10, TinyWorld.At(0)), TinyWorld.Delivery("d2", "f1", 4, TinyWorld.At(60)), TinyWorld.Delivery("d3", "f2", 6, TinyWorld.At(0))],
        Customers = [new Customer { Id = new CustomerId("c"), Name = "c" }],
    };
}
