using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Lessor.Storage.Store;

/// <summary>
/// The embedded store. WAL lets readers run beside the one writer; synchronous=FULL makes a commit durable
/// before it returns; busy_timeout makes a second writer wait instead of failing.
/// </summary>
internal sealed class SqliteDialect : Dialect
{
    // Fixed width and UTC, so comparing the text compares the instants.
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";
    private const int BusyTimeoutMs = 30_000;

    private readonly string _path;
    private readonly string _connectionString;

    public SqliteDialect(string path)
    {
        _path = Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // Foreign keys, synchronous and the busy timeout are set once per underlying connection (see OpenAsync), not
            // by the provider on every open from the pool.
            Pooling = true,
            DefaultTimeout = BusyTimeoutMs / 1000,
        }.ToString();
    }

    public override string TableExistsSql => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @name";

    public override string MigrationFolder => "sqlite";

    public override string SchemaMigrationsDdl =>
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

    public override string SchemaMigrationsExistSql =>
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";

    public override async Task PrepareAsync(CancellationToken ct)
    {
        var directory = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        // The journal mode is stored in the file; it cannot change inside a transaction, so set it here once.
        command.CommandText = "PRAGMA journal_mode = WAL";
        var mode = (string?)await command.ExecuteScalarAsync(ct);
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite at {_path} refused WAL mode (journal mode is '{mode}').");
    }

    // Underlying connections already given the per-connection settings; entries go when the pool closes the handle.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> Initialized = new();
    private static readonly object Marker = new();

    public override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            // Per-connection settings, kept by a pooled connection for its life: set when the underlying SQLite handle is
            // new. (Setting them on every open was three statements per transaction, a sign being three transactions.)
            if (!Initialized.TryGetValue(connection.Handle!, out _))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA busy_timeout = {BusyTimeoutMs}";
                await command.ExecuteNonQueryAsync(ct);
                Initialized.AddOrUpdate(connection.Handle!, Marker);
            }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    // BEGIN IMMEDIATE: a deferred transaction that reads then writes can fail with SQLITE_BUSY at its
    // first write in WAL mode; taking the write lock first makes it wait (busy_timeout) instead.
    public override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    public override ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    // BEGIN IMMEDIATE already excludes every other writer.
    public override Task LockMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct) =>
        Task.CompletedTask;

    public override async Task<RowWriter> CreateWriterAsync(DbConnection connection, DbTransaction transaction, TableSpec table, CancellationToken ct)
    {
        var command = ((SqliteConnection)connection).CreateCommand();
        command.Transaction = (SqliteTransaction)transaction;
        var names = new string[table.Columns.Length];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = "@p" + i.ToString(CultureInfo.InvariantCulture);
            command.Parameters.Add(new SqliteParameter(names[i], null));
        }
        command.CommandText = $"INSERT INTO {table.Name} ({string.Join(", ", table.Columns)}) VALUES ({string.Join(", ", names)})";
        // Compiled once, bound and stepped per row: this is what keeps a 100k-row import at a fraction of a second.
        await command.PrepareAsync(ct);
        return new SqliteRowWriter(table, command, this);
    }

    // SQLITE_BUSY past busy_timeout means another writer held the lock for 30 s: report it rather than queue longer.
    public override bool IsTransient(Exception exception) => false;

    public override object DecimalValue(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public override object TimeValue(DateTime utc) => utc.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public override decimal GetDecimal(DbDataReader reader, int ordinal) =>
        decimal.Parse(reader.GetString(ordinal), NumberStyles.Number, CultureInfo.InvariantCulture);

    public override DateTime GetTime(DbDataReader reader, int ordinal) => ParseTime(reader.GetString(ordinal));

    /// <summary>
    /// Reads a stored instant. Every instant is written in one fixed shape (<see cref="TimeFormat"/>), read here digit by
    /// digit: the general parser was a tenth of the book's export at start. Anything else goes to the general parser,
    /// which names what is wrong.
    /// </summary>
    internal static DateTime ParseTime(string text)
    {
        if (text.Length == 27 && text[4] == '-' && text[7] == '-' && text[10] == 'T' && text[13] == ':' && text[16] == ':' && text[19] == '.' && text[26] == 'Z'
            && Digits(text, 0, 4) is var year and > 0 && Digits(text, 5, 2) is var month and >= 1 and <= 12
            && Digits(text, 8, 2) is var day and >= 1 && day <= DateTime.DaysInMonth(year, month)
            && Digits(text, 11, 2) is var hour and >= 0 and < 24 && Digits(text, 14, 2) is var minute and >= 0 and < 60
            && Digits(text, 17, 2) is var second and >= 0 and < 60 && Digits(text, 20, 6) is var micro and >= 0)
        {
            return new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(micro * 10L);
        }
        return DateTime.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
    }

    /// <summary>The number written by <paramref name="count"/> ASCII digits from <paramref name="at"/>, or -1.</summary>
    private static int Digits(string text, int at, int count)
    {
        var value = 0;
        for (var i = at; i < at + count; i++)
        {
            var d = text[i] - '0';
            if (d is < 0 or > 9) return -1;
            value = value * 10 + d;
        }
        return value;
    }

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open; release them so the file can be moved or deleted.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    private sealed class SqliteRowWriter(TableSpec table, SqliteCommand command, SqliteDialect dialect) : RowWriter(table)
    {
        public override ValueTask CompleteAsync(CancellationToken ct) => ValueTask.CompletedTask;

        public override ValueTask DisposeAsync() => command.DisposeAsync();

        protected override ValueTask WriteRowAsync(CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            var parameters = command.Parameters;
            for (var i = 0; i < Values.Length; i++)
            {
                parameters[i].Value = Values[i] switch
                {
                    null => DBNull.Value,
                    decimal d => dialect.DecimalValue(d),
                    DateTime t => dialect.TimeValue(t),
                    var v => v,
                };
            }
            // Microsoft.Data.Sqlite's async methods run synchronously anyway; the sync call skips a Task per row.
            command.ExecuteNonQuery();
            return ValueTask.CompletedTask;
        }
    }
}
