using static Lessor.Cli.Tests.Faults.DrillProcess;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Lessor.Cli.Tests.Faults;
using Lessor.Core.Generation;
using Lessor.Server.Access;
using Lessor.Storage.Store;
using Npgsql;

namespace Lessor.Bench.Faults;

/// <summary>
/// `faults`: the long fault drill of issue 15 on the generated 1M-GPU book (seed 7). Three `lessor serve` replicas on one
/// PostgreSQL behind HAProxy, each in a network namespace of its own (ip netns + a veth pair, made here and removed at
/// the end) and reaching the database through a relay that adds 0.5-2.5 ms each way (1-5 ms a round trip: tc netem is
/// not in this kernel, so the delay is added in user space); a replica killed with SIGKILL every few seconds and started
/// again, and one cut from the database for 5 s in the middle. The same checks as the short drill in the test suite.
/// Arguments: [--pg CONNECTION] (default $LESSOR_TEST_PG) [--gpus N] [--seconds S] [--kill-every S] [--clients C] [--no-netns].
/// </summary>
internal static class FaultsBench
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string? Arg(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    public static async Task<int> RunAsync(string[] args)
    {
        var pg = Arg(args, "--pg") ?? Environment.GetEnvironmentVariable("LESSOR_TEST_PG")
            ?? throw new ArgumentException("faults: --pg CONNECTION (or LESSOR_TEST_PG) is required: scripts/pg.sh start DIR prints one");
        var gpus = int.Parse(Arg(args, "--gpus") ?? "1000000", Inv);
        var seconds = double.Parse(Arg(args, "--seconds") ?? "120", Inv);
        var killEvery = double.Parse(Arg(args, "--kill-every") ?? "5", Inv);
        var clients = int.Parse(Arg(args, "--clients") ?? "8", Inv);
        var useNetns = !args.Contains("--no-netns");
        var database = "lessor_faults_" + Guid.NewGuid().ToString("N")[..12];
        var work = Directory.CreateTempSubdirectory("lessor-bench-faults-");
        var server = new NpgsqlConnectionStringBuilder(pg);
        await ExecAsync(pg, $"CREATE DATABASE {database}");
        var namespaces = new List<string>();
        try
        {
            var direct = new NpgsqlConnectionStringBuilder(pg) { Database = database };
            var book = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = gpus, Seed = 7 });
            var bookName = $"generated {gpus:N0}-GPU book (seed 7)";
            string key;
            var importWatch = Stopwatch.StartNew();
            await using (var store = await LessorStore.OpenAsync(new StoreLocation.Postgres(direct.ConnectionString), CancellationToken.None))
            {
                await store.ImportAsync(book, CancellationToken.None);
                key = (await ApiKeys.CreateAsync(store, Roles.Admin, null, "fault drill", DateTime.UtcNow, CancellationToken.None)).Key;
            }
            Console.WriteLine($"{bookName}: {book.Contracts.Count:N0} contracts imported into PostgreSQL in {importWatch.Elapsed.TotalSeconds:F1} s");
            var (baseline, _, _, _) = await FaultDrill.LedgerAsync(direct.ConnectionString);

            if (useNetns && !await TryNamespacesAsync(namespaces))
            {
                Console.WriteLine("faults: network namespaces cannot be made here (ip netns add failed): replicas run on loopback, the relay still adds the latency");
                useNetns = false;
            }
            var random = new Random(7);
            var relays = new List<TcpRelay>();
            var replicas = new List<Replica>();
            for (var i = 0; i < 3; i++)
            {
                var hostSide = useNetns ? IPAddress.Parse($"10.77.{i + 1}.1") : IPAddress.Loopback;
                var relay = new TcpRelay(new IPEndPoint(IPAddress.Loopback, server.Port), FaultDrill.FreePort(),
                    () => TimeSpan.FromMicroseconds(500 + random.Next(2000)), hostSide);
                relays.Add(relay);
                var cs = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Host = hostSide.ToString(), Port = relay.Port };
                replicas.Add(useNetns
                    ? new Replica($"r{i + 1}", cs.ConnectionString, 5080, $"10.77.{i + 1}.2", "ip", "netns", "exec", namespaces[i])
                    : new Replica($"r{i + 1}", cs.ConnectionString, FaultDrill.FreePort()));
            }
            var proxyDir = Path.Combine(work.FullName, "haproxy");
            try
            {
                await Task.WhenAll(replicas.Select(r => r.StartAsync(TimeSpan.FromSeconds(120))));
                var proxyPort = FaultDrill.FreePort();
                var backends = replicas.Select(r => $"{r.Host ?? "127.0.0.1"}:{r.Port}").ToArray();
                var started = await DrillProcess.RunAsync("bash", [Script("haproxy.sh"), "start", proxyDir, proxyPort.ToString(Inv), .. backends]);
                if (started.Code != 0) throw new InvalidOperationException("scripts/haproxy.sh start failed: " + started.Output);
                var drill = new FaultDrill(new Uri($"http://127.0.0.1:{proxyPort}"), direct.ConnectionString, key, book);

                var watch = Stopwatch.StartNew();
                using var stop = new CancellationTokenSource();
                var load = drill.LoadAsync(clients, stop.Token);
                var kills = 0;
                var cuts = 0;
                var restarts = new List<Task>();
                var cutAt = seconds / 2;
                var next = 0;
                while (watch.Elapsed.TotalSeconds < seconds)
                {
                    await Task.Delay(TimeSpan.FromSeconds(killEvery));
                    if (cuts == 0 && watch.Elapsed.TotalSeconds >= cutAt)
                    {
                        // Cut the replica that is next in line to be killed, so it is running when cut.
                        var victim = relays[next % 3];
                        victim.Cut();
                        cuts++;
                        Console.WriteLine($"t={watch.Elapsed.TotalSeconds:F1}s: r{next % 3 + 1} cut from the database for 5 s");
                        await Task.Delay(TimeSpan.FromSeconds(5));
                        victim.Restore();
                        continue;
                    }
                    // One replica down at a time: the next kill waits until the last one killed is listening again.
                    if (replicas.Any(r => !r.Ready)) continue;
                    var replica = replicas[next++ % 3];
                    await replica.KillAsync();
                    kills++;
                    Console.WriteLine($"t={watch.Elapsed.TotalSeconds:F1}s: kill -9 {replica.Name}");
                    restarts.Add(replica.StartAsync(TimeSpan.FromSeconds(120)));
                }
                await Task.WhenAll(restarts);
                await stop.CancelAsync();
                await load;
                var elapsed = watch.Elapsed.TotalSeconds;
                var report = await drill.VerifyAsync(baseline, kills, cuts, elapsed);
                Console.WriteLine("fault drill (long): " + report);
                var problems = report.OversoldGpuMinutes + report.UnplacedNewLines + report.DoubleAllocatedNodes + report.AcknowledgedWritesLost + report.WritesAppliedTwice;
                Results.Record(new BenchFigure("faults", "faults.violations", "oversold GPU-minutes + new lines unplaced + nodes held twice + acknowledged writes lost + writes applied twice, after the drill, from the store and the clients' records",
                    bookName + (useNetns ? ", 3 replicas in network namespaces" : ", 3 replicas on loopback") + ", 0.5-2.5 ms each way to PostgreSQL", "count", problems)
                {
                    Attempted = report.Attempts, Succeeded = report.Attempts - report.ClientFailures, WallMs = elapsed * 1000, Target = "0", Met = problems == 0,
                    Extra = new Dictionary<string, double>
                    {
                        ["attempts"] = report.Attempts, ["client_failures"] = report.ClientFailures, ["checks"] = report.Checks,
                        ["signs_acknowledged"] = report.SignsAcknowledged, ["signs_refused"] = report.SignsRefused,
                        ["claims_acknowledged"] = report.ClaimsAcknowledged, ["releases"] = report.Releases,
                        ["kills"] = report.Kills, ["cuts"] = report.Cuts,
                    },
                });
                Results.Record(new BenchFigure("faults", "faults.longest_unserved", "longest time one client went from a failed request to its next answered one",
                    bookName, "s", report.LongestOutageSeconds) { Target = "< 5 s", Met = report.LongestOutageSeconds < 5 });
                Results.Require("drill requests answered (checks, signs, claims)", report.Checks + report.SignsAcknowledged + report.ClaimsAcknowledged, 100);
                Results.Require("faults injected", report.Kills + report.Cuts, 3);
                return problems == 0 && report.LongestOutageSeconds < 5 ? 0 : 1;
            }
            catch
            {
                foreach (var r in replicas) Console.Error.WriteLine($"--- {r.Name} log:\n{r.Log()}");
                throw;
            }
            finally
            {
                await DrillProcess.RunAsync("bash", Script("haproxy.sh"), "stop", proxyDir);
                foreach (var r in replicas) await r.DisposeAsync();
                foreach (var relay in relays) await relay.DisposeAsync();
            }
        }
        finally
        {
            foreach (var ns in namespaces) await DeleteNamespaceAsync(ns);
            NpgsqlConnection.ClearAllPools();
            await ExecAsync(pg, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            work.Delete(recursive: true);
        }
    }

    /// <summary>lsr-faultN with a veth pair: 10.77.N.1 on the host side, 10.77.N.2 inside; false when `ip` refuses.</summary>
    private static async Task<bool> TryNamespacesAsync(List<string> made)
    {
        for (var i = 1; i <= 3; i++)
        {
            var ns = $"lsr-fault{i}-{Environment.ProcessId % 10000}";
            var host = $"lsrh{i}-{Environment.ProcessId % 10000}";
            var inner = $"lsrn{i}-{Environment.ProcessId % 10000}";
            if ((await DrillProcess.RunAsync("ip", "netns", "add", ns)).Code != 0) return false;
            made.Add(ns);
            foreach (var command in new[]
            {
                $"ip link add {host} type veth peer name {inner}",
                $"ip link set {inner} netns {ns}",
                $"ip addr add 10.77.{i}.1/24 dev {host}",
                $"ip link set {host} up",
                $"ip netns exec {ns} ip addr add 10.77.{i}.2/24 dev {inner}",
                $"ip netns exec {ns} ip link set {inner} up",
                $"ip netns exec {ns} ip link set lo up",
            })
            {
                var parts = command.Split(' ');
                var run = await DrillProcess.RunAsync(parts[0], parts[1..]);
                if (run.Code != 0)
                {
                    Console.WriteLine($"faults: `{command}` failed: {run.Output.Trim()}");
                    return false;
                }
            }
        }
        return true;
    }

    private static async Task DeleteNamespaceAsync(string ns)
    {
        // Deleting the namespace deletes the veth end inside it, and with it its peer on the host side.
        await DrillProcess.RunAsync("ip", "netns", "del", ns);
    }

    private static async Task ExecAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
