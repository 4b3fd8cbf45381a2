using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

// API keys and the audit log, on every store: what is written reads back exactly.
public abstract partial class StoreSuite
{
    [Fact]
    public async Task Given_a_key_created_and_revoked_When_keys_are_listed_Then_both_instants_read_back_exactly()
    {
        await using var store = await OpenAsync();
        await store.ImportAsync(ScenarioBuilder.Full(), None);
        var created = new DateTime(2026, 11, 27, 9, 30, 15, DateTimeKind.Utc);
        var revoked = created.AddHours(3);
        await store.AddApiKeyAsync(new ApiKeyRecord("k1", "ops key", "operator", null, new string('a', 64), created, null), None);
        await store.AddApiKeyAsync(new ApiKeyRecord("k2", "tenant key", "tenant", ScenarioBuilder.Full().Customers[0].Id, new string('b', 64), created.AddMinutes(1), null), None);

        Assert.True(await store.RevokeApiKeyAsync("k1", revoked, None));
        Assert.False(await store.RevokeApiKeyAsync("k1", revoked.AddHours(1), None));
        var keys = await store.ListApiKeysAsync(None);

        Assert.Equal(["k1", "k2"], keys.Select(k => k.Id));
        Assert.Equal((created, (DateTime?)revoked), (keys[0].CreatedAt, keys[0].RevokedAt));
        Assert.Equal(DateTimeKind.Utc, keys[0].CreatedAt.Kind);
        Assert.Equal(ScenarioBuilder.Full().Customers[0].Id, keys[1].Customer);
        Assert.Null(keys[1].RevokedAt);
    }

    [Fact]
    public async Task Given_audit_entries_When_the_log_is_read_Then_they_come_back_newest_first_with_their_instants_and_statuses()
    {
        await using var store = await OpenAsync();
        var at = new DateTime(2026, 11, 28, 1, 2, 3, DateTimeKind.Utc);
        await store.AppendAuditAsync(
        [
            new AuditEntry(0, at, "k1", "planner", "POST", "/api/v1/deals/sign", 201, "req-1", null),
            new AuditEntry(0, at.AddSeconds(1), null, null, "POST", "/api/v1/keys", 401, "req-2", "no key"),
        ], None);

        var log = await store.ListAuditAsync(null, 10, None);

        Assert.Equal(["req-2", "req-1"], log.Select(e => e.RequestId));
        Assert.Equal((at.AddSeconds(1), 401, "no key"), (log[0].At, log[0].Status, log[0].Detail));
        Assert.Equal((at, 201, "k1", "planner"), (log[1].At, log[1].Status, log[1].KeyId, log[1].Role));
    }
}
