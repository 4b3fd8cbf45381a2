using System.Collections.Concurrent;
using Lessor.Storage.Store;

namespace Lessor.Server.Access;

/// <summary>
/// The server's cache of API keys. A key created or revoked by another process (the CLI) is seen at the next
/// lookup of an unknown id (at most 250 ms later), or within <see cref="RefreshAfter"/> for a revocation; reloads are rate-limited so a
/// flood of made-up keys cannot hammer the store.
/// </summary>
public sealed class KeyRegistry(LessorStore store, TimeProvider clock)
{
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReloadAtMostEvery = TimeSpan.FromMilliseconds(250);
    private readonly SemaphoreSlim _reload = new(1, 1);
    private ConcurrentDictionary<string, ApiKeyRecord> _keys = new(StringComparer.Ordinal);
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;

    // Per key id, the secret that last matched its stored hash (and that hash): a request presenting the same secret is
    // checked by a constant-time compare instead of hashing again. A key whose hash changes misses and is hashed.
    private readonly ConcurrentDictionary<string, (string Hash, byte[] Secret)> _verified = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="secret"/> is the key's secret (constant-time; SHA-256 only the first time a secret is seen).</summary>
    public bool Verify(ApiKeyRecord key, string secret)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length <= 64 && _verified.TryGetValue(key.Id, out var known) && string.Equals(known.Hash, key.SecretSha256, StringComparison.Ordinal))
        {
            Span<byte> presented = stackalloc byte[secret.Length];
            if (System.Text.Encoding.ASCII.GetBytes(secret, presented) == secret.Length
                && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(presented, known.Secret)) return true;
        }
        if (!ApiKeys.Matches(key, secret)) return false;
        _verified[key.Id] = (key.SecretSha256, System.Text.Encoding.ASCII.GetBytes(secret));
        return true;
    }

    public async Task<ApiKeyRecord?> FindAsync(string id, CancellationToken ct)
    {
        var stale = clock.GetUtcNow() - _loadedAt > RefreshAfter;
        if (stale || !_keys.ContainsKey(id)) await ReloadAsync(ct);
        return _keys.TryGetValue(id, out var key) ? key : null;
    }

    public async Task ReloadAsync(CancellationToken ct)
    {
        if (clock.GetUtcNow() - _loadedAt < ReloadAtMostEvery) return;
        await _reload.WaitAsync(ct);
        try
        {
            if (clock.GetUtcNow() - _loadedAt < ReloadAtMostEvery) return;
            var keys = await store.ListApiKeysAsync(ct);
            _keys = new ConcurrentDictionary<string, ApiKeyRecord>(keys.Select(k => KeyValuePair.Create(k.Id, k)), StringComparer.Ordinal);
            _loadedAt = clock.GetUtcNow();
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>Forgets the cache so the next lookup reads the store (after a key is created or revoked here).</summary>
    public void Invalidate() => _loadedAt = DateTimeOffset.MinValue;
}
