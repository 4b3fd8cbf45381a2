using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lessor.Bench.Load;
using Lessor.Core.Generation;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Bench.Api;

/// <summary>
/// `Lessor.Bench api [--seconds S] [--rates 500,1000,2000,4000] [--keys K]`: deal checks through a real `lessor serve`
/// (its own process, production rate limits on) on the generated 1,000,000-GPU book, under an open-loop load generator
/// (its own process) at fixed offered rates. At each rate GET /health runs first at the same rate with the same keys
/// (the baseline: the HTTP stack, authentication and rate limiting without the desk), then POST /api/v1/deals/check
/// with a mix of deal sizes. Latency is from the intended send time; 2xx and everything else are counted apart;
/// server CPU per request is read from /proc. The store, the key and body files and the server are removed at the end.
/// Short form (about 2.5 min): `api`; long form: `api --seconds 60 --rates 500,1000,2000,4000,6000`.
/// </summary>
internal static class ApiBench
{
    private const int Gpus = 1_000_000;
    private const ulong Seed = 7;
    private const string Book = "generated 1,000,000-GPU book (lessor scenario generate --gpus 1000000 --seed 7, imported into SQLite)";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Arg(args, "--seconds", 10.0);
        var rates = (Arg(args, "--rates") ?? "500,1000,2000,4000").Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        var keyCount = (int)Arg(args, "--keys", 4.0);
        var work = Directory.CreateTempSubdirectory("lessor-api-bench-").FullName;
        var db = Path.Combine(work, "book.db");
        try
        {
            Console.WriteLine($"api: open-loop deal checks on the {Gpus:N0}-GPU book; rates {string.Join(", ", rates)}/s, {seconds} s each; {keyCount} planner keys; load average {Results.LoadAverage()}");
            var watch = Stopwatch.StartNew();
            var yaml = Path.Combine(work, "book.yaml");
            await Cli(["scenario", "generate", "--gpus", Gpus.ToString(CultureInfo.InvariantCulture), "--seed", Seed.ToString(CultureInfo.InvariantCulture), "--out", yaml]);
            await Cli(["scenario", "import", yaml, "--db", db]);
            File.Delete(yaml);
            var keys = new List<string>();
            await Cli(["keys", "create", "--role", "admin", "--name", "api bench admin", "--db", db, "--json"]);
            for (var i = 0; i < keyCount; i++)
            {
                var created = await Cli(["keys", "create", "--role", "planner", "--name", $"api bench client {i}", "--db", db, "--json"]);
                keys.Add(JsonDocument.Parse(created).RootElement.GetProperty("key").GetString()!);
            }
            var keysFile = Path.Combine(work, "keys.txt");
            await File.WriteAllLinesAsync(keysFile, keys);
            var bodiesFile = Path.Combine(work, "checks.jsonl");
            var scenario = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = Gpus, Seed = Seed });
            await File.WriteAllLinesAsync(bodiesFile, DealBodies(scenario, 4_096));
            Console.WriteLine($"  book generated and imported with the CLI, {keyCount + 1} keys made: {watch.Elapsed.TotalSeconds:N1} s ({scenario.Fabrics.Count} fabrics, {scenario.Contracts.Count:N0} contracts)");

            await using var server = await LessorServe.StartAsync(new StoreLocation.Sqlite(db), ownsSqliteFile: true, TimeSpan.FromMinutes(2));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  lessor serve (pid {server.Pid}) listening at {server.Url} after {server.StartWall.TotalSeconds:N1} s wall, {server.StartCpu.TotalSeconds:N1} s CPU"));
            // The server's tiered JIT settles under the measured mix before anything is recorded (not reported).
            await OpenLoop.RunChildAsync(server.Url, "check", rates[0], Math.Max(5, seconds), keysFile, bodiesFile, server.Pid, warmupSeconds: 5);
            await OpenLoop.RunChildAsync(server.Url, "health", rates[0], 3, keysFile, null, server.Pid);

            var lowest = true;
            foreach (var rate in rates)
            {
                var health = await OpenLoop.RunChildAsync(server.Url, "health", rate, seconds, keysFile, null, server.Pid);
                var checks = await OpenLoop.RunChildAsync(server.Url, "check", rate, seconds, keysFile, bodiesFile, server.Pid);
                Print("GET /health (baseline)", health);
                Print("POST /api/v1/deals/check", checks);
                Record("api.health.open_loop", "GET /health with a planner key (authentication and rate limiting, no desk), open loop", rate, keyCount, health, null);
                Record("api.deals_check.open_loop", "POST /api/v1/deals/check, a mix of deal sizes (1-512 units, 1-5 years, any/site/fabric locality), open loop", rate, keyCount, checks, health);
                // Below the lowest offered rate every request must be answered 2xx, or the percentiles describe work that did not happen.
                if (lowest) Results.Require($"deal checks at {rate}/s answered 2xx", checks.Succeeded, (long)(checks.Attempted * 0.99));
                lowest = false;
            }
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void Print(string name, LoadSummary s) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name} offered {s.OfferedPerSecond:N0}/s x {s.Seconds} s: {s.Succeeded:N0}/{s.Attempted:N0} 2xx ({string.Join(", ", s.Statuses.Select(kv => $"{kv.Key}: {kv.Value:N0}"))}); p50 {s.P50Ms:N2} ms, p99 {s.P99Ms:N2} ms, p99.9 {s.P999Ms:N2} ms, max {s.MaxMs:N1} ms; server CPU {s.ServerCpuMs / Math.Max(1, s.Attempted):N3} ms/request; sender lag p99 {s.SendLagP99Ms:N2} ms; load {Results.LoadAverage()}"));

    /// <summary>Records one open-loop run: the median latency as the value, the tails, statuses and CPU per request beside it.</summary>
    internal static void Record(string figure, string measures, double rate, int keys, LoadSummary s, LoadSummary? baseline, string book = Book, string? target = null, bool? met = null, string bench = "api")
    {
        var extra = new Dictionary<string, double>
        {
            ["offered_per_s"] = rate,
            ["keys"] = keys,
            ["p99_ms"] = s.P99Ms,
            ["p99_9_ms"] = s.P999Ms,
            ["max_ms"] = s.MaxMs,
            ["answered_2xx_per_s"] = s.Succeeded / (s.WallMs / 1000),
            ["server_cpu_ms_per_request"] = s.ServerCpuMs / Math.Max(1, s.Attempted),
            ["generator_cpu_ms_per_request"] = s.GeneratorCpuMs / Math.Max(1, s.Attempted),
            ["sender_lag_p99_ms"] = s.SendLagP99Ms,
        };
        foreach (var (status, count) in s.Statuses) extra[$"status_{status}"] = count;
        if (s.ReleasesAttempted > 0)
        {
            extra["releases_attempted"] = s.ReleasesAttempted;
            extra["releases_succeeded"] = s.ReleasesSucceeded;
            extra["release_p50_ms"] = s.ReleaseP50Ms;
            extra["release_p99_ms"] = s.ReleaseP99Ms;
            extra["server_cpu_ms_per_request"] = s.ServerCpuMs / Math.Max(1, s.Attempted + s.ReleasesAttempted);
        }
        // JSON has no NaN: a percentile of nothing (no 2xx at all) is left out rather than written.
        foreach (var k in extra.Where(kv => !double.IsFinite(kv.Value)).Select(kv => kv.Key).ToList()) extra.Remove(k);
        if (baseline is not null)
        {
            extra["baseline_p99_ms"] = baseline.P99Ms;
            extra["baseline_server_cpu_ms_per_request"] = baseline.ServerCpuMs / Math.Max(1, baseline.Attempted);
        }
        Results.Record(new BenchFigure(bench, $"{figure}.{rate.ToString(CultureInfo.InvariantCulture)}_per_s", measures + "; p50 latency from the intended send time, 2xx answers only", book, "ms", double.IsFinite(s.P50Ms) ? s.P50Ms : -1)
        {
            Attempted = s.Attempted,
            Succeeded = s.Succeeded,
            WallMs = s.WallMs,
            CpuMs = s.ServerCpuMs,
            Baseline = baseline?.P50Ms,
            BaselineMeasures = baseline is null ? null : $"GET /health p50 at the same offered rate, same keys, same run",
            Target = target,
            Met = met,
            Extra = extra,
        });
    }

    /// <summary>
    /// Deal checks a desk would see on the generated book: every platform with fabrics, sizes skewed small (55% 1-4 units,
    /// 30% 5-32, 12% 33-128, 3% 129-512), starts 2027-2030, terms 1-5 years, locality any (70%), site (20%) or fabric (10%).
    /// </summary>
    internal static List<string> DealBodies(Scenario s, int count)
    {
        var rng = new Random(12);
        var customers = s.Customers.Select(c => c.Id.Value).ToArray();
        var platforms = s.Fabrics.Select(f => f.Platform).Distinct().Select(p => s.Platforms.First(x => x.Id == p)).ToArray();
        var bodies = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var p = platforms[rng.Next(platforms.Length)];
            var roll = rng.Next(100);
            var units = roll < 55 ? rng.Next(1, 5) : roll < 85 ? rng.Next(5, 33) : roll < 97 ? rng.Next(33, 129) : rng.Next(129, 513);
            var start = new DateTime(2027 + rng.Next(4), 1 + rng.Next(12), 1, 0, 0, 0, DateTimeKind.Utc);
            var end = start.AddMonths(12 * (1 + rng.Next(5)));
            var locality = rng.Next(10) switch { < 7 => "any", < 9 => "site", _ => "fabric" };
            bodies.Add(JsonSerializer.Serialize(new
            {
                customer = customers[rng.Next(customers.Length)],
                lines = new[]
                {
                    new
                    {
                        platform = p.Id.Value, gpus = p.GpusPerUnit * units,
                        start = start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), end = end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                        locality,
                    },
                },
            }));
        }
        return bodies;
    }

    /// <summary>Runs the `lessor` CLI built with the bench; returns its standard output, throws on a non-zero exit.</summary>
    internal static async Task<string> Cli(string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "lessor")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var err = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"lessor {string.Join(' ', args)} exited {process.ExitCode}: {await err}");
        return output;
    }

    internal static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static double Arg(string[] args, string name, double fallback) =>
        Arg(args, name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
