using System.CommandLine;
using System.Text.Json;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Api;
using Lessor.Server.Desk;
using Lessor.Server.Json;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor placement optimize | apply | stranding`: re-place lines that have not started, after review.</summary>
internal static class PlacementCommands
{
    public static Command Build(CliIo io)
    {
        var command = new Command("placement", "Placement: stranded capacity, and re-placement of lines that have not started");
        command.Subcommands.Add(Optimize(io));
        command.Subcommands.Add(Apply(io));
        command.Subcommands.Add(Stranding(io));
        return command;
    }

    private static Command Optimize(CliIo io)
    {
        // optimize only proposes; --dry-run was needed when it applied too, and stays accepted so old scripts run.
        var dryRun = new Option<bool>("--dry-run") { Description = "Accepted for compatibility and ignored: optimize never changes the book" };
        var asOf = CommonOptions.Date("--as-of", "Lines starting after this instant may move (default: now)");
        var until = CommonOptions.Date("--until", "Measure stranding up to this instant (default: five years after --as-of)");
        var minDeal = new Option<int?>("--min-deal") { Description = "Stranded = free capacity no deal of this many GPUs or more can use (default 1,024)" };
        var maxMoves = MaxMoves();
        var output = new Option<FileInfo?>("--out") { Description = "Write the plan (JSON) here, to review and then `lessor placement apply`" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("optimize", "Propose moves of lines that have not started that free stranded capacity (nothing is written; `placement apply` applies a plan)")
        {
            dryRun, asOf, until, minDeal, maxMoves, output, db, json,
        };
        cmd.SetAction(async (r, ct) =>
        {
            var at = PlacementApi.Minute(r.GetValue(asOf) ?? DateTime.UtcNow);
            var end = PlacementApi.Minute(r.GetValue(until) ?? at.AddYears(5));
            if (end <= at)
            {
                io.Err.WriteLine("error: --until: must be after --as-of.");
                return ExitCodes.BadInput;
            }
            if (r.GetValue(minDeal) is < 1)
            {
                io.Err.WriteLine("error: --min-deal: must be at least 1 GPU.");
                return ExitCodes.BadInput;
            }
            if (!ValidBudget(io, r.GetValue(maxMoves))) return ExitCodes.BadInput;
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var desk = await DealDesk.OpenAsync(store, ct);
            var plan = desk.ProposeReplacement(at, new Period(at, end), r.GetValue(minDeal) ?? 1_024, PlacementApi.Budget(r.GetValue(maxMoves)));
            var body = PlacementPlanBody.Of(plan);
            if (r.GetValue(output) is { } file) await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(body, LessorJson.Options), ct);
            if (r.GetValue(json)) io.WriteJson(new { plan = body });
            else
            {
                RenderPlan(io, plan);
                if (r.GetValue(output) is { } written) io.Out.WriteLine($"plan written to {written.FullName}: review it, then `lessor placement apply {written.Name}`.");
                else if (plan.Moves.Count > 0) io.Out.WriteLine("proposed only: nothing was changed. Write the plan with --out FILE, then `lessor placement apply FILE`.");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Apply(CliIo io)
    {
        var file = new Argument<FileInfo>("plan") { Description = "A plan written by `lessor placement optimize --out`" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("apply", "Apply a reviewed plan: all moves or none; refused if the book changed or a line has started since") { file, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var path = r.GetValue(file)!;
            PlacementPlanBody? body;
            try
            {
                body = JsonSerializer.Deserialize<PlacementPlanBody>(await File.ReadAllTextAsync(path.FullName, ct), LessorJson.Options);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                io.Err.WriteLine($"error: plan: {path.Name}: {e.Message}");
                return ExitCodes.BadInput;
            }
            var desk = await DealDesk.OpenAsync(store, ct);
            var (moves, errors) = PlacementInput.Build(desk.Scenario, body);
            if (moves is null)
            {
                foreach (var (field, messages) in errors) io.Err.WriteLine($"error: {field}: {string.Join(' ', messages)}");
                return ExitCodes.BadInput;
            }
            // Lines are judged started now, not at the plan's instant: a line that started since the review stays put.
            var outcome = await desk.ApplyMovesAsync(moves, DateTime.UtcNow, ct);
            if (r.GetValue(json)) io.WriteJson(new { applied = outcome.Applied, moves = outcome.Moves.Select(PlacementInput.Body).ToList(), error = outcome.Error });
            else if (outcome.Applied) io.Out.WriteLine($"applied: {outcome.Moves.Count} line(s) moved.");
            else io.Err.WriteLine($"error: not applied: {outcome.Error}");
            // A stale plan (the book moved, a line started) is refused, not bad input: make a new plan.
            return outcome.Applied ? ExitCodes.Ok : ExitCodes.Refused;
        });
        return cmd;
    }

    private static Command Stranding(CliIo io)
    {
        var from = CommonOptions.Date("--from", "Window start (default: today, UTC)");
        var until = CommonOptions.Date("--until", "Window end (default: five years after --from)");
        var minDeal = new Option<int?>("--min-deal") { Description = "Stranded = free capacity no deal of this many GPUs or more can use (default 1,024)" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("stranding", "Free and stranded GPU-hours per fabric over a window") { from, until, minDeal, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            var start = PlacementApi.Minute(r.GetValue(from) ?? DateTime.SpecifyKind(DateTime.UtcNow.Date, DateTimeKind.Utc));
            var end = PlacementApi.Minute(r.GetValue(until) ?? start.AddYears(5));
            if (end <= start)
            {
                io.Err.WriteLine("error: --until: must be after --from.");
                return ExitCodes.BadInput;
            }
            if (r.GetValue(minDeal) is < 1)
            {
                io.Err.WriteLine("error: --min-deal: must be at least 1 GPU.");
                return ExitCodes.BadInput;
            }
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var ledger = CapacityLedger.Build(await store.ExportAsync(ct)).Ledger;
            var report = ledger.Stranding(new Period(start, end), r.GetValue(minDeal) ?? 1_024);
            if (r.GetValue(json))
            {
                io.WriteJson(report);
                return ExitCodes.Ok;
            }
            var table = new Table().Title($"stranding {Format.Date(start)} .. {Format.Date(end)}, deals of {Format.Int(r.GetValue(minDeal) ?? 1_024)}+ GPUs");
            table.Columns(["fabric", "free GPU-h", "stranded GPU-h", "share"], "free GPU-h", "stranded GPU-h", "share");
            foreach (var f in report.Fabrics.Where(f => f.FreeGpuHours > 0))
                table.AddRow(f.Fabric.Value, Hours(f.FreeGpuHours), Hours(f.StrandedGpuHours), Share(f.StrandedGpuHours, f.FreeGpuHours));
            table.AddRow("total", Hours(report.FreeGpuHours), Hours(report.StrandedGpuHours), Share(report.StrandedGpuHours, report.FreeGpuHours));
            io.Console.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The move budget flag shared by optimize and deal check --allow-moves.</summary>
    public static Option<int?> MaxMoves() => new("--max-moves")
    {
        Description = $"Move at most this many lines (default {PlacementApi.DefaultMaxMoves}; 0: no limit, a whole-book repack)",
    };

    public static bool ValidBudget(CliIo io, int? maxMoves)
    {
        if (maxMoves is not < 0) return true;
        io.Err.WriteLine("error: --max-moves: must be 0 (no limit) or more.");
        return false;
    }

    private static void RenderPlan(CliIo io, ReplacementPlan plan)
    {
        io.Out.WriteLine($"re-placement as of {Format.Date(plan.AsOf)}: {Format.Int(plan.MovableLines)} line(s) not started may move, {Format.Int(plan.FrozenLines)} stay (started or amended).");
        io.Out.WriteLine($"stranded GPU-hours over {Format.Period(plan.Window)} (deals of {Format.Int(plan.MinDealGpus)}+ GPUs): " +
            $"{Hours(plan.Before.StrandedGpuHours)} -> {Hours(plan.After.StrandedGpuHours)} of {Hours(plan.Before.FreeGpuHours)} free.");
        if (plan.Moves.Count == 0)
        {
            io.Out.WriteLine("no move frees more contiguous capacity than the book as it stands.");
            return;
        }
        RenderMoves(io, plan.Moves);
    }

    /// <summary>The moves a deal needs to fit, under the plain check's answer.</summary>
    public static void RenderRepack(CliIo io, Scenario book, RepackFit repack)
    {
        if (!repack.Fit.Fits)
        {
            io.Out.WriteLine("with moves: still does not fit (moving lines that have not started, within the move budget, does not make room).");
            return;
        }
        io.Out.WriteLine($"with moves: fits if {repack.Moves.Count} line(s) that have not started move (`lessor deal sign ... --allow-moves` does both in one write):");
        RenderMoves(io, repack.Moves);
        DealCommands.RenderFit(io, book, repack.Fit);
    }

    public static void RenderMoves(CliIo io, IReadOnlyList<LineMove> moves)
    {
        var table = new Table().Title($"{moves.Count} move(s)");
        foreach (var h in new[] { "line", "from", "to" }) table.AddColumn(h);
        foreach (var m in moves) table.AddRow(m.Line.ToString(), Blocks(m.From), Blocks(m.To));
        io.Console.Write(table);
    }

    private static string Blocks(IReadOnlyList<PlacedBlock> blocks) =>
        string.Join(", ", blocks.GroupBy(b => b.Fabric.Value).Select(g => $"{g.Key} x{Format.Int(g.Sum(b => b.Units))}"));

    private static string Hours(decimal h) => Math.Round(h).ToString("#,0", System.Globalization.CultureInfo.InvariantCulture);

    private static string Share(decimal part, decimal whole) => whole == 0 ? "-" : (part / whole).ToString("P1", System.Globalization.CultureInfo.InvariantCulture);
}
