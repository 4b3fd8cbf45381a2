using System.Data.Common;
using Lessor.Storage.Store;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Lessor.Storage.Tests.Store;

/// <summary>
/// Rolling upgrades (issue 15): a release refuses a store a newer release migrated, without writing to it; and the
/// newest migration leaves the previous release's view of the schema intact (docs/storage.md, "Compatibility").
/// </summary>
public abstract partial class StoreSuite
{
    private const long PostgresMigrationLockKey = 0x4C_4553_534F_52; // PostgresDialect's migration lock

    [Fact]
    public async Task Given_a_store_migrated_by_a_newer_release_When_opened_Then_it_is_refused_with_both_versions_and_nothing_is_written()
    {
        var known = Migrator.Load(MigrationFolder)[^1].Version;
        await using (var store = await OpenAsync())
        {
            await store.ImportAsync(ScenarioBuilder.Full(), None);
            // What the next release's migration would leave: its row in schema_migrations and its table.
            await store.ExecuteAsync(
                $"CREATE TABLE from_a_newer_release (id INTEGER PRIMARY KEY); " +
                $"INSERT INTO schema_migrations (version, name, applied_at) VALUES ({known + 1}, 'from_a_newer_release', '2027-01-01T00:00:00.000000Z')", None);
        }
        var before = await SnapshotAsync();

        // Another session holds the write lock the migrator would take: a release that took it would wait here
        // (SQLite's busy timeout is 30 s, PostgreSQL's advisory lock forever) instead of answering at once.
        StoreSchemaTooNewException refused;
        await using (await HoldMigrationLockAsync())
        {
            refused = await Assert.ThrowsAsync<StoreSchemaTooNewException>(() => OpenAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        }

        Assert.Equal(known + 1, refused.StoreVersion);
        Assert.Equal(known, refused.KnownVersion);
        Assert.Contains($"version {known + 1}", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"version {known}", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Given_a_store_at_the_previous_release_When_the_newest_migration_runs_Then_every_table_and_column_the_previous_release_used_is_still_there_and_writable_as_before()
    {
        var migrations = Migrator.Load(MigrationFolder);
        IReadOnlyDictionary<(string Table, string Column), ColumnShape> previous;
        await using (await LessorStore.OpenAsync(Location, TimeProvider.System, migrations[^1].Version - 1, None))
        {
            previous = await ColumnsAsync();
        }
        await using (await OpenAsync())
        {
        }
        var current = await ColumnsAsync();

        // The previous release reads these columns by name and inserts rows naming only them: each must still exist with
        // its type, and a column the newest migration adds to an old table must take a default (NULL or stated).
        foreach (var (column, shape) in previous)
        {
            Assert.True(current.TryGetValue(column, out var now), $"{migrations[^1].Version:D4}_{migrations[^1].Name} drops {column.Table}.{column.Column}, which the previous release uses.");
            Assert.Equal(shape.Type, now.Type);
        }
        var oldTables = previous.Keys.Select(k => k.Table).ToHashSet(StringComparer.Ordinal);
        foreach (var (column, shape) in current)
        {
            if (previous.ContainsKey(column) || !oldTables.Contains(column.Table)) continue;
            Assert.False(shape.NotNull && !shape.HasDefault,
                $"{migrations[^1].Version:D4}_{migrations[^1].Name} adds {column.Table}.{column.Column} NOT NULL without a default: the previous release's inserts into {column.Table} would fail.");
        }
    }

    private sealed record ColumnShape(string Type, bool NotNull, bool HasDefault);

    private async Task<IReadOnlyDictionary<(string Table, string Column), ColumnShape>> ColumnsAsync()
    {
        var sql = Location is StoreLocation.Sqlite
            ? "SELECT m.name, p.name, p.type, p.\"notnull\", CASE WHEN p.dflt_value IS NULL THEN 0 ELSE 1 END FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
            : "SELECT table_name::text, column_name::text, data_type::text, CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END, CASE WHEN column_default IS NULL THEN 0 ELSE 1 END FROM information_schema.columns WHERE table_schema = current_schema()";
        return await RawAsync(async connection =>
        {
            var columns = new Dictionary<(string, string), ColumnShape>();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var r = await command.ExecuteReaderAsync();
            while (await r.ReadAsync())
                columns[(r.GetString(0), r.GetString(1))] = new ColumnShape(r.GetString(2), Convert.ToInt64(r.GetValue(3)) == 1, Convert.ToInt64(r.GetValue(4)) == 1);
            return (IReadOnlyDictionary<(string, string), ColumnShape>)columns;
        });
    }

    /// <summary>What a write would change: the recorded migrations and the store's revision.</summary>
    private Task<string> SnapshotAsync() => RawAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, name FROM schema_migrations ORDER BY version";
        var rows = new List<string>();
        await using (var r = await command.ExecuteReaderAsync())
        {
            while (await r.ReadAsync()) rows.Add($"{r.GetValue(0)}:{r.GetString(1)}");
        }
        command.CommandText = "SELECT revision FROM store_state WHERE id = 1";
        rows.Add("revision " + await command.ExecuteScalarAsync());
        return string.Join(", ", rows);
    });

    private async Task<T> RawAsync<T>(Func<DbConnection, Task<T>> read)
    {
        await using DbConnection connection = Location switch
        {
            StoreLocation.Sqlite s => new SqliteConnection($"Data Source={s.Path};Pooling=False"),
            StoreLocation.Postgres p => new NpgsqlConnection(p.ConnectionString),
            _ => throw new InvalidOperationException("Unknown store location."),
        };
        await connection.OpenAsync();
        return await read(connection);
    }

    /// <summary>Holds, from another session, the lock a migrating release takes, until disposed.</summary>
    private async Task<IAsyncDisposable> HoldMigrationLockAsync()
    {
        DbConnection connection = Location switch
        {
            StoreLocation.Sqlite s => new SqliteConnection($"Data Source={s.Path};Pooling=False"),
            StoreLocation.Postgres p => new NpgsqlConnection(p.ConnectionString),
            _ => throw new InvalidOperationException("Unknown store location."),
        };
        await connection.OpenAsync();
        if (connection is SqliteConnection sqlite)
        {
            var transaction = sqlite.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock
            return new Held(connection, transaction);
        }
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT pg_advisory_lock({PostgresMigrationLockKey})";
            await command.ExecuteNonQueryAsync();
        }
        return new Held(connection, null);
    }

    private sealed class Held(DbConnection connection, DbTransaction? transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (transaction is not null) await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
