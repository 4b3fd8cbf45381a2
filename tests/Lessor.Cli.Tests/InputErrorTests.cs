namespace Lessor.Cli.Tests;

/// <summary>Bad input is one line naming the option and what was expected, with the nearest id, name or alias for a typo.</summary>
public sealed class InputErrorTests
{
    private static async Task<string> Imported()
    {
        var db = CliRunner.TempDb();
        var run = await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/valid/annotated.yaml"), "--db", db);
        Assert.True(run.ExitCode == 0, run.Err);
        return db;
    }

    [Fact]
    public async Task Given_a_date_in_the_wrong_format_When_checking_a_deal_Then_one_line_names_the_option_the_format_and_the_help()
    {
        var run = await CliRunner.RunAsync("deal", "check", "--customer", "meta", "--platform", "NVL144", "--gpus", "72",
            "--start", "31/12/2025", "--end", "2028-01-01", "--db", CliRunner.TempDb());

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Out);
        Assert.Equal(
            "error: --start: 31/12/2025 is not a UTC date (2027-01-01) or instant ending in Z (2027-01-01T12:30Z). See `lessor deal check --help`." + Environment.NewLine,
            run.Err);
    }

    [Fact]
    public async Task Given_a_value_of_the_wrong_type_When_parsed_Then_the_error_says_what_was_expected()
    {
        var gpus = await CliRunner.RunAsync("deal", "check", "--gpus", "many", "--db", CliRunner.TempDb());
        var locality = await CliRunner.RunAsync("deal", "check", "--locality", "rack", "--db", CliRunner.TempDb());

        Assert.Equal(2, gpus.ExitCode);
        Assert.StartsWith("error: --gpus: 'many' is not a whole number", gpus.Err, StringComparison.Ordinal);
        Assert.StartsWith("error: --locality: 'rack' is not one of fabric, site, region, any", locality.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_bad_fleet_lease_options_When_serving_Then_each_is_refused_naming_the_option_and_nothing_starts()
    {
        var ttl = await CliRunner.RunAsync("serve", "--fleet-lease-ttl", "0.5", "--db", CliRunner.TempDb());
        var url = await CliRunner.RunAsync("serve", "--advertise-url", "10.0.0.5:5080", "--db", CliRunner.TempDb());
        var id = await CliRunner.RunAsync("serve", "--instance-id", "", "--db", CliRunner.TempDb());

        Assert.Equal((2, 2, 2), (ttl.ExitCode, url.ExitCode, id.ExitCode));
        Assert.StartsWith("error: --fleet-lease-ttl: 0.5 is outside 1..3600 seconds.", ttl.Err, StringComparison.Ordinal);
        Assert.StartsWith("error: --advertise-url: '10.0.0.5:5080' is not an http(s) URL such as http://10.0.0.5:5080.", url.Err, StringComparison.Ordinal);
        Assert.StartsWith("error: --instance-id: '' must be 1-200 printable characters.", id.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_mistyped_command_When_run_Then_one_line_suggests_the_nearest_command()
    {
        var run = await CliRunner.RunAsync("contrcts", "list");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: 'contrcts' is not a command or option of `lessor`; did you mean 'contracts'? See `lessor --help`." + Environment.NewLine, run.Err);
    }

    [Fact]
    public async Task Given_mistyped_ids_names_and_aliases_When_used_Then_the_nearest_is_suggested_and_a_stranger_gets_none()
    {
        var db = await Imported();
        string[] term = ["--gpus", "72", "--start", "2028-01-01", "--end", "2028-02-01", "--db", db];

        var customer = await CliRunner.RunAsync(["deal", "check", "--customer", "metaa", "--platform", "NVL144", .. term]);
        var platform = await CliRunner.RunAsync(["deal", "check", "--customer", "meta", "--platform", "NVL14", .. term]);
        var byName = await CliRunner.RunAsync("contracts", "list", "--customer", "Meta Platfroms", "--db", db);
        var contract = await CliRunner.RunAsync("contracts", "show", "meta-l", "--db", db);
        var delivery = await CliRunner.RunAsync("delivery", "risk", "--id", "d-dfw1-gb300-2", "--to", "2027-06-01", "--db", db);
        var line = await CliRunner.RunAsync("deal", "amend", "--contract", "meta-2", "--line", "rubin-inferense", "--effective", "2028-01-01", "--gpus", "1152", "--db", db);
        var stranger = await CliRunner.RunAsync("claims", "create", "--platform", "h100-hgx", "--nodes", "1", "--customer", "nobody", "--db", db);

        Assert.Equal("error: --customer: no customer 'metaa'; did you mean 'meta'?", customer.Err.Trim());
        Assert.Equal("error: --platform: no platform or alias 'NVL14' in the catalog; did you mean 'NVL144'?", platform.Err.Trim());
        Assert.Equal("error: --customer: no customer 'Meta Platfroms'; did you mean 'meta'?", byName.Err.Trim());
        Assert.Equal("error: id: no contract 'meta-l'; did you mean 'meta-1'?", contract.Err.Trim());
        Assert.Equal("error: --id: no delivery 'd-dfw1-gb300-2'; did you mean 'd-dfw1-gb300-1'? `lessor delivery list` shows them.", delivery.Err.Trim());
        Assert.Equal("error: --line: contract meta-2 has no line 'rubin-inferense'; did you mean 'rubin-inference'?", line.Err.Trim());
        Assert.Equal("error: --customer: no customer 'nobody'.", stranger.Err.Trim());
        Assert.All(new[] { customer, platform, byName, contract, delivery, line, stranger }, r => Assert.Equal(2, r.ExitCode));
    }

    [Fact]
    public async Task Given_the_sample_When_listing_deliveries_of_a_site_or_fabric_Then_only_theirs_appear_in_date_order()
    {
        var db = await Imported();
        var site = await CliRunner.RunAsync("delivery", "list", "--site", "dfw-1", "--db", db, "--json");
        var fabric = await CliRunner.RunAsync("delivery", "list", "--fabric", "iad1-vr-a", "--db", db);

        Assert.Equal(0, site.ExitCode);
        var rows = System.Text.Json.JsonDocument.Parse(site.Out).RootElement.EnumerateArray().ToList();
        Assert.Equal(["d-dfw1-h100-1", "d-dfw1-gb300-1"], rows.Select(r => r.GetProperty("id").GetString()));
        Assert.All(rows, r => Assert.Equal("dfw-1", r.GetProperty("site").GetString()));
        Assert.Equal("2026-11-01T00:00:00Z", rows[1].GetProperty("original_acceptance_date").GetString());
        Assert.Contains("d-iad1-vr-1", fabric.Out, StringComparison.Ordinal);
        Assert.Contains("1 deliveries", fabric.Out, StringComparison.Ordinal);
    }
}
