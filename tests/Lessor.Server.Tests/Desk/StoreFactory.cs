using Lessor.Storage.Store;
using Npgsql;

namespace Lessor.Server.Tests.Desk;

/// <summary>Fresh, empty stores for one test: a SQLite file, or a new database on the PostgreSQL server the test script started.</summary>
public abstract class StoreFactory
{
    public abstract Task<StoreLocation> CreateAsync();

    /// <summary>A temp SQLite file per test.</summary>
    public sealed class Sqlite : StoreFactory
    {
        public override Task<StoreLocation> CreateAsync() =>
            Task.FromResult<StoreLocation>(new StoreLocation.Sqlite(Path.Combine(Path.GetTempPath(), $"lessor-desk-{Guid.NewGuid():N}.db")));
    }

    /// <summary>A new database per test on the server named by LESSOR_TEST_PG (scripts/test.sh starts one).</summary>
    public sealed class Postgres : StoreFactory
    {
        public override async Task<StoreLocation> CreateAsync()
        {
            var admin = Environment.GetEnvironmentVariable("LESSOR_TEST_PG");
            Assert.False(string.IsNullOrEmpty(admin),
                "LESSOR_TEST_PG is not set: run the tests with scripts/test.sh, which starts a throwaway PostgreSQL cluster.");
            var name = $"lessor_desk_{Guid.NewGuid():N}";
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
                await create.ExecuteNonQueryAsync();
            }
            var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
            return new StoreLocation.Postgres(builder.ConnectionString);
        }
    }
}
