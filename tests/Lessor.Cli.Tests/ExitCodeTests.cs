using System.CommandLine;
using System.Text.Json;

namespace Lessor.Cli.Tests;

/// <summary>
/// The exit-code table (README, `lessor --help`) held over every command: 0 success, 1 unexpected failure, 2 bad input
/// (a flag, a file, a missing store), 3 refused (does not fit, stale plan, conflict, an edit the terms refuse).
/// </summary>
public sealed class ExitCodeTests
{
    private const string Annotated = "scenarios/valid/annotated.yaml";
    private const string Split = "scenarios/valid/split.yaml";

    /// <summary>
    /// One run of one command. In <see cref="Args"/> and <see cref="Setup"/>, {db} is a store imported from
    /// <see cref="Fixture"/>, {tmp} a fresh temp path prefix, {id} the "id" of the last setup run's JSON output.
    /// </summary>
    public sealed record Case(string Command, int Code, string Why, string[] Args, string[][]? Setup = null, string Fixture = Annotated)
    {
        public string Name => $"{Command} -> {Code} ({Why})";
    }

    private static readonly string[] Fits = ["--customer", "meta", "--platform", "NVL144", "--gpus", "72", "--start", "2028-01-01", "--end", "2028-02-01"];
    private static readonly string[] TooBig = ["--customer", "meta", "--platform", "NVL144", "--gpus", "7200", "--start", "2028-01-01", "--end", "2028-02-01"];
    private static readonly string[] Plan = ["--customer", "meta", "--platform", "h100-hgx", "--gpus", "4096", "--start", "2027-06-01", "--end", "2029-06-01"];
    private static readonly string[] Optimize = ["placement", "optimize", "--as-of", "2034-12-31", "--until", "2036-01-01", "--out", "{tmp}plan.json", "--db", "{db}"];

    public static readonly IReadOnlyList<Case> Cases =
    [
        new("scenario validate", 0, "valid", ["scenario", "validate", Fixture(Annotated)]),
        new("scenario validate", 2, "invalid file", ["scenario", "validate", Fixture("scenarios/invalid/negative-gpus.yaml")]),
        new("scenario import", 0, "fresh store", ["scenario", "import", Fixture(Annotated), "--db", "{tmp}.db"]),
        new("scenario import", 2, "invalid file", ["scenario", "import", Fixture("scenarios/invalid/negative-gpus.yaml"), "--db", "{tmp}.db"]),
        new("scenario import", 3, "store not empty", ["scenario", "import", Fixture(Annotated), "--db", "{db}"]),
        new("scenario export", 0, "yaml", ["scenario", "export", "--db", "{db}"]),
        new("scenario export", 2, "unknown format", ["scenario", "export", "--format", "xml", "--db", "{db}"]),
        new("scenario generate", 0, "small", ["scenario", "generate", "--gpus", "1000", "--out", "{tmp}.yaml"]),
        new("scenario generate", 2, "no GPUs", ["scenario", "generate", "--gpus", "0"]),
        new("fleet show", 0, "year ends", ["fleet", "show", "--db", "{db}"]),
        new("fleet nodes", 0, "all", ["fleet", "nodes", "--db", "{db}"]),
        new("fleet nodes", 2, "unknown state", ["fleet", "nodes", "--state", "broken", "--db", "{db}"]),
        new("fleet events", 0, "none yet", ["fleet", "events", "--db", "{db}"]),
        new("fleet spares", 0, "pools", ["fleet", "spares", "--db", "{db}"]),
        new("fleet simulate", 0, "a month", ["fleet", "simulate", "--month", "2027-03", "--seed", "3", "--db", "{db}"]),
        new("fleet simulate", 2, "not a month", ["fleet", "simulate", "--month", "2027-13", "--db", "{db}"]),
        new("sla report", 0, "a month", ["sla", "report", "--month", "2027-03", "--db", "{db}"]),
        new("sla report", 2, "no month", ["sla", "report", "--db", "{db}"]),
        new("sla credits", 0, "a month that is over", ["sla", "credits", "--month", "2027-03", "--at", "2027-04-02", "--db", "{db}"]),
        new("sla credits", 3, "a month not over", ["sla", "credits", "--month", "2099-01", "--db", "{db}"]),
        new("fleet show", 2, "bad date", ["fleet", "show", "--at", "2027-13-01", "--db", "{db}"]),
        new("contracts list", 0, "all", ["contracts", "list", "--db", "{db}"]),
        new("contracts list", 2, "unknown customer", ["contracts", "list", "--customer", "metaa", "--db", "{db}"]),
        new("contracts list", 0, "limited", ["contracts", "list", "--limit", "1", "--db", "{db}"]),
        new("contracts list", 2, "negative limit", ["contracts", "list", "--limit", "-1", "--db", "{db}"]),
        new("contracts show", 0, "known", ["contracts", "show", "meta-1", "--db", "{db}"]),
        new("contracts show", 2, "unknown id", ["contracts", "show", "nope", "--db", "{db}"]),
        new("deal check", 0, "fits", ["deal", "check", .. Fits, "--db", "{db}"]),
        new("deal check", 2, "not whole racks", ["deal", "check", "--customer", "meta", "--platform", "NVL144", "--gpus", "100", "--start", "2028-01-01", "--end", "2028-02-01", "--db", "{db}"]),
        new("deal check", 3, "does not fit", ["deal", "check", .. TooBig, "--db", "{db}"]),
        new("deal earliest", 0, "fits", ["deal", "earliest", .. Fits, "--db", "{db}"]),
        new("deal earliest", 3, "never fits before the horizon", ["deal", "earliest", .. TooBig, "--horizon", "2028-06-01", "--db", "{db}"]),
        new("deal largest", 0, "no --gpus needed", ["deal", "largest", "--customer", "meta", "--platform", "NVL144", "--start", "2028-01-01", "--end", "2028-02-01", "--db", "{db}"]),
        new("deal largest", 2, "unknown platform", ["deal", "largest", "--customer", "meta", "--platform", "NVL14", "--start", "2028-01-01", "--end", "2028-02-01", "--db", "{db}"]),
        new("deal largest", 3, "0 GPUs fit", ["deal", "largest", "--customer", "meta", "--platform", "NVL144", "--start", "2026-01-01", "--end", "2026-02-01", "--db", "{db}"]),
        new("deal sign", 0, "fits", ["deal", "sign", .. Fits, "--signed-on", "2026-11-01", "--db", "{db}"]),
        new("deal sign", 2, "unknown customer", ["deal", "sign", "--customer", "metaa", .. Fits[2..], "--db", "{db}"]),
        new("deal sign", 3, "does not fit", ["deal", "sign", .. TooBig, "--signed-on", "2026-11-01", "--db", "{db}"]),
        new("deal amend", 0, "shrink", ["deal", "amend", "--contract", "meta-2", "--line", "rubin-inference", "--effective", "2028-01-01", "--gpus", "1152", "--db", "{db}"]),
        new("deal amend", 2, "unknown contract", ["deal", "amend", "--contract", "meta-3", "--line", "rubin-inference", "--effective", "2028-01-01", "--gpus", "1152", "--db", "{db}"]),
        new("deal amend", 3, "same size", ["deal", "amend", "--contract", "meta-2", "--line", "rubin-inference", "--effective", "2028-01-01", "--gpus", "1728", "--db", "{db}"]),
        new("risk run", 0, "on plan (no uncertainty model)", ["risk", "run", "--trials", "20", "--from", "2027-01-01", "--until", "2028-01-01", "--db", "{db}"]),
        new("risk run", 2, "bad shard", ["risk", "run", "--trials", "20", "--shard", "0/2", "--from", "2027-01-01", "--until", "2028-01-01", "--db", "{db}"]),
        new("risk compare", 0, "spares policy", ["risk", "compare", "--policy", Sample("policies/spares-2pct.yaml"), "--trials", "20", "--from", "2027-01-01", "--until", "2028-01-01", "--db", "{db}"]),
        new("risk compare", 2, "no such policy file", ["risk", "compare", "--policy", "{tmp}none.yaml", "--trials", "20", "--from", "2027-01-01", "--until", "2028-01-01", "--db", "{db}"]),
        new("risk merge", 0, "one shard", ["risk", "merge", "{tmp}a.json"], [["risk", "run", "--trials", "20", "--shard", "1/1", "--out", "{tmp}a.json", "--from", "2027-01-01", "--until", "2028-01-01", "--db", "{db}"]]),
        new("risk merge", 2, "not a run file", ["risk", "merge", Fixture(Annotated)]),
        new("deal cancel", 0, "from a date", ["deal", "cancel", "--contract", "meta-2", "--effective", "2028-01-01", "--db", "{db}"]),
        new("deal cancel", 2, "unknown contract", ["deal", "cancel", "--contract", "meta-3", "--effective", "2028-01-01", "--db", "{db}"]),
        new("deal cancel", 3, "before signing", ["deal", "cancel", "--contract", "meta-2", "--effective", "2026-01-01", "--db", "{db}"]),
        new("deal at-risk", 0, "list", ["deal", "at-risk", "--db", "{db}"]),
        new("deal plan", 0, "a plan", ["deal", "plan", .. Plan, "--today", "2026-01-01", "--db", "{db}"]),
        new("deal plan", 2, "not whole nodes", ["deal", "plan", "--customer", "meta", "--platform", "h100-hgx", "--gpus", "4097", "--start", "2027-06-01", "--end", "2029-06-01", "--db", "{db}"]),
        new("deal plan", 3, "no time to order", ["deal", "plan", .. Plan, "--today", "2027-03-01", "--db", "{db}"]),
        new("report kpis", 0, "as of", ["report", "kpis", "--as-of", "2025-12-31", "--db", "{db}"]),
        new("report kpis", 2, "bad date", ["report", "kpis", "--as-of", "31/12/2025", "--db", "{db}"]),
        new("report revenue", 0, "a quarter", ["report", "revenue", "--from", "2026-01", "--to", "2026-03", "--db", "{db}"]),
        new("report revenue", 2, "reversed", ["report", "revenue", "--from", "2026-03", "--to", "2026-01", "--db", "{db}"]),
        new("report chart", 0, "png", ["report", "chart", "backlog", "--out", "{tmp}.png", "--from", "2026-01", "--to", "2026-12", "--db", "{db}"]),
        new("report chart", 2, "gif", ["report", "chart", "backlog", "--out", "{tmp}.gif", "--db", "{db}"]),
        new("invoice run", 0, "closed month", ["invoice", "run", "--month", "2026-10", "--db", "{db}"]),
        new("invoice run", 2, "not a month", ["invoice", "run", "--month", "2026-13", "--db", "{db}"]),
        new("invoice run", 3, "month not closed", ["invoice", "run", "--month", "2099-01", "--db", "{db}"]),
        new("invoice credit", 0, "open month", ["invoice", "credit", "--id", "c1", "--customer", "meta", "--month", "2026-11", "--amount", "10", "--reason", "SLA", "--db", "{db}"]),
        new("invoice credit", 2, "no amount", ["invoice", "credit", "--id", "c1", "--customer", "meta", "--month", "2026-11", "--amount", "0", "--reason", "SLA", "--db", "{db}"]),
        new("invoice credit", 3, "month issued", ["invoice", "credit", "--id", "c1", "--customer", "meta", "--month", "2026-09", "--amount", "10", "--reason", "SLA", "--db", "{db}"],
            Setup: [["invoice", "run", "--month", "2026-09", "--db", "{db}"]]),
        new("delivery list", 0, "all", ["delivery", "list", "--db", "{db}"]),
        new("delivery list", 2, "unknown site", ["delivery", "list", "--site", "iad-3", "--db", "{db}"]),
        new("delivery risk", 0, "a slip", ["delivery", "risk", "--id", "d-dfw1-gb300-1", "--to", "2027-06-01", "--db", "{db}"]),
        new("delivery risk", 2, "unknown delivery", ["delivery", "risk", "--id", "d-dfw1-gb300-2", "--to", "2027-06-01", "--db", "{db}"]),
        new("delivery risk", 3, "already due then", ["delivery", "risk", "--id", "d-dfw1-gb300-1", "--to", "2027-02-01", "--db", "{db}"]),
        new("delivery slip", 0, "a slip", ["delivery", "slip", "--id", "d-dfw1-gb300-1", "--to", "2027-06-01", "--db", "{db}"]),
        new("delivery slip", 2, "unknown delivery", ["delivery", "slip", "--id", "nope", "--to", "2027-06-01", "--db", "{db}"]),
        new("delivery slip", 3, "already due then", ["delivery", "slip", "--id", "d-dfw1-gb300-1", "--to", "2027-02-01", "--db", "{db}"]),
        new("keys create", 0, "admin", ["keys", "create", "--role", "admin", "--db", "{db}"]),
        new("keys create", 2, "tenant without customer", ["keys", "create", "--role", "tenant", "--db", "{db}"]),
        new("keys list", 0, "list", ["keys", "list", "--db", "{db}"]),
        new("keys revoke", 0, "a key", ["keys", "revoke", "{id}", "--db", "{db}"], Setup: [["keys", "create", "--role", "admin", "--json", "--db", "{db}"]]),
        new("keys revoke", 2, "unknown key", ["keys", "revoke", "nope", "--db", "{db}"]),
        new("claims create", 0, "free nodes", ["claims", "create", "--platform", "h100-hgx", "--nodes", "2", "--customer", "meta", "--at", "2026-12-01", "--db", "{db}"]),
        new("claims create", 2, "unknown customer", ["claims", "create", "--platform", "h100-hgx", "--nodes", "2", "--customer", "nobody", "--at", "2026-12-01", "--db", "{db}"]),
        new("claims create", 3, "no domain that large", ["claims", "create", "--platform", "gb300-nvl72", "--nodes", "4", "--scope", "domain", "--customer", "meta", "--at", "2026-12-01", "--db", "{db}"]),
        new("claims release", 0, "a claim", ["claims", "release", "{id}", "--db", "{db}"],
            Setup: [["claims", "create", "--platform", "h100-hgx", "--nodes", "2", "--customer", "meta", "--at", "2026-12-01", "--json", "--db", "{db}"]]),
        new("claims release", 2, "unknown claim", ["claims", "release", "cl-none", "--db", "{db}"]),
        new("claims list", 0, "list", ["claims", "list", "--db", "{db}"]),
        new("placement optimize", 0, "proposes", [.. Optimize], Fixture: Split),
        new("placement optimize", 2, "no deal size", ["placement", "optimize", "--min-deal", "0", "--db", "{db}"]),
        new("placement apply", 0, "reviewed plan", ["placement", "apply", "{tmp}plan.json", "--db", "{db}"], Setup: [Optimize], Fixture: Split),
        new("placement apply", 2, "no plan file", ["placement", "apply", "{tmp}plan.json", "--db", "{db}"]),
        new("placement apply", 3, "stale plan", ["placement", "apply", "{tmp}plan.json", "--db", "{db}"],
            Setup: [Optimize, ["placement", "apply", "{tmp}plan.json", "--db", "{db}"]], Fixture: Split),
        new("placement stranding", 0, "five years", ["placement", "stranding", "--db", "{db}"]),
        new("placement stranding", 2, "reversed window", ["placement", "stranding", "--from", "2030-01-01", "--until", "2029-01-01", "--db", "{db}"]),
        new("serve", 2, "not a port", ["serve", "--port", "70000", "--db", "{db}"]),
        new("serve", 2, "not an address", ["serve", "--host", "app-1.internal", "--db", "{db}"]),
        new("serve", 2, "poll too fast", ["serve", "--poll-ms", "5", "--db", "{db}"]),
        new("serve", 2, "negative stale bound", ["serve", "--read-stale-s", "-1", "--db", "{db}"]),
        new("serve", 2, "min-revision wait too long", ["serve", "--min-revision-wait-ms", "600000", "--db", "{db}"]),
        new("agent", 2, "no transport", ["agent", "--simulate", "--nodes", "5", "--json"]),
    ];

    public static TheoryData<string> CaseNames() => [.. Cases.Select(c => c.Name)];

    /// <summary>Every leaf command, as typed ("deal check").</summary>
    public static IReadOnlyList<(string Path, Command Command)> Leaves()
    {
        var all = new List<(string, Command)>();
        void Walk(Command c, string path)
        {
            if (c.Subcommands.Count == 0) all.Add((path, c));
            foreach (var sub in c.Subcommands) Walk(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}");
        }
        Walk(LessorCli.Build(new CliIo(TextWriter.Null, TextWriter.Null, interactive: false)), "");
        return all;
    }

    public static TheoryData<string> LeafNames() => [.. Leaves().Select(l => l.Path)];

    private static string Fixture(string relative) => CliRunner.Fixture(relative);

    /// <summary>A file under the repository's samples/ folder.</summary>
    private static string Sample(string relative)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Lessor.slnx"))) return Path.Combine(d.FullName, "samples", relative);
        throw new InvalidOperationException("no repository root above the test binaries");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Given_each_command_When_run_as_the_table_says_Then_it_exits_with_the_tables_code(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var db = CliRunner.TempDb();
        Assert.Equal(0, (await CliRunner.RunAsync("scenario", "import", Fixture(c.Fixture), "--db", db)).ExitCode);
        var tmp = Path.Combine(Path.GetTempPath(), $"lessor-exit-{Guid.NewGuid():N}");
        string? id = null;
        string[] Fill(string[] args) => [.. args.Select(a => a.Replace("{db}", db, StringComparison.Ordinal).Replace("{tmp}", tmp, StringComparison.Ordinal)
            .Replace("{id}", id ?? "{id}", StringComparison.Ordinal))];
        foreach (var step in c.Setup ?? [])
        {
            var setup = await CliRunner.RunAsync(Fill(step));
            Assert.True(setup.ExitCode == 0, $"setup {string.Join(' ', step)}: {setup.Err}");
            if (step.Contains("--json")) id = JsonDocument.Parse(setup.Out).RootElement.GetProperty("id").GetString();
        }

        var run = await CliRunner.RunAsync(Fill(c.Args));

        Assert.True(run.ExitCode == c.Code, $"{name}: exit {run.ExitCode}{Environment.NewLine}{run.Out}{run.Err}");
        // Bad input says why on stderr; a refusal says why (a "does not fit" is the answer, on stdout); success has no error.
        if (c.Code == 2) Assert.False(string.IsNullOrWhiteSpace(run.Err), $"{name}: nothing on stderr");
        else if (c.Code == 3) Assert.False(string.IsNullOrWhiteSpace(run.Out + run.Err), $"{name}: said nothing");
        else Assert.DoesNotContain("error:", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_the_command_tree_When_compared_with_the_table_Then_every_command_has_a_success_case_and_every_case_a_command()
    {
        var leaves = Leaves().Select(l => l.Path).ToHashSet(StringComparer.Ordinal);
        // serve runs until stopped: its success is ServeConsoleTests'; agent needs a NATS server: its success is AgentCommandTests'.
        var succeeding = Cases.Where(c => c.Code == 0).Select(c => c.Command).Append("serve").Append("agent").ToHashSet(StringComparer.Ordinal);
        Assert.Empty(leaves.Except(succeeding));
        Assert.DoesNotContain(Cases, c => !leaves.Contains(c.Command));
    }

    [Theory]
    [MemberData(nameof(LeafNames))]
    public async Task Given_any_command_When_given_an_option_it_does_not_have_Then_exit_2_with_one_error_line(string path)
    {
        // Arguments first ("x" each), or the parser would take the flag for the argument's value.
        var arguments = Leaves().Single(l => l.Path == path).Command.Arguments.Select(_ => "x");
        var run = await CliRunner.RunAsync([.. path.Split(' '), .. arguments, "--no-such-flag"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Out);
        Assert.Contains($"error: '--no-such-flag' is not a command or option of `lessor {path}`", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Usage:", run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(LeafNames))]
    public void Given_any_command_but_serve_When_its_options_are_listed_Then_it_takes_json(string path)
    {
        var command = Leaves().Single(l => l.Path == path).Command;
        // serve answers no question: it runs the server, whose API speaks JSON.
        if (path == "serve") Assert.DoesNotContain(command.Options, o => o.Name == "--json");
        else Assert.Contains(command.Options, o => o.Name == "--json");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Given_a_mistyped_db_When_any_command_but_import_and_serve_runs_Then_exit_2_naming_the_path_and_the_fix_and_nothing_is_created(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        if (c.Code != 0 || !c.Args.Contains("{db}") || c.Command is "scenario import" or "serve") return;
        var folder = Path.Combine(Path.GetTempPath(), $"lessor-typo-{Guid.NewGuid():N}");
        var typo = Path.Combine(folder, "typo.db");
        var tmp = Path.Combine(Path.GetTempPath(), $"lessor-exit-{Guid.NewGuid():N}");

        var run = await CliRunner.RunAsync([.. c.Args.Select(a => a.Replace("{db}", typo, StringComparison.Ordinal).Replace("{tmp}", tmp, StringComparison.Ordinal).Replace("{id}", "x", StringComparison.Ordinal))]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            $"error: --db: no store at {typo}; create one with `lessor scenario import FILE --db {typo}` or `lessor serve --db {typo}`." + Environment.NewLine,
            run.Err);
        Assert.Empty(run.Out);
        Assert.False(Directory.Exists(folder), "the store's folder was created");
    }

    [Fact]
    public async Task Given_no_db_flag_and_a_missing_store_in_LESSOR_DB_When_listing_Then_the_error_says_where_the_path_came_from()
    {
        // Environment variables are process-wide: this test alone sets one, and restores it.
        var typo = Path.Combine(Path.GetTempPath(), $"lessor-typo-{Guid.NewGuid():N}.db");
        var before = Environment.GetEnvironmentVariable("LESSOR_DB");
        Environment.SetEnvironmentVariable("LESSOR_DB", typo);
        try
        {
            var run = await CliRunner.RunAsync("contracts", "list");
            Assert.Equal(2, run.ExitCode);
            Assert.StartsWith($"error: --db (from $LESSOR_DB): no store at {typo};", run.Err, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("LESSOR_DB", before);
        }
    }

    [Fact]
    public async Task Given_the_root_help_When_printed_Then_it_ends_with_the_exit_code_table_and_a_subcommands_help_does_not()
    {
        var root = await CliRunner.RunAsync("--help");
        var sub = await CliRunner.RunAsync("deal", "check", "--help");

        Assert.Equal(0, root.ExitCode);
        Assert.Contains(ExitCodes.Table, root.Out, StringComparison.Ordinal);
        Assert.Equal(0, sub.ExitCode);
        Assert.DoesNotContain("Exit codes:", sub.Out, StringComparison.Ordinal);
    }
}
