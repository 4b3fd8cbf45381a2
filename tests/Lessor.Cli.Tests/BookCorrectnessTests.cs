using System.Globalization;
using System.Text.Json;

namespace Lessor.Cli.Tests;

/// <summary>
/// Issue 10's reproductions, run as a user runs them: every expected figure is worked out by hand in the test. The book
/// (fixtures/scenarios/issue10/book.yaml) has fabric f0 (8-GPU units, 4 accepted), g0 (one 72-GPU rack ordered for
/// 2027-01-15, pinned to contract k2 of c1) and g1 (4 racks accepted; contract k1 of c2, 144 GPUs, not pinned).
/// </summary>
public sealed class BookCorrectnessTests
{
    private static async Task<string> Book()
    {
        var db = CliRunner.TempDb();
        var run = await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/issue10/book.yaml"), "--db", db);
        Assert.True(run.ExitCode == 0, run.Err);
        return db;
    }

    private static async Task<decimal[]> Monthly(string db, string customer, string from, string to)
    {
        var run = await CliRunner.RunAsync("report", "revenue", "--by", "customer", "--from", from, "--to", to, "--db", db, "--json");
        Assert.True(run.ExitCode == 0, run.Err);
        var row = JsonDocument.Parse(run.Out).RootElement.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("key").GetString() == customer);
        return [.. row.GetProperty("months").EnumerateArray().Select(m => decimal.Parse(m.GetProperty("amount").GetString()!, CultureInfo.InvariantCulture))];
    }

    private static async Task<JsonElement> Kpis(string db, string asOf)
    {
        var run = await CliRunner.RunAsync("report", "kpis", "--as-of", asOf, "--db", db, "--json");
        Assert.True(run.ExitCode == 0, run.Err);
        return JsonDocument.Parse(run.Out).RootElement;
    }

    private static decimal Amount(JsonElement slice, string name) =>
        decimal.Parse(slice.GetProperty(name).GetProperty("amount").GetString()!, CultureInfo.InvariantCulture);

    private static JsonElement Customer(JsonElement kpis, string key) =>
        kpis.GetProperty("by_customer").EnumerateArray().Single(x => x.GetProperty("key").GetString() == key);

    [Fact]
    public async Task Given_a_grow_When_an_amendment_is_dated_before_it_Then_it_is_refused_and_the_fabric_is_never_oversold()
    {
        var db = await Book();
        string[] on = ["--db", db];
        var sign = await CliRunner.RunAsync(["deal", "sign", "--customer", "c1", "--platform", "h8", "--gpus", "16", "--locality", "fabric",
            "--start", "2027-01-01", "--end", "2028-01-01", "--contract", "x1", "--signed-on", "2026-06-01", .. on]);
        var grow = await CliRunner.RunAsync(["deal", "amend", "--contract", "x1", "--line", "L1", "--effective", "2027-09-01", "--gpus", "24", .. on]);
        var earlier = await CliRunner.RunAsync(["deal", "amend", "--contract", "x1", "--line", "L1", "--effective", "2027-03-01", "--end", "2028-02-01", .. on]);
        var later = await CliRunner.RunAsync(["deal", "amend", "--contract", "x1", "--line", "L1", "--effective", "2027-10-01", "--end", "2028-02-01", .. on]);

        Assert.True(sign.ExitCode == 0, sign.Err);
        Assert.True(grow.ExitCode == 0, grow.Err);
        Assert.Equal(3, earlier.ExitCode);
        Assert.Contains("effective: 2027-03-01 is before the line's latest amendment, effective 2027-09-01", earlier.Err, StringComparison.Ordinal);
        Assert.True(later.ExitCode == 0, later.Err);
        // 2 units from 2027-01-01, 3 from 2027-09-01 to 2028-02-01 out of f0's 4: one free unit from 09-01, nothing is short.
        var check = await CliRunner.RunAsync(["deal", "check", "--customer", "c1", "--platform", "h8", "--gpus", "8", "--start", "2027-09-01", "--end", "2028-02-01", "--json", .. on]);
        Assert.True(JsonDocument.Parse(check.Out).RootElement.GetProperty("fits").GetBoolean(), check.Out);
        var twice = await CliRunner.RunAsync(["deal", "check", "--customer", "c1", "--platform", "h8", "--gpus", "16", "--start", "2027-09-01", "--end", "2028-02-01", "--json", .. on]);
        Assert.False(JsonDocument.Parse(twice.Out).RootElement.GetProperty("fits").GetBoolean(), twice.Out);
        var atRisk = await CliRunner.RunAsync(["deal", "at-risk", "--json", .. on]);
        Assert.DoesNotContain("x1", atRisk.Out, StringComparison.Ordinal);
        // x1: 16 GPUs Jan-Aug (5,832 h), 24 GPUs Sep 1 to Feb 1 (3,672 h), $3 reserved: 279,936 + 264,384 = 544,320.
        var show = await CliRunner.RunAsync(["contracts", "show", "x1", "--json", .. on]);
        Assert.Equal(544_320.00m, decimal.Parse(JsonDocument.Parse(show.Out).RootElement.GetProperty("value").GetProperty("amount").GetString()!, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Given_a_book_whose_amendments_are_out_of_date_order_When_validating_Then_the_later_one_is_named()
    {
        var db = await Book();
        await CliRunner.RunAsync("deal", "sign", "--customer", "c1", "--platform", "h8", "--gpus", "16", "--start", "2027-01-01", "--end", "2028-01-01",
            "--contract", "x1", "--signed-on", "2026-06-01", "--db", db);
        await CliRunner.RunAsync("deal", "amend", "--contract", "x1", "--line", "L1", "--effective", "2027-09-01", "--gpus", "24", "--db", db);
        await CliRunner.RunAsync("deal", "amend", "--contract", "x1", "--line", "L1", "--effective", "2027-10-01", "--end", "2028-02-01", "--db", db);
        var export = await CliRunner.RunAsync("scenario", "export", "--db", db);
        var path = Path.Combine(Path.GetTempPath(), $"lessor-i10-{Guid.NewGuid():N}.yaml");
        // Date the second amendment before the first: the history would count the line twice from 2027-03-01.
        await File.WriteAllTextAsync(path, export.Out.Replace("effective_on: 2027-10-01", "effective_on: 2027-03-01", StringComparison.Ordinal));

        var valid = await CliRunner.RunAsync("scenario", "validate", CliRunner.Fixture("scenarios/issue10/book.yaml"));
        var run = await CliRunner.RunAsync("scenario", "validate", path);

        Assert.Equal(0, valid.ExitCode);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("amendments[1].effective_on", run.Out + run.Err, StringComparison.Ordinal);
        Assert.Contains("a line's amendments apply in date order", run.Out + run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_delivery_slipped_past_the_whole_term_Then_the_term_moves_to_acceptance_and_nothing_stays_in_rpo()
    {
        var db = await Book();
        var risk = await CliRunner.RunAsync("delivery", "risk", "--id", "d72", "--to", "2027-04-01", "--json", "--db", db);
        var slip = await CliRunner.RunAsync("delivery", "slip", "--id", "d72", "--to", "2027-04-01", "--json", "--db", db);
        Assert.True(slip.ExitCode == 0, slip.Err);
        // A what-if writes nothing and says so; the slip itself is recorded.
        Assert.False(JsonDocument.Parse(risk.Out).RootElement.GetProperty("applied").GetBoolean(), risk.Out);
        Assert.True(JsonDocument.Parse(risk.Out).RootElement.GetProperty("possible").GetBoolean(), risk.Out);
        Assert.True(JsonDocument.Parse(slip.Out).RootElement.GetProperty("applied").GetBoolean(), slip.Out);
        // Nothing is lost: the whole 305,856 is deferred, none never recognized.
        var lost = JsonDocument.Parse(risk.Out).RootElement.GetProperty("revenue");
        Assert.DoesNotContain("\"lost\": \"305856", lost.ToString(), StringComparison.Ordinal);

        // 72 GPUs x $3 over 59 days (2027-01-15 to 03-15) = 305,856, served from acceptance on 2027-04-01:
        // April 30 days = 155,520, then 29 days of May = 150,336.
        var months = await Monthly(db, "c1", "2027-01", "2027-06");
        Assert.Equal([0m, 0m, 0m, 155_520m, 150_336m, 0m], months);
        var june = Customer(await Kpis(db, "2027-06-01"), "c1");
        Assert.Equal(305_856m, Amount(june, "tcv"));
        Assert.Equal(305_856m, Amount(june, "recognized"));
        Assert.Equal(0m, Amount(june, "rpo"));
        Assert.Equal(0m, Amount(june, "forfeited"));
    }

    [Fact]
    public async Task Given_a_contract_that_forfeits_late_gpu_time_When_its_delivery_slips_past_the_term_Then_the_value_is_forfeited_not_owed()
    {
        var db = await Book();
        var sign = await CliRunner.RunAsync("deal", "sign", "--customer", "c1", "--platform", "r72", "--gpus", "72", "--locality", "fabric",
            "--start", "2027-06-01", "--end", "2027-07-01", "--contract", "ff", "--signed-on", "2026-06-01", "--late-delivery", "forfeit", "--db", db);
        Assert.True(sign.ExitCode == 0, sign.Err);
        // Best fit puts the rack on g0 (one rack, free in June); g1 has four.
        var placed = await CliRunner.RunAsync("contracts", "show", "ff", "--json", "--db", db);
        Assert.Equal("g0", JsonDocument.Parse(placed.Out).RootElement.GetProperty("lines")[0].GetProperty("pinned")[0].GetProperty("fabric").GetString());
        var slip = await CliRunner.RunAsync("delivery", "slip", "--id", "d72", "--to", "2027-08-01", "--db", db);
        Assert.True(slip.ExitCode == 0, slip.Err);

        // ff: 72 GPUs x 720 h x $3 = 155,520, all inside the slipped months: forfeited, out of RPO, never recognized.
        // k2 (same rack, terms extend) is served from 2027-08-01 instead: its 305,856 stays owed.
        var c1 = Customer(await Kpis(db, "2027-01-01"), "c1");
        Assert.Equal(155_520m + 305_856m, Amount(c1, "tcv"));
        Assert.Equal(155_520m, Amount(c1, "forfeited"));
        Assert.Equal(305_856m, Amount(c1, "rpo"));
        // 59 days from 2027-08-01 at 72 GPUs x $3 x 24 h = 5,184 a day: August 31 days, September 28.
        Assert.Equal([0m, 0m, 31 * 5_184m, 28 * 5_184m, 0m], await Monthly(db, "c1", "2027-06", "2027-10"));
    }

    [Fact]
    public async Task Given_an_unpinned_line_When_it_shrinks_from_march_Then_january_and_february_keep_their_revenue()
    {
        var db = await Book();
        var before = await Monthly(db, "c2", "2027-01", "2027-05");
        var amend = await CliRunner.RunAsync("deal", "amend", "--contract", "k1", "--line", "l", "--effective", "2027-03-01", "--gpus", "72", "--db", db);
        var after = await Monthly(db, "c2", "2027-01", "2027-05");

        // 144 GPUs x $3: Jan 744 h = 321,408, Feb 672 h = 290,304, Mar 744 h = 321,408; from March 72 GPUs = 160,704.
        Assert.Equal([321_408m, 290_304m, 321_408m, 0m, 0m], before);
        Assert.True(amend.ExitCode == 0, amend.Err);
        Assert.Equal([321_408m, 290_304m, 160_704m, 0m, 0m], after);
        // One definition of contract value: the CLI's value, the contract's TCV in the KPIs.
        Assert.Contains("value now 772.42k USD", amend.Out, StringComparison.Ordinal);
        var show = await CliRunner.RunAsync("contracts", "show", "k1", "--json", "--db", db);
        Assert.Equal(772_416m, decimal.Parse(JsonDocument.Parse(show.Out).RootElement.GetProperty("value").GetProperty("amount").GetString()!, CultureInfo.InvariantCulture));
        Assert.Equal(772_416m, Amount(Customer(await Kpis(db, "2026-12-01"), "c2"), "tcv"));
        var list = await CliRunner.RunAsync("contracts", "list", "--json", "--db", db);
        var k1 = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Single(c => c.GetProperty("id").GetString() == "k1");
        Assert.Equal(772_416m, decimal.Parse(k1.GetProperty("value").GetProperty("amount").GetString()!, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Given_fabric_locality_and_two_sites_When_checking_a_deal_Then_it_is_an_input_error_naming_min_sites()
    {
        var db = await Book();
        var run = await CliRunner.RunAsync("deal", "check", "--customer", "c1", "--platform", "h8", "--gpus", "16", "--locality", "fabric",
            "--min-sites", "2", "--start", "2027-01-01", "--end", "2028-01-01", "--db", db);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--min-sites: 2 sites cannot hold with locality fabric", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_price_whose_line_value_overflows_When_importing_Then_it_is_refused_by_field_and_nothing_is_stored()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lessor-i10-{Guid.NewGuid():N}.yaml");
        var text = await File.ReadAllTextAsync(CliRunner.Fixture("scenarios/issue10/book.yaml"));
        await File.WriteAllTextAsync(path, text.Replace("price_per_gpu_hour: 3.00\n        locality: fabric\n        pinned", "price_per_gpu_hour: 999999999999999999\n        locality: fabric\n        pinned", StringComparison.Ordinal));
        var db = CliRunner.TempDb();

        var run = await CliRunner.RunAsync("scenario", "import", path, "--db", db);
        var list = await CliRunner.RunAsync("contracts", "list", "--db", db, "--json");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("contracts[0].lines[0].price_per_gpu_hour", run.Out + run.Err, StringComparison.Ordinal);
        Assert.Contains("above the limit", run.Out + run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("k2", list.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_line_over_three_sites_When_it_shrinks_Then_it_keeps_three_sites_and_every_delivery_still_answers()
    {
        var db = CliRunner.TempDb();
        var import = await CliRunner.RunAsync("scenario", "import", Path.Combine(AppContext.BaseDirectory, "samples", "neocloud-2026.yaml"), "--db", db);
        Assert.True(import.ExitCode == 0, import.Err);
        var sign = await CliRunner.RunAsync("deal", "sign", "--customer", "meta", "--platform", "NVL144", "--gpus", "7200", "--start", "2030-10-01",
            "--end", "2036-10-01", "--min-sites", "3", "--contract", "m3", "--signed-on", "2026-11-01", "--db", db);
        Assert.True(sign.ExitCode == 0, sign.Out + sign.Err);

        var shrink = await CliRunner.RunAsync("deal", "amend", "--contract", "m3", "--line", "L1", "--effective", "2031-01-01", "--gpus", "3600", "--db", db);
        var again = await CliRunner.RunAsync("deal", "amend", "--contract", "m3", "--line", "L1", "--effective", "2031-01-01", "--gpus", "3600", "--db", db);
        var risk = await CliRunner.RunAsync("delivery", "risk", "--id", "us-east-01-f1-d1", "--to", "2026-03-01", "--db", db);
        var export = await CliRunner.RunAsync("scenario", "export", "--db", db);
        var path = Path.Combine(Path.GetTempPath(), $"lessor-i10-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, export.Out);
        var validate = await CliRunner.RunAsync("scenario", "validate", path);

        Assert.True(shrink.ExitCode == 0, shrink.Err);
        Assert.Equal(3, again.ExitCode);
        Assert.Contains("gpus: line L1 of m3 already has 3,600 GPUs.", again.Err, StringComparison.Ordinal);
        Assert.True(risk.ExitCode == 0, risk.Err);
        Assert.True(validate.ExitCode == 0, validate.Out + validate.Err);
        var show = JsonDocument.Parse((await CliRunner.RunAsync("contracts", "show", "m3", "--json", "--db", db)).Out).RootElement;
        var pinned = show.GetProperty("lines")[0].GetProperty("pinned").EnumerateArray().ToList();
        Assert.Equal(3600 / 72, pinned.Sum(b => b.GetProperty("units").GetInt32()));
        // The sample names fabrics <site>-f<n>: the kept racks still span min-sites 3 sites.
        var sites = pinned.Select(b => b.GetProperty("fabric").GetString()!).Select(f => f[..f.LastIndexOf("-f", StringComparison.Ordinal)]).Distinct().Count();
        Assert.True(sites >= 3, $"{sites} sites");
    }

    [Fact]
    public async Task Given_a_contract_id_that_is_not_a_slug_When_signing_Then_it_is_refused_so_the_book_still_exports_and_reimports()
    {
        var db = await Book();
        var run = await CliRunner.RunAsync("deal", "sign", "--customer", "c1", "--platform", "h8", "--gpus", "8", "--start", "2027-01-01",
            "--end", "2027-02-01", "--contract", "bad id!", "--db", db);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("contract_id: not a valid id", run.Err, StringComparison.Ordinal);
    }
}
