using Lessor.Core.Claims;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

// Contract writes fenced against on-demand claims, on every store.
public abstract partial class StoreSuite
{
    [Fact]
    public async Task Given_a_claim_on_unit_3_When_a_contract_write_leaves_claims_3_or_4_units_Then_the_first_is_refused_unwritten_and_the_second_bumps_both_revisions()
    {
        await using var store = await OpenAsync();
        var scenario = ScenarioBuilder.Full();
        await store.ImportAsync(scenario, None);
        var fabric = scenario.Fabrics[0];
        var customer = scenario.Customers[0].Id;
        var at = Utc.Date(2027, 3, 1);
        var before = await store.ReadClaimsAsync(None);
        var claim = new Claim(new ClaimId("cl-1"), customer, fabric.Platform, ClaimScope.Fabric, [new NodeId(fabric.Id, 3, 0)]);
        var claimed = await store.WriteClaimsAsync(new ClaimWrite([new StoredClaim(claim, null, at)], [], at), before.StoreRevision, before.ClaimsRevision, None);
        Assert.Equal(ClaimWriteStatus.Written, claimed.Status);
        Assert.Equal(new Dictionary<FabricId, int> { [fabric.Id] = 4 }, await store.ClaimExtentsAsync(None));

        var probe = ScenarioBuilder.Probe("fenced-1", customer, fabric.Platform, 1m, at);
        var refused = await store.WriteContractsAsync([(probe, new IdempotencyKey("cli", "fence-key", "digest"))], before.StoreRevision, new ClaimFence(new Dictionary<FabricId, int> { [fabric.Id] = 3 }), None);
        var afterRefusal = await store.ReadClaimsAsync(None);
        var written = await store.WriteContractsAsync([(probe, new IdempotencyKey("cli", "fence-key", "digest"))], before.StoreRevision, new ClaimFence(new Dictionary<FabricId, int> { [fabric.Id] = 4 }), None);
        var afterWrite = await store.ReadClaimsAsync(None);

        Assert.Equal(new ContractWriteResult(ContractWriteStatus.ClaimsInTheWay, before.StoreRevision), refused);
        Assert.Equal((before.StoreRevision, claimed.ClaimsRevision), (afterRefusal.StoreRevision, afterRefusal.ClaimsRevision));
        Assert.Equal(new ContractWriteResult(ContractWriteStatus.Written, before.StoreRevision + 1), written);
        Assert.Equal((before.StoreRevision + 1, claimed.ClaimsRevision + 1), (afterWrite.StoreRevision, afterWrite.ClaimsRevision));
        Assert.NotNull(await store.GetContractAsync(probe.Id, None));
        // A claim write that read the store before the contract went in fails its guard now.
        var stale = await store.WriteClaimsAsync(new ClaimWrite([], [claim.Id], at), before.StoreRevision, claimed.ClaimsRevision, None);
        Assert.Equal(ClaimWriteStatus.StoreMoved, stale.Status);
    }
}
