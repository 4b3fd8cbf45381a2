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
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: --gpus: 100 is not a multiple of 72, the unit of vera-rubin-nvl72 (nearest: 72 or 144).", run.Err.Trim());
    }

    [Fact]
    public async Task Given_a_deal_without_customer_and_with_an_inverted_term_When_checking_Then_every_problem_is_named()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync("deal", "check", "--platform", "NVL144", "--gpus", "72", "--start", "2028-01-01", "--end", "2027-01-01", "--db", db);
        Assert.Equal(2, run.ExitCode);
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

        // The same key with another request is refused as bad input, and signs nothing (issue 11, item 3).
        var reused = await CliRunner.RunAsync(["deal", "sign", .. deal, "--idempotency-key", "cli-1", "--signed-on", "2026-11-01", "--title", "another"]);
        Assert.Equal(2, reused.ExitCode);
        Assert.Contains("Idempotency-Key 'cli-1' was first used with a different request", reused.Err, StringComparison.Ordinal);
        Assert.Equal(before + 1, JsonDocument.Parse((await CliRunner.RunAsync("contracts", "list", "--db", db, "--json")).Out).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Given_a_month_that_has_not_closed_When_invoicing_Then_it_is_refused()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync("invoice", "run", "--month", "2099-01", "--db", db);
        Assert.Equal(3, run.ExitCode);
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
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: --customer: a tenant key is bound to one customer; name it.", run.Err.Trim());
        var ok = await CliRunner.RunAsync("keys", "create", "--role", "tenant", "--customer", "meta", "--db", db, "--json");
        Assert.StartsWith("lsr_", JsonDocument.Parse(ok.Out).RootElement.GetProperty("key").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_revenue_range_that_ends_before_it_starts_When_reported_Then_the_error_names_to()
    {
        var db = await Imported();
        var run = await CliRunner.RunAsync("report", "revenue", "--from", "2027-05", "--to", "2027-01", "--db", db);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: --to: 2027-01 is before --from 2027-05.", run.Err.Trim());
    }
}

public sealed class FinanceCommandTests
{
    [Fact]
    public async Task Given_a_credit_When_the_month_is_invoiced_Then_it_is_its_own_line_and_the_total_drops_by_it()
    {
        var db = CliRunner.TempDb();
        Assert.Equal(0, (await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/valid/annotated.yaml"), "--db", db)).ExitCode);
        var before = await CliRunner.RunAsync("invoice", "run", "--month", "2026-09", "--db", db, "--json");
        var credit = await CliRunner.RunAsync("invoice", "credit", "--id", "sla-1", "--customer", "meta", "--month", "2026-10", "--amount", "1234.56", "--reason", "SLA missed", "--db", db);
        var refused = await CliRunner.RunAsync("invoice", "credit", "--id", "sla-2", "--customer", "meta", "--month", "2026-09", "--amount", "1", "--reason", "late", "--db", db);
        var run = await CliRunner.RunAsync("invoice", "run", "--month", "2026-10", "--db", db, "--json");

        Assert.Equal(0, before.ExitCode);
        Assert.Equal(0, credit.ExitCode);
        Assert.Equal("error: --month: 2026-09 is already invoiced and issued invoices never change; credit a later month.", refused.Err.Trim());
        var meta = JsonDocument.Parse(run.Out).RootElement.EnumerateArray().Single(i => i.GetProperty("customer").GetString() == "meta");
        var line = meta.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("kind").GetString() == "credit");
        Assert.Equal("-1234.56", line.GetProperty("amount").GetProperty("amount").GetString());
        Assert.Equal("1234.56", meta.GetProperty("credits").GetProperty("amount").GetString()!.TrimStart('-'));
    }

    [Fact]
    public async Task Given_the_bundled_book_When_charting_Then_a_png_and_an_svg_are_written()
    {
        var db = CliRunner.TempDb();
        Assert.Equal(0, (await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/valid/annotated.yaml"), "--db", db)).ExitCode);
        var png = Path.ChangeExtension(db, ".png");
        var svg = Path.ChangeExtension(db, ".svg");
        Assert.Equal(0, (await CliRunner.RunAsync("report", "chart", "backlog", "--out", png, "--db", db)).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync("report", "chart", "revenue", "--out", svg, "--from", "2026-01", "--to", "2027-12", "--db", db)).ExitCode);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, (await File.ReadAllBytesAsync(png))[..4]);
        Assert.Contains("<svg", await File.ReadAllTextAsync(svg), StringComparison.Ordinal);
        var bad = await CliRunner.RunAsync("report", "chart", "backlog", "--out", Path.ChangeExtension(db, ".gif"), "--db", db);
        Assert.Contains(".gif must end in .png or .svg.", bad.Err + bad.Out, StringComparison.Ordinal);
    }
}
