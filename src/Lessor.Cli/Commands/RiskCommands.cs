using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lessor.Core.Model;
using Lessor.Core.Risk;
using Lessor.Server.Desk;
using Lessor.Server.Json;
using Lessor.Storage.Scenarios;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor risk run | compare | merge`: Monte Carlo ranges of revenue, MW and SLA credits from the book's uncertainty model.</summary>
internal static class RiskCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Build(CliIo io)
    {
        var command = new Command("risk", "Monte Carlo of late deliveries, late power and failures: revenue and SLA ranges");
        command.Subcommands.Add(Run(io));
        command.Subcommands.Add(Compare(io));
        command.Subcommands.Add(Merge(io));
        return command;
    }

    private sealed record Window(Option<int> Trials, Option<ulong> Seed, Option<DateTime?> From, Option<DateTime?> Until, Option<int> Threads);

    private static Window WindowOptions()
    {
        var trials = new Option<int>("--trials") { Description = "Trials in the whole run (all shards together)", DefaultValueFactory = _ => 1000 };
        trials.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 100_000_000) r.AddError("--trials: give 1 to 100,000,000 trials."); });
        var seed = new Option<ulong>("--seed") { Description = "Run seed: the same seed gives the same trials on any machine and thread count", DefaultValueFactory = _ => 1 };
        var from = CommonOptions.Date("--from", "First day of the window (default: the start of the current quarter, UTC)");
        var until = CommonOptions.Date("--until", "End of the window, exclusive");
        until.Required = true;
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: all cores); results do not depend on it", DefaultValueFactory = _ => Environment.ProcessorCount };
        threads.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 1024) r.AddError("--threads: give 1 to 1024."); });
        return new Window(trials, seed, from, until, threads);
    }

    private static DateTime FromOrQuarter(ParseResult r, Window w)
    {
        if (r.GetValue(w.From) is { } f) return f;
        var now = DateTime.UtcNow;
        return new DateTime(now.Year, (now.Month - 1) / 3 * 3 + 1, 1, 0, 0, 0, DateTimeKind.Utc);
    }

    private static async Task<Scenario?> BookAsync(CliIo io, ParseResult r, Option<string?> db, CancellationToken ct)
    {
        await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
        if (store is null) return null;
        var desk = await DealDesk.OpenAsync(store, ct);
        return desk.Scenario;
    }

    private static UncertaintyPolicy? ReadPolicy(CliIo io, string option, string? path, Scenario book, out bool failed)
    {
        failed = false;
        if (path is null) return null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            io.Err.WriteLine($"error: {option}: cannot read {path}: {ex.Message}");
            failed = true;
            return null;
        }
        var (policy, errors) = ScenarioFile.ParsePolicy(text, book, path);
        foreach (var e in errors) io.Err.WriteLine($"error: {option}: {path}:{e.Line}:{e.Column}: {e.Path}: {e.Message}");
        failed = policy is null;
        return policy;
    }

    private static Command Run(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var w = WindowOptions();
        var policy = new Option<string?>("--policy") { Description = "A policy file (YAML): the uncertainty sections it replaces, e.g. spares: { fraction: 0.05 }" };
        var shard = new Option<string?>("--shard") { Description = "i/n: run the i-th of n equal parts of the trials (1-based); merge the --out files with `lessor risk merge`" };
        var output = new Option<string?>("--out") { Description = "Write the trials to this file (JSON) for `lessor risk merge`" };
        var csv = new Option<string?>("--csv") { Description = "Write the per-quarter fan (P10/P50/P90 of every figure) as CSV to this file" };
        var tornado = new Option<int>("--tornado") { Description = "Bars of the sensitivity ranking to show (0: skip computing it)", DefaultValueFactory = _ => 5 };
        var cmd = new Command("run", "Run trials and show P10/P50/P90 per quarter, next year's revenue range, lines likely short, credits and the tornado")
            { db, json, w.Trials, w.Seed, w.From, w.Until, w.Threads, policy, shard, output, csv, tornado };
        cmd.SetAction(async (r, ct) =>
        {
            var from = FromOrQuarter(r, w);
            var until = r.GetValue(w.Until)!.Value;
            if (until <= from)
            {
                io.Err.WriteLine($"error: --until: {Format.Date(until)} is not after --from {Format.Date(from)}.");
                return ExitCodes.BadInput;
            }
            var trials = r.GetValue(w.Trials);
            var (first, count) = (0, trials);
            if (r.GetValue(shard) is { } sh)
            {
                var parts = sh.Split('/');
                if (parts.Length != 2 || !int.TryParse(parts[0], Inv, out var i) || !int.TryParse(parts[1], Inv, out var n) || n < 1 || i < 1 || i > n)
                {
                    io.Err.WriteLine($"error: --shard: '{sh}' is not i/n with 1 <= i <= n (e.g. 2/4).");
                    return ExitCodes.BadInput;
                }
                first = (int)((long)trials * (i - 1) / n);
                count = (int)((long)trials * i / n) - first;
            }
            var book = await BookAsync(io, r, db, ct);
            if (book is null) return ExitCodes.BadInput;
            if (book.Uncertainty is null && r.GetValue(policy) is null)
                io.Err.WriteLine("note: the book has no uncertainty model (`uncertainty:` in the scenario file), so every trial follows the plan.");
            var p = ReadPolicy(io, "--policy", r.GetValue(policy), book, out var failed);
            if (failed) return ExitCodes.BadInput;
            var options = new RiskOptions { From = from, Until = until, Trials = trials, Seed = r.GetValue(w.Seed), FirstTrial = first, Count = count, Threads = r.GetValue(w.Threads), Policy = p };
            var run = RiskEngine.Run(book, options);
            if (r.GetValue(output) is { } outPath) await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(run, LessorJson.Options), ct);
            var bars = r.GetValue(tornado) > 0 && r.GetValue(shard) is null ? RiskEngine.Tornado(book, from, until, p) : [];
            return Show(io, r, json, csv, run, bars.Take(Math.Max(0, r.GetValue(tornado))).ToList());
        });
        return cmd;
    }

    private static Command Compare(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var w = WindowOptions();
        var policy = new Option<string>("--policy") { Description = "Policy B (YAML file)", Required = true };
        var against = new Option<string?>("--against") { Description = "Policy A (YAML file; default: the book's own uncertainty model)" };
        var cmd = new Command("compare", "Two policies on the same draws (common random numbers): the difference in next year's revenue and in credits, with 95% confidence intervals")
            { db, json, w.Trials, w.Seed, w.From, w.Until, w.Threads, policy, against };
        cmd.SetAction(async (r, ct) =>
        {
            var from = FromOrQuarter(r, w);
            var until = r.GetValue(w.Until)!.Value;
            if (until <= from)
            {
                io.Err.WriteLine($"error: --until: {Format.Date(until)} is not after --from {Format.Date(from)}.");
                return ExitCodes.BadInput;
            }
            var book = await BookAsync(io, r, db, ct);
            if (book is null) return ExitCodes.BadInput;
            var b = ReadPolicy(io, "--policy", r.GetValue(policy), book, out var failedB);
            var a = ReadPolicy(io, "--against", r.GetValue(against), book, out var failedA);
            if (failedA || failedB) return ExitCodes.BadInput;
            var options = new RiskOptions { From = from, Until = until, Trials = r.GetValue(w.Trials), Seed = r.GetValue(w.Seed), Threads = r.GetValue(w.Threads) };
            var runA = RiskEngine.Run(book, options with { Policy = a });
            var runB = RiskEngine.Run(book, options with { Policy = b });
            var comparison = PolicyComparison.Of(runA, runB, NextYearQuarters(runA));
            if (r.GetValue(json))
            {
                io.WriteJson(comparison);
                return ExitCodes.Ok;
            }
            var t = new Table().Title($"{Markup.Escape(comparison.B)} - {Markup.Escape(comparison.A)}, {comparison.Trials:N0} trials on the same draws (seed {runA.Seed})");
            t.AddColumn("figure");
            t.AddColumn(new TableColumn("mean difference").RightAligned());
            t.AddColumn(new TableColumn("95% CI").RightAligned());
            t.AddRow("revenue, next 12 months", Format.Exact(comparison.RevenueDifference), Ci(comparison.RevenueDifference, comparison.RevenueHalfWidth));
            t.AddRow("SLA credits, whole window", Format.Exact(comparison.CreditDifference), Ci(comparison.CreditDifference, comparison.CreditHalfWidth));
            io.Console.Write(t);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static string Ci(Money mean, Money half) => $"{Format.Compact(mean - half)} .. {Format.Compact(mean + half)}";

    private static Command Merge(CliIo io)
    {
        var json = CommonOptions.Json();
        var files = new Argument<string[]>("files") { Description = "--out files of the shards of one run", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--out") { Description = "Write the merged trials to this file" };
        var csv = new Option<string?>("--csv") { Description = "Write the per-quarter fan as CSV to this file" };
        var cmd = new Command("merge", "Merge shard results (`risk run --shard i/n --out FILE`) into the run they are parts of; exact") { files, json, output, csv };
        cmd.SetAction(async (r, ct) =>
        {
            var shards = new List<RiskRun>();
            // The files argument takes any number of words, so a mistyped flag arrives as a "file": name it as the parser would.
            if (r.GetValue(files)!.FirstOrDefault(f => f.StartsWith("--", StringComparison.Ordinal)) is { } flag)
            {
                io.Err.WriteLine($"error: '{flag}' is not a command or option of `lessor risk merge`.");
                return ExitCodes.BadInput;
            }
            foreach (var f in r.GetValue(files)!)
            {
                try
                {
                    shards.Add(JsonSerializer.Deserialize<RiskRun>(await File.ReadAllTextAsync(f, ct), LessorJson.Options)
                        ?? throw new JsonException("empty"));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
                {
                    io.Err.WriteLine($"error: {f}: not a risk run file ({ex.Message}).");
                    return ExitCodes.BadInput;
                }
            }
            RiskRun merged;
            try
            {
                merged = RiskRun.Merge(shards);
            }
            catch (ArgumentException ex)
            {
                io.Err.WriteLine($"error: files: {ex.Message.Split(" (Parameter")[0]}");
                return ExitCodes.BadInput;
            }
            if (merged.Rows.Count != merged.Trials)
                io.Err.WriteLine($"note: {merged.Rows.Count:N0} of the run's {merged.Trials:N0} trials are here; a shard is missing.");
            if (r.GetValue(output) is { } outPath) await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(merged, LessorJson.Options), ct);
            return Show(io, r, json, csv, merged, []);
        });
        return cmd;
    }

    internal static int NextYearQuarters(RiskRun run)
    {
        var end = run.From.AddMonths(12);
        var n = 0;
        foreach (var q in run.Quarters)
        {
            var year = int.Parse(q[..4], Inv);
            var month = (q[^1] - '1') * 3 + 1;
            if (new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Utc) < end) n++;
        }
        return n;
    }

    private static int Show(CliIo io, ParseResult r, Option<bool> json, Option<string?> csv, RiskRun run, IReadOnlyList<TornadoBar> bars)
    {
        var summary = RiskSummary.Of(run, NextYearQuarters(run));
        if (r.GetValue(csv) is { } csvPath) File.WriteAllText(csvPath, Csv(summary));
        if (r.GetValue(json))
        {
            io.WriteJson(new { summary, tornado = bars });
            return ExitCodes.Ok;
        }
        var cur = summary.Currency;
        var t = new Table().Title($"risk: {summary.Trials:N0} trials, seed {summary.Seed}, policy {Markup.Escape(summary.Policy)}, {Format.Date(run.From)} .. {Format.Date(run.Until)}");
        foreach (var h in new[] { "quarter", "revenue P10", "P50", "P90", "credits (mean)", "MW energized P50", "MW in service P50", "lines short P50" })
            t.AddColumn(h == "quarter" ? new TableColumn(h) : new TableColumn(h).RightAligned());
        for (var q = 0; q < summary.Revenue.Count; q++)
        {
            var rev = summary.Revenue[q];
            t.AddRow(rev.Quarter, Format.Compact(new Money(rev.P10, cur)), Format.Compact(new Money(rev.P50, cur)), Format.Compact(new Money(rev.P90, cur)),
                Format.Compact(new Money(summary.Credits[q].Mean, cur)), Format.Mw(summary.MwEnergized[q].P50), Format.Mw(summary.MwInService[q].P50),
                summary.ShortStarts[q].P50.ToString("0", Inv));
        }
        io.Console.Write(t);
        var ny = summary.NextYearRevenue;
        io.Console.WriteLine($"revenue, next 12 months: P10 {Format.Compact(new Money(ny.P10, cur))}, P50 {Format.Compact(new Money(ny.P50, cur))}, P90 {Format.Compact(new Money(ny.P90, cur))} (mean {Format.Compact(new Money(ny.Mean, cur))})");
        if (bars.Count > 0)
        {
            var tt = new Table().Title("tornado: next 12 months' revenue, one at a time at P10 / P90 delay");
            tt.AddColumn("rank");
            tt.AddColumn("kind");
            tt.AddColumn("id");
            tt.AddColumn(new TableColumn("at P10 delay").RightAligned());
            tt.AddColumn(new TableColumn("at P90 delay").RightAligned());
            tt.AddColumn(new TableColumn("swing").RightAligned());
            for (var i = 0; i < bars.Count; i++)
                tt.AddRow((i + 1).ToString(Inv), bars[i].Kind, Markup.Escape(bars[i].Id), Format.Compact(bars[i].AtP10), Format.Compact(bars[i].AtP90), Format.Compact(bars[i].Swing));
            io.Console.Write(tt);
        }
        if (summary.Lines.Count > 0)
        {
            var lt = new Table().Title("lines most likely to start short");
            lt.AddColumn("line");
            lt.AddColumn(new TableColumn("probability").RightAligned());
            foreach (var l in summary.Lines.Take(5)) lt.AddRow(Markup.Escape(l.Line), l.Probability.ToString("P1", Inv));
            io.Console.Write(lt);
        }
        var credited = summary.Contracts.Where(c => c.ExpectedCredits.Amount > 0).Take(5).ToList();
        if (credited.Count > 0)
        {
            var ct2 = new Table().Title("expected SLA credits (top 5 contracts)");
            ct2.AddColumn("contract");
            ct2.AddColumn(new TableColumn("expected credits").RightAligned());
            ct2.AddColumn(new TableColumn("months meeting SLA").RightAligned());
            foreach (var c in credited) ct2.AddRow(Markup.Escape(c.Contract), Format.Exact(c.ExpectedCredits), c.Attainment.ToString("P2", Inv));
            io.Console.Write(ct2);
        }
        return ExitCodes.Ok;
    }

    /// <summary>One row per quarter and figure: P10, P50, P90, mean (money in the book's currency, MW, lines).</summary>
    internal static string Csv(RiskSummary s)
    {
        var sb = new StringBuilder("figure,quarter,p10,p50,p90,mean,unit\n");
        void Rows(string name, IReadOnlyList<Fan> fans, string unit)
        {
            foreach (var f in fans) sb.Append(Inv, $"{name},{f.Quarter},{f.P10},{f.P50},{f.P90},{f.Mean},{unit}\n");
        }
        Rows("revenue", s.Revenue, s.Currency.Code);
        Rows("rpo_converted", s.RpoConverted, s.Currency.Code);
        Rows("sla_credits", s.Credits, s.Currency.Code);
        Rows("mw_energized", s.MwEnergized, "MW");
        Rows("mw_in_service", s.MwInService, "MW");
        Rows("lines_short_at_start", s.ShortStarts, "lines");
        return sb.ToString();
    }
}
