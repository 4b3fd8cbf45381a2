using System.Text.Json;

namespace Lessor.Cli.Tests;

public sealed class DeskCommandTests
{
    private static async Task<string> Imported()
    {
        var db = CliRunner.TempDb();
        var run = await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/valid/annotated.yaml"), "--db", db);
        Assert.True(run.ExitCode == 0, run.Err);
        return db;
    }

    [Fact]
    public async Task Given_gpus_that_are_not_whole_racks_When_checking_a_deal_Then_the_error_names_the_flag_and_the_nearest_sizes()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync("deal", "check", "--customer", "meta", "--platform", "NVL144", "--gpus", "100",
            "--start", "2027-01-01", "--end", "2028-01-01", "--db", db);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: --gpus: 100 is not a multiple of 72, the unit of vera-rubin-nvl72 (nearest: 72 or 144).", run.Err.Trim());
    }

    [Fact]
    public async Task Given_a_deal_without_customer_and_with_an_inverted_term_When_checking_Then_every_problem_is_named()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync("deal", "check", "--platform", "NVL144", "--gpus", "72", "--start", "2028-01-01", "--end", "2027-01-01", "--db", db);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: --customer: required.", run.Err, StringComparison.Ordinal);
        Assert.Contains("error: --end: 2027-01-01 is not after the start 2028-01-01 (periods are [start, end)).", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_deal_that_fits_When_signed_twice_with_one_key_Then_one_contract_is_added()
    {
        var db = await Imported();
        var before = JsonDocument.Parse((await CliRunner.RunAsync("contracts", "list", "--db", db, "--json")).Out).RootElement.GetArrayLength();
        string[] deal = ["--customer", "meta", "--platform", "NVL144", "--gpus", "72", "--start", "2028-01-01", "--end", "2028-02-01", "--db", db];

        var check = await CliRunner.RunAsync(["deal", "check", .. deal, "--json"]);
        var first = await CliRunner.RunAsync(["deal", "sign", .. deal, "--idempotency-key", "cli-1", "--signed-on", "2026-11-01"]);
        var second = await CliRunner.RunAsync(["deal", "sign", .. deal, "--idempotency-key", "cli-1", "--signed-on", "2026-11-01"]);

        Assert.True(JsonDocument.Parse(check.Out).RootElement.GetProperty("fits").GetBoolean(), check.Out + check.Err);
        Assert.Equal(0, first.ExitCode);
        Assert.StartsWith("signed meta-", first.Out, StringComparison.Ordinal);
        Assert.StartsWith("already signed as meta-", second.Out, StringComparison.Ordinal);
        Assert.Equal(before + 1, JsonDocument.Parse((await CliRunner.RunAsync("contracts", "list", "--db", db, "--json")).Out).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Given_a_month_that_has_not_closed_When_invoicing_Then_it_is_refused()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync("invoice", "run", "--month", "2099-01", "--db", db);
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: --month: 2099-01 has not closed yet", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_closed_month_When_invoiced_twice_Then_the_second_run_returns_the_same_invoices()
    {
        var db = await Imported();
        var first = await CliRunner.RunAsync("invoice", "run", "--month", "2026-10", "--db", db, "--format", "csv");
        var second = await CliRunner.RunAsync("invoice", "run", "--month", "2026-10", "--db", db, "--format", "csv");
        Assert.Equal(0, first.ExitCode);
        Assert.StartsWith("issued ", first.Err, StringComparison.Ordinal);
        Assert.StartsWith("2026-10 was already issued", second.Err, StringComparison.Ordinal);
        Assert.Equal(first.Out, second.Out);
    }

    [Fact]
    public async Task Given_a_tenant_key_without_customer_When_created_Then_the_error_names_the_flag()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync("keys", "create", "--role", "tenant", "--db", db);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: --customer: a tenant key is bound to one customer; name it.", run.Err.Trim());
        var ok = await CliRunner.RunAsync("keys", "create", "--role", "tenant", "--customer", "meta", "--db", db, "--json");
        Assert.StartsWith("lsr_", JsonDocument.Parse(ok.Out).RootElement.GetProperty("key").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_revenue_range_that_ends_before_it_starts_When_reported_Then_the_error_names_to()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync("report", "revenue", "--from", "2027-05", "--to", "2027-01", "--db", db);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: --to: 2027-01 is before --from 2027-05.", run.Err.Trim());
    }
}
