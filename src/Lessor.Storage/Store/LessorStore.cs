using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Lessor.Core.Model;

namespace Lessor.Storage.Store;

/// <summary>
/// The system of record: the estate and the book of contracts in SQLite or PostgreSQL, behind one narrow
/// API. Every write is one transaction; PostgreSQL transactions that fail transiently are retried whole.
/// Safe to share between threads: each call takes its own pooled connection.
/// </summary>
public sealed partial class LessorStore : IAsyncDisposable
{
    private readonly Dialect _dialect;

    private LessorStore(Dialect dialect, StoreLocation location)
    {
        _dialect = dialect;
        Location = location;
    }

    /// <summary>Where this store lives.</summary>
    public StoreLocation Location { get; }

    /// <summary>Opens (creating a SQLite file and its directory if needed) and applies pending migrations.</summary>
    public static Task<LessorStore> OpenAsync(StoreLocation location, CancellationToken ct) =>
        OpenAsync(location, TimeProvider.System, ct);

    /// <summary>As <see cref="OpenAsync(StoreLocation, CancellationToken)"/>, with the clock that stamps applied migrations.</summary>
    public static Task<LessorStore> OpenAsync(StoreLocation location, TimeProvider clock, CancellationToken ct) =>
        OpenAsync(location, clock, null, ct);

    /// <summary>Opens with migrations applied only up to <paramref name="through"/>: an older store, for upgrade tests.</summary>
    internal static async Task<LessorStore> OpenAsync(StoreLocation location, TimeProvider clock, int? through, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(location);
        Dialect dialect = location switch
        {
            StoreLocation.Sqlite s => new SqliteDialect(s.Path),
            StoreLocation.Postgres p => new PostgresDialect(p.ConnectionString),
            _ => throw new ArgumentOutOfRangeException(nameof(location), location, "Unknown store location."),
        };
        try
        {
            await dialect.PrepareAsync(ct);
            await TransientRetry.RunAsync(c => Migrator.ApplyAsync(dialect, clock, c, through), dialect.IsTransient, TransientRetry.Backoff, ct);
            var store = new LessorStore(dialect, location);
            // A store opened short of the change feed's migration (upgrade tests) is written as before, without changes.
            store.HasChangeFeed = await store.ReadAsync(async (connection, transaction, c) =>
            {
                await using var exists = Db.Command(connection, transaction, dialect.TableExistsSql);
                Db.Add(exists, "name", "store_changes");
                return Convert.ToInt64(await exists.ExecuteScalarAsync(c), System.Globalization.CultureInfo.InvariantCulture) == 1;
            }, ct);
            return store;
        }
        catch
        {
            await dialect.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs one SQL script in a write transaction: rows as an older version of the store wrote them, for upgrade tests.</summary>
    internal Task ExecuteAsync(string sql, CancellationToken ct) =>
        WriteAsync(async (connection, transaction, c) =>
        {
            await using var command = Db.Command(connection, transaction, sql);
            return await command.ExecuteNonQueryAsync(c);
        }, ct);

    /// <summary>The highest migration applied.</summary>
    public Task<int> SchemaVersionAsync(CancellationToken ct) =>
        ReadAsync((connection, transaction, c) => Migrator.CurrentVersionAsync(connection, transaction, c), ct);

    /// <summary>The migrations applied, oldest first, as recorded in schema_migrations.</summary>
    public Task<IReadOnlyList<AppliedMigration>> AppliedMigrationsAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<AppliedMigration>>(async (connection, transaction, c) =>
        {
            var applied = new List<AppliedMigration>();
            await using var command = Db.Command(connection, transaction, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
            await using var r = await command.ExecuteReaderAsync(c);
            while (await r.ReadAsync(c)) applied.Add(new AppliedMigration(r.GetInt32(0), r.GetString(1), _dialect.GetTime(r, 2)));
            return applied;
        }, ct);

    /// <summary>Counts writes: every committed write adds one. A reader that saw revision N and still sees N missed nothing.</summary>
    public Task<long> RevisionAsync(CancellationToken ct) =>
        ReadAsync((connection, transaction, c) => Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM store_state WHERE id = 1", c), ct);

    /// <summary>True when the store holds no estate and no contracts (a fresh store, before the first import).</summary>
    public Task<bool> IsEmptyAsync(CancellationToken ct) =>
        ReadAsync(async (connection, transaction, c) => await Db.ScalarLongAsync(connection, transaction, IsEmptySql, c) == 1, ct);

    private static readonly string IsEmptySql =
        "SELECT CASE WHEN " + string.Join(" OR ", Tables.TopLevel.Select(t => $"EXISTS (SELECT 1 FROM {t})")) + " THEN 0 ELSE 1 END";

    /// <summary>
    /// Imports a whole scenario in one transaction. When an id already exists (in the store or twice in the
    /// scenario) it throws <see cref="StoreConflictException"/>; when a reference resolves nowhere,
    /// <see cref="StoreReferenceException"/>; either way the store is left as it was.
    /// </summary>
    public Task ImportAsync(Scenario scenario, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return WriteAsync(async (connection, transaction, c) =>
        {
            await new ScenarioWriter(_dialect, connection, transaction).WriteAsync(scenario, c);
            var revision = await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM store_state WHERE id = 1", c);
            await AppendChangeAsync(connection, transaction, revision, ChangeKind.Import, [], [], c);
            return true;
        }, ct);
    }

    /// <summary>
    /// The whole model, read from one snapshot, in import order. An empty store gives a scenario with an
    /// empty name; after several imports the name, description and currency are the first import's.
    /// </summary>
    public Task<Scenario> ExportAsync(CancellationToken ct) =>
        ReadAsync((connection, transaction, c) => new ScenarioReader(_dialect, connection, transaction).ReadScenarioAsync(c), ct);

    public Task<IReadOnlyList<Platform>> ListPlatformsAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<Platform>>(async (connection, transaction, c) => await new ScenarioReader(_dialect, connection, transaction).PlatformsAsync(c), ct);

    public Task<IReadOnlyList<Region>> ListRegionsAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<Region>>(async (connection, transaction, c) => await new ScenarioReader(_dialect, connection, transaction).RegionsAsync(c), ct);

    public Task<IReadOnlyList<Site>> ListSitesAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<Site>>(async (connection, transaction, c) => await new ScenarioReader(_dialect, connection, transaction).SitesAsync(c), ct);

    public Task<IReadOnlyList<Fabric>> ListFabricsAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<Fabric>>(async (connection, transaction, c) => await new ScenarioReader(_dialect, connection, transaction).FabricsAsync(c), ct);

    public Task<IReadOnlyList<Delivery>> ListDeliveriesAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<Delivery>>(async (connection, transaction, c) => await new ScenarioReader(_dialect, connection, transaction).DeliveriesAsync(c), ct);

    public Task<IReadOnlyList<Customer>> ListCustomersAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<Customer>>(async (connection, transaction, c) => await new ScenarioReader(_dialect, connection, transaction).CustomersAsync(c), ct);

    /// <summary>Contracts in import order, all of them or one customer's.</summary>
    public Task<IReadOnlyList<Contract>> ListContractsAsync(CustomerId? customer, CancellationToken ct)
    {
        var filter = customer is { } id ? ScenarioReader.ContractFilter.OfCustomer(id) : ScenarioReader.ContractFilter.All;
        return ReadAsync<IReadOnlyList<Contract>>(async (connection, transaction, c) =>
            await new ScenarioReader(_dialect, connection, transaction).ContractsAsync(filter, c), ct);
    }

    /// <summary>One contract with its lines and history, or null when the store has no such contract.</summary>
    public Task<Contract?> GetContractAsync(ContractId id, CancellationToken ct) =>
        ReadAsync(async (connection, transaction, c) =>
        {
            var found = await new ScenarioReader(_dialect, connection, transaction).ContractsAsync(ScenarioReader.ContractFilter.OfId(id), c);
            return found.Count == 0 ? null : found[0];
        }, ct);

    public ValueTask DisposeAsync() => _dialect.DisposeAsync();

    private Task<T> ReadAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken ct, [CallerMemberName] string operation = "") =>
        RunAsync(work, write: false, operation, ct);

    private Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken ct, [CallerMemberName] string operation = "") =>
        RunAsync(work, write: true, operation, ct);

    // One path for every unit of work: a connection, a transaction, commit, and a whole-transaction retry
    // when the dialect calls the failure transient. A failed attempt is rolled back by disposing it.
    private async Task<T> RunAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, bool write, string operation, CancellationToken ct)
    {
        var kind = write ? "write" : "read";
        using var activity = StoreTelemetry.Source.StartActivity("store " + kind + " " + operation, ActivityKind.Client);
        activity?.SetTag("db.system.name", _dialect.MigrationFolder == "postgres" ? "postgresql" : "sqlite");
        activity?.SetTag("db.operation.name", operation);
        var started = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            return await TransientRetry.RunAsync(async c =>
            {
                await using var connection = await _dialect.OpenAsync(c);
                await using var transaction = write ? await _dialect.BeginWriteAsync(connection, c) : await _dialect.BeginReadAsync(connection, c);
                var result = await work(connection, transaction, c);
                await transaction.CommitAsync(c);
                return result;
            }, _dialect.IsTransient, TransientRetry.Backoff, ct);
        }
        catch (Exception e)
        {
            outcome = "error";
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            throw;
        }
        finally
        {
            if (StoreTelemetry.TransactionDuration.Enabled)
            {
                StoreTelemetry.TransactionDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                    new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("operation", operation),
                    new KeyValuePair<string, object?>("outcome", outcome));
            }
        }
    }
}

/// <summary>A schema migration as recorded when it was applied.</summary>
public sealed record AppliedMigration(int Version, string Name, DateTime AppliedAt);
