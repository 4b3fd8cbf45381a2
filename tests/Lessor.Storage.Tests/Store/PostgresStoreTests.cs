using Lessor.Storage.Store;
using Npgsql;

namespace Lessor.Storage.Tests.Store;

/// <summary>
/// The store suite on a real PostgreSQL server: each test creates its own database lessor_test_&lt;guid&gt;
/// on the server named by LESSOR_TEST_PG and drops it afterwards.
/// </summary>
public sealed class PostgresStoreTests : StoreSuite
{
    /// <summary>The variable scripts/test.sh sets to the throwaway cluster's connection string.</summary>
    public const string Variable = "LESSOR_TEST_PG";

    private readonly string _database = "lessor_test_" + Guid.NewGuid().ToString("N");

    protected override string MigrationFolder => "postgres";

    // Failing, not skipping: a green run must mean the PostgreSQL store was tested.
    private static string Server =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set, so the PostgreSQL store cannot be tested. Run scripts/test.sh, which starts a throwaway " +
                $"PostgreSQL cluster and sets it; or run `scripts/pg.sh start .pg` and export {Variable} to the connection string it prints.");

    protected override async Task<StoreLocation> CreateLocationAsync()
    {
        await using (var connection = new NpgsqlConnection(Server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(Server) { Database = _database };
        return new StoreLocation.Postgres(builder.ConnectionString);
    }

    protected override async Task DeleteLocationAsync()
    {
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Given_the_database_as_a_postgres_uri_When_opened_Then_it_is_the_same_store()
    {
        var target = new NpgsqlConnectionStringBuilder(((StoreLocation.Postgres)Location).ConnectionString);
        var uri = $"postgres://{Uri.EscapeDataString(target.Username!)}@{target.Host}:{target.Port}/{target.Database}";
        await using (var store = await OpenAsync())
        {
            await store.ImportAsync(ScenarioBuilder.Full(), CancellationToken.None);
        }

        await using var viaUri = await LessorStore.OpenAsync(StoreLocation.Parse(uri), CancellationToken.None);

        Assert.Equal(["meta", "mistral", "nvidia"], (await viaUri.ListCustomersAsync(CancellationToken.None)).Select(c => c.Id.Value));
    }
}
