using Lessor.Core.Fleet;
using Lessor.Server.Fleet;
using Microsoft.Data.Sqlite;

namespace Lessor.Server.Tests.Fleet;

/// <summary>
/// A small durable sink for the consumer's tests (the fleet desk is the real one): per node the highest applied
/// sequence, in a SQLite file, and one row per applied report with its readings, written in one transaction per batch.
/// A report at or below its node's high-water sequence is a duplicate; a serial outside <paramref name="known"/> is
/// refused as an unknown node.
/// </summary>
public sealed class SqliteTestSink : IHealthSink, IDisposable
{
    private readonly string _connection;
    private readonly IReadOnlySet<string>? _known;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public SqliteTestSink(string path, IReadOnlySet<string>? known = null)
    {
        _connection = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        _known = known;
        using var c = Open();
        Exec(c, null, "CREATE TABLE IF NOT EXISTS node_seq (node TEXT PRIMARY KEY, seq INTEGER NOT NULL)");
        Exec(c, null, "CREATE TABLE IF NOT EXISTS applied (node TEXT NOT NULL, seq INTEGER NOT NULL, readings INTEGER NOT NULL)");
    }

    /// <summary>Called after a batch is durable and before ApplyAsync returns (a test may throw here, as a crash before the ack would).</summary>
    public Action<int>? AfterCommit { get; set; }

    public async Task<IReadOnlyList<IngestOutcome>> ApplyAsync(IReadOnlyList<HealthReport> reports, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var outcomes = new IngestOutcome[reports.Count];
            var applied = 0;
            using (var c = Open())
            using (var tx = c.BeginTransaction())
            {
                for (var i = 0; i < reports.Count; i++)
                {
                    var r = reports[i];
                    if (_known is not null && !_known.Contains(r.Node))
                    {
                        outcomes[i] = new IngestOutcome(IngestStatus.UnknownNode, "node", $"no node has serial '{r.Node}'");
                        continue;
                    }
                    using var read = c.CreateCommand();
                    read.Transaction = tx;
                    read.CommandText = "SELECT seq FROM node_seq WHERE node = $n";
                    read.Parameters.AddWithValue("$n", r.Node);
                    var high = read.ExecuteScalar() is long s ? s : 0;
                    if (r.Seq <= high)
                    {
                        outcomes[i] = IngestOutcome.Duplicate;
                        continue;
                    }
                    Exec(c, tx, "INSERT INTO node_seq (node, seq) VALUES ($n, $s) ON CONFLICT (node) DO UPDATE SET seq = excluded.seq", ("$n", r.Node), ("$s", r.Seq));
                    Exec(c, tx, "INSERT INTO applied (node, seq, readings) VALUES ($n, $s, $g)", ("$n", r.Node), ("$s", r.Seq), ("$g", r.Gpus.Count));
                    outcomes[i] = IngestOutcome.Applied;
                    applied++;
                }
                tx.Commit();
            }
            AfterCommit?.Invoke(applied);
            return outcomes;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reports applied (rows), distinct (node, seq) among them, and readings applied.</summary>
    public (long Rows, long Distinct, long Readings) Counts()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*), (SELECT COUNT(*) FROM (SELECT DISTINCT node, seq FROM applied)), COALESCE(SUM(readings), 0) FROM applied";
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connection);
        c.Open();
        Exec(c, null, "PRAGMA journal_mode = WAL");
        return c;
    }

    private static void Exec(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object Value)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => _gate.Dispose();
}
