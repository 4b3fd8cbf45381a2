using System.Text.Json;

namespace Lessor.Cli.Tests;

public sealed class EstateCommandTests
{
    private static async Task<string> ImportedAnnotatedExample()
    {
        var db = CliRunner.TempDb();
        var run = await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/valid/annotated.yaml"), "--db", db);
        Assert.True(run.ExitCode == 0, run.Err);
        return db;
    }

    [Fact]
    public async Task Given_an_imported_scenario_When_listing_contracts_as_json_Then_each_contract_appears_once_with_its_value()
    {
        var db = await ImportedAnnotatedExample();
        var run = await CliRunner.RunAsync("contracts", "list", "--db", db, "--json");
        Assert.Equal(0, run.ExitCode);
        var rows = JsonDocument.Parse(run.Out).RootElement.EnumerateArray().ToList();
        Assert.NotEmpty(rows);
        Assert.Equal(rows.Count, rows.Select(r => r.GetProperty("id").GetString()).Distinct().Count());
        Assert.All(rows, r => Assert.Equal("USD", r.GetProperty("value").GetProperty("currency").GetString()));
    }

    [Fact]
    public async Task Given_a_limit_When_listing_contracts_Then_only_that_many_in_book_order_and_the_table_says_how_many_more()
    {
        var db = await ImportedAnnotatedExample();
        var all = JsonDocument.Parse((await CliRunner.RunAsync("contracts", "list", "--db", db, "--json")).Out).RootElement.EnumerateArray()
            .Select(r => r.GetProperty("id").GetString()).ToList();

        var json = await CliRunner.RunAsync("contracts", "list", "--limit", "2", "--db", db, "--json");
        var table = await CliRunner.RunAsync("contracts", "list", "--limit", "1", "--customer", "meta", "--db", db);

        Assert.True(all.Count > 2);
        Assert.Equal(all.Take(2), JsonDocument.Parse(json.Out).RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.Contains("first 1 of 2 contracts (--limit 0 for all)", table.Out, StringComparison.Ordinal);
        Assert.Contains("take-or-pay", table.Out, StringComparison.Ordinal);
        // Piped (as here), no progress or spinner reaches standard error.
        Assert.Equal("", table.Err);
    }

    [Fact]
    public async Task Given_an_imported_scenario_When_showing_an_unknown_contract_Then_the_error_names_the_id()
    {
        var db = await ImportedAnnotatedExample();
        var run = await CliRunner.RunAsync("contracts", "show", "nope", "--db", db);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: id: no contract 'nope'.", run.Err.Trim());
    }

    [Fact]
    public async Task Given_an_imported_scenario_When_showing_the_fleet_at_a_date_Then_gpus_equal_the_units_accepted_by_then()
    {
        var db = await ImportedAnnotatedExample();
        var export = await CliRunner.RunAsync("scenario", "export", "--db", db, "--format", "json");
        var scenario = JsonDocument.Parse(export.Out).RootElement;
        var run = await CliRunner.RunAsync("fleet", "show", "--db", db, "--at", "2030-01-01", "--json");
        Assert.Equal(0, run.ExitCode);
        var snapshot = JsonDocument.Parse(run.Out).RootElement[0];
        var total = snapshot.GetProperty("by_platform").EnumerateArray().Sum(p => p.GetProperty("gpus").GetInt32());

        // Independent count from the exported file: units accepted by the date, times the platform's unit size.
        var cutoff = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var gpusPerUnit = scenario.GetProperty("platforms").EnumerateArray()
            .ToDictionary(p => p.GetProperty("id").GetString()!, p => p.GetProperty("gpus_per_unit").GetInt32());
        var platformOf = scenario.GetProperty("fabrics").EnumerateArray()
            .ToDictionary(f => f.GetProperty("id").GetString()!, f => f.GetProperty("platform").GetString()!);
        var expected = scenario.GetProperty("deliveries").EnumerateArray()
            .Where(d => DateTime.Parse(d.GetProperty("acceptance_date").GetString()!, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal) <= cutoff)
            .Sum(d => d.GetProperty("units").GetInt32() * gpusPerUnit[platformOf[d.GetProperty("fabric").GetString()!]]);
        Assert.True(expected > 0);
        Assert.Equal(expected, total);
    }

    [Fact]
    public async Task Given_a_bad_date_When_showing_the_fleet_Then_the_error_names_the_option_and_the_value()
    {
        var run = await CliRunner.RunAsync("fleet", "show", "--at", "2027-13-01", "--db", CliRunner.TempDb());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("2027-13-01 is not a UTC date", run.Err + run.Out, StringComparison.Ordinal);
    }
}
