using System.Text.Json;
using Lessor.Core.Fleet;
using Lessor.Server.Fleet;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Lessor.Cli.Tests;

/// <summary>`lessor agent` against the nats-server scripts/test.sh starts (LESSOR_TEST_NATS; the tests fail without it).</summary>
public sealed class AgentCommandTests
{
    private static string NatsUrl()
    {
        var url = Environment.GetEnvironmentVariable("LESSOR_TEST_NATS");
        Assert.False(string.IsNullOrEmpty(url),
            "LESSOR_TEST_NATS is not set: run the tests with scripts/test.sh, which starts a throwaway nats-server (scripts/nats.sh).");
        return url!;
    }

    [Fact]
    public async Task A_simulated_fleet_publishes_every_round_counts_it_and_never_reuses_a_sequence_after_a_restart()
    {
        var url = NatsUrl();
        var site = $"t{Guid.NewGuid():N}"[..13];
        var state = Path.Combine(Path.GetTempPath(), $"lessor-agent-{Guid.NewGuid():N}.json");
        try
        {
            var first = await CliRunner.RunAsync("agent", "--simulate", "--nodes", "200", "--gpus-per-node", "4", "--count", "3", "--rate", "20000",
                "--seed", "9", "--site", site, "--nats", url, "--state", state, "--json");
            Assert.True(first.ExitCode == 0, first.Err + first.Out);
            using (var doc = JsonDocument.Parse(first.Out))
            {
                Assert.Equal(600, doc.RootElement.GetProperty("attempted").GetInt64());
                Assert.Equal(600, doc.RootElement.GetProperty("published").GetInt64());
                Assert.Equal(0, doc.RootElement.GetProperty("failed").GetInt64());
                Assert.Equal(1, doc.RootElement.GetProperty("first_seq").GetInt64());
                Assert.Equal(3, doc.RootElement.GetProperty("last_seq").GetInt64());
            }
            var again = await CliRunner.RunAsync("agent", "--simulate", "--nodes", "200", "--gpus-per-node", "4", "--count", "2", "--rate", "20000",
                "--seed", "9", "--site", site, "--nats", url, "--state", state, "--json");
            Assert.True(again.ExitCode == 0, again.Err + again.Out);
            using (var doc = JsonDocument.Parse(again.Out))
            {
                Assert.Equal(4, doc.RootElement.GetProperty("first_seq").GetInt64());
                Assert.Equal(5, doc.RootElement.GetProperty("last_seq").GetInt64());
            }

            // Read back what reached the stream on this site's subject: 1,000 well-formed reports, five per node, seq 1-5.
            await using var nats = new NatsConnection(new NatsOpts { Url = url });
            var js = new NatsJSContext(nats);
            var reader = await js.CreateOrUpdateConsumerAsync("LESSOR_HEALTH", new ConsumerConfig($"read-{site}")
            {
                FilterSubject = $"lessor.health.{site}",
                AckPolicy = ConsumerConfigAckPolicy.None,
                InactiveThreshold = TimeSpan.FromMinutes(1),
            });
            var seqs = new Dictionary<string, List<long>>();
            var total = 0;
            while (total < 1000)
            {
                var got = 0;
                await foreach (var m in reader.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 500, Expires = TimeSpan.FromSeconds(2) }))
                {
                    Assert.True(HealthReportJson.TryParse(m.Data, out var report, out var field, out var reason), $"{field} {reason}");
                    Assert.Equal(4, report!.Gpus.Count);
                    (seqs.TryGetValue(report.Node, out var list) ? list : seqs[report.Node] = []).Add(report.Seq);
                    got++;
                }
                Assert.True(got > 0, $"only {total} of 1000 reports in the stream");
                total += got;
            }
            Assert.Equal(1000, total);
            Assert.Equal(200, seqs.Count);
            Assert.All(seqs.Values, s => Assert.Equal([1L, 2, 3, 4, 5], s));
        }
        finally
        {
            File.Delete(state);
        }
    }

    [Theory]
    [InlineData(new[] { "agent", "--simulate", "--nodes", "5" }, "give exactly one of --nats (NATS JetStream) or --url (HTTP).")]
    [InlineData(new[] { "agent", "--nats", "http://x:1" }, "--nats: 'http://x:1' is not a NATS URL such as nats://127.0.0.1:4222.")]
    [InlineData(new[] { "agent", "--url", "http://127.0.0.1:5080" }, "--key: required with --url (an operator or admin API key).")]
    [InlineData(new[] { "agent", "--simulate", "--nats", "nats://127.0.0.1:1" }, "--simulate: give exactly one of --nodes N or --scenario FILE.")]
    [InlineData(new[] { "agent", "--simulate", "--nodes", "5", "--gpus-per-node", "65", "--nats", "nats://127.0.0.1:1" }, "--gpus-per-node: 65 is not 1 to 64.")]
    [InlineData(new[] { "agent", "--nodes", "5", "--nats", "nats://127.0.0.1:1" }, "--nodes, --scenario and --exclude are for --simulate.")]
    [InlineData(new[] { "agent", "--interval", "0", "--nats", "nats://127.0.0.1:1" }, "--interval: 0 is not a number of seconds from above 0 to 86400.")]
    [InlineData(new[] { "agent", "--site", "dead", "--nats", "nats://127.0.0.1:1" }, "--site: 'dead' is not a site name")]
    public async Task Bad_arguments_are_refused_with_the_option_and_the_reason(string[] args, string expected)
    {
        var run = await CliRunner.RunAsync(args);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Excluded_nodes_report_nothing_and_an_exclusion_naming_no_node_of_the_fleet_is_refused_with_its_line()
    {
        var site = $"x{Guid.NewGuid():N}"[..13];
        var state = Path.Combine(Path.GetTempPath(), $"lessor-agent-{Guid.NewGuid():N}.json");
        var exclude = Path.Combine(Path.GetTempPath(), $"lessor-exclude-{Guid.NewGuid():N}.txt");
        try
        {
            await File.WriteAllLinesAsync(exclude, ["sim-000001", "", "sim-000003"]);
            var run = await CliRunner.RunAsync("agent", "--simulate", "--nodes", "5", "--count", "2", "--rate", "20000", "--site", site,
                "--exclude", exclude, "--nats", NatsUrl(), "--state", state, "--json");
            Assert.True(run.ExitCode == 0, run.Err + run.Out);
            using (var doc = JsonDocument.Parse(run.Out))
            {
                Assert.Equal(3, doc.RootElement.GetProperty("nodes").GetInt64());
                Assert.Equal(6, doc.RootElement.GetProperty("published").GetInt64());
            }

            await File.WriteAllLinesAsync(exclude, ["sim-000001", "sim-999999"]);
            var refused = await CliRunner.RunAsync("agent", "--simulate", "--nodes", "5", "--count", "1", "--site", site,
                "--exclude", exclude, "--nats", NatsUrl(), "--state", state);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("--exclude: line 2: 'sim-999999' is not a node of the simulated fleet.", refused.Err, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(state);
            File.Delete(exclude);
        }
    }

    [Fact]
    public async Task Without_nvidia_smi_the_real_agent_says_so_and_publishes_nothing()
    {
        var state = Path.Combine(Path.GetTempPath(), $"lessor-agent-{Guid.NewGuid():N}.json");
        var run = await CliRunner.RunAsync("agent", "--nats", NatsUrl(), "--node", "n1", "--count", "1", "--nvidia-smi", "/nonexistent/nvidia-smi", "--state", state, "--json");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("cannot run /nonexistent/nvidia-smi", run.Err, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.Equal(0, doc.RootElement.GetProperty("published").GetInt64());
        Assert.False(File.Exists(state));
    }
}
