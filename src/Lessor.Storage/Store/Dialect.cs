using System.Data.Common;

namespace Lessor.Storage.Store;

/// <summary>How a column's values travel: the dialects map each kind to their own column type.</summary>
internal enum ColumnKind
{
    Text,
    Int,
    Decimal,
    Time,
}

/// <summary>A table the importer writes, with its columns in the order rows supply them.</summary>
internal sealed class TableSpec
{
    public TableSpec(string name, params (string Name, ColumnKind Kind)[] columns)
    {
        Name = name;
        Columns = columns.Select(c => c.Name).ToArray();
        Kinds = columns.Select(c => c.Kind).ToArray();
    }

    public string Name { get; }
    public string[] Columns { get; }
    public ColumnKind[] Kinds { get; }
}

/// <summary>
/// What differs between SQLite and PostgreSQL: connections, transactions, column representations, bulk
/// writes and which errors are worth retrying. The SQL of queries is shared; only DDL is per dialect.
/// </summary>
internal abstract class Dialect : IAsyncDisposable
{
    /// <summary>Folder under Migrations/ that holds this dialect's scripts.</summary>
    public abstract string MigrationFolder { get; }

    /// <summary>DDL of the table that records applied migrations (created before any migration runs).</summary>
    public abstract string SchemaMigrationsDdl { get; }

    /// <summary>A query that counts 1 when schema_migrations exists, 0 before the first open: read without any lock.</summary>
    public abstract string SchemaMigrationsExistSql { get; }

    /// <summary>Called once when the store opens, before migrations.</summary>
    public abstract Task PrepareAsync(CancellationToken ct);

    public abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>A transaction that will write: it takes the write lock up front so it never fails half-way to upgrade.</summary>
    public abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct);

    /// <summary>A transaction that reads one consistent snapshot.</summary>
    public abstract ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Serializes concurrent openers that would apply the same migration.</summary>
    public abstract Task LockMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct);

    public abstract Task<RowWriter> CreateWriterAsync(DbConnection connection, DbTransaction transaction, TableSpec table, CancellationToken ct);

    /// <summary>True for failures that a fresh attempt of the whole transaction may not meet again.</summary>
    /// <summary>
    /// Appended to a SELECT inside a write transaction to lock the rows it reads until commit (PostgreSQL's FOR UPDATE).
    /// Empty where a write transaction already excludes every other writer (SQLite's BEGIN IMMEDIATE).
    /// </summary>
    public virtual string ForUpdate => "";

    /// <summary>
    /// Run inside a write transaction with the new revision as @revision: tells listening servers at commit
    /// (PostgreSQL's NOTIFY); null where there is no such channel (SQLite: servers poll the revision).
    /// </summary>
    public virtual string? NotifySql => null;

    /// <summary>
    /// Run inside a transaction that creates or revokes an API key: tells listening servers at commit to forget their key
    /// cache (a revoked key stops working on every replica at once); null where there is no such channel.
    /// </summary>
    public virtual string? KeysNotifySql => null;

    /// <summary>A query that answers 1 when the table <c>@name</c> exists, else 0.</summary>
    public abstract string TableExistsSql { get; }

    /// <summary>
    /// Listens for committed revisions on a connection of its own until <paramref name="ct"/> is cancelled or the
    /// connection fails (then it throws); false when the dialect has no notifications (the caller polls).
    /// </summary>
    public virtual Task<bool> ListenAsync(Action<long> onRevision, Action<long> onClaimsRevision, Action onKeys, Action onListening, CancellationToken ct) => Task.FromResult(false);

    public abstract bool IsTransient(Exception exception);

    /// <summary>The parameter value for a decimal column.</summary>
    public abstract object DecimalValue(decimal value);

    /// <summary>The parameter value for an instant column; the instant is already checked by <see cref="StoreValues.Instant"/>.</summary>
    public abstract object TimeValue(DateTime utc);

    public abstract decimal GetDecimal(DbDataReader reader, int ordinal);

    public abstract DateTime GetTime(DbDataReader reader, int ordinal);

    public decimal? GetDecimalOrNull(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : GetDecimal(reader, ordinal);

    public DateTime? GetTimeOrNull(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : GetTime(reader, ordinal);

    public abstract ValueTask DisposeAsync();
}

/// <summary>Writes rows of one table inside the import transaction: prepared inserts or a binary COPY.</summary>
internal abstract class RowWriter : IAsyncDisposable
{
    private int _next;

    protected RowWriter(TableSpec table)
    {
        Table = table;
        Values = new object?[table.Columns.Length];
    }

    protected TableSpec Table { get; }

    /// <summary>The current row's values: string, int, decimal, DateTime (UTC) or null.</summary>
    protected object?[] Values { get; }

    public RowWriter Text(string? value) => Put(value, ColumnKind.Text);

    public RowWriter Int(int value) => Put(value, ColumnKind.Int);

    public RowWriter Int(int? value) => Put(value, ColumnKind.Int);

    public RowWriter Decimal(decimal value) => Put(value, ColumnKind.Decimal);

    public RowWriter Decimal(decimal? value) => Put(value, ColumnKind.Decimal);

    public RowWriter Time(DateTime value) => Put(StoreValues.Instant(value, this), ColumnKind.Time);

    public RowWriter Time(DateTime? value) => Put(value is { } v ? StoreValues.Instant(v, this) : null, ColumnKind.Time);

    /// <summary>Names the column about to be filled, and the row by its first value (its id), for error messages.</summary>
    internal string CurrentField => $"{Table.Name}.{Table.Columns[Math.Min(_next, Values.Length - 1)]} of row '{(_next > 0 ? Values[0] : null)}'";

    /// <summary>Writes the row whose values were just supplied, in column order.</summary>
    public async ValueTask EndRowAsync(CancellationToken ct)
    {
        if (_next != Values.Length)
            throw new InvalidOperationException($"Row of {Table.Name} has {_next} values; the table has {Values.Length} columns.");
        await WriteRowAsync(ct);
        _next = 0;
    }

    /// <summary>Finishes the table; rows are not durable before the transaction commits.</summary>
    public abstract ValueTask CompleteAsync(CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    protected abstract ValueTask WriteRowAsync(CancellationToken ct);

    private RowWriter Put(object? value, ColumnKind kind)
    {
        // A column supplied in the wrong order would store a value in the wrong place: that is a bug here.
        if (_next >= Values.Length || Table.Kinds[_next] != kind)
            throw new InvalidOperationException($"Column {_next} of {Table.Name} does not take a {kind} value.");
        Values[_next++] = value;
        return this;
    }
}

/// <summary>Conversions every dialect shares.</summary>
internal static class StoreValues
{
    /// <summary>
    /// Checks an instant before it is stored: Lessor's times are UTC (an unspecified kind is read as UTC)
    /// and the store keeps microseconds, PostgreSQL's resolution, so a finer instant would not come back equal.
    /// </summary>
    public static DateTime Instant(DateTime value, RowWriter row)
    {
        if (value.Kind == DateTimeKind.Utc && value.Ticks % 10 == 0) return value;
        return Instant(value, row.CurrentField);
    }

    public static DateTime Instant(DateTime value, string field)
    {
        if (value.Kind == DateTimeKind.Local)
            throw new ArgumentException($"{field}: {value:O} is a local time; Lessor stores UTC instants only.", nameof(value));
        if (value.Ticks % 10 != 0)
            throw new ArgumentException($"{field}: {value:O} is finer than a microsecond, which the store cannot keep.", nameof(value));
        return DateTime.SpecifyKind(value, DateTimeKind.Utc);
    }
}
