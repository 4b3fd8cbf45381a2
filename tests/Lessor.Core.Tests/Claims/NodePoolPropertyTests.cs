using CsCheck;
using Lessor.Core.Claims;
using Lessor.Core.Model;
using Lessor.Core.Tests.Ledger;

namespace Lessor.Core.Tests.Claims;

/// <summary>Random fleets and random claim/release sequences, checked against a brute-force view of every node.</summary>
public class NodePoolPropertyTests
{
    private const int Iterations = 1_000;

    private sealed record World(Platform[] Platforms, Fabric[] Fabrics, Dictionary<FabricId, int> Claimable);

    private static readonly Platform Hgx = TinyWorld.Hgx("hgx");

    // 16 GPUs per unit: rack-scale, 4 trays of 4 GPUs per scale-up domain.
    private static readonly Platform Rack = TinyWorld.Hgx("rack", 16);

    private static World RandomWorld(Random rng)
    {
        var fabrics = new List<Fabric>();
        var claimable = new Dictionary<FabricId, int>();
        var n = rng.Next(1, 6);
        for (var i = 0; i < n; i++)
        {
            var platform = rng.Next(2) == 0 ? Hgx : Rack;
            var fabric = TinyWorld.Fabric($"f{i}", "s1", rng.Next(0, 7), platform.Id.Value);
            fabrics.Add(fabric);
            if (rng.Next(5) > 0) claimable[fabric.Id] = rng.Next(-1, fabric.MaxUnits + 2);
        }
        return new World([Hgx, Rack], [.. fabrics], claimable);
    }

    private static int Limit(World w, Fabric f) => Math.Clamp(w.Claimable.GetValueOrDefault(f.Id), 0, f.MaxUnits);

    private static int Npu(Fabric f) => f.Platform == Hgx.Id ? 1 : 4;

    /// <summary>Free nodes per (fabric, unit) on claimable units, from the pool's answers about single nodes.</summary>
    private static Dictionary<(FabricId, int), int> FreeByUnit(World w, NodePool pool)
    {
        var free = new Dictionary<(FabricId, int), int>();
        foreach (var f in w.Fabrics)
        {
            for (var u = 0; u < Limit(w, f); u++)
            {
                var k = 0;
                for (var t = 0; t < Npu(f); t++) if (pool.HolderOf(new NodeId(f.Id, u, t)) is null) k++;
                free[(f.Id, u)] = k;
            }
        }
        return free;
    }

    [Fact]
    public void Given_random_fleets_and_claims_When_claiming_and_releasing_Then_no_node_is_held_twice_scope_and_reserved_units_hold_and_best_fit_is_chosen()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var w = RandomWorld(rng);
            var pool = new NodePool(w.Platforms, w.Fabrics, w.Claimable);
            var initial = w.Platforms.Select(p => pool.FreeNodes(p.Id)).ToArray();
            var live = new List<ClaimId>();
            for (var step = 0; step < 30; step++)
            {
                if (live.Count > 0 && rng.Next(3) == 0)
                {
                    var id = live[rng.Next(live.Count)];
                    Assert.True(pool.Release(id));
                    Assert.False(pool.Release(id));
                    live.Remove(id);
                    continue;
                }
                var platform = w.Platforms[rng.Next(2)];
                var scope = rng.Next(2) == 0 ? ClaimScope.Fabric : ClaimScope.ScaleUpDomain;
                var wanted = rng.Next(1, 7);
                var before = FreeByUnit(w, pool);
                var fabricFree = w.Fabrics.Where(f => f.Platform == platform.Id)
                    .ToDictionary(f => f.Id, f => before.Where(kv => kv.Key.Item1 == f.Id).Sum(kv => kv.Value));
                var request = new ClaimRequest(new ClaimId($"c{step}"), platform.Id, wanted, scope, new CustomerId(rng.Next(2) == 0 ? "a" : "b"));

                var result = pool.Claim(request);

                bool possible;
                if (scope == ClaimScope.Fabric) possible = fabricFree.Values.Any(v => v >= wanted);
                else possible = before.Any(kv => fabricFree.ContainsKey(kv.Key.Item1) && kv.Value >= wanted);
                Assert.Equal(possible, result.Granted);
                if (!result.Granted)
                {
                    Assert.Equal("nodes", result.Field);
                    continue;
                }
                var claim = result.Claim!;
                live.Add(claim.Id);
                Assert.Equal(wanted, claim.Nodes.Count);
                Assert.Equal(wanted, claim.Nodes.Distinct().Count());
                var fabric = Assert.Single(claim.Nodes.Select(n => n.Fabric).Distinct());
                var spec = w.Fabrics.Single(f => f.Id == fabric);
                Assert.Equal(platform.Id, spec.Platform);
                foreach (var node in claim.Nodes)
                {
                    Assert.True(node.Unit < Limit(w, spec), $"node {node} lies on a unit that is not claimable");
                    Assert.True(before[(node.Fabric, node.Unit)] > 0);
                    Assert.Equal(claim.Id, pool.HolderOf(node));
                }
                if (scope == ClaimScope.Fabric)
                {
                    Assert.Equal(fabricFree.Values.Where(v => v >= wanted).Min(), fabricFree[fabric]);
                }
                else
                {
                    var unit = Assert.Single(claim.Nodes.Select(n => n.Unit).Distinct());
                    var fewest = before.Where(kv => fabricFree.ContainsKey(kv.Key.Item1) && kv.Value >= wanted).Min(kv => kv.Value);
                    Assert.Equal(fewest, before[(fabric, unit)]);
                }
            }

            // Every node is held by at most one live claim, and the pool agrees with the claims it lists.
            var all = pool.List().SelectMany(c => c.Nodes).ToList();
            Assert.Equal(all.Count, all.Distinct().Count());
            Assert.Equal(all.Count, pool.HeldNodes);
            Assert.Equal(live.Count, pool.List().Count);
            foreach (var id in live) Assert.True(pool.Release(id));
            Assert.Equal(initial, w.Platforms.Select(p => pool.FreeNodes(p.Id)).ToArray());
            Assert.Equal(0, pool.HeldNodes);
        }, iter: Iterations);
    }

    [Fact]
    public void Given_claims_made_on_one_pool_When_held_on_a_fresh_pool_Then_both_pools_agree_and_a_second_hold_of_a_node_is_refused()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var w = RandomWorld(rng);
            var first = new NodePool(w.Platforms, w.Fabrics, w.Claimable);
            for (var i = 0; i < 10; i++)
            {
                first.Claim(new ClaimRequest(new ClaimId($"c{i}"), w.Platforms[rng.Next(2)].Id, rng.Next(1, 4),
                    rng.Next(2) == 0 ? ClaimScope.Fabric : ClaimScope.ScaleUpDomain, new CustomerId("a")));
            }
            var second = new NodePool(w.Platforms, w.Fabrics, w.Claimable);
            foreach (var claim in first.List()) Assert.Null(second.Hold(claim));
            foreach (var p in w.Platforms) Assert.Equal(first.FreeNodes(p.Id), second.FreeNodes(p.Id));
            foreach (var claim in first.List())
            {
                var thief = claim with { Id = new ClaimId("thief") };
                Assert.NotNull(second.Hold(thief));
                Assert.Null(second.Get(thief.Id));
            }
            Assert.Equal(first.HeldNodes, second.HeldNodes);
        }, iter: Iterations);
    }

    [Fact]
    public void Given_random_claims_When_a_reserved_line_takes_units_Then_no_later_claim_lands_there_and_displaced_claims_are_named()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var w = RandomWorld(rng);
            var pool = new NodePool(w.Platforms, w.Fabrics, w.Claimable);
            for (var i = 0; i < 8; i++) pool.Claim(new ClaimRequest(new ClaimId($"c{i}"), w.Platforms[rng.Next(2)].Id, rng.Next(1, 4), ClaimScope.Fabric, new CustomerId("a")));
            var shrunk = w.Fabrics.ToDictionary(f => f.Id, f => rng.Next(0, Limit(w, f) + 1));
            foreach (var (fabric, units) in shrunk) pool.SetClaimableUnits(fabric, units);

            var displaced = pool.Displaced().Select(c => c.Id).ToHashSet();
            foreach (var claim in pool.List())
                Assert.Equal(claim.Nodes.Any(n => n.Unit >= shrunk[n.Fabric]), displaced.Contains(claim.Id));
            for (var i = 0; i < 8; i++)
            {
                var result = pool.Claim(new ClaimRequest(new ClaimId($"d{i}"), w.Platforms[rng.Next(2)].Id, rng.Next(1, 4), ClaimScope.Fabric, new CustomerId("b")));
                if (result.Granted) Assert.All(result.Claim!.Nodes, n => Assert.True(n.Unit < shrunk[n.Fabric]));
            }
        }, iter: Iterations);
    }
}
