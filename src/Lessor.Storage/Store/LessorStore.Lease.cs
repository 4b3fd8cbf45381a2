using System.Data.Common;

namespace Lessor.Storage.Store;

/// <summary>A lease row as stored: who holds it (null before the first holder), its fencing epoch, until when, and fenced writes so far.</summary>
public sealed record LeaseState(string Name, string? Holder, string? HolderUrl, long Epoch, DateTime ExpiresAt, long Writes)
{
    /// <summary>True when <see cref="Holder"/> holds it at <paramref name="now"/>.</summary>
    public bool HeldAt(DateTime now) => Holder is not null && ExpiresAt > now;
}

/// <summary>
/// What a fenced write proves it may write: the lease <see cref="Name"/> is held by <see cref="Holder"/> at
/// <see cref="Epoch"/> and has not expired at <see cref="Now"/> (the writer's clock). Checked inside the write's transaction.
/// </summary>
public sealed record LeaseFence(string Name, string Holder, long Epoch, DateTime Now);

/// <summary>
/// A fenced write found its lease held by another holder, at another epoch, or expired: the writer lost the lease
/// (another process may write now), and nothing was written.
/// </summary>
public sealed class LeaseLostException : StoreException
{
    public LeaseLostException(LeaseFence fence, LeaseState? current)
        : base(current is null
            ? $"The lease '{fence?.Name}' does not exist: the write was refused and nothing was written."
            : $"The lease '{fence?.Name}' is no longer held by '{fence?.Holder}' at epoch {fence?.Epoch} (now: holder '{current.Holder ?? "none"}', epoch {current.Epoch}, " +
              $"expires {current.ExpiresAt:O}): the write was refused and nothing was written.")
    {
        ArgumentNullException.ThrowIfNull(fence);
        Fence = fence;
        Current = current;
    }

    /// <summary>The fence the write carried.</summary>
    public LeaseFence Fence { get; }

    /// <summary>The lease as the refused write found it (null when there is no such lease).</summary>
    public LeaseState? Current { get; }
}

// Single-writer leases with fencing (docs/deploy.md, "The fleet lease").
public sealed partial class LessorStore
{
    /// <summary>
    /// Takes the lease <paramref name="name"/> for <paramref name="holder"/> until <paramref name="now"/> + <paramref name="ttl"/>
    /// when it is free, expired or already this holder's; returns the epoch held, or null when another holder holds it.
    /// A change of holder raises the epoch by one, so a write fenced with an older epoch is refused; the same holder
    /// taking its own expired (or released) lease back keeps the epoch: nobody else could have written meanwhile. One conditional UPDATE: on PostgreSQL the row lock
    /// orders contenders (the second sees the first's holder and gets null), on SQLite the write lock does.
    /// </summary>
    public Task<long?> TryAcquireOrRenewAsync(string name, string holder, string? holderUrl, TimeSpan ttl, DateTime now, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        if (ttl <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A lease lasts a positive time.");
        if (now.Kind != DateTimeKind.Utc) throw new ArgumentException("The lease's clock is UTC.", nameof(now));
        return WriteAsync<long?>(async (connection, transaction, c) =>
        {
            await using (var insert = Db.Command(connection, transaction,
                "INSERT INTO store_leases (name, holder, holder_url, epoch, expires_at, changed_at, writes) VALUES (@name, NULL, NULL, 0, @now, @now, 0) ON CONFLICT (name) DO NOTHING"))
            {
                Db.Add(insert, "name", name);
                Db.Add(insert, "now", _dialect.TimeValue(now));
                await insert.ExecuteNonQueryAsync(c);
            }
            await using (var take = Db.Command(connection, transaction,
                "UPDATE store_leases SET epoch = CASE WHEN holder = @holder THEN epoch ELSE epoch + 1 END, " +
                "changed_at = CASE WHEN holder = @holder THEN changed_at ELSE @now END, holder = @holder, holder_url = @url, expires_at = @expires " +
                "WHERE name = @name AND (holder IS NULL OR holder = @holder OR expires_at <= @now)"))
            {
                Db.Add(take, "name", name);
                Db.Add(take, "holder", holder);
                Db.Add(take, "url", holderUrl);
                Db.Add(take, "now", _dialect.TimeValue(now));
                Db.Add(take, "expires", _dialect.TimeValue(now + ttl));
                if (await take.ExecuteNonQueryAsync(c) != 1) return null;
            }
            var state = await LeaseAsync(connection, transaction, name, c);
            return state!.Epoch;
        }, ct);
    }

    /// <summary>
    /// Lets go of the lease if <paramref name="holder"/> holds it: it expires at <paramref name="now"/>, so anyone may take
    /// it at once (another holder raises the epoch). Returns whether it was held.
    /// </summary>
    public Task<bool> ReleaseAsync(string name, string holder, DateTime now, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        return WriteAsync(async (connection, transaction, c) =>
        {
            await using var release = Db.Command(connection, transaction,
                "UPDATE store_leases SET expires_at = @now WHERE name = @name AND holder = @holder AND expires_at > @now");
            Db.Add(release, "name", name);
            Db.Add(release, "holder", holder);
            Db.Add(release, "now", _dialect.TimeValue(now));
            return await release.ExecuteNonQueryAsync(c) == 1;
        }, ct);
    }

    /// <summary>The lease as stored, or null before anyone asked for it.</summary>
    public Task<LeaseState?> ReadLeaseAsync(string name, CancellationToken ct) =>
        ReadAsync((connection, transaction, c) => LeaseAsync(connection, transaction, name, c), ct);

    private async Task<LeaseState?> LeaseAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken c)
    {
        await using var q = Db.Command(connection, transaction, "SELECT holder, holder_url, epoch, expires_at, writes FROM store_leases WHERE name = @name");
        Db.Add(q, "name", name);
        await using var r = await q.ExecuteReaderAsync(c);
        if (!await r.ReadAsync(c)) return null;
        return new LeaseState(name, r.IsDBNull(0) ? null : r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2), _dialect.GetTime(r, 3), r.GetInt64(4));
    }

    /// <summary>
    /// The fence of a write, run first in its transaction: counts the write on the lease row only if the row still names
    /// the fence's holder and epoch and has not expired at the fence's instant (one conditional UPDATE, which holds the row
    /// lock until commit on PostgreSQL: a takeover waits for this write and then raises the epoch; SQLite's write lock
    /// already excludes it). Otherwise throws <see cref="LeaseLostException"/> and the transaction writes nothing.
    /// </summary>
    private async Task FenceAsync(DbConnection connection, DbTransaction transaction, LeaseFence fence, CancellationToken c)
    {
        ArgumentNullException.ThrowIfNull(fence);
        await using (var count = Db.Command(connection, transaction,
            "UPDATE store_leases SET writes = writes + 1 WHERE name = @name AND holder = @holder AND epoch = @epoch AND expires_at > @now"))
        {
            Db.Add(count, "name", fence.Name);
            Db.Add(count, "holder", fence.Holder);
            Db.Add(count, "epoch", fence.Epoch);
            Db.Add(count, "now", _dialect.TimeValue(fence.Now));
            if (await count.ExecuteNonQueryAsync(c) == 1) return;
        }
        throw new LeaseLostException(fence, await LeaseAsync(connection, transaction, fence.Name, c));
    }
}
