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
