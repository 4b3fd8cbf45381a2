using System.Data.Common;
using System.Globalization;
using System.Text;
using Lessor.Core.Claims;
using Lessor.Core.Model;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Lessor.Storage.Store;

/// <summary>A claim as stored: the claim, the client's idempotency key (scoped to the caller), when it was made and (once) released.</summary>
public sealed record StoredClaim(Claim Claim, IdempotencyKey? IdempotencyKey, DateTime CreatedAt, DateTime? ReleasedAt = null);

/// <summary>The claims held now, with the claims revision and store revision they reflect, read from one snapshot.</summary>
public sealed record ClaimsSnapshot(IReadOnlyList<StoredClaim> Claims, long ClaimsRevision, long StoreRevision);

/// <summary>One transaction of claim changes: claims added and claims released, at one instant.</summary>
public sealed record ClaimWrite(IReadOnlyList<StoredClaim> Added, IReadOnlyList<ClaimId> Released, DateTime At);

/// <summary>How a claim write ended.</summary>
public enum ClaimWriteStatus
{
    /// <summary>Everything was written; the claims revision moved by one.</summary>
    Written,

    /// <summary>Contracts or deliveries changed since the caller's view (reserved capacity may differ): nothing written.</summary>
    StoreMoved,

    /// <summary>Another writer claimed or released since the caller's view: nothing written.</summary>
    ClaimsMoved,

    /// <summary>A node or idempotency key is already taken (the uniqueness constraints refused it): nothing written.</summary>
    Conflict,
}

/// <summary>The outcome of a claim write and the claims revision after it (the caller's expected one when nothing was written).</summary>
public sealed record ClaimWriteResult(ClaimWriteStatus Status, long ClaimsRevision);

// On-demand node claims: each write is one transaction guarded by the claims revision and the store revision.
public sealed partial class LessorStore
{
    private static readonly TableSpec NodeClaimsTable = new("node_claims",
        ("id", ColumnKind.Text), ("customer_id", ColumnKind.Text), ("platform_id", ColumnKind.Text), ("scope", ColumnKind.Text),
        ("node_count", ColumnKind.Int), ("created_at", ColumnKind.Time));

    // Keys are unique per caller (scope), not store-wide: node_claims.idempotency_key is left null since migration 0007.
    private static readonly TableSpec ClaimKeysTable = new("claim_idempotency_keys",
        ("scope", ColumnKind.Text), ("key", ColumnKind.Text), ("request_sha256", ColumnKind.Text), ("claim_id", ColumnKind.Text));

    private static readonly TableSpec ClaimedNodesTable = new("claimed_nodes",
        ("fabric_id", ColumnKind.Text), ("unit", ColumnKind.Int), ("tray", ColumnKind.Int), ("claim_id", ColumnKind.Text));

    /// <summary>The claims held now (not released), ordered by id, with both revisions.</summary>
    public Task<ClaimsSnapshot> ReadClaimsAsync(CancellationToken ct) =>
        ReadAsync(async (connection, transaction, c) =>
        {
            var claimsRevision = await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM claim_state WHERE id = 1", c);
            var storeRevision = await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM store_state WHERE id = 1", c);
            var claims = await ClaimsAsync(connection, transaction, "c.released_at IS NULL", null, c);
            return new ClaimsSnapshot(claims, claimsRevision, storeRevision);
        }, ct);

    /// <summary>The claims revision and the store revision, read from one snapshot: what a claim pool checks to know it is current.</summary>
    public Task<(long ClaimsRevision, long StoreRevision)> ClaimRevisionsAsync(CancellationToken ct) =>
        ReadAsync(async (connection, transaction, c) =>
        {
            var claimsRevision = await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM claim_state WHERE id = 1", c);
            var storeRevision = await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM store_state WHERE id = 1", c);
            return (claimsRevision, storeRevision);
        }, ct);

    /// <summary>A claim by id, held or released (released claims come back without their nodes), or null.</summary>
    public Task<StoredClaim?> FindClaimAsync(ClaimId id, CancellationToken ct) =>
        ReadAsync(async (connection, transaction, c) =>
            (await ClaimsAsync(connection, transaction, "c.id = @value", id.Value, c)).FirstOrDefault(), ct);

    /// <summary>
    /// The claim an earlier request with this key of this caller (scope) made, held or released, or null; its
    /// <see cref="StoredClaim.IdempotencyKey"/> carries the digest of that request. Another caller's key is never found.
    /// </summary>
    public Task<StoredClaim?> FindClaimByKeyAsync(IdempotencyKey idempotencyKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(idempotencyKey);
        return ReadAsync(async (connection, transaction, c) =>
        {
            await using var find = Db.Command(connection, transaction, "SELECT claim_id FROM claim_idempotency_keys WHERE scope = @scope AND key = @key");
            Db.Add(find, "scope", idempotencyKey.Scope);
            Db.Add(find, "key", idempotencyKey.Key);
            if (await find.ExecuteScalarAsync(c) is not string id) return null;
            return (await ClaimsAsync(connection, transaction, "c.id = @value", id, c)).FirstOrDefault();
        }, ct);
    }

    /// <summary>
    /// Adds and releases claims in one transaction, only if the store is still at <paramref name="expectedStoreRevision"/>
    /// (the reserved capacity the caller's pool reflects) and claims are still at <paramref name="expectedClaimsRevision"/>.
    /// The primary key of claimed_nodes refuses a node held twice even if a caller's view were wrong.
    /// </summary>
    public async Task<ClaimWriteResult> WriteClaimsAsync(ClaimWrite write, long expectedStoreRevision, long expectedClaimsRevision, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(write);
        try
        {
            return await WriteAsync(async (connection, transaction, c) =>
            {
                if (connection is NpgsqlConnection npgsql)
                    return await WritePostgresAsync(npgsql, (NpgsqlTransaction)transaction, write, expectedStoreRevision, expectedClaimsRevision, c);
                // One statement checks both revisions and bumps the claims revision; when it changes nothing, two reads
                // say which moved. Nothing has been written on that path, so the early return leaves nothing to undo.
                await using (var bump = Db.Command(connection, transaction,
                    "UPDATE claim_state SET revision = revision + 1 WHERE id = 1 AND revision = @expected AND (SELECT revision FROM store_state WHERE id = 1) = @store"))
                {
                    Db.Add(bump, "expected", expectedClaimsRevision);
                    Db.Add(bump, "store", expectedStoreRevision);
                    if (await bump.ExecuteNonQueryAsync(c) == 0)
                    {
                        var storeMoved = await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM store_state WHERE id = 1", c) != expectedStoreRevision;
                        return new ClaimWriteResult(storeMoved ? ClaimWriteStatus.StoreMoved : ClaimWriteStatus.ClaimsMoved, expectedClaimsRevision);
                    }
                }
                if (write.Released.Count > 0)
                {
                    var batch = new SqlBatch(connection, transaction);
                    var at = batch.Param(_dialect.TimeValue(write.At));
                    var ids = string.Join(", ", write.Released.Select(id => batch.Param(id.Value)));
                    batch.Append($"UPDATE node_claims SET released_at = {at} WHERE id IN ({ids}) AND released_at IS NULL;");
                    batch.Append($"DELETE FROM claimed_nodes WHERE claim_id IN ({ids});");
                    await batch.FlushAsync(c);
                }
                if (write.Added.Count > 0)
                {
                    // Rows go through the dialect's row writer: one prepared insert stepped per row on SQLite, a binary COPY on
                    // PostgreSQL. Multi-row statements with four named parameters per node made SQLite look every name up
                    // in a list, statement by statement: profiled, that was most of its time in a claim write.
                    await using (var claims = await _dialect.CreateWriterAsync(connection, transaction, NodeClaimsTable, c))
                    {
                        foreach (var added in write.Added)
                        {
                            var claim = added.Claim;
                            claims.Text(claim.Id.Value).Text(claim.Customer.Value).Text(claim.Platform.Value).Text(claim.Scope.ToString())
                                .Int(claim.Nodes.Count)
                                // Stores keep microseconds (PostgreSQL's grain); a clock's ticks are finer.
                                .Time(new DateTime(added.CreatedAt.Ticks - added.CreatedAt.Ticks % 10, DateTimeKind.Utc));
                            await claims.EndRowAsync(c);
                        }
                        await claims.CompleteAsync(c);
                    }
                    await using (var nodes = await _dialect.CreateWriterAsync(connection, transaction, ClaimedNodesTable, c))
                    {
                        foreach (var added in write.Added)
                        {
                            foreach (var node in added.Claim.Nodes)
                            {
                                nodes.Text(node.Fabric.Value).Int(node.Unit).Int(node.Tray).Text(added.Claim.Id.Value);
                                await nodes.EndRowAsync(c);
                            }
                        }
                        await nodes.CompleteAsync(c);
                    }
                    if (write.Added.Any(a => a.IdempotencyKey is not null))
                    {
                        // The primary key (scope, key) refuses a key of the same caller twice: a Conflict, then a replay.
                        await using var keys = await _dialect.CreateWriterAsync(connection, transaction, ClaimKeysTable, c);
                        foreach (var added in write.Added)
                        {
                            if (added.IdempotencyKey is not { } key) continue;
                            keys.Text(key.Scope).Text(key.Key).Text(key.RequestSha256).Text(added.Claim.Id.Value);
                            await keys.EndRowAsync(c);
                        }
                        await keys.CompleteAsync(c);
                    }
                }
                return new ClaimWriteResult(ClaimWriteStatus.Written, expectedClaimsRevision + 1);
            }, ct);
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            return new ClaimWriteResult(ClaimWriteStatus.Conflict, expectedClaimsRevision);
        }
    }

    // PostgreSQL: the whole group in one round trip (then the commit), where statement by statement and three COPYs took
    // about ten, each a wake-up of the backend and of this process; on a small loaded machine those switches were the
    // cost (1,171 claims/s against SQLite's 2,945). The first statement checks and bumps the revisions and records the
    // outcome in a transaction-local setting; every later statement writes only when it says so, so a stale view
    // still writes nothing. Rows travel as arrays (unnest), one parameter per column.
    private const string ClaimGuard = "current_setting('lessor.claim_write', true) = 'on'";

    private static async Task<ClaimWriteResult> WritePostgresAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ClaimWrite write,
        long expectedStoreRevision, long expectedClaimsRevision, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(Batched(
            "WITH bump AS (UPDATE claim_state SET revision = revision + 1 WHERE id = 1 AND revision = $1 " +
            "AND (SELECT revision FROM store_state WHERE id = 1) = $2 RETURNING revision) " +
            "SELECT set_config('lessor.claim_write', CASE WHEN EXISTS (SELECT 1 FROM bump) THEN 'on' ELSE 'off' END, true), " +
            "(SELECT revision FROM store_state WHERE id = 1)",
            expectedClaimsRevision, expectedStoreRevision));
        if (write.Released.Count > 0)
        {
            var ids = write.Released.Select(id => id.Value).ToArray();
            batch.BatchCommands.Add(Batched($"UPDATE node_claims SET released_at = $1 WHERE id = ANY($2) AND released_at IS NULL AND {ClaimGuard}", write.At, ids));
            batch.BatchCommands.Add(Batched($"DELETE FROM claimed_nodes WHERE claim_id = ANY($1) AND {ClaimGuard}", (object)ids));
        }
        if (write.Added.Count > 0)
        {
            var added = write.Added;
            batch.BatchCommands.Add(Batched(
                "INSERT INTO node_claims (id, customer_id, platform_id, scope, node_count, created_at) " +
                $"SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::timestamptz[]) WHERE {ClaimGuard}",
                added.Select(a => a.Claim.Id.Value).ToArray(), added.Select(a => a.Claim.Customer.Value).ToArray(),
                added.Select(a => a.Claim.Platform.Value).ToArray(), added.Select(a => a.Claim.Scope.ToString()).ToArray(),
                added.Select(a => a.Claim.Nodes.Count).ToArray(),
                // Stores keep microseconds (PostgreSQL's grain); a clock's ticks are finer.
                added.Select(a => new DateTime(a.CreatedAt.Ticks - a.CreatedAt.Ticks % 10, DateTimeKind.Utc)).ToArray()));
            var nodes = added.SelectMany(a => a.Claim.Nodes.Select(n => (Node: n, Claim: a.Claim.Id.Value))).ToList();
            batch.BatchCommands.Add(Batched(
                $"INSERT INTO claimed_nodes (fabric_id, unit, tray, claim_id) SELECT * FROM unnest($1::text[], $2::integer[], $3::integer[], $4::text[]) WHERE {ClaimGuard}",
                nodes.Select(n => n.Node.Fabric.Value).ToArray(), nodes.Select(n => n.Node.Unit).ToArray(),
                nodes.Select(n => n.Node.Tray).ToArray(), nodes.Select(n => n.Claim).ToArray()));
            var keyed = added.Where(a => a.IdempotencyKey is not null).ToList();
            if (keyed.Count > 0)
            {
                // The primary key (scope, key) refuses a key of the same caller twice: a Conflict, then a replay.
                batch.BatchCommands.Add(Batched(
                    $"INSERT INTO claim_idempotency_keys (scope, key, request_sha256, claim_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WHERE {ClaimGuard}",
                    keyed.Select(a => a.IdempotencyKey!.Scope).ToArray(), keyed.Select(a => a.IdempotencyKey!.Key).ToArray(),
                    keyed.Select(a => a.IdempotencyKey!.RequestSha256).ToArray(), keyed.Select(a => a.Claim.Id.Value).ToArray()));
            }
        }
        // Other servers' claim pools are woken at commit (docs/change-feed.md), only when this write happens.
        batch.BatchCommands.Add(Batched(
            $"SELECT pg_notify('{PostgresDialect.RevisionChannel}', 'claims:' || $1::text) WHERE {ClaimGuard}", expectedClaimsRevision + 1));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var bumped = reader.GetString(0) == "on";
        var storeRevision = reader.GetInt64(1);
        // Step through the other statements' results: a unique violation surfaces here (and ends as Conflict above).
        while (await reader.NextResultAsync(ct))
        {
        }
        if (bumped) return new ClaimWriteResult(ClaimWriteStatus.Written, expectedClaimsRevision + 1);
        return new ClaimWriteResult(storeRevision != expectedStoreRevision ? ClaimWriteStatus.StoreMoved : ClaimWriteStatus.ClaimsMoved, expectedClaimsRevision);
    }

    // One parameter per value; an array value is one parameter (pass a lone array as (object)array, or params would spread it).
    private static NpgsqlBatchCommand Batched(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    /// <summary>Per fabric with claims held now, the highest claimed unit + 1: claims hold units [0, extent) at most.</summary>
    public Task<IReadOnlyDictionary<FabricId, int>> ClaimExtentsAsync(CancellationToken ct) =>
        ReadAsync((connection, transaction, c) => ExtentsAsync(connection, transaction, null, c), ct);

    private static async Task<IReadOnlyDictionary<FabricId, int>> ExtentsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<FabricId>? only, CancellationToken ct)
    {
        await using var query = Db.Command(connection, transaction, "");
        var where = "";
        if (only is not null)
        {
            var names = new List<string>(only.Count);
            foreach (var fabric in only)
            {
                var name = "f" + names.Count.ToString(CultureInfo.InvariantCulture);
                Db.Add(query, name, fabric.Value);
                names.Add("@" + name);
            }
            where = $" WHERE fabric_id IN ({string.Join(", ", names)})";
        }
        query.CommandText = "SELECT fabric_id, MAX(unit) FROM claimed_nodes" + where + " GROUP BY fabric_id";
        await using var r = await query.ExecuteReaderAsync(ct);
        var extents = new Dictionary<FabricId, int>();
        while (await r.ReadAsync(ct)) extents[new FabricId(r.GetString(0))] = Convert.ToInt32(r.GetValue(1), CultureInfo.InvariantCulture) + 1;
        return extents;
    }

    // Locks the claims revision (PostgreSQL: until commit; SQLite's write transaction already excludes claim writes),
    // then reads the claims as they are now: every claim committed before the lock is seen, none can commit after it.
    private async Task<bool> FenceHoldsAsync(DbConnection connection, DbTransaction transaction, ClaimFence fence, CancellationToken ct)
    {
        await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM claim_state WHERE id = 1" + _dialect.ForUpdate, ct);
        var extents = await ExtentsAsync(connection, transaction, fence.ClaimableUnits.Keys.ToList(), ct);
        foreach (var (fabric, extent) in extents)
        {
            if (extent > fence.ClaimableUnits[fabric]) return false;
        }
        return true;
    }

    private static bool IsUniqueViolation(DbException e) =>
        e is SqliteException { SqliteErrorCode: 19 } || e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    private async Task<IReadOnlyList<StoredClaim>> ClaimsAsync(DbConnection connection, DbTransaction transaction, string where, string? value, CancellationToken ct)
    {
        await using var query = Db.Command(connection, transaction,
            "SELECT c.id, c.customer_id, c.platform_id, c.scope, k.key, c.created_at, c.released_at, n.fabric_id, n.unit, n.tray, k.scope, k.request_sha256 " +
            "FROM node_claims c LEFT JOIN claimed_nodes n ON n.claim_id = c.id LEFT JOIN claim_idempotency_keys k ON k.claim_id = c.id " +
            "WHERE " + where + " ORDER BY c.id, n.fabric_id, n.unit, n.tray");
        if (value is not null) Db.Add(query, "value", value);
        await using var r = await query.ExecuteReaderAsync(ct);
        var claims = new List<StoredClaim>();
        string? currentId = null;
        List<NodeId>? nodes = null;
        StoredClaim? current = null;
        while (await r.ReadAsync(ct))
        {
            var id = r.GetString(0);
            if (id != currentId)
            {
                if (current is not null) claims.Add(current with { Claim = current.Claim with { Nodes = nodes! } });
                currentId = id;
                nodes = [];
                var claim = new Claim(new ClaimId(id), new CustomerId(r.GetString(1)), new PlatformId(r.GetString(2)),
                    Enum.Parse<ClaimScope>(r.GetString(3)), []);
                var key = r.IsDBNull(4) ? null : new IdempotencyKey(r.GetString(10), r.GetString(4), r.GetString(11));
                current = new StoredClaim(claim, key, _dialect.GetTime(r, 5), _dialect.GetTimeOrNull(r, 6));
            }
            if (!r.IsDBNull(7)) nodes!.Add(new NodeId(new FabricId(r.GetString(7)), Convert.ToInt32(r.GetValue(8), CultureInfo.InvariantCulture), Convert.ToInt32(r.GetValue(9), CultureInfo.InvariantCulture)));
        }
        if (current is not null) claims.Add(current with { Claim = current.Claim with { Nodes = nodes! } });
        return claims;
    }
}

/// <summary>Statements and their parameters gathered into one command, sent when the parameter count nears the limits.</summary>
internal sealed class SqlBatch(DbConnection connection, DbTransaction transaction)
{
    // Well under SQLite's 32,766 and PostgreSQL's 65,535 parameters per command.
    private const int MaxParameters = 10_000;
    private readonly StringBuilder _sql = new();
    private DbCommand? _command;

    /// <summary>Adds a parameter and returns its placeholder.</summary>
    public string Param(object? value)
    {
        _command ??= Db.Command(connection, transaction, "");
        var name = "@p" + _command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
        Db.Add(_command, name, value);
        return name;
    }

    public void Append(string statement) => _sql.Append(statement).Append('\n');


    public async Task FlushIfFullAsync(CancellationToken ct)
    {
        if (_command is { Parameters.Count: >= MaxParameters }) await FlushAsync(ct);
    }

    public async Task FlushAsync(CancellationToken ct)
    {
        if (_command is null) return;
        await using (var command = _command)
        {
            command.CommandText = _sql.ToString();
            if (_sql.Length > 0) await command.ExecuteNonQueryAsync(ct);
        }
        _command = null;
        _sql.Clear();
    }
}
