using System.Data.Common;
using Lessor.Core.Model;

namespace Lessor.Storage.Store;

/// <summary>An API key as stored: who it is for and the hash of its secret (never the secret).</summary>
public sealed record ApiKeyRecord(string Id, string Name, string Role, CustomerId? Customer, string SecretSha256, DateTime CreatedAt, DateTime? RevokedAt)
{
    public bool Revoked => RevokedAt is not null;
}

/// <summary>One audited request.</summary>
public sealed record AuditEntry(long Sequence, DateTime At, string? KeyId, string? Role, string Method, string Path, int Status, string RequestId, string? Detail);

// API keys and the audit log.
public sealed partial class LessorStore
{
    public Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WriteAsync(async (connection, transaction, c) =>
        {
            if (key.Customer is { } customer)
            {
                await using var exists = Db.Command(connection, transaction, "SELECT COUNT(*) FROM customers WHERE id = @id");
                Db.Add(exists, "id", customer.Value);
                if (Convert.ToInt64(await exists.ExecuteScalarAsync(c), System.Globalization.CultureInfo.InvariantCulture) == 0)
                    throw new StoreReferenceException("customer", "customer", customer.Value);
            }
            await using var insert = Db.Command(connection, transaction,
                "INSERT INTO api_keys (id, name, role, customer_id, secret_sha256, created_at) VALUES (@id, @name, @role, @customer, @hash, @at)");
            Db.Add(insert, "id", key.Id);
            Db.Add(insert, "name", key.Name);
            Db.Add(insert, "role", key.Role);
            Db.Add(insert, "customer", key.Customer?.Value);
            Db.Add(insert, "hash", key.SecretSha256);
            Db.Add(insert, "at", _dialect.TimeValue(key.CreatedAt));
            await insert.ExecuteNonQueryAsync(c);
            await NotifyKeysAsync(connection, transaction, c);
            return true;
        }, ct);
    }

    /// <summary>Revokes a key; false when there is no such key or it was already revoked.</summary>
    public Task<bool> RevokeApiKeyAsync(string id, DateTime at, CancellationToken ct) =>
        WriteAsync(async (connection, transaction, c) =>
        {
            await using var update = Db.Command(connection, transaction, "UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL");
            Db.Add(update, "at", _dialect.TimeValue(at));
            Db.Add(update, "id", id);
            var revoked = await update.ExecuteNonQueryAsync(c) == 1;
            if (revoked) await NotifyKeysAsync(connection, transaction, c);
            return revoked;
        }, ct);

    // Delivered at commit (PostgreSQL's NOTIFY is transactional): other servers forget their key cache.
    private async Task NotifyKeysAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct)
    {
        if (_dialect.KeysNotifySql is not { } sql) return;
        await using var notify = Db.Command(connection, transaction, sql);
        await notify.ExecuteNonQueryAsync(ct);
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<ApiKeyRecord>>(async (connection, transaction, c) =>
        {
            await using var query = Db.Command(connection, transaction,
                "SELECT id, name, role, customer_id, secret_sha256, created_at, revoked_at FROM api_keys ORDER BY created_at, id");
            await using var r = await query.ExecuteReaderAsync(c);
            var keys = new List<ApiKeyRecord>();
            while (await r.ReadAsync(c))
            {
                keys.Add(new ApiKeyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : new CustomerId(r.GetString(3)),
                    r.GetString(4), _dialect.GetTime(r, 5), _dialect.GetTimeOrNull(r, 6)));
            }
            return keys;
        }, ct);

    public Task AppendAuditAsync(AuditEntry entry, CancellationToken ct) => AppendAuditAsync([entry], ct);

    /// <summary>Appends several entries in one transaction (the server group-commits concurrent requests' entries).</summary>
    public Task AppendAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return WriteAsync(async (connection, transaction, c) =>
        {
            // Multi-row inserts of up to 16 entries: one statement per chunk instead of one per entry. Not more: SQLite
            // looks each named parameter up in a list as long as the statement's, so a statement's binding cost grows with
            // the square of its rows (profiled at 50 rows a statement under the claims load).
            for (var start = 0; start < entries.Count; start += 16)
            {
                var chunk = entries.Skip(start).Take(16).ToList();
                var sql = new System.Text.StringBuilder("INSERT INTO audit_log (at, key_id, role, method, path, status, request_id, detail) VALUES ");
                await using var insert = Db.Command(connection, transaction, "");
                for (var i = 0; i < chunk.Count; i++)
                {
                    var e = chunk[i];
                    sql.Append(i == 0 ? "" : ", ").Append(System.Globalization.CultureInfo.InvariantCulture,
                        $"(@at{i}, @key{i}, @role{i}, @method{i}, @path{i}, @status{i}, @request{i}, @detail{i})");
                    Db.Add(insert, $"at{i}", _dialect.TimeValue(e.At));
                    Db.Add(insert, $"key{i}", e.KeyId);
                    Db.Add(insert, $"role{i}", e.Role);
                    Db.Add(insert, $"method{i}", e.Method);
                    Db.Add(insert, $"path{i}", e.Path);
                    Db.Add(insert, $"status{i}", e.Status);
                    Db.Add(insert, $"request{i}", e.RequestId);
                    Db.Add(insert, $"detail{i}", e.Detail);
                }
                insert.CommandText = sql.ToString();
                await insert.ExecuteNonQueryAsync(c);
            }
            return true;
        }, ct);
    }

    /// <summary>The newest audit entries first, after <paramref name="before"/> when paging back.</summary>
    public Task<IReadOnlyList<AuditEntry>> ListAuditAsync(long? before, int limit, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<AuditEntry>>(async (connection, transaction, c) =>
        {
            await using var query = Db.Command(connection, transaction,
                "SELECT seq, at, key_id, role, method, path, status, request_id, detail FROM audit_log WHERE seq < @before ORDER BY seq DESC LIMIT @limit");
            Db.Add(query, "before", before ?? long.MaxValue);
            Db.Add(query, "limit", limit);
            await using var r = await query.ExecuteReaderAsync(c);
            var entries = new List<AuditEntry>();
            while (await r.ReadAsync(c)) entries.Add(Read(r));
            return entries;
        }, ct);

    private AuditEntry Read(DbDataReader r) => new(
        r.GetInt64(0), _dialect.GetTime(r, 1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
        r.GetString(4), r.GetString(5), r.GetInt32(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8));
}
