using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Lessor.Bench.Api;
using Lessor.Core.Fleet;
using Lessor.Core.Generation;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;
using Microsoft.Data.Sqlite;
using NATS.Client.JetStream;

namespace Lessor.Bench.Fleet;

/// <summary>
/// `ingest`: a generated fleet (1,000,000 GPUs by default) reporting every 10 s, published open-loop by `lessor agent
/// --simulate` in its own process through JetStream (a nats-server from scripts/nats.sh) to a real `lessor serve --nats`
/// (production settings, SQLite store with the fleet desk). Midway the server is killed with SIGKILL and started
/// again. Counts published (acknowledged by JetStream), applied (read back from the store's fleet_nodes after the run),
/// lost = published - applied and applied twice; samples the consumer's lag every second.
/// Meanwhile the bench itself publishes failure reports (Xid 79) for serving nodes of fabrics with a healthy spare, on an
/// open-loop schedule through the same stream (those nodes left out of the agent's fleet with --exclude), and reads the
/// swaps back from the store after the run: failure published (its intended send time) to swap decided (the batch's
/// clock, in the transaction that stores it), with the batch's apply time as the bound to stored.
/// Args: [--seconds 60] [--gpus 1000000] [--kill-at 0.5] [--seed 7] [--rate messages/s (default nodes / 10 s)]
/// [--failures N (default seconds / 4)].
/// </summary>
internal static class IngestBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Arg(args, "--seconds", 60.0);
        var gpus = (int)Arg(args, "--gpus", 1_000_000.0);
        var killAt = Arg(args, "--kill-at", 0.5);
        var seed = (ulong)Arg(args, "--seed", 7.0);
        var rate = Arg(args, "--rate", 0.0);
        var failures = (int)Arg(args, "--failures", Math.Floor(Arg(args, "--seconds", 60.0) / 4));
        var cli = Path.Combine(AppContext.BaseDirectory, "lessor");
        var work = Directory.CreateTempSubdirectory("lessor-ingest-").FullName;
        var root = Planning.PlanBench.RepoRoot();
        var natsDir = Path.Combine(work, "nats");
        var db = Path.Combine(work, "lessor.db");
        var scenarioPath = Path.Combine(work, "fleet.yaml");
        try
        {
            var nats = (await Run("bash", [Path.Combine(root, "scripts", "nats.sh"), "start", natsDir])).Trim();
            Console.WriteLine($"nats-server at {nats}");

            var scenario = ScenarioGenerator.Generate(new() { Gpus = gpus, Seed = seed });
            await File.WriteAllTextAsync(scenarioPath, ScenarioFile.ToYaml(scenario));
            string key;
            await using (var store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(db), CancellationToken.None))
            {
                await store.ImportAsync(scenario, CancellationToken.None);
                key = (await ApiKeys.CreateAsync(store, Roles.Operator, null, "ingest bench", DateTime.UtcNow, CancellationToken.None)).Key;
            }
            var nodes = Lessor.Core.Fleet.NodeInventory.Nodes(scenario, new HashSet<DeliveryStatus> { DeliveryStatus.Accepted, DeliveryStatus.Delivered });
            var fleetGpus = nodes.Sum(n => (long)n.Gpus);
            Console.WriteLine($"fleet: {nodes.Count:N0} nodes, {fleetGpus:N0} GPUs; {nodes.Count / 10.0:N0} messages/s, {fleetGpus / 10.0:N0} readings/s for {seconds} s; kill -9 at {killAt:P0}");

            // The restart after the kill is the same replica (as a service manager restarts it): with the same instance id
            // it takes its fleet lease back at once instead of waiting out the killed process's ttl.
            var instance = $"ingest-bench-{Guid.NewGuid():N}";
            var serve = await LessorServe.StartAsync(new StoreLocation.Sqlite(db), false, TimeSpan.FromMinutes(3), "--nats", nats, "--instance-id", instance);

            // Failure injections: serving nodes (not rack-scale: a spare must then be a tray of the same rack) of fabrics
            // with healthy spares left, at most as many per fabric as it has, left out of the agent's fleet.
            var victims = Victims(db, failures);
            var excludePath = Path.Combine(work, "exclude.txt");
            await File.WriteAllLinesAsync(excludePath, victims);
            Console.WriteLine($"failure injections: {victims.Count} serving nodes with a spare, one every {seconds * 0.8 / Math.Max(1, victims.Count):F1} s from 10% to 90% of the run");

            var agentInfo = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "agent", "--simulate", "--scenario", scenarioPath, "--nats", nats, "--duration", seconds.ToString(CultureInfo.InvariantCulture),
                "--state", Path.Combine(work, "agent-state.json"), "--seed", "11", "--json", "--exclude", excludePath })
                agentInfo.ArgumentList.Add(a);
            if (rate > 0)
            {
                agentInfo.ArgumentList.Add("--rate");
                agentInfo.ArgumentList.Add(rate.ToString(CultureInfo.InvariantCulture));
            }
            var wall = Stopwatch.StartNew();
            using var agent = Process.Start(agentInfo)!;
            var agentOut = agent.StandardOutput.ReadToEndAsync();
            var agentErr = agent.StandardError.ReadToEndAsync();
            var injections = InjectAsync(nats, victims, wall, seconds);

            var lags = new List<(double Offset, long Lag)>();
            var killed = false;
            var killOffset = double.NaN;
            var restartWall = TimeSpan.Zero;
            while (!agent.HasExited)
            {
                await Task.Delay(1000);
                if (!killed && wall.Elapsed.TotalSeconds >= seconds * killAt)
                {
                    await serve.KillAsync();
                    killed = true;
                    killOffset = wall.Elapsed.TotalSeconds;
                    Console.WriteLine($"killed lessor serve (pid {serve.Pid}) with SIGKILL at {wall.Elapsed.TotalSeconds:F0} s");
                    var restart = Stopwatch.StartNew();
                    await serve.DisposeAsync();
                    serve = await LessorServe.StartAsync(new StoreLocation.Sqlite(db), false, TimeSpan.FromMinutes(3), "--nats", nats, "--instance-id", instance);
                    restartWall = restart.Elapsed;
                    continue;
                }
                if (await Status(serve, key) is { } s) lags.Add((wall.Elapsed.TotalSeconds, s.GetProperty("lag").GetInt64()));
            }
            await agent.WaitForExitAsync();
            var injected = await injections;
            var stats = JsonDocument.Parse(await agentOut).RootElement;
            var attempted = stats.GetProperty("attempted").GetInt64();
            var published = stats.GetProperty("published").GetInt64();
            var agentWall = stats.GetProperty("wall_seconds").GetDouble();
            Console.WriteLine((await agentErr).Trim());

            // Drain: until the consumer has nothing pending and the store holds every published report (or 5 minutes).
            long applied = 0;
            JsonElement last = default;
            var drain = Stopwatch.StartNew();
            while (drain.Elapsed < TimeSpan.FromMinutes(5))
            {
                applied = AppliedInStore(db);
                if (await Status(serve, key) is { } s) last = s;
                if (applied >= published && last.ValueKind == JsonValueKind.Object && last.GetProperty("lag").GetInt64() == 0) break;
                await Task.Delay(1000);
            }
            var drainSeconds = drain.Elapsed.TotalSeconds;
            var duplicates = last.ValueKind == JsonValueKind.Object ? last.GetProperty("duplicates").GetInt64() : -1;
            var dead = last.ValueKind == JsonValueKind.Object ? last.GetProperty("dead_lettered").GetInt64() : -1;
            var applyMaxMs = last.ValueKind == JsonValueKind.Object ? last.GetProperty("apply_ms_max").GetDouble() : -1;
            var serverCpu = serve.Cpu().TotalMilliseconds;
            await serve.DisposeAsync();
            applied = AppliedInStore(db);
            // The store counts the agent's reports and the bench's failure reports alike.
            var expected = published + injected.Count;
            var lost = Math.Max(0, expected - applied);
            var twice = Math.Max(0, applied - expected);

            // Failure to swap: each injected failure's swap (decided_at, the batch's clock) less its intended send time.
            var decided = SwapsInStore(db);
            var swapMs = new List<double>();
            var swapMsRestart = new List<double>();
            var targetRate = stats.GetProperty("target_rate").GetDouble();
            // The restart lasts from the kill until the consumer is back under 1 s of reports behind (its backlog drained).
            var caughtUp = double.IsNaN(killOffset) ? double.NaN
                : lags.Where(l => l.Offset > killOffset + restartWall.TotalSeconds && l.Lag <= targetRate).Select(l => l.Offset).DefaultIfEmpty(double.PositiveInfinity).First();
            Console.WriteLine($"restart: killed at {killOffset:F0} s, serving again after {restartWall.TotalSeconds:F1} s, backlog drained at {caughtUp:F0} s");
            Console.WriteLine("lag (reports) by second: " + string.Join(", ", lags.Where((_, k) => k % 5 == 0).Select(l => $"{l.Offset:F0}:{l.Lag}")));
            foreach (var i in injected)
            {
                if (!decided.TryGetValue(i.Serial, out var at)) continue;
                var ms = (at - i.IntendedUtc).TotalMilliseconds;
                // Sent while the server was down, restarting or draining the restart's backlog: the restart's figure, apart.
                var duringRestart = i.Offset >= killOffset - 1 && i.Offset <= caughtUp;
                (duringRestart ? swapMsRestart : swapMs).Add(ms);
                Console.WriteLine($"  failure at {i.Offset,6:F1} s -> swap decided {ms,8:F1} ms{(duringRestart ? " (restart)" : "")}");
            }
            swapMs.Sort();
            swapMsRestart.Sort();
            // Bounded lag: in the run's last minute, and not before 30 s after the restart (its backlog drained), the
            // consumer is at most 5 s of reports behind the agent's rate. A run too short to have such a window fails it.
            var afterRestart = double.IsNaN(killOffset) ? 0 : Math.Max(caughtUp, killOffset + restartWall.TotalSeconds + 30);
            var lastMinute = lags.Where(l => l.Offset >= Math.Max(agentWall - 60, afterRestart)).Select(l => l.Lag).DefaultIfEmpty(long.MaxValue).Max();
            var steady = lags.Where(l => double.IsNaN(killOffset) || l.Offset < killOffset - 1 || l.Offset > caughtUp).Select(l => l.Lag).Order().ToList();
            var allLags = lags.Select(l => l.Lag).Order().ToList();
            var bounded = lastMinute <= targetRate * 5;
            var book = $"generated {gpus:N0}-GPU scenario (seed {seed}): {nodes.Count:N0} nodes, {fleetGpus:N0} GPUs, one report per node per 10 s";
            var extra = new Dictionary<string, double>
            {
                ["published"] = published,
                ["applied"] = applied,
                ["lost"] = lost,
                ["applied_twice"] = twice,
                ["duplicates_after_restart"] = duplicates,
                ["dead_lettered_after_restart"] = dead,
                ["target_rate"] = Math.Round(targetRate),
                ["lag_p50"] = allLags.Count > 0 ? allLags[allLags.Count / 2] : 0,
                ["lag_max"] = allLags.Count > 0 ? allLags[^1] : 0,
                ["lag_steady_p99"] = steady.Count > 0 ? steady[(int)(steady.Count * 0.99)] : 0,
                ["lag_steady_max"] = steady.Count > 0 ? steady[^1] : 0,
                ["lag_last_minute_max"] = lastMinute,
                ["injected_failures"] = injected.Count,
                ["restart_s"] = Math.Round(restartWall.TotalSeconds, 1),
                ["drain_s"] = Math.Round(drainSeconds, 1),
                ["readings_per_s"] = Math.Round(published * (fleetGpus / (double)nodes.Count) / agentWall),
            };
            Results.Record(new BenchFigure("ingest", "health reports published and applied through JetStream across a kill -9",
                "messages/s acknowledged by JetStream (open loop at nodes / 10 s) and applied by lessor serve's fleet desk", book, "msg/s", Math.Round(published / agentWall))
            {
                Attempted = attempted + injected.Count,
                Succeeded = applied,
                WallMs = agentWall * 1000,
                CpuMs = serverCpu,
                Target = "lost = 0, applied twice = 0, and lag bounded (at most 5 s of reports behind in the last minute)",
                Met = lost == 0 && twice == 0 && bounded,
                Extra = extra,
            });
            Results.Record(new BenchFigure("ingest", "failure report to swap decided, under the ingestion load",
                "a failure report (Xid 79) for a serving node with a spare, published open-loop into the same stream, to its swap decided in the transaction that stores it (swap decided_at less the intended send time), excluding reports sent while the server was down or restarting",
                book, "ms", swapMs.Count > 0 ? Math.Round(swapMs[swapMs.Count / 2], 1) : double.NaN)
            {
                Attempted = injected.Count,
                Succeeded = swapMs.Count + swapMsRestart.Count,
                Target = "p99 < 1 s",
                Met = swapMs.Count > 0 && swapMs[(int)(swapMs.Count * 0.99)] < 1000,
                Extra = new Dictionary<string, double>
                {
                    ["p99_ms"] = swapMs.Count > 0 ? Math.Round(swapMs[(int)(swapMs.Count * 0.99)], 1) : double.NaN,
                    ["max_ms"] = swapMs.Count > 0 ? Math.Round(swapMs[^1], 1) : double.NaN,
                    ["steady_count"] = swapMs.Count,
                    ["during_restart_count"] = swapMsRestart.Count,
                    ["during_restart_max_ms"] = swapMsRestart.Count > 0 ? Math.Round(swapMsRestart[^1], 1) : 0,
                    ["batch_apply_max_ms"] = applyMaxMs,
                },
            });
            Results.Require("failure reports published by the bench", injected.Count, victims.Count);
            Results.Require("injected failures swapped (in the store)", swapMs.Count + swapMsRestart.Count, injected.Count);
            Results.Require("reports published (acknowledged by JetStream)", published, attempted);
            Results.Require("reports applied (in the store)", applied, expected);
            if (twice > 0) throw new BenchmarkInvalidException($"{twice:N0} reports applied twice");
            return 0;
        }
        finally
        {
            try { await Run("bash", [Path.Combine(root, "scripts", "nats.sh"), "stop", natsDir]); }
            catch (InvalidOperationException) { }
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Up to <paramref name="count"/> serving, in-service, not rack-scale nodes, from fabrics with healthy spares, no more
    /// per fabric than its spares: each one's failure has a spare to swap in.
    /// </summary>
    private static List<string> Victims(string db, int count)
    {
        using var c = Open(db);
        var spares = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT fabric_id, COUNT(*) FROM fleet_nodes WHERE role = 'Spare' AND state = 'InService' AND rack_scale = 0 GROUP BY fabric_id";
            using var r = cmd.ExecuteReader();
            while (r.Read()) spares[r.GetString(0)] = (int)r.GetInt64(1);
        }
        var victims = new List<string>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT serial, fabric_id FROM fleet_nodes WHERE role = 'Serving' AND state = 'InService' AND rack_scale = 0 ORDER BY serial";
            using var r = cmd.ExecuteReader();
            var taken = new Dictionary<string, int>(StringComparer.Ordinal);
            while (victims.Count < count && r.Read())
            {
                var fabric = r.GetString(1);
                if (!spares.TryGetValue(fabric, out var left) || taken.GetValueOrDefault(fabric) >= left) continue;
                taken[fabric] = taken.GetValueOrDefault(fabric) + 1;
                victims.Add(r.GetString(0));
            }
        }
        if (victims.Count == 0) throw new BenchmarkInvalidException("no serving node has a spare to swap in: nothing to inject");
        return victims;
    }

    private sealed record Injection(string Serial, double Offset, DateTime IntendedUtc);

    /// <summary>Publishes one failure report per victim, open loop from 10% to 90% of the run, each acknowledged by JetStream.</summary>
    private static async Task<List<Injection>> InjectAsync(string url, List<string> victims, Stopwatch wall, double seconds)
    {
        var startUtc = DateTime.UtcNow - wall.Elapsed;
        var sent = new List<Injection>(victims.Count);
        await using var nats = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = url, Name = "ingest-bench-failures" });
        var js = new NATS.Client.JetStream.NatsJSContext(nats);
        for (var k = 0; k < victims.Count; k++)
        {
            var offset = seconds * (0.1 + 0.8 * k / victims.Count);
            var wait = offset - wall.Elapsed.TotalSeconds;
            if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait));
            var intended = startUtc + TimeSpan.FromSeconds(offset);
            // A sequence above anything the node had (the agent leaves it out), the instant of the failure now.
            var report = new HealthReport(victims[k], 1_000_000_000L + k, DateTime.UtcNow, [], [new HealthEvent(HealthEventKind.Xid, 0, 79, null, "ingest bench: fell off the bus")]);
            var ack = await js.PublishAsync("lessor.health.bench", Lessor.Server.Fleet.HealthReportJson.Write(report));
            ack.EnsureSuccess();
            sent.Add(new Injection(victims[k], offset, intended));
        }
        return sent;
    }

    /// <summary>The first swap decided for each failed node, by its serial.</summary>
    private static Dictionary<string, DateTime> SwapsInStore(string db)
    {
        using var c = Open(db);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT failed, MIN(decided_at) FROM fleet_swaps GROUP BY failed";
        using var r = cmd.ExecuteReader();
        var swaps = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        while (r.Read())
            swaps[r.GetString(0)] = DateTime.Parse(r.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        return swaps;
    }

    private static SqliteConnection Open(string db)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    /// <summary>Reports applied per the store: the fleet desk counts them per node in fleet_nodes.applied.</summary>
    private static long AppliedInStore(string db)
    {
        using var c = Open(db);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COALESCE(SUM(applied), 0) FROM fleet_nodes";
        return (long)cmd.ExecuteScalar()!;
    }

    private static async Task<JsonElement?> Status(LessorServe serve, string key)
    {
        try
        {
            using var http = new HttpClient { BaseAddress = serve.Url, Timeout = TimeSpan.FromSeconds(5) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var text = await http.GetStringAsync(new Uri("/api/v1/fleet/ingest", UriKind.Relative));
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static double Arg(string[] args, string name, double fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static async Task<string> Run(string program, string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {p.ExitCode}: {err}");
        return output;
    }
}
