using System.Text.Json;

namespace Lessor.Cli.Tests;

/// <summary>`lessor deal plan` on the annotated example.</summary>
public sealed class PlanCommandTests
{
    private static async Task<string> Imported()
    {
        var db = CliRunner.TempDb();
        var run = await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/valid/annotated.yaml"), "--db", db);
        Assert.Equal(0, run.ExitCode);
        return db;
    }

    private static readonly string[] Deal =
        ["deal", "plan", "--customer", "meta", "--platform", "h100-hgx", "--gpus", "4096", "--start", "2027-06-01", "--end", "2029-06-01"];

    [Fact]
    public async Task Given_a_deal_beyond_the_fleet_When_planned_Then_the_table_lists_deliveries_and_the_margin()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync([.. Deal, "--today", "2026-01-01", "--db", db]);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("4,096 GPUs over 2027-06-01 .. 2029-06-01: build ", run.Out, StringComparison.Ordinal);
        Assert.Contains("first order by 2027-02-01.", run.Out, StringComparison.Ordinal);
        Assert.Contains("verified: with these deliveries the rebuilt ledger fits the deal.", run.Out, StringComparison.Ordinal);
        Assert.Contains("margin over the term", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_json_When_planned_Then_the_plan_is_written_as_json()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync([.. Deal, "--today", "2026-01-01", "--db", db, "--json"]);
        Assert.Equal(0, run.ExitCode);
        var plan = JsonDocument.Parse(run.Out).RootElement;
        Assert.Equal("planned", plan.GetProperty("outcome").GetString());
        Assert.Equal("dfw-1", plan.GetProperty("deliveries")[0].GetProperty("site").GetString());
    }

    [Fact]
    public async Task Given_no_time_to_order_When_planned_Then_it_exits_3_with_the_reason()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync([.. Deal, "--today", "2027-03-01", "--db", db]);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("no build-out makes it fit (LeadTime).", run.Out, StringComparison.Ordinal);
        Assert.Contains("accepted 2027-06-29 at the earliest (120 days' lead time)", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_gpu_count_off_the_unit_When_planned_Then_the_flag_is_named()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync("deal", "plan", "--customer", "meta", "--platform", "h100-hgx", "--gpus", "4097",
            "--start", "2027-06-01", "--end", "2029-06-01", "--db", db);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: --gpus: 4097 is not a multiple of 8", run.Err, StringComparison.Ordinal);
    }
}
