using System.Data;
using System.Data.Common;
using Npgsql;
using NpgsqlTypes;

namespace Lessor.Storage.Store;

/// <summary>
/// The shared store for several API replicas. Imports use binary COPY; transient failures (serialization
/// failures, deadlocks, dropped connections, a server starting up) are retried by the store as whole transactions.
/// </summary>
internal sealed class PostgresDialect : Dialect
{
    // Any fixed number: the key of the advisory lock that serializes concurrent migrators.
    private const long MigrationLockKey = 0x4C_4553_534F_52; // "LESSOR"

    private readonly NpgsqlDataSource _dataSource;

    public PostgresDialect(string connectionString)
    {
        _dataSource = NpgsqlDataSource.Create(ToKeyValue(connectionString));
    }

    public override string MigrationFolder => "postgres";

    public override string SchemaMigrationsDdl =>
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)";

    public override string SchemaMigrationsExistSql =>
        "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename = 'schema_migrations' AND schemaname = current_schema()";

    public override Task PrepareAsync(CancellationToken ct) => Task.CompletedTask;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);

    public override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);

    public override ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct) =>
        connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

    public override async Task LockMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.AddWithValue("key", MigrationLockKey);
        await command.ExecuteNonQueryAsync(ct);
    }

    public override async Task<RowWriter> CreateWriterAsync(DbConnection connection, DbTransaction transaction, TableSpec table, CancellationToken ct)
    {
        var copy = $"COPY {table.Name} ({string.Join(", ", table.Columns)}) FROM STDIN (FORMAT BINARY)";
        var importer = await ((NpgsqlConnection)connection).BeginBinaryImportAsync(copy, ct);
        return new CopyRowWriter(table, importer);
    }

    // READ COMMITTED writers run side by side: the rows a guard reads must be locked so the check holds until commit.
    public override string ForUpdate => " FOR UPDATE";

    /// <summary>The channel every write notifies at commit with its new revision (docs/change-feed.md).</summary>
    public const string RevisionChannel = "lessor_revision";

    public override string TableExistsSql => "SELECT CASE WHEN to_regclass(@name) IS NULL THEN 0 ELSE 1 END";

    public override string NotifySql => $"SELECT pg_notify('{RevisionChannel}', @revision)";

    public override string KeysNotifySql => $"SELECT pg_notify('{RevisionChannel}', 'keys')";

    public override async Task<bool> ListenAsync(Action<long> onRevision, Action<long> onClaimsRevision, Action onKeys, Action onListening, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        connection.Notification += (_, e) =>
        {
            // "N": the store revision N committed; "claims:N": the claims revision N committed; "keys": API keys changed.
            if (e.Payload == "keys")
            {
                onKeys();
                return;
            }
            var claims = e.Payload.StartsWith("claims:", StringComparison.Ordinal);
            var text = claims ? e.Payload["claims:".Length..] : e.Payload;
            if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision)) return;
            if (claims) onClaimsRevision(revision);
            else onRevision(revision);
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {RevisionChannel}", connection))
        {
            await listen.ExecuteNonQueryAsync(ct);
        }
        onListening();
        while (true) await connection.WaitAsync(ct);
    }

    // PostgresException.IsTransient covers serialization failures (40001), deadlocks (40P01), lack of
    // resources (53xxx) and shutdowns (57P0x); NpgsqlException.IsTransient covers I/O and timeouts.
    public override bool IsTransient(Exception exception) => exception is NpgsqlException { IsTransient: true };

    public override object DecimalValue(decimal value) => value;

    public override object TimeValue(DateTime utc) => utc;

    public override decimal GetDecimal(DbDataReader reader, int ordinal) => reader.GetDecimal(ordinal);

    public override DateTime GetTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTime>(ordinal);

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Npgsql takes key=value strings only; users also paste postgres:// URIs.</summary>
    internal static string ToKeyValue(string connectionString)
    {
        if (!connectionString.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            && !connectionString.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return connectionString;
        }
        var uri = new Uri(connectionString);
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ArgumentException($"'{pair}' in the connection URI is not key=value.", nameof(connectionString));
            builder[Uri.UnescapeDataString(pair[..eq])] = Uri.UnescapeDataString(pair[(eq + 1)..]);
        }
        return builder.ConnectionString;
    }

    private sealed class CopyRowWriter(TableSpec table, NpgsqlBinaryImporter importer) : RowWriter(table)
    {
        public override async ValueTask CompleteAsync(CancellationToken ct) => await importer.CompleteAsync(ct);

        public override ValueTask DisposeAsync() => importer.DisposeAsync();

        protected override async ValueTask WriteRowAsync(CancellationToken ct)
        {
            await importer.StartRowAsync(ct);
            for (var i = 0; i < Values.Length; i++)
            {
                // Binary COPY sends no type names: each value must be written as exactly its column's type.
                switch (Values[i])
                {
                    case null: await importer.WriteNullAsync(ct); break;
                    case string s: await importer.WriteAsync(s, NpgsqlDbType.Text, ct); break;
                    case int n: await importer.WriteAsync(n, NpgsqlDbType.Integer, ct); break;
                    case decimal d: await importer.WriteAsync(d, NpgsqlDbType.Numeric, ct); break;
                    case DateTime t: await importer.WriteAsync(t, NpgsqlDbType.TimestampTz, ct); break;
                    default: throw new InvalidOperationException($"{Table.Name}: no COPY mapping for {Values[i]!.GetType()}.");
                }
            }
        }
    }
}
