namespace Lessor.Storage.Store;

/// <summary>
/// A client's idempotency key as the store keeps it: unique within <paramref name="Scope"/> (the caller that sent it),
/// with a SHA-256 of the request it first came with. A replay answers only to the same scope, and only when the digest
/// matches; the store compares nothing itself, it keeps and finds.
/// </summary>
public sealed record IdempotencyKey(string Scope, string Key, string RequestSha256)
{
    /// <summary>True when <paramref name="other"/> is the same key of the same caller, whatever request came with it.</summary>
    public bool SameKey(IdempotencyKey other) =>
        other is not null && string.Equals(Scope, other.Scope, StringComparison.Ordinal) && string.Equals(Key, other.Key, StringComparison.Ordinal);
}

/// <summary>The contract a sign with a key created, and the digest of that sign's request.</summary>
public sealed record IdempotentContract(Lessor.Core.Model.ContractId Contract, IdempotencyKey Key);
