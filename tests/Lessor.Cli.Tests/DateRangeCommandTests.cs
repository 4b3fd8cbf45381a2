using System.Text.Json;

namespace Lessor.Cli.Tests;

/// <summary>
/// Every date a command takes (options and deal files) outside the supported range [2000-01-01, 2200-01-01) is refused
/// as bad input naming where it came from (issue 11, item 4: such dates ended in "Unhandled exception" and a stack trace).
/// </summary>
public sealed class DateRangeCommandTests
{
    private static async Task<string> Imported()
    {
        var db = CliRunner.TempDb();
        var run = await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/valid/annotated.yaml"), "--db", db);
        Assert.True(run.ExitCode == 0, run.Err);
        return db;
    }

    private static readonly string[] FarDeal = ["--customer", "meta", "--platform", "h100-hgx", "--gpus", "8", "--start", "9999-11-01", "--end", "9999-12-31"];

    public static TheoryData<string[], string> Cases() => new()
    {
        { ["report", "kpis", "--as-of", "9999-12-31"], "--as-of: 9999-12-31 is outside the supported range 2000-01-01 to 2200-01-01." },
        { ["report", "kpis", "--as-of", "0001-01-01"], "--as-of: 0001-01-01 is outside the supported range 2000-01-01 to 2200-01-01." },
        { ["report", "revenue", "--from", "2027-01", "--to", "9999-12"], "--to: 9999-12 is outside the supported range 2000-01 to 2199-12." },
        { ["report", "revenue", "--from", "1999-12", "--to", "2027-01"], "--from: 1999-12 is outside the supported range 2000-01 to 2199-12." },
        { ["deal", "earliest", .. FarDeal], "--start: 9999-11-01 is outside the supported range 2000-01-01 to 2200-01-01." },
        { ["deal", "sign", .. FarDeal], "--end: 9999-12-31 is outside the supported range 2000-01-01 to 2200-01-01." },
        { ["deal", "earliest", "--customer", "meta", "--platform", "h100-hgx", "--gpus", "8", "--start", "2031-01-01", "--end", "2031-02-01", "--horizon", "9999-12-31"],
            "--horizon: 9999-12-31 is outside the supported range 2000-01-01 to 2200-01-01." },
        { ["fleet", "show", "--at", "9999-12-31"], "--at: 9999-12-31 is outside the supported range 2000-01-01 to 2200-01-01." },
        { ["delivery", "slip", "d-iad1-vr-1", "--to", "9999-12-31"], "--to: 9999-12-31 is outside the supported range 2000-01-01 to 2200-01-01." },
        { ["delivery", "risk", "d-iad1-vr-1", "--to", "0001-01-01"], "--to: 0001-01-01 is outside the supported range 2000-01-01 to 2200-01-01." },
        { ["report", "chart", "revenue", "--out", "far.png", "--to", "9999-12"], "--to: 9999-12 is outside the supported range 2000-01 to 2199-12." },
        { ["deal", "amend", "--contract", "meta-1", "--line", "training", "--effective", "9999-12-31", "--gpus", "72"], "--effective: 9999-12-31 is outside the supported range 2000-01-01 to 2200-01-01." },
        { ["claims", "create", "--platform", "h100-hgx", "--nodes", "1", "--customer", "meta", "--at", "9999-12-31"], "--at: 9999-12-31 is outside the supported range 2000-01-01 to 2200-01-01." },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Given_a_date_outside_the_supported_range_When_a_command_takes_it_Then_it_exits_2_naming_the_option_and_nothing_changes(string[] args, string message)
    {
        var db = await Imported();
        var before = (await CliRunner.RunAsync("contracts", "list", "--db", db, "--json")).Out;

        var run = await CliRunner.RunAsync([.. args, "--db", db]);

        Assert.Equal(2, run.ExitCode); // bad input (README exit-code table)
        Assert.Contains(message, run.Err + run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.Err + run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Err + run.Out, StringComparison.Ordinal);
        Assert.Equal(before, (await CliRunner.RunAsync("contracts", "list", "--db", db, "--json")).Out);
    }

    [Fact]
    public async Task Given_a_deal_file_with_a_far_term_When_checked_Then_the_line_field_is_named()
    {
        var db = await Imported();
        var file = Path.Combine(Path.GetTempPath(), $"lessor-far-deal-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            customer = "meta",
            lines = new[] { new { platform = "h100-hgx", gpus = 8, start = "2031-01-01", end = "9999-12-31" } },
        }));

        var run = await CliRunner.RunAsync("deal", "check", "--deal", file, "--db", db);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: lines[0].end: 9999-12-31 is outside the supported range 2000-01-01 to 2200-01-01.", run.Err.Trim());
    }
}
