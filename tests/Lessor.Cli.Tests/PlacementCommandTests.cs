namespace Lessor.Cli.Tests;

/// <summary>`lessor placement optimize | apply | stranding` and `deal check --allow-moves` on two half-taken fabrics.</summary>
public sealed class PlacementCommandTests
{
    private static async Task<string> Imported()
    {
        var db = CliRunner.TempDb();
        var run = await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/valid/split.yaml"), "--db", db);
        Assert.Equal(0, run.ExitCode);
        return db;
    }

    private static readonly string[] Year = ["--from", "2035-01-01", "--until", "2036-01-01"];

    [Fact]
    public async Task Given_a_proposal_When_reviewed_and_applied_Then_one_line_moves_a_whole_fabric_is_free_and_a_second_apply_is_refused()
    {
        var db = await Imported();
        var plan = Path.Combine(Path.GetTempPath(), $"lessor-plan-{Guid.NewGuid():N}.json");

        // Proposing never writes, with or without --dry-run (kept as a no-op for old scripts).
        var proposed = await CliRunner.RunAsync("placement", "optimize", "--as-of", "2034-12-31", "--until", "2036-01-01", "--db", db);
        var dry = await CliRunner.RunAsync("placement", "optimize", "--dry-run", "--as-of", "2034-12-31", "--until", "2036-01-01", "--out", plan, "--db", db);

        Assert.Equal(0, proposed.ExitCode);
        Assert.Contains("proposed only: nothing was changed.", proposed.Out, StringComparison.Ordinal);
        Assert.Equal(0, dry.ExitCode);
        Assert.Contains("2 line(s) not started may move, 0 stay", dry.Out, StringComparison.Ordinal);
        // 512 free GPUs x 8,760 hours in each fabric, none usable by a 1,024-GPU deal; after the move, none stranded.
        // Free: that, plus both whole fabrics (2,048 GPUs) for the window's first day, 2034-12-31.
        Assert.Contains("8,970,240 -> 0 of 9,019,392 free", dry.Out, StringComparison.Ordinal);
        Assert.Contains("1 move(s)", dry.Out, StringComparison.Ordinal);
        Assert.Contains("plan written to", dry.Out, StringComparison.Ordinal);
        var before = await CliRunner.RunAsync(["placement", "stranding", .. Year, "--db", db]);
        Assert.Contains("100.0 %", before.Out, StringComparison.Ordinal);

        var apply = await CliRunner.RunAsync("placement", "apply", plan, "--db", db);
        Assert.Equal(0, apply.ExitCode);
        Assert.Contains("applied: 1 line(s) moved.", apply.Out, StringComparison.Ordinal);
        var after = await CliRunner.RunAsync(["placement", "stranding", .. Year, "--db", db]);
        Assert.Contains("0.0 %", after.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("100.0 %", after.Out, StringComparison.Ordinal);

        var again = await CliRunner.RunAsync("placement", "apply", plan, "--db", db);
        Assert.Equal(3, again.ExitCode);
        Assert.Contains("no longer sits where the plan says", again.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_whole_fabric_deal_When_checked_with_moves_Then_the_move_is_shown_and_signing_with_moves_makes_it_and_the_contract()
    {
        var db = await Imported();
        string[] deal = ["deal", "check", "--customer", "acme", "--platform", "h100-hgx", "--gpus", "1024", "--start", "2035-03-01", "--end", "2035-09-01", "--locality", "fabric", "--db", db];

        var plain = await CliRunner.RunAsync(deal);
        var moved = await CliRunner.RunAsync([.. deal, "--allow-moves", "--as-of", "2034-01-01"]);

        Assert.Equal(3, plain.ExitCode);
        Assert.Equal(0, moved.ExitCode);
        Assert.Contains("with moves: fits if 1 line(s) that have not started move", moved.Out, StringComparison.Ordinal);
        Assert.Equal(3, (await CliRunner.RunAsync(deal)).ExitCode);

        string[] sign = ["deal", "sign", .. deal[2..], "--contract", "c3"];
        var refused = await CliRunner.RunAsync(sign);
        var signed = await CliRunner.RunAsync([.. sign, "--allow-moves"]);

        Assert.Equal(3, refused.ExitCode);
        Assert.Equal(0, signed.ExitCode);
        Assert.Contains("signed c3:", signed.Out, StringComparison.Ordinal);
        Assert.Contains("after moving 1 line(s) that had not started:", signed.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await CliRunner.RunAsync(["placement", "stranding", .. Year, "--db", db])).ExitCode);
    }

    [Fact]
    public async Task Given_bad_arguments_or_a_broken_plan_When_run_Then_the_error_names_the_flag_or_field()
    {
        var db = await Imported();
        var minDeal = await CliRunner.RunAsync("placement", "optimize", "--dry-run", "--min-deal", "0", "--db", db);
        Assert.Equal(2, minDeal.ExitCode);
        Assert.Contains("error: --min-deal: must be at least 1 GPU.", minDeal.Err, StringComparison.Ordinal);

        var window = await CliRunner.RunAsync("placement", "optimize", "--dry-run", "--as-of", "2035-01-01", "--until", "2034-01-01", "--db", db);
        Assert.Contains("error: --until: must be after --as-of.", window.Err, StringComparison.Ordinal);

        var broken = Path.Combine(Path.GetTempPath(), $"lessor-plan-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(broken, """{ "moves": [ { "contract": "c1", "line": "l1", "from": [ { "fabric": "f1", "units": 64 } ], "to": [ { "fabric": "f9", "units": 64 } ] } ] }""");
        var apply = await CliRunner.RunAsync("placement", "apply", broken, "--db", db);
        Assert.Equal(2, apply.ExitCode);
        Assert.Contains("error: moves[0].to[0].fabric: no fabric 'f9'.", apply.Err, StringComparison.Ordinal);
    }
}
