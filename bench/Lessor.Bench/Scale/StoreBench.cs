using System.Diagnostics;
using Lessor.Core.Generation;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;
using Microsoft.Data.Sqlite;

namespace Lessor.Bench.Scale;

/// <summary>
/// `dotnet run -c Release --project bench/Lessor.Bench -- store [gpus] [runs]`: the store-facing figures of issues 2
/// and 3 on a generated scenario: parse + validate + import into SQLite (baseline: parse + validate alone), rebuild of
/// the ledger from the store (export + build). Durable signs per second: `Lessor.Bench desk`.
/// </summary>
internal static class StoreBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var gpus = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        var runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var dir = Directory.CreateTempSubdirectory("lessor-bench-");
        var file = Path.Combine(dir.FullName, "scale.yaml");
        var scenario = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = gpus, Seed = 7 });
        await File.WriteAllTextAsync(file, ScenarioFile.ToYaml(scenario));
        var lines = scenario.Contracts.Sum(c => c.CommittedLines.Count());
        Console.WriteLine($"scenario: {gpus:N0} GPUs, {scenario.Fabrics.Count:N0} fabrics, {scenario.Deliveries.Count:N0} deliveries, " +
                          $"{scenario.Contracts.Count:N0} contracts, {lines:N0} committed lines, file {new FileInfo(file).Length / 1e6:N1} MB");

        var parse = new List<double>();
        var import = new List<double>();
        var rebuild = new List<double>();
        var rebuildMemory = new List<double>();
        var claimsOwn = new List<double>();
        var claimsShared = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            var db = Path.Combine(dir.FullName, $"import-{run}.db");
            parse.Add(Stats.Ms(() => Check(ScenarioFile.Load(file))));
            import.Add(await Stats.MsAsync(async () =>
            {
                var parsed = Check(ScenarioFile.Load(file));
                await using var store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(db), CancellationToken.None);
                await store.ImportAsync(parsed, CancellationToken.None);
            }));

            DealDesk? desk = null;
            rebuild.Add(await Stats.MsAsync(async () =>
            {
                await using var store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(db), CancellationToken.None);
                desk = await DealDesk.OpenAsync(store, CancellationToken.None);
            }));
            rebuildMemory.Add(GC.GetTotalMemory(forceFullCollection: true) / 1e6);
            GC.KeepAlive(desk);

            // Server start: the claim desk exporting and building a ledger of its own, or taking the deal desk's book.
            await using (var store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(db), CancellationToken.None))
            {
                var deals = await DealDesk.OpenAsync(store, CancellationToken.None);
                claimsOwn.Add(await Stats.MsAsync(() => Lessor.Server.Claims.ClaimDesk.OpenAsync(store, TimeProvider.System, CancellationToken.None)));
                claimsShared.Add(await Stats.MsAsync(() => Lessor.Server.Claims.ClaimDesk.OpenAsync(deals, store, TimeProvider.System, CancellationToken.None)));
            }
        }
        Console.WriteLine($"parse+validate (baseline): median {Stats.Median(parse):N0} ms");
        Console.WriteLine($"parse+validate+import into SQLite: median {Stats.Median(import):N0} ms = {Stats.Median(import) / Stats.Median(parse):N2}x baseline (target < 30,000 ms)");
        Console.WriteLine($"ledger rebuilt from the store (open + export + build): median {Stats.Median(rebuild):N0} ms (target < 2,000 ms), managed heap after the rebuild {Stats.Median(rebuildMemory):N0} MB, peak working set of the whole run so far {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:N0} MB (target < 1,000 MB)");

        Console.WriteLine($"claim desk at server start: own export + ledger build median {Stats.Median(claimsOwn):N0} ms; from the deal desk's book median {Stats.Median(claimsShared):N0} ms");

        // Signs per second are measured by `Lessor.Bench desk`: deals chosen to fit, every sign counted and read back from
        // the store (this bench used to divide attempts, refusals included, by the time).
        dir.Delete(recursive: true);
        return 0;
    }

    private static Scenario Check(ScenarioParseResult parsed) =>
        parsed.Scenario ?? throw new InvalidDataException(string.Join(Environment.NewLine, parsed.Errors.Take(10)));

    /// <summary>One INSERT per transaction in WAL mode with synchronous=FULL: the floor any durable sign pays.</summary>
    internal static double RawDurableCommitsPerSecond(string path, int n)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);";
            setup.ExecuteNonQuery();
        }
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            using var tx = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO t (v) VALUES ($v)";
            insert.Parameters.AddWithValue("$v", "contract");
            insert.ExecuteNonQuery();
            tx.Commit();
        }
        return n / watch.Elapsed.TotalSeconds;
    }
}
