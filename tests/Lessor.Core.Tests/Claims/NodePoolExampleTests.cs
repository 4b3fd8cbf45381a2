using Lessor.Core.Catalog;
using Lessor.Core.Claims;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Core.Tests.Ledger;

namespace Lessor.Core.Tests.Claims;

public class NodePoolExampleTests
{
    private static readonly CustomerId Acme = new("acme");

    private static Platform Catalog(string id) => DefaultCatalog.Platforms(Currency.Usd).Single(p => p.Id.Value == id);

    [Fact]
    public void Given_the_catalog_When_splitting_units_into_nodes_Then_hgx_is_one_node_nvl72_is_18_trays_and_trn2_is_4_instances()
    {
        Assert.Equal(1, NodeShape.NodesPerUnit(Catalog("h100-hgx")));
        Assert.Equal(18, NodeShape.NodesPerUnit(Catalog("gb300-nvl72")));
        Assert.Equal(18, NodeShape.NodesPerUnit(Catalog("vr-nvl72")));
        Assert.Equal(4, NodeShape.NodesPerUnit(Catalog("trn2-ultraserver")));
    }

    [Fact]
    public void Given_two_nvl72_racks_one_partly_used_When_claiming_a_domain_Then_the_partly_used_rack_is_filled_first()
    {
        var gb300 = Catalog("gb300-nvl72");
        var pool = new NodePool([gb300], [TinyWorld.Fabric("f1", "s1", 4, gb300.Id.Value)], new Dictionary<FabricId, int> { [new("f1")] = 2 });
        Assert.Equal(36, pool.FreeNodes(gb300.Id));

        var first = pool.Claim(new ClaimRequest(new ClaimId("a"), gb300.Id, 10, ClaimScope.ScaleUpDomain, Acme));
        var second = pool.Claim(new ClaimRequest(new ClaimId("b"), gb300.Id, 8, ClaimScope.ScaleUpDomain, Acme));
        var third = pool.Claim(new ClaimRequest(new ClaimId("c"), gb300.Id, 9, ClaimScope.ScaleUpDomain, Acme));

        Assert.All(first.Claim!.Nodes, n => Assert.Equal(0, n.Unit));
        Assert.Equal(Enumerable.Range(0, 10), first.Claim.Nodes.Select(n => n.Tray));
        Assert.All(second.Claim!.Nodes, n => Assert.Equal(0, n.Unit));
        Assert.Equal(Enumerable.Range(10, 8), second.Claim.Nodes.Select(n => n.Tray));
        Assert.All(third.Claim!.Nodes, n => Assert.Equal(1, n.Unit));
        var refused = pool.Claim(new ClaimRequest(new ClaimId("d"), gb300.Id, 10, ClaimScope.ScaleUpDomain, Acme));
        Assert.Equal("no scale-up domain of gb300-nvl72 has 10 free nodes; the most in one is 9.", refused.Reason);
        var tooBig = pool.Claim(new ClaimRequest(new ClaimId("e"), gb300.Id, 19, ClaimScope.ScaleUpDomain, Acme));
        Assert.Equal("a scale-up domain of gb300-nvl72 holds 18 nodes; 19 asked.", tooBig.Reason);
    }

    [Fact]
    public void Given_fabrics_of_6_and_3_free_nodes_When_claiming_3_then_4_Then_the_smaller_fabric_is_used_first_and_the_reasons_name_the_shortfall()
    {
        var hgx = TinyWorld.Hgx();
        var pool = new NodePool([hgx], [TinyWorld.Fabric("big", "s1", 8), TinyWorld.Fabric("small", "s1", 8)],
            new Dictionary<FabricId, int> { [new("big")] = 6, [new("small")] = 3 });

        var three = pool.Claim(new ClaimRequest(new ClaimId("a"), hgx.Id, 3, ClaimScope.Fabric, Acme));
        Assert.All(three.Claim!.Nodes, n => Assert.Equal(new FabricId("small"), n.Fabric));
        var seven = pool.Claim(new ClaimRequest(new ClaimId("b"), hgx.Id, 7, ClaimScope.Fabric, Acme));
        Assert.Equal("nodes", seven.Field);
        Assert.Equal("6 nodes of hgx are free now; 7 asked.", seven.Reason);
        pool.Release(new ClaimId("a"));
        var again = pool.Claim(new ClaimRequest(new ClaimId("c"), hgx.Id, 7, ClaimScope.Fabric, Acme));
        Assert.Equal("no fabric of hgx has 7 free nodes together; the most in one fabric is 6 (9 free in all).", again.Reason);
        Assert.Equal("platform", pool.Claim(new ClaimRequest(new ClaimId("d"), new PlatformId("tpu"), 1, ClaimScope.Fabric, Acme)).Field);
        Assert.Equal("nodes", pool.Claim(new ClaimRequest(new ClaimId("e"), hgx.Id, 0, ClaimScope.Fabric, Acme)).Field);
        pool.Claim(new ClaimRequest(new ClaimId("f"), hgx.Id, 1, ClaimScope.Fabric, Acme));
        Assert.Equal("id", pool.Claim(new ClaimRequest(new ClaimId("f"), hgx.Id, 1, ClaimScope.Fabric, Acme)).Field);
    }

    [Fact]
    public void Given_a_reserved_line_and_a_delivery_not_yet_accepted_When_computing_claimable_units_Then_only_accepted_units_free_over_the_guard_count()
    {
        // f1: 10 units accepted at T0, 4 more accepted at T0+60 min. A reserved line holds 3 units over [T0+30, T0+600).
        // f2: 6 units, but only planned (not accepted).
        var s = new Scenario
        {
            Name = "claims",
            Platforms = [TinyWorld.Hgx()],
            Regions = [new Region { Id = new RegionId("r1"), Name = "r1" }],
            Sites = [TinyWorld.Site("s1", "r1")],
            Fabrics = [TinyWorld.Fabric("f1", "s1", 16), TinyWorld.Fabric("f2", "s1", 16)],
            Deliveries =
            [
                TinyWorld.Delivery("d1", "f1", 10, TinyWorld.At(0)), TinyWorld.Delivery("d2", "f1", 4, TinyWorld.At(60)),
                TinyWorld.Delivery("d3", "f2", 6, TinyWorld.At(0)) with { Status = DeliveryStatus.Planned },
            ],
            Customers = [new Customer { Id = new CustomerId("c"), Name = "c" }],
            Contracts = [TinyWorld.Pinned("k1", 0, "f1", 3, TinyWorld.Span(30, 600))],
        };
        var ledger = CapacityLedger.Build(s).Ledger;

        var beforeLine = ClaimableUnits.Compute(s, ledger, TinyWorld.At(0), TimeSpan.FromMinutes(20));
        var overLine = ClaimableUnits.Compute(s, ledger, TinyWorld.At(0), TimeSpan.FromMinutes(40));
        var later = ClaimableUnits.Compute(s, ledger, TinyWorld.At(120), TimeSpan.FromMinutes(40));

        Assert.Equal(new Dictionary<FabricId, int> { [new("f1")] = 10 }, beforeLine);
        Assert.Equal(new Dictionary<FabricId, int> { [new("f1")] = 7 }, overLine);
        Assert.Equal(new Dictionary<FabricId, int> { [new("f1")] = 11 }, later);
    }
}
