using Lessor.Core.Claims;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

// Idempotency keys scoped to their caller, with the digest of their request, on every store (issue 11, items 1 and 3).
public abstract partial class StoreSuite
{
    private static readonly DateTime ClaimedAt = Utc.Date(2027, 3, 1);

    [Fact]
    public async Task Given_two_callers_When_each_signs_with_the_same_key_Then_both_are_stored_and_each_finds_only_its_own()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var first = ScenarioBuilder.Probe("scoped-1", s.Customers[0].Id, s.Platforms[0].Id, 1.5m, Utc.Date(2027, 1, 1));
        var second = ScenarioBuilder.Probe("scoped-2", s.Customers[0].Id, s.Platforms[0].Id, 1.5m, Utc.Date(2027, 1, 1));
        var a = new IdempotencyKey("key:a", "shared", "digest-a");
        var b = new IdempotencyKey("key:b", "shared", "digest-b");

        var written = await store.WriteContractsAsync([(first, a)], await store.RevisionAsync(None), None);
        var alsoWritten = await store.WriteContractsAsync([(second, b)], await store.RevisionAsync(None), None);

        Assert.NotNull(written);
        Assert.NotNull(alsoWritten);
        Assert.Equal(new IdempotentContract(first.Id, a), await store.FindIdempotentContractAsync(a with { RequestSha256 = "other" }, None));
        Assert.Equal(new IdempotentContract(second.Id, b), await store.FindIdempotentContractAsync(b, None));
        Assert.Null(await store.FindIdempotentContractAsync(new IdempotencyKey("key:c", "shared", "digest-a"), None));
    }

    [Fact]
    public async Task Given_two_callers_When_each_claims_with_the_same_key_Then_both_are_stored_and_the_same_caller_twice_is_a_conflict()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var fabric = s.Fabrics[0];
        StoredClaim Claim(string id, int unit, IdempotencyKey key) =>
            new(new Claim(new ClaimId(id), s.Customers[0].Id, fabric.Platform, ClaimScope.Fabric, [new NodeId(fabric.Id, unit, 0)]), key, ClaimedAt);
        var a = new IdempotencyKey("key:a", "shared", "digest-a");
        var b = new IdempotencyKey("key:b", "shared", "digest-b");
        var at = await store.ReadClaimsAsync(None);

        var both = await store.WriteClaimsAsync(new ClaimWrite([Claim("cl-a", 0, a), Claim("cl-b", 1, b)], [], ClaimedAt), at.StoreRevision, at.ClaimsRevision, None);
        var again = await store.WriteClaimsAsync(new ClaimWrite([Claim("cl-a2", 2, a with { RequestSha256 = "other" })], [], ClaimedAt), at.StoreRevision, both.ClaimsRevision, None);

        Assert.Equal(ClaimWriteStatus.Written, both.Status);
        Assert.Equal(ClaimWriteStatus.Conflict, again.Status);
        Assert.Equal(("cl-a", a), await Found(store, a with { RequestSha256 = "other" }));
        Assert.Equal(("cl-b", b), await Found(store, b));
        Assert.Null(await store.FindClaimByKeyAsync(new IdempotencyKey("key:c", "shared", "digest-a"), None));
        Assert.Equal([a, b], (await store.ReadClaimsAsync(None)).Claims.Select(c => c.IdempotencyKey));
    }

    private static async Task<(string, IdempotencyKey?)?> Found(LessorStore store, IdempotencyKey key) =>
        await store.FindClaimByKeyAsync(key, None) is { } found ? (found.Claim.Id.Value, found.IdempotencyKey) : null;

    [Fact]
    public async Task Given_a_store_with_keys_from_before_scoping_When_upgraded_Then_they_are_kept_and_answer_to_no_caller()
    {
        var s = ScenarioBuilder.Full();
        var contract = s.Contracts[0].Id.Value;
        var fabric = s.Fabrics[0];
        await using (var old = await LessorStore.OpenAsync(Location, TimeProvider.System, 6, None))
        {
            await old.ImportAsync(s, None);
            await old.ExecuteAsync(
                $"INSERT INTO idempotency_keys (key, contract_id, created_revision) VALUES ('old-sign', '{contract}', 1);" +
                "INSERT INTO node_claims (id, customer_id, platform_id, scope, node_count, idempotency_key, created_at) " +
                $"VALUES ('cl-old', '{s.Customers[0].Id}', '{fabric.Platform}', 'Fabric', 1, 'old-claim', '2027-03-01T00:00:00.000000Z');" +
                $"INSERT INTO claimed_nodes (fabric_id, unit, tray, claim_id) VALUES ('{fabric.Id}', 0, 0, 'cl-old');", None);
        }

        await using var store = await OpenAsync();

        Assert.Equal(Migrator.Load(MigrationFolder)[^1].Version, await store.SchemaVersionAsync(None));
        var legacySign = new IdempotencyKey("", "old-sign", "");
        var legacyClaim = new IdempotencyKey("", "old-claim", "");
        Assert.Equal(new IdempotentContract(new ContractId(contract), legacySign), await store.FindIdempotentContractAsync(legacySign, None));
        Assert.Equal(("cl-old", legacyClaim), await Found(store, legacyClaim));
        Assert.Null(await store.FindIdempotentContractAsync(legacySign with { Scope = "cli" }, None));
        Assert.Null(await store.FindClaimByKeyAsync(legacyClaim with { Scope = "cli" }, None));
        Assert.Equal(legacyClaim, Assert.Single((await store.ReadClaimsAsync(None)).Claims).IdempotencyKey);
    }
}
