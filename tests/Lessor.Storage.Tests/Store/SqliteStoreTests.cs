using Lessor.Storage.Store;
using Microsoft.Data.Sqlite;

namespace Lessor.Storage.Tests.Store;

/// <summary>The store suite on SQLite: a fresh file in a temporary directory per test.</summary>
public sealed class SqliteStoreTests : StoreSuite
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "lessor-tests", Guid.NewGuid().ToString("N"));

    protected override string MigrationFolder => "sqlite";

    // A directory that does not exist yet: opening must create it.
    protected override Task<StoreLocation> CreateLocationAsync() =>
        Task.FromResult<StoreLocation>(new StoreLocation.Sqlite(Path.Combine(_directory, "nested", "lessor.db")));

    protected override Task DeleteLocationAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Given_a_new_file_When_the_store_opens_Then_the_file_is_in_WAL_mode_with_foreign_keys_enforced()
    {
        await using (await OpenAsync())
        {
        }

        var path = ((StoreLocation.Sqlite)Location).Path;
        Assert.True(File.Exists(path));
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Foreign Keys=True");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
        command.CommandText = "INSERT INTO fabrics (id, ordinal, site_id, platform_id, max_units) VALUES ('f', 0, 'no-site', 'no-platform', 1)";
        var error = await Assert.ThrowsAsync<SqliteException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(19, error.SqliteErrorCode); // SQLITE_CONSTRAINT: the foreign keys hold even for hand-written SQL
    }

    [Fact]
    public async Task Given_a_store_connection_Then_commits_are_durable_and_a_busy_writer_waits_30_seconds()
    {
        var path = ((StoreLocation.Sqlite)Location).Path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var dialect = new SqliteDialect(path);
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();

        command.CommandText = "PRAGMA synchronous";
        Assert.Equal(2L, await command.ExecuteScalarAsync()); // FULL
        command.CommandText = "PRAGMA busy_timeout";
        Assert.Equal(30_000L, await command.ExecuteScalarAsync());
        command.CommandText = "PRAGMA foreign_keys";
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }
}
