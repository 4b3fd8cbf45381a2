using System.Data.Common;
using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Storage.Store;

/// <summary>What a change in the feed is about (docs/change-feed.md).</summary>
public static class ChangeKind
{
    /// <summary>Contracts stored, new or replaced: signs, amendments, cancellations, re-placement moves.</summary>
    public const string Contracts = "contracts";

    /// <summary>A delivery's dates, status or units changed (a slip).</summary>
    public const string Delivery = "delivery";

    /// <summary>A month's invoices issued: nothing an in-memory book holds.</summary>
    public const string Invoices = "invoices";

    /// <summary>A whole scenario imported: a server rebuilds.</summary>
    public const string Import = "import";
}

/// <summary>
/// What changed in the store between a server's revision and <see cref="Revision"/>, read in one snapshot: the contracts
/// and deliveries the changes name, as they stand at <see cref="Revision"/>. <see cref="Covered"/> is false when the
/// feed no longer holds every change since (compacted away, or written before the feed existed) or a change cannot be
/// applied piecemeal (an import): the server then rebuilds from the store.
/// </summary>
public sealed record StoreChanges(long Since, long Revision, bool Covered, IReadOnlyList<Contract> Contracts, IReadOnlyList<Delivery> Deliveries)
{
    /// <summary>True when nothing was written since.</summary>
    public bool None => Revision == Since;
}

// The change feed: every write that moves store_state.revision appends one row naming what it changed, in the same
// transaction; a server behind reads the rows since its revision and re-reads just those contracts and deliveries.
public sealed partial class LessorStore
{
    /// <summary>How many of the latest revisions the feed keeps; older rows are deleted as writes go on.</summary>
    public const int ChangeFeedKeep = 10_000;

    /// <summary>Compaction runs on every this-many-th revision (a range delete on the primary key).</summary>
    private const int CompactEvery = 100;

    /// <summary>A catch-up over more changes than this rebuilds instead (reading that many contracts costs about as much).</summary>
    public const int MaxChangesApplied = 5_000;

    /// <summary>
    /// The changes since <paramref name="since"/>: the store's revision and, when the feed covers the gap, the contracts
    /// and deliveries named (in the order they were first written). Cheap when nothing moved (one indexed row).
    /// </summary>
    public Task<StoreChanges> ChangesSinceAsync(long since, CancellationToken ct) =>
        ReadAsync(async (connection, transaction, c) =>
        {
            var revision = await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM store_state WHERE id = 1", c);
            if (revision == since) return new StoreChanges(since, revision, true, [], []);
            if (!HasChangeFeed || revision < since || revision - since > MaxChangesApplied) return new StoreChanges(since, revision, false, [], []);
            var contractIds = new List<string>();
            var deliveryIds = new List<string>();
            var seenContracts = new HashSet<string>(StringComparer.Ordinal);
            var seenDeliveries = new HashSet<string>(StringComparer.Ordinal);
            var rows = 0L;
            var covered = true;
            await using (var query = Db.Command(connection, transaction,
                "SELECT revision, kind, contract_ids, delivery_ids FROM store_changes WHERE revision > @since AND revision <= @revision ORDER BY revision"))
            {
                Db.Add(query, "since", since);
                Db.Add(query, "revision", revision);
                await using var r = await query.ExecuteReaderAsync(c);
                while (await r.ReadAsync(c))
                {
                    rows++;
                    if (r.GetString(1) == ChangeKind.Import) covered = false;
                    foreach (var id in Split(r.GetString(2))) if (seenContracts.Add(id)) contractIds.Add(id);
                    foreach (var id in Split(r.GetString(3))) if (seenDeliveries.Add(id)) deliveryIds.Add(id);
                }
            }
            if (!covered || rows != revision - since) return new StoreChanges(since, revision, false, [], []);
            var reader = new ScenarioReader(_dialect, connection, transaction);
            var contracts = new List<Contract>(contractIds.Count);
            for (var i = 0; i < contractIds.Count; i += 500)
            {
                var chunk = contractIds.GetRange(i, Math.Min(500, contractIds.Count - i));
                var read = (await reader.ContractsAsync(ScenarioReader.ContractFilter.OfIds(chunk), c)).ToDictionary(x => x.Id.Value, StringComparer.Ordinal);
                foreach (var id in chunk)
                {
                    if (!read.TryGetValue(id, out var contract)) throw new InvalidOperationException($"The change feed names contract '{id}', which is not stored.");
                    contracts.Add(contract);
                }
            }
            var deliveries = new List<Delivery>(deliveryIds.Count);
            if (deliveryIds.Count > 0)
            {
                var all = (await reader.DeliveriesAsync(c)).ToDictionary(d => d.Id.Value, StringComparer.Ordinal);
                foreach (var id in deliveryIds)
                {
                    if (!all.TryGetValue(id, out var delivery)) throw new InvalidOperationException($"The change feed names delivery '{id}', which is not stored.");
                    deliveries.Add(delivery);
                }
            }
            return new StoreChanges(since, revision, true, contracts, deliveries);
        }, ct);

    /// <summary>The oldest revision the feed still holds, or null when it holds none.</summary>
    public Task<long?> OldestChangeAsync(CancellationToken ct) =>
        ReadAsync<long?>(async (connection, transaction, c) =>
        {
            await using var query = Db.Command(connection, transaction, "SELECT MIN(revision) FROM store_changes");
            var value = await query.ExecuteScalarAsync(c);
            return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }, ct);

    /// <summary>Deletes the changes older than the latest <paramref name="keep"/> revisions (writes do this on their own).</summary>
    public Task CompactChangesAsync(int keep, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        return WriteAsync(async (connection, transaction, c) =>
        {
            var revision = await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM store_state WHERE id = 1", c);
            await using var delete = Db.Command(connection, transaction, "DELETE FROM store_changes WHERE revision <= @upto");
            Db.Add(delete, "upto", revision - keep);
            return await delete.ExecuteNonQueryAsync(c);
        }, ct);
    }

    /// <summary>
    /// Appends the change of a write that has just moved the revision to <paramref name="revision"/>, in its transaction;
    /// notifies listeners at commit (PostgreSQL), and every <see cref="CompactEvery"/> revisions drops what is past keeping.
    /// </summary>
    internal async Task AppendChangeAsync(DbConnection connection, DbTransaction transaction, long revision, string kind,
        IEnumerable<string> contractIds, IEnumerable<string> deliveryIds, CancellationToken ct)
    {
        if (!HasChangeFeed) return;
        await using (var insert = Db.Command(connection, transaction,
            "INSERT INTO store_changes (revision, kind, contract_ids, delivery_ids) VALUES (@revision, @kind, @contracts, @deliveries)"))
        {
            Db.Add(insert, "revision", revision);
            Db.Add(insert, "kind", kind);
            Db.Add(insert, "contracts", string.Join('\n', contractIds));
            Db.Add(insert, "deliveries", string.Join('\n', deliveryIds));
            await insert.ExecuteNonQueryAsync(ct);
        }
        if (_dialect.NotifySql is { } notify)
        {
            await using var command = Db.Command(connection, transaction, notify);
            Db.Add(command, "revision", revision.ToString(CultureInfo.InvariantCulture));
            await command.ExecuteNonQueryAsync(ct);
        }
        if (revision % CompactEvery == 0)
        {
            await using var delete = Db.Command(connection, transaction, "DELETE FROM store_changes WHERE revision <= @upto");
            Db.Add(delete, "upto", revision - ChangeFeedKeep);
            await delete.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// Listens for committed store and claims revisions and API key changes (PostgreSQL LISTEN on its own connection) until
    /// cancelled or the connection fails (then it throws); returns false at once where the store has no notifications
    /// (SQLite: poll instead).
    /// </summary>
    public Task<bool> ListenForRevisionsAsync(Action<long> onRevision, Action<long> onClaimsRevision, Action onKeys, Action onListening, CancellationToken ct) =>
        _dialect.ListenAsync(onRevision, onClaimsRevision, onKeys, onListening, ct);

    /// <summary>True when the store's schema has the change feed (always, once every migration is applied).</summary>
    public bool HasChangeFeed { get; private set; }

    /// <summary>True when this store can wake servers at commit (PostgreSQL).</summary>
    public bool Notifies => _dialect.NotifySql is not null;

    private static string[] Split(string ids) => ids.Length == 0 ? [] : ids.Split('\n');
}
