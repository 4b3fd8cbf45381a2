using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Lessor.Bench.Api;
using Lessor.Core.Generation;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;
using Microsoft.Data.Sqlite;

namespace Lessor.Bench.Fleet;

/// <summary>
/// `ingest`: a generated fleet (1,000,000 GPUs by default) reporting every 10 s, published open-loop by `lessor agent
/// --simulate` in its own process through JetStream (a nats-server from scripts/nats.sh) to a real `lessor serve --nats`
/// (production settings, SQLite store with the fleet desk). Midway the server is killed with SIGKILL and started
/// again. Counts published (acknowledged by JetStream), applied (read back from the store's fleet_nodes after the run),
/// lost = published - applied and applied twice; samples the consumer's lag every second.
/// Args: [--seconds 60] [--gpus 1000000] [--kill-at 0.5] [--seed 7].
/// </summary>
internal static class IngestBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Arg(args, "--seconds", 60.0);
        var gpus = (int)Arg(args, "--gpus", 1_000_000.0);
        var killAt = Arg(args, "--kill-at", 0.5);
        var seed = (ulong)Arg(args, "--seed", 7.0);
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

            var agentInfo = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "agent", "--simulate", "--scenario", scenarioPath, "--nats", nats, "--duration", seconds.ToString(CultureInfo.InvariantCulture),
                "--state", Path.Combine(work, "agent-state.json"), "--seed", "11", "--json" })
                agentInfo.ArgumentList.Add(a);
            var wall = Stopwatch.StartNew();
            using var agent = Process.Start(agentInfo)!;
            var agentOut = agent.StandardOutput.ReadToEndAsync();
            var agentErr = agent.StandardError.ReadToEndAsync();

            var lags = new List<long>();
            var killed = false;
            var restartWall = TimeSpan.Zero;
            while (!agent.HasExited)
            {
                await Task.Delay(1000);
                if (!killed && wall.Elapsed.TotalSeconds >= seconds * killAt)
                {
                    await serve.KillAsync();
                    killed = true;
                    Console.WriteLine($"killed lessor serve (pid {serve.Pid}) with SIGKILL at {wall.Elapsed.TotalSeconds:F0} s");
                    var restart = Stopwatch.StartNew();
                    await serve.DisposeAsync();
                    serve = await LessorServe.StartAsync(new StoreLocation.Sqlite(db), false, TimeSpan.FromMinutes(3), "--nats", nats, "--instance-id", instance);
                    restartWall = restart.Elapsed;
                    continue;
                }
                if (await Status(serve, key) is { } s) lags.Add(s.GetProperty("lag").GetInt64());
            }
            await agent.WaitForExitAsync();
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
            var serverCpu = serve.Cpu().TotalMilliseconds;
            await serve.DisposeAsync();
            applied = AppliedInStore(db);
            var lost = Math.Max(0, published - applied);
            var twice = Math.Max(0, applied - published);
            lags.Sort();
            var book = $"generated {gpus:N0}-GPU scenario (seed {seed}): {nodes.Count:N0} nodes, {fleetGpus:N0} GPUs, one report per node per 10 s";
            var extra = new Dictionary<string, double>
            {
                ["published"] = published,
                ["applied"] = applied,
                ["lost"] = lost,
                ["applied_twice"] = twice,
                ["duplicates_after_restart"] = duplicates,
                ["dead_lettered_after_restart"] = dead,
                ["lag_p50"] = lags.Count > 0 ? lags[lags.Count / 2] : 0,
                ["lag_max"] = lags.Count > 0 ? lags[^1] : 0,
                ["restart_s"] = Math.Round(restartWall.TotalSeconds, 1),
                ["drain_s"] = Math.Round(drainSeconds, 1),
                ["readings_per_s"] = Math.Round(published * (fleetGpus / (double)nodes.Count) / agentWall),
            };
            Results.Record(new BenchFigure("ingest", "health reports published and applied through JetStream across a kill -9",
                "messages/s acknowledged by JetStream (open loop at nodes / 10 s) and applied by lessor serve's fleet desk", book, "msg/s", Math.Round(published / agentWall))
            {
                Attempted = attempted,
                Succeeded = applied,
                WallMs = agentWall * 1000,
                CpuMs = serverCpu,
                Target = "lost = 0 and applied twice = 0",
                Met = lost == 0 && twice == 0,
                Extra = extra,
            });
            Results.Require("reports published (acknowledged by JetStream)", published, attempted);
            Results.Require("reports applied (in the store)", applied, published);
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

    /// <summary>Reports applied per the store: the fleet desk counts them per node in fleet_nodes.applied.</summary>
    private static long AppliedInStore(string db)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
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
