using Lessor.Storage.Store;
using Microsoft.Data.Sqlite;

namespace Lessor.Cli.Tests;

/// <summary>A store migrated by a newer release: `lessor serve` and the store commands refuse it in one line, naming both versions.</summary>
public sealed class StoreVersionTests : IDisposable
{
    private readonly string _db = CliRunner.TempDb();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _db, _db + "-wal", _db + "-shm" }) File.Delete(file);
    }

    [Theory]
    [InlineData("serve", "--port", "0")]
    [InlineData("contracts", "list")]
    [InlineData("keys", "create", "--role", "admin")]
    public async Task Given_a_store_one_version_ahead_When_a_command_opens_it_Then_it_exits_1_naming_both_versions_and_writes_nothing(params string[] command)
    {
        int known;
        await using (var store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(_db), CancellationToken.None))
        {
            known = await store.SchemaVersionAsync(CancellationToken.None);
        }
        await ExecAsync($"INSERT INTO schema_migrations (version, name, applied_at) VALUES ({known + 1}, 'next', '2027-01-01T00:00:00.000000Z')");

        var run = await CliRunner.RunAsync([.. command, "--db", _db]);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: ", run.Err.Split('\n').Last(l => l.Length > 0), StringComparison.Ordinal);
        Assert.Contains($"version {known + 1}, newer than this release of lessor knows (version {known}", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.Err, StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync("SELECT COUNT(*) FROM api_keys"));
        Assert.Equal(known + 1L, await ScalarAsync("SELECT MAX(version) FROM schema_migrations"));
    }

    private async Task ExecAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_db};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_db};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
