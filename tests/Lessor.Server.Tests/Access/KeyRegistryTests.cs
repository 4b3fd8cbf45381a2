using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Tests.Claims;
using Lessor.Storage.Store;

namespace Lessor.Server.Tests.Access;

/// <summary>Verified secrets are remembered per key so repeated requests skip the hash, without accepting anything the hash would refuse.</summary>
public class KeyRegistryTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Given_a_verified_secret_When_the_same_key_presents_a_wrong_secret_or_its_hash_changes_Then_only_the_stored_hash_decides()
    {
        await using var store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(Path.Combine(Path.GetTempPath(), $"lessor-keys-{Guid.NewGuid():N}.db")), None);
        var registry = new KeyRegistry(store, new FixedClock(Utc.Date(2027, 3, 1)));
        var secret = new string('a', 32);
        var key = new ApiKeyRecord("0123456789ab", "ops", Roles.Operator, null, ApiKeys.Hash(secret), Utc.Date(2027, 1, 1), null);

        Assert.True(registry.Verify(key, secret));
        Assert.True(registry.Verify(key, secret)); // from the cache
        Assert.False(registry.Verify(key, new string('b', 32)));
        Assert.False(registry.Verify(key, secret[..31] + "é"));
        // The key's secret was replaced (a new hash): the remembered secret no longer counts.
        var rotated = key with { SecretSha256 = ApiKeys.Hash(new string('c', 32)) };
        Assert.False(registry.Verify(rotated, secret));
        Assert.True(registry.Verify(rotated, new string('c', 32)));
        Assert.False(registry.Verify(rotated, secret));
    }
}
