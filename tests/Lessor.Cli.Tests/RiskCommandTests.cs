using System.Text.Json;

namespace Lessor.Cli.Tests;

/// <summary>`lessor risk`: input errors name the option and reason; shards merge to the whole run; JSON and CSV come out.</summary>
public sealed class RiskCommandTests
{
    private static readonly string Sample = Path.Combine(Root(), "samples", "neocloud-2026.yaml");

    private static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Lessor.slnx"))) return d.FullName;
        throw new InvalidOperationException("no repository root");
    }

    private static async Task<string> StoreAsync()
    {
        var db = CliRunner.TempDb();
        Assert.Equal(0, (await CliRunner.RunAsync("scenario", "import", Sample, "--db", db)).ExitCode);
        return db;
    }

    private static readonly string[] Window = ["--seed", "3", "--from", "2027-01-01", "--until", "2028-01-01", "--tornado", "0"];

    [Fact]
    public async Task Given_bad_options_When_running_Then_each_exits_2_naming_the_option_and_reason()
    {
        var db = await StoreAsync();
        var dir = Directory.CreateTempSubdirectory("lessor-risk-");
        var policy = Path.Combine(dir.FullName, "bad.yaml");
        await File.WriteAllTextAsync(policy, "name: bad\nspares: { fraction: 1.5 }\n");

        var shard = await CliRunner.RunAsync(["risk", "run", "--trials", "10", "--shard", "3/2", .. Window, "--db", db]);
        var until = await CliRunner.RunAsync("risk", "run", "--trials", "10", "--from", "2027-01-01", "--until", "2026-01-01", "--db", db);
        var bad = await CliRunner.RunAsync(["risk", "run", "--trials", "10", "--policy", policy, .. Window, "--db", db]);
        var trials = await CliRunner.RunAsync(["risk", "run", "--trials", "0", .. Window, "--db", db]);

        Assert.Equal(2, shard.ExitCode);
        Assert.Contains("--shard: '3/2' is not i/n with 1 <= i <= n", shard.Err, StringComparison.Ordinal);
        Assert.Equal(2, until.ExitCode);
        Assert.Contains("--until: 2026-01-01 is not after --from 2027-01-01", until.Err, StringComparison.Ordinal);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("spares.fraction: a fraction of failure domains must lie in [0, 1], not 1.5", bad.Err, StringComparison.Ordinal);
        Assert.Equal(2, trials.ExitCode);
        Assert.Contains("--trials: give 1 to 100,000,000 trials.", trials.Err + trials.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_run_in_three_shards_When_merged_Then_the_summary_is_the_whole_runs_and_a_foreign_shard_is_refused()
    {
        var db = await StoreAsync();
        var dir = Directory.CreateTempSubdirectory("lessor-risk-");
        var files = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            var file = Path.Combine(dir.FullName, $"part{i}.json");
            Assert.Equal(0, (await CliRunner.RunAsync(["risk", "run", "--trials", "60", "--shard", $"{i}/3", "--out", file, .. Window, "--db", db])).ExitCode);
            files.Add(file);
        }
        var whole = await CliRunner.RunAsync(["risk", "run", "--trials", "60", "--json", "--threads", "1", .. Window, "--db", db]);
        var csv = Path.Combine(dir.FullName, "fan.csv");
        var merged = await CliRunner.RunAsync(["risk", "merge", .. files, "--json", "--csv", csv]);

        Assert.Equal(0, merged.ExitCode);
        Assert.Equal(JsonDocument.Parse(whole.Out).RootElement.GetProperty("summary").GetRawText(), JsonDocument.Parse(merged.Out).RootElement.GetProperty("summary").GetRawText());
        var lines = await File.ReadAllLinesAsync(csv);
        Assert.Equal("figure,quarter,p10,p50,p90,mean,unit", lines[0]);
        Assert.Equal(1 + 6 * 4, lines.Length);

        var other = Path.Combine(dir.FullName, "other.json");
        Assert.Equal(0, (await CliRunner.RunAsync(["risk", "run", "--trials", "60", "--shard", "1/3", "--out", other, "--seed", "4", "--from", "2027-01-01", "--until", "2028-01-01", "--tornado", "0", "--db", db])).ExitCode);
        var foreign = await CliRunner.RunAsync("risk", "merge", files[1], other);
        Assert.Equal(2, foreign.ExitCode);
        Assert.Contains("The shards are not of one run", foreign.Err, StringComparison.Ordinal);
    }
}
