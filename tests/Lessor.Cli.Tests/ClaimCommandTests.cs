using System.Text.Json;

namespace Lessor.Cli.Tests;

public sealed class ClaimCommandTests
{
    private static async Task<string> ImportedAnnotatedExample()
    {
        var db = CliRunner.TempDb();
        var run = await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/valid/annotated.yaml"), "--db", db);
        Assert.True(run.ExitCode == 0, run.Err);
        return db;
    }

    [Fact]
    public async Task Given_an_imported_scenario_When_claiming_listing_and_releasing_as_json_Then_the_claim_comes_and_goes()
    {
        var db = await ImportedAnnotatedExample();

        // GB300 in iad1: 60 racks accepted on 2026-09-01, all under meta-1's training line; dfw1 has none accepted.
        var refused = await CliRunner.RunAsync("claims", "create", "--platform", "gb300-nvl72", "--nodes", "4", "--scope", "domain", "--customer", "meta", "--at", "2026-12-01", "--db", db);
        var created = await CliRunner.RunAsync("claims", "create", "--platform", "h100-hgx", "--nodes", "2", "--customer", "meta", "--at", "2026-12-01", "--db", db, "--json");
        var claim = JsonDocument.Parse(created.Out).RootElement;
        var id = claim.GetProperty("id").GetString()!;
        var listed = await CliRunner.RunAsync("claims", "list", "--customer", "meta", "--db", db, "--json");
        var released = await CliRunner.RunAsync("claims", "release", id, "--db", db);
        var after = await CliRunner.RunAsync("claims", "list", "--db", db, "--json");

        Assert.Equal(3, refused.ExitCode);
        Assert.Equal("error: --nodes: no scale-up domain of gb300-nvl72 has 4 free nodes; the most in one is 0." + Environment.NewLine, refused.Err);
        Assert.Equal(0, created.ExitCode);
        Assert.Equal(["dfw1-h100-a", "dfw1-h100-a"], claim.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("fabric").GetString()));
        Assert.Equal([id], JsonDocument.Parse(listed.Out).RootElement.EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        Assert.Equal(0, released.ExitCode);
        Assert.Equal($"released {id}" + Environment.NewLine, released.Out);
        Assert.Equal(0, JsonDocument.Parse(after.Out).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Given_bad_arguments_When_claiming_Then_the_error_names_the_option_and_nothing_is_claimed()
    {
        var db = await ImportedAnnotatedExample();

        var scope = await CliRunner.RunAsync("claims", "create", "--platform", "h100-hgx", "--nodes", "1", "--scope", "rack", "--customer", "meta", "--db", db);
        var customer = await CliRunner.RunAsync("claims", "create", "--platform", "h100-hgx", "--nodes", "1", "--customer", "nobody", "--db", db);
        var release = await CliRunner.RunAsync("claims", "release", "cl-none", "--db", db);

        Assert.Equal("error: --scope: 'rack' must be fabric or domain." + Environment.NewLine, scope.Err);
        Assert.Equal("error: --customer: no customer 'nobody'." + Environment.NewLine, customer.Err);
        Assert.Equal("error: id: no claim 'cl-none'." + Environment.NewLine, release.Err);
        Assert.Equal([2, 2, 2], new[] { scope.ExitCode, customer.ExitCode, release.ExitCode });
        var list = await CliRunner.RunAsync("claims", "list", "--db", db, "--json");
        Assert.Equal(0, JsonDocument.Parse(list.Out).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Given_a_claim_made_with_a_key_When_the_key_comes_again_with_the_same_and_then_another_request_Then_it_replays_and_then_is_refused()
    {
        var db = await ImportedAnnotatedExample();
        string[] claim = ["claims", "create", "--platform", "h100-hgx", "--customer", "meta", "--at", "2026-12-01", "--idempotency-key", "cli-claim-1", "--db", db];

        var first = await CliRunner.RunAsync([.. claim, "--nodes", "2"]);
        var again = await CliRunner.RunAsync([.. claim, "--nodes", "2"]);
        var reused = await CliRunner.RunAsync([.. claim, "--nodes", "3"]);

        Assert.Equal(0, first.ExitCode);
        Assert.StartsWith("already claimed ", again.Out, StringComparison.Ordinal);
        Assert.Equal(2, reused.ExitCode);
        Assert.StartsWith("error: --idempotency-key: Idempotency-Key 'cli-claim-1' was first used with a different request", reused.Err, StringComparison.Ordinal);
        var list = await CliRunner.RunAsync("claims", "list", "--db", db, "--json");
        Assert.Equal(2, JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Single().GetProperty("node_count").GetInt32());
    }
}
