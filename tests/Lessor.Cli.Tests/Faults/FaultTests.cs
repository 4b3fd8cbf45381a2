using static Lessor.Cli.Tests.Faults.DrillProcess;
using System.Diagnostics;
using Lessor.Server;
using Lessor.Server.Access;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;
using Npgsql;
using Xunit.Abstractions;

namespace Lessor.Cli.Tests.Faults;

/// <summary>
/// The short fault drill of issue 15 (seconds; the long one is `faults` in bench/Lessor.Bench): three real `lessor serve`
/// processes on one PostgreSQL database behind HAProxy (scripts/haproxy.sh), a mixed load through the proxy, one replica
/// killed with SIGKILL and restarted, another cut from the database and restored; then nothing oversold, no node held
/// twice, no acknowledged write lost, none applied twice, and no client left unserved for 5 s.
/// </summary>
public sealed class FaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _database = "lessor_fault_" + Guid.NewGuid().ToString("N");
    private readonly string _work = Path.Combine(Path.GetTempPath(), "lessor-fault-" + Guid.NewGuid().ToString("N"));

    private static string Server =>
        Environment.GetEnvironmentVariable("LESSOR_TEST_PG") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("LESSOR_TEST_PG is not set: run scripts/test.sh, or `scripts/pg.sh start .pg` and export LESSOR_TEST_PG to what it prints.");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_work);
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", connection);
        await create.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await RunAsync("bash", Script("haproxy.sh"), "stop", _work);
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Given_three_replicas_behind_haproxy_When_one_is_killed_and_one_is_cut_from_the_database_under_load_Then_nothing_is_oversold_lost_or_applied_twice_and_clients_are_served_again_within_5_s()
    {
        var direct = new NpgsqlConnectionStringBuilder(Server) { Database = _database };
        var book = ScenarioFile.Load(Path.Combine(AppContext.BaseDirectory, "samples", "neocloud-2026.yaml")).Scenario!;
        string key;
        await using (var store = await LessorStore.OpenAsync(new StoreLocation.Postgres(direct.ConnectionString), CancellationToken.None))
        {
            await store.ImportAsync(book, CancellationToken.None);
            key = (await ApiKeys.CreateAsync(store, Roles.Admin, null, "fault drill", DateTime.UtcNow, CancellationToken.None)).Key;
        }
        var (baseline, _, _, _) = await FaultDrill.LedgerAsync(direct.ConnectionString);

        // The third replica reaches the database through a relay that the drill cuts.
        await using var relay = new TcpRelay(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, direct.Port), FaultDrill.FreePort());
        var relayed = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Port = relay.Port };
        var replicas = new[]
        {
            new Replica("r1", direct.ConnectionString, FaultDrill.FreePort()),
            new Replica("r2", direct.ConnectionString, FaultDrill.FreePort()),
            new Replica("r3", relayed.ConnectionString, FaultDrill.FreePort()),
        };
        try
        {
            await Task.WhenAll(replicas.Select(r => r.StartAsync(TimeSpan.FromSeconds(60))));
            var proxyPort = FaultDrill.FreePort();
            var started = await RunAsync("bash", [Script("haproxy.sh"), "start", _work, proxyPort.ToString(System.Globalization.CultureInfo.InvariantCulture), .. replicas.Select(r => $"127.0.0.1:{r.Port}")]);
            Assert.True(started.Code == 0, "scripts/haproxy.sh start failed: " + started.Output);
            var drill = new FaultDrill(new Uri($"http://127.0.0.1:{proxyPort}"), direct.ConnectionString, key, book);

            var watch = Stopwatch.StartNew();
            using var stop = new CancellationTokenSource();
            var load = drill.LoadAsync(clients: 6, stop.Token);
            var kills = 0;
            var cuts = 0;
            await Task.Delay(TimeSpan.FromSeconds(2));
            await replicas[0].KillAsync();
            kills++;
            await Task.Delay(TimeSpan.FromSeconds(1));
            await replicas[0].StartAsync(TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(2));
            relay.Cut();
            cuts++;
            await Task.Delay(TimeSpan.FromSeconds(3));
            relay.Restore();
            await Task.Delay(TimeSpan.FromSeconds(3));
            await stop.CancelAsync();
            await load;
            var seconds = watch.Elapsed.TotalSeconds;

            var report = await drill.VerifyAsync(baseline, kills, cuts, seconds);
            output.WriteLine("fault drill (short): " + report);
            Console.WriteLine("fault drill (short): " + report);

            Assert.True(report.Checks > 0 && report.SignsAcknowledged > 0 && report.ClaimsAcknowledged > 0, "the load did not exercise checks, signs and claims: " + report);
            Assert.True(report.SignsRefused > 0, "no sign was refused: the months never filled, so overselling was not put to the test: " + report);
            Assert.Equal(0, report.OversoldGpuMinutes);
            Assert.Equal(0, report.UnplacedNewLines);
            Assert.Equal(0, report.DoubleAllocatedNodes);
            Assert.Equal(0, report.AcknowledgedWritesLost);
            Assert.Equal(0, report.WritesAppliedTwice);
            Assert.True(report.LongestOutageSeconds < 5, $"a client went {report.LongestOutageSeconds:F2} s unserved: {report}");
        }
        catch
        {
            foreach (var r in replicas) output.WriteLine($"--- {r.Name} log:\n{r.Log()}");
            if (File.Exists(Path.Combine(_work, "haproxy.log"))) output.WriteLine("--- haproxy log:\n" + await File.ReadAllTextAsync(Path.Combine(_work, "haproxy.log")));
            throw;
        }
        finally
        {
            await RunAsync("bash", Script("haproxy.sh"), "stop", _work);
            foreach (var r in replicas) await r.DisposeAsync();
        }
    }
}
