using System.Security.Cryptography;
using System.Text;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Server.Access;

/// <summary>A key as created: the record stored, and the secret shown once to whoever created it.</summary>
public sealed record CreatedKey(ApiKeyRecord Record, string Key);

/// <summary>
/// API keys: `lsr_&lt;id&gt;_&lt;secret&gt;`, 128 random bits of secret. Only SHA-256 of the secret is stored: the secrets
/// are random, not passwords, so a fast hash suffices (as for other bearer tokens); comparison is constant-time.
/// </summary>
public static class ApiKeys
{
    public static async Task<CreatedKey> CreateAsync(LessorStore store, string role, CustomerId? customer, string name, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!Roles.All.Contains(role)) throw new ArgumentException($"role: '{role}' is not one of {string.Join(", ", Roles.All)}.", nameof(role));
        if (role == Roles.Tenant && customer is null) throw new ArgumentException("customer: a tenant key is bound to one customer; name it.", nameof(customer));
        if (role != Roles.Tenant && customer is not null) throw new ArgumentException($"customer: only tenant keys are bound to a customer, not {role} keys.", nameof(customer));
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var record = new ApiKeyRecord(id, name, role, customer, Hash(secret), now, null);
        await store.AddApiKeyAsync(record, ct);
        return new CreatedKey(record, $"lsr_{id}_{secret}");
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Splits a presented key into id and secret; false when it does not have the shape of one.</summary>
    public static bool TryParse(string presented, out string id, out string secret)
    {
        id = secret = "";
        var parts = presented.Split('_');
        if (parts.Length != 3 || parts[0] != "lsr" || parts[1].Length != 12 || parts[2].Length != 32) return false;
        (id, secret) = (parts[1], parts[2]);
        return true;
    }

    public static bool Matches(ApiKeyRecord record, string secret) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(record.SecretSha256), Encoding.ASCII.GetBytes(Hash(secret)));
}
