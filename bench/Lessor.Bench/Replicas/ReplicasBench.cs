using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Bench.Api;
using Lessor.Bench.Scale;
using Lessor.Core.Generation;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Store;
using Npgsql;

namespace Lessor.Bench.Replicas;

/// <summary>
/// `Lessor.Bench replicas [--pg CONN|auto] [--gpus N] [--servers N] [--samples N] [--races N]`: several servers on one store
/// (docs/change-feed.md). On a generated book (seed 7):
/// <list type="bullet">
/// <item>the cost of losing a write race: the catch-up from the change feed of one other server's sign, against a full
/// rebuild of the book from the store (the same-run baseline; what a lost race cost before the feed);</item>
/// <item>replication lag: a sign committed by this process (a server's desk) until each of N real `lessor serve`
/// processes on the same store reports that revision on /health/ready; woken by LISTEN/NOTIFY on PostgreSQL, by its
/// 100 ms poll on SQLite. Baseline: one /health/ready round trip (the grain of the measurement).</item>
/// </list>
/// <see cref="StartServersAsync"/> is the reusable part: N `lessor serve` processes on one store.
/// </summary>
internal static class ReplicasBench
{
    private static readonly CancellationToken None = CancellationToken.None;

    public static async Task<int> RunAsync(string[] args)
    {
        var pg = Option(args, "--pg");
        string? pgDir = null;
        if (pg == "auto")
        {
            // `--pg auto`: a throwaway cluster from scripts/pg.sh, stopped and deleted at the end.
            pgDir = Directory.CreateTempSubdirectory("lessor-replicas-pg-").FullName;
            pg = (await Claims.ClaimsBench.PgShAsync("start", pgDir)).Trim();
        }
        try
        {
            return await RunAsync(pg, args);
        }
        finally
        {
            if (pgDir is not null)
            {
                await Claims.ClaimsBench.PgShAsync("stop", pgDir);
                // scripts/pg.sh keeps the data in a private folder under /tmp that DIR/datadir names.
                var datadir = Path.Combine(pgDir, "datadir");
                if (File.Exists(datadir)) Directory.Delete(Path.GetDirectoryName(File.ReadAllText(datadir).Trim())!, recursive: true);
                Directory.Delete(pgDir, recursive: true);
            }
        }
    }

    private static async Task<int> RunAsync(string? pg, string[] args)
    {
        var gpus = int.Parse(Option(args, "--gpus") ?? "1000000", CultureInfo.InvariantCulture);
        var servers = int.Parse(Option(args, "--servers") ?? "2", CultureInfo.InvariantCulture);
        var samples = int.Parse(Option(args, "--samples") ?? "200", CultureInfo.InvariantCulture);
        var races = int.Parse(Option(args, "--races") ?? "30", CultureInfo.InvariantCulture);
        var (location, drop) = await NewStoreAsync(pg);
        var provider = pg is null ? "sqlite" : "postgres";
        var book = $"generated {gpus:N0}-GPU book (seed 7), {provider}";
        try
        {
            Console.WriteLine($"generating and importing the {gpus:N0}-GPU book (seed 7) into {provider}...");
            var scenario = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = gpus, Seed = 7 });
            await using (var seed = await LessorStore.OpenAsync(location, None)) await seed.ImportAsync(scenario, None);
            await RacesAsync(location, book, races);
            await LagAsync(location, book, provider, servers, samples);
            return 0;
        }
        finally
        {
            await drop();
        }
    }

    /// <summary>Starts <paramref name="count"/> real `lessor serve` processes on one store (the store must hold a book).</summary>
    public static async Task<List<LessorServe>> StartServersAsync(StoreLocation location, int count, TimeSpan timeout)
    {
        var started = new List<LessorServe>();
        try
        {
            for (var i = 0; i < count; i++) started.Add(await LessorServe.StartAsync(location, ownsSqliteFile: false, timeout));
            return started;
        }
        catch
        {
            foreach (var s in started) await s.DisposeAsync();
            throw;
        }
    }

    // ---- the cost of a lost race -----------------------------------------------------------------------------------

    private static async Task RacesAsync(StoreLocation location, string book, int races)
    {
        await using var storeA = await LessorStore.OpenAsync(location, None);
        await using var storeB = await LessorStore.OpenAsync(location, None);
        var a = await DealDesk.OpenAsync(storeA, None);
        var b = await DealDesk.OpenAsync(storeB, None);
        var deals = Lessor.Bench.Desk.DeskBench.FittingSigns(a, races * 3 + 4);
        SignRequest Request(int i, string who) => deals[i] with { ContractId = new ContractId($"{who}-race-{i}"), IdempotencyKey = null };

        // Warm-up: one catch-up and one sign each way (JIT, prepared statements), not timed.
        Require(await a.SignAsync(Request(0, "a"), None));
        Require(await b.SignAsync(Request(1, "b"), None));
        Require(await a.SignAsync(Request(2, "a"), None));
        await b.RefreshAsync(None);

        var rebuildsBefore = b.FullRebuilds;
        var catchUps = new List<double>();
        var staleSigns = new List<double>();
        var currentSigns = new List<double>();
        var next = 4;
        for (var r = 0; r < races; r++)
        {
            // A commits; B, still at the revision before, signs: its write path finds the store moved, catches up from the
            // feed (timed on its own as well) and decides again. Then B signs once more, current: the baseline sign.
            Require(await a.SignAsync(Request(next++, "a"), None));
            var watch = Stopwatch.StartNew();
            Require(await b.SignAsync(Request(next++, "b"), None));
            staleSigns.Add(watch.Elapsed.TotalMilliseconds);
            catchUps.Add(b.LastCatchUp!.Took.TotalMilliseconds);
            watch.Restart();
            Require(await b.SignAsync(Request(next++, "b"), None));
            currentSigns.Add(watch.Elapsed.TotalMilliseconds);
        }
        Results.Require("catch-ups from the feed without a rebuild", b.FullRebuilds == rebuildsBefore ? races : 0, races);
        Results.Require("contracts stored by both desks", (await storeA.ExportAsync(None)).Contracts.Count(c => c.Id.Value.Contains("-race-", StringComparison.Ordinal)), races * 3 + 3);

        // Baseline: what the same catch-up cost before the feed, a rebuild of the book from the store (three, median).
        var rebuilds = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            var rebuilt = await DealDesk.OpenAsync(storeB, None);
            rebuilds.Add(watch.Elapsed.TotalMilliseconds);
            Results.Require("rebuilt desk at the store's revision", rebuilt.Revision == await storeB.RevisionAsync(None) ? 1 : 0, 1);
        }
        var rebuild = Stats.Median([.. rebuilds]);
        var (p50, p99, max) = Stats.Percentiles([.. catchUps]);
        Results.Record(new BenchFigure("replicas", "race.catch_up_ms",
            "a desk one revision behind (another server signed): reading the change feed, re-reading the contract it names and applying it to the ledger and book (DealDesk.LastCatchUp)",
            book, "ms", p50)
        {
            Attempted = races, Succeeded = races, Baseline = rebuild, BaselineMeasures = "full rebuild of the book from the store (DealDesk.OpenAsync), median of 3",
            Target = "< 10 ms", Met = p99 < 10, Extra = new Dictionary<string, double> { ["p99_ms"] = p99, ["max_ms"] = max },
        });
        var (s50, s99, _) = Stats.Percentiles([.. staleSigns]);
        Results.Record(new BenchFigure("replicas", "race.lost_sign_ms",
            "a sign on a desk that another server's sign left one revision behind: catch-up from the feed, decide, commit",
            book, "ms", s50)
        {
            Attempted = races, Succeeded = races, Baseline = Stats.Median([.. currentSigns]), BaselineMeasures = "the same desk's next sign, current (no catch-up)",
            Extra = new Dictionary<string, double> { ["p99_ms"] = s99 },
        });
    }

    // ---- replication lag ---------------------------------------------------------------------------------------------

    private static async Task LagAsync(StoreLocation location, string book, string provider, int servers, int samples)
    {
        Console.WriteLine($"starting {servers} lessor serve processes on the store...");
        var started = await StartServersAsync(location, servers, TimeSpan.FromMinutes(5));
        try
        {
            await using var store = await LessorStore.OpenAsync(location, None);
            var writer = await DealDesk.OpenAsync(store, None);
            var deals = Lessor.Bench.Desk.DeskBench.FittingSigns(writer, samples + 10);
            var clients = started.Select(s => new HttpClient { BaseAddress = s.Url }).ToList();
            // Every server has its book and answers ready before timing.
            foreach (var c in clients) await WaitForAsync(c, writer.Revision, TimeSpan.FromMinutes(2));

            var rtt = new List<double>();
            for (var i = 0; i < 200; i++)
            {
                var w = Stopwatch.StartNew();
                await ReadyRevisionAsync(clients[i % clients.Count]);
                rtt.Add(w.Elapsed.TotalMilliseconds);
            }
            for (var i = 0; i < 10; i++)
            {
                Require(await writer.SignAsync(deals[i] with { ContractId = new ContractId($"lag-warm-{i}"), IdempotencyKey = null }, None));
                foreach (var c in clients) await WaitForAsync(c, writer.Revision, TimeSpan.FromSeconds(30));
            }

            var lags = new List<double>();
            for (var i = 0; i < samples; i++)
            {
                Require(await writer.SignAsync(deals[10 + i] with { ContractId = new ContractId($"lag-{i}"), IdempotencyKey = null }, None));
                var committed = Stopwatch.StartNew();
                var revision = writer.Revision;
                var seen = await Task.WhenAll(clients.Select(async c =>
                {
                    await WaitForAsync(c, revision, TimeSpan.FromSeconds(30));
                    return committed.Elapsed.TotalMilliseconds;
                }));
                lags.AddRange(seen);
                // Spread the samples over the poll's phase (SQLite) rather than locking onto it.
                await Task.Delay(Random.Shared.Next(5, 60));
            }
            Results.Require("sign revisions seen by every server", lags.Count, samples * servers);
            var (p50, p99, max) = Stats.Percentiles([.. lags]);
            var wake = provider == "postgres" ? "LISTEN/NOTIFY (1 s revision check behind it)" : "the 100 ms revision poll";
            Results.Record(new BenchFigure("replicas", $"lag.{provider}.p50_ms",
                $"commit of a sign by one server's desk until each of {servers} other `lessor serve` processes reports that revision on /health/ready, woken by {wake}",
                book, "ms", p50)
            {
                Attempted = samples * servers, Succeeded = lags.Count, Baseline = Stats.Median([.. rtt]), BaselineMeasures = "one /health/ready round trip (the measurement's grain)",
                Target = provider == "postgres" ? "p99 < 50 ms" : null, Met = provider == "postgres" ? p99 < 50 : null,
                Extra = new Dictionary<string, double> { ["p99_ms"] = p99, ["max_ms"] = max, ["servers"] = servers },
            });
            foreach (var c in clients) c.Dispose();
        }
        finally
        {
            foreach (var s in started) await s.DisposeAsync();
        }
    }

    private static async Task<long> ReadyRevisionAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("revision").GetInt64();
    }

    private static async Task WaitForAsync(HttpClient client, long revision, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (await ReadyRevisionAsync(client) < revision)
        {
            if (watch.Elapsed > timeout) throw new BenchmarkInvalidException($"a server did not reach revision {revision} within {timeout.TotalSeconds:N0} s");
            // A breath between polls: a tight loop would take the two cores from the servers it is timing.
            await Task.Delay(1);
        }
    }

    private static void Require(SignOutcome outcome)
    {
        if (!outcome.Signed) throw new BenchmarkInvalidException($"a sign that fit was refused: {outcome.Error}");
    }

    private static async Task<(StoreLocation Location, Func<Task> Drop)> NewStoreAsync(string? pg)
    {
        if (pg is null)
        {
            var path = Path.Combine(Path.GetTempPath(), $"lessor-replicas-{Guid.NewGuid():N}.db");
            return (new StoreLocation.Sqlite(path), () =>
            {
                LessorServe.DeleteSqlite(path);
                return Task.CompletedTask;
            });
        }
        var name = $"lessor_replicas_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(pg))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return (new StoreLocation.Postgres(new NpgsqlConnectionStringBuilder(pg) { Database = name }.ConnectionString), async () =>
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(pg);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        });
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
