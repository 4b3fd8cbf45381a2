using Lessor.Core.Claims;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

// A claim group's write on every store: PostgreSQL sends it as one batch whose later statements write only when the
// first one's revision check passed, so a stale view must still write nothing, and a release followed by a claim of the
// same node in one group must see the release first.
public abstract partial class StoreSuite
{
    private static StoredClaim GroupClaim(Fabric fabric, CustomerId customer, string id, IdempotencyKey? key, params int[] units) =>
        new(new Claim(new ClaimId(id), customer, fabric.Platform, ClaimScope.Fabric, units.Select(u => new NodeId(fabric.Id, u, 0)).ToList()), key, ClaimedAt);

    [Fact]
    public async Task Given_a_claim_When_one_write_releases_it_and_claims_its_nodes_again_with_others_Then_the_new_claims_hold_them_and_the_old_one_is_released()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var fabric = s.Fabrics[0];
        var customer = s.Customers[0].Id;
        var at = await store.ReadClaimsAsync(None);
        var first = await store.WriteClaimsAsync(new ClaimWrite([GroupClaim(fabric, customer, "cl-old", null, 0, 1)], [], ClaimedAt), at.StoreRevision, at.ClaimsRevision, None);

        var group = await store.WriteClaimsAsync(new ClaimWrite(
            [GroupClaim(fabric, customer, "cl-new", new IdempotencyKey("key:a", "k1", "d1"), 0, 1, 2), GroupClaim(fabric, customer, "cl-other", new IdempotencyKey("key:a", "k2", "d2"), 3)],
            [new ClaimId("cl-old")], ClaimedAt), at.StoreRevision, first.ClaimsRevision, None);

        Assert.Equal(new ClaimWriteResult(ClaimWriteStatus.Written, at.ClaimsRevision + 2), group);
        var held = await store.ReadClaimsAsync(None);
        Assert.Equal(at.ClaimsRevision + 2, held.ClaimsRevision);
        Assert.Equal(["cl-new", "cl-other"], held.Claims.Select(c => c.Claim.Id.Value));
        Assert.Equal([0, 1, 2], held.Claims[0].Claim.Nodes.Select(n => n.Unit));
        Assert.Equal(new IdempotencyKey("key:a", "k2", "d2"), held.Claims[1].IdempotencyKey);
        Assert.Equal(ClaimedAt, held.Claims[0].CreatedAt);
        Assert.Equal(ClaimedAt, (await store.FindClaimAsync(new ClaimId("cl-old"), None))!.ReleasedAt);
    }

    [Fact]
    public async Task Given_a_stale_claims_revision_or_a_moved_store_When_writing_a_group_Then_nothing_is_written_and_the_status_says_which_moved()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var fabric = s.Fabrics[0];
        var customer = s.Customers[0].Id;
        var at = await store.ReadClaimsAsync(None);
        var first = await store.WriteClaimsAsync(new ClaimWrite([GroupClaim(fabric, customer, "cl-1", null, 0)], [], ClaimedAt), at.StoreRevision, at.ClaimsRevision, None);
        var group = new ClaimWrite([GroupClaim(fabric, customer, "cl-2", new IdempotencyKey("key:a", "k", "d"), 1)], [new ClaimId("cl-1")], ClaimedAt);

        var staleClaims = await store.WriteClaimsAsync(group, at.StoreRevision, at.ClaimsRevision, None);
        var staleStore = await store.WriteClaimsAsync(group, at.StoreRevision - 1, first.ClaimsRevision, None);

        Assert.Equal(new ClaimWriteResult(ClaimWriteStatus.ClaimsMoved, at.ClaimsRevision), staleClaims);
        Assert.Equal(new ClaimWriteResult(ClaimWriteStatus.StoreMoved, first.ClaimsRevision), staleStore);
        var held = await store.ReadClaimsAsync(None);
        Assert.Equal(first.ClaimsRevision, held.ClaimsRevision);
        Assert.Equal(["cl-1"], held.Claims.Select(c => c.Claim.Id.Value));
        Assert.Null(await store.FindClaimAsync(new ClaimId("cl-2"), None));
        Assert.Null(await store.FindClaimByKeyAsync(new IdempotencyKey("key:a", "k", "d"), None));
    }

    [Fact]
    public async Task Given_a_held_node_When_a_group_claims_it_again_Then_the_group_is_a_conflict_and_nothing_of_it_is_written()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var fabric = s.Fabrics[0];
        var customer = s.Customers[0].Id;
        var at = await store.ReadClaimsAsync(None);
        var first = await store.WriteClaimsAsync(new ClaimWrite([GroupClaim(fabric, customer, "cl-1", null, 0)], [], ClaimedAt), at.StoreRevision, at.ClaimsRevision, None);

        var clash = await store.WriteClaimsAsync(new ClaimWrite([GroupClaim(fabric, customer, "cl-2", null, 1), GroupClaim(fabric, customer, "cl-3", null, 0)], [], ClaimedAt),
            at.StoreRevision, first.ClaimsRevision, None);

        Assert.Equal(new ClaimWriteResult(ClaimWriteStatus.Conflict, first.ClaimsRevision), clash);
        var held = await store.ReadClaimsAsync(None);
        Assert.Equal(first.ClaimsRevision, held.ClaimsRevision);
        Assert.Equal(["cl-1"], held.Claims.Select(c => c.Claim.Id.Value));
    }
}
