using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Api;
using Lessor.Server.Desk;
using Lessor.Server.Json;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor deal check | earliest | largest | sign | amend | cancel | at-risk`.</summary>
internal static class DealCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The flags that describe a single-line deal, or a deal file for several lines.</summary>
    private sealed class DealOptions
    {
        public Option<string?> Customer { get; } = new("--customer") { Description = "Customer id" };
        public Option<string?> Platform { get; } = new("--platform") { Description = "Platform id or alias (e.g. vr-nvl72, NVL144)" };
        public Option<int?> Gpus { get; } = new("--gpus") { Description = "GPUs (a multiple of the platform's unit; not needed by `deal largest`)" };
        public Option<DateTime?> Start { get; } = CommonOptions.Date("--start", "First instant of the term (UTC date)");
        public Option<DateTime?> End { get; } = CommonOptions.Date("--end", "End of the term, exclusive (UTC date)");
        public Option<Locality?> Locality { get; } = new("--locality") { Description = "fabric | site | region | any (default any)" };
        public Option<int?> Block { get; } = new("--block") { Description = "Block size in GPUs: each block stays inside one fabric" };
        public Option<int?> MinSites { get; } = new("--min-sites") { Description = "Spread the blocks over at least this many sites" };
        public Option<decimal?> Price { get; } = new("--price") { Description = "Price per GPU-hour in the book's currency (default: the platform's reserved list price)" };
        public Option<FileInfo?> File { get; } = new("--deal") { Description = "A deal file (JSON) with a customer and several lines, instead of the flags" };

        public IEnumerable<Option> All => [Customer, Platform, Gpus, Start, End, Locality, Block, MinSites, Price, File];

        // `deal largest` answers the size, so it needs none: one block (or one unit) stands in for the check of the flags.
        private int? SmallestSize(ParseResult r, Scenario book) =>
            r.GetValue(Block) ?? (r.GetValue(Platform) is { } named ? book.FindPlatform(named)?.GpusPerUnit : null);

        /// <summary>The deal the flags or the file describe; <paramref name="sizeOptional"/> (largest) reads a missing --gpus as one block or unit.</summary>
        public DealBody? Body(ParseResult r, Scenario book, CliIo io, bool sizeOptional = false)
        {
            if (r.GetValue(File) is { } file)
            {
                try
                {
                    return JsonSerializer.Deserialize<DealBody>(System.IO.File.ReadAllText(file.FullName), LessorJson.Options);
                }
                catch (Exception e) when (e is JsonException or IOException)
                {
                    io.Err.WriteLine($"error: --deal: {file.Name}: {e.Message}");
                    return null;
                }
            }
            return new DealBody
            {
                Customer = r.GetValue(Customer),
                Lines =
                [
                    new DealLineBody
                    {
                        Platform = r.GetValue(Platform),
                        Gpus = r.GetValue(Gpus) ?? (sizeOptional ? SmallestSize(r, book) : null),
                        Start = r.GetValue(Start),
                        End = r.GetValue(End),
                        Locality = r.GetValue(Locality),
                        BlockSize = r.GetValue(Block),
                        MinSites = r.GetValue(MinSites),
                        PricePerGpuHour = r.GetValue(Price) is { } p ? new Money(p, book.Currency) : null,
                    },
                ],
            };
        }
    }

    public static Command Build(CliIo io)
    {
        var command = new Command("deal", "The deal desk: can we sign this, where, and if not, what binds and when");
        command.Subcommands.Add(Query(io, "check", "Does the deal fit? Placement, binding constraint, TCV and utilization", QueryKind.Check));
        command.Subcommands.Add(Query(io, "earliest", "Earliest start (same duration) at which the deal fits", QueryKind.Earliest));
        command.Subcommands.Add(Query(io, "largest", "Largest size of a single-line deal that fits in its period", QueryKind.Largest));
        command.Subcommands.Add(Sign(io));
        command.Subcommands.Add(Amend(io));
        command.Subcommands.Add(Cancel(io));
        command.Subcommands.Add(AtRisk(io));
        command.Subcommands.Add(PlanCommand.Build(io));
        return command;
    }

    private enum QueryKind
    {
        Check,
        Earliest,
        Largest,
    }

    private static Command Query(CliIo io, string name, string description, QueryKind kind)
    {
        var deal = new DealOptions();
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var notBefore = CommonOptions.Date("--not-before", "Earliest start to consider (default: the requested start)");
        var horizon = CommonOptions.Date("--horizon", "Latest start to consider (default: ten years after --not-before)");
        var allowMoves = new Option<bool>("--allow-moves") { Description = "When the deal does not fit, check again letting lines that have not started move (prints the moves; nothing is written)" };
        var asOf = CommonOptions.Date("--as-of", "With --allow-moves: lines starting after this instant may move (now, or a later instant; a started line never moves)");
        var maxMoves = PlacementCommands.MaxMoves();
        var cmd = new Command(name, description) { db, json };
        foreach (var o in deal.All) cmd.Options.Add(o);
        if (kind == QueryKind.Check)
        {
            cmd.Options.Add(allowMoves);
            cmd.Options.Add(asOf);
            cmd.Options.Add(maxMoves);
        }
        if (kind == QueryKind.Earliest)
        {
            cmd.Options.Add(notBefore);
            cmd.Options.Add(horizon);
        }
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var desk = await DealDesk.OpenAsync(store, ct);
            var request = Resolve(io, deal, r, desk.Scenario, sizeOptional: kind == QueryKind.Largest);
            if (request is null) return ExitCodes.BadInput;
            switch (kind)
            {
                case QueryKind.Check:
                    var impact = desk.Impact(request);
                    if (!PlacementCommands.ValidBudget(io, r.GetValue(maxMoves))) return ExitCodes.BadInput;
                    var repack = !impact.Fit.Fits && r.GetValue(allowMoves)
                        ? desk.CheckWithReplacement(request, PlacementApi.NotBeforeNow(r.GetValue(asOf), TimeProvider.System), PlacementApi.Budget(r.GetValue(maxMoves)))
                        : null;
                    if (r.GetValue(json))
                    {
                        io.WriteJson(new
                        {
                            fits = impact.Fit.Fits, fit = impact.Fit, impact,
                            withMoves = repack is null ? null : new { fits = repack.Fit.Fits, fit = repack.Fit, moves = repack.Moves.Select(PlacementInput.Body).ToList() },
                        });
                    }
                    else
                    {
                        RenderImpact(io, desk.Scenario, impact);
                        if (repack is not null) PlacementCommands.RenderRepack(io, desk.Scenario, repack);
                    }
                    return impact.Fit.Fits || repack?.Fit.Fits == true ? ExitCodes.Ok : ExitCodes.Refused;
                case QueryKind.Earliest:
                    var from = r.GetValue(notBefore) ?? request.Lines.Min(l => l.Period.Start);
                    var to = r.GetValue(horizon) ?? from.AddYears(10);
                    var earliest = desk.Earliest(request, from, to);
                    if (r.GetValue(json)) io.WriteJson(earliest);
                    else if (earliest.Start is { } start)
                    {
                        io.Out.WriteLine($"earliest start: {Format.Date(start)} ({earliest.CandidatesChecked} candidate starts checked)");
                        RenderFit(io, desk.Scenario, earliest.Fit);
                    }
                    else io.Out.WriteLine($"no start between {Format.Date(from)} and {Format.Date(to)} fits ({earliest.CandidatesChecked} candidate starts checked).");
                    return earliest.Start is null ? ExitCodes.Refused : ExitCodes.Ok;
                default:
                    if (request.Lines.Count != 1)
                    {
                        io.Err.WriteLine("error: --deal: largest size is asked of a single-line deal.");
                        return ExitCodes.BadInput;
                    }
                    var largest = desk.Largest(request);
                    if (r.GetValue(json)) io.WriteJson(largest);
                    else
                    {
                        io.Out.WriteLine($"largest that fits: {Format.Int(largest.Largest.Value)} GPUs of {request.Lines[0].Platform} over {Format.Period(request.Lines[0].Period)}");
                        if (largest.Largest.Value > 0) RenderFit(io, desk.Scenario, largest.Fit);
                        else foreach (var c in largest.Fit.Constraints) io.Out.WriteLine($"  binding: {Format.Name(c.Kind)}: {c.Reason}");
                    }
                    // Nothing fits: the answer is "no", as `deal check` says it.
                    return largest.Largest.Value > 0 ? ExitCodes.Ok : ExitCodes.Refused;
            }
        });
        return cmd;
    }

    private static Command Sign(CliIo io)
    {
        var deal = new DealOptions();
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var contract = new Option<string?>("--contract") { Description = "Id of the new contract (default: <customer>-<n>)" };
        var key = new Option<string?>("--idempotency-key") { Description = "Client key: signing twice with the same key signs once" };
        var signedOn = CommonOptions.Date("--signed-on", "Signature date (default: today, UTC)");
        var title = new Option<string?>("--title") { Description = "A title for the contract" };
        var allowMoves = new Option<bool>("--allow-moves") { Description = "When it fits only if lines that have not started move, move them and sign in one write" };
        var maxMoves = PlacementCommands.MaxMoves();
        var late = new Option<LateDeliveryRule?>("--late-delivery")
        {
            Description = "extend (default: GPU-time a late delivery keeps from the customer is served after the term) | forfeit (it is lost)",
        };
        var cmd = new Command("sign", "Sign the deal if it fits: one atomic write with its placement pinned") { db, json, contract, key, signedOn, title, allowMoves, maxMoves, late };
        foreach (var o in deal.All) cmd.Options.Add(o);
        cmd.SetAction(async (r, ct) =>
        {
            if (!PlacementCommands.ValidBudget(io, r.GetValue(maxMoves))) return ExitCodes.BadInput;
            if (Idempotency.Invalid(r.GetValue(key)) is { } badKey)
            {
                io.Err.WriteLine($"error: --idempotency-key: {badKey}");
                return ExitCodes.BadInput;
            }
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var desk = await DealDesk.OpenAsync(store, ct);
            var request = Resolve(io, deal, r, desk.Scenario);
            if (request is null) return ExitCodes.BadInput;
            // The digest covers what was given, not the defaults (today's date): a retry tomorrow is the same request.
            var asked = new
            {
                Deal = request, Contract = r.GetValue(contract), SignedOn = r.GetValue(signedOn), Title = r.GetValue(title),
                AllowMoves = r.GetValue(allowMoves), MaxMoves = r.GetValue(maxMoves), LateDelivery = r.GetValue(late),
            };
            var sign = new SignRequest(
                request, r.GetValue(contract) is { Length: > 0 } c ? new ContractId(c) : null,
                r.GetValue(signedOn) ?? DateTime.SpecifyKind(DateTime.UtcNow.Date, DateTimeKind.Utc),
                Idempotency.For(Idempotency.CliScope, r.GetValue(key), "lessor deal sign", asked), r.GetValue(title),
                LateDelivery: r.GetValue(late) ?? LateDeliveryRule.Extend);
            IReadOnlyList<LineMove> moves = [];
            SignOutcome outcome;
            if (r.GetValue(allowMoves))
            {
                var moved = await desk.SignWithMovesAsync(sign, DateTime.UtcNow, PlacementApi.Budget(r.GetValue(maxMoves)), ct);
                (outcome, moves) = (moved.Sign, moved.Moves);
            }
            else outcome = await desk.SignAsync(sign, ct);
            if (r.GetValue(json))
            {
                if (r.GetValue(allowMoves)) io.WriteJson(new { sign = outcome, moves = moves.Select(PlacementInput.Body).ToList() });
                else io.WriteJson(outcome);
            }
            else if (outcome.Signed)
            {
                io.Out.WriteLine(outcome.Replayed
                    ? $"already signed as {outcome.Contract!.Id} (same idempotency key); nothing changed."
                    : $"signed {outcome.Contract!.Id}: {Format.Compact(outcome.Contract.Value)} over {outcome.Contract.Lines.Count} line(s)" +
                      (moves.Count > 0 ? $", after moving {moves.Count} line(s) that had not started:" : "."));
                if (moves.Count > 0) PlacementCommands.RenderMoves(io, moves);
            }
            else
            {
                io.Err.WriteLine($"not signed: {outcome.Error}");
                if (outcome.Fit is { } fit) RenderFit(io, desk.Scenario, fit);
            }
            // A key reused with another request is bad input, not a deal that does not fit.
            return outcome.Signed ? ExitCodes.Ok : outcome.KeyMismatch ? ExitCodes.BadInput : ExitCodes.Refused;
        });
        return cmd;
    }

    private static Command Amend(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var contract = new Option<string>("--contract") { Description = "Contract id", Required = true };
        var line = new Option<string>("--line") { Description = "Line id", Required = true };
        var effective = CommonOptions.Date("--effective", "From this date on (only the future changes)");
        effective.Required = true;
        var gpus = new Option<int?>("--gpus") { Description = "New size in GPUs (grow or shrink)" };
        var end = CommonOptions.Date("--end", "New end of the line (extend)");
        var cmd = new Command("amend", "Grow, shrink or extend a line from a date on") { db, json, contract, line, effective, gpus, end };
        cmd.SetAction(async (r, ct) =>
        {
            if (r.GetValue(gpus) is null && r.GetValue(end) is null)
            {
                io.Err.WriteLine("error: --gpus: give --gpus, --end, or both.");
                return ExitCodes.BadInput;
            }
            if (r.GetValue(gpus) is <= 0)
            {
                io.Err.WriteLine($"error: --gpus: {r.GetValue(gpus)} must be positive; use `deal cancel` to end a contract.");
                return ExitCodes.BadInput;
            }
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var desk = await DealDesk.OpenAsync(store, ct);
            if (!Known(io, desk.Scenario, r.GetValue(contract)!, r.GetValue(line))) return ExitCodes.BadInput;
            var outcome = await desk.AmendAsync(new ContractId(r.GetValue(contract)!), new LineId(r.GetValue(line)!), r.GetValue(effective)!.Value,
                r.GetValue(gpus) is { } g ? new GpuCount(g) : null, r.GetValue(end), ct);
            return Report(io, r.GetValue(json), outcome, "amended");
        });
        return cmd;
    }

    private static Command Cancel(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var contract = new Option<string>("--contract") { Description = "Contract id", Required = true };
        var effective = CommonOptions.Date("--effective", "From this date on nothing further is committed");
        effective.Required = true;
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the history)" };
        var cmd = new Command("cancel", "Cancel a contract from a date on; the fee follows its terms") { db, json, contract, effective, reason };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var desk = await DealDesk.OpenAsync(store, ct);
            if (!Known(io, desk.Scenario, r.GetValue(contract)!, null)) return ExitCodes.BadInput;
            var outcome = await desk.CancelAsync(new ContractId(r.GetValue(contract)!), r.GetValue(effective)!.Value, r.GetValue(reason), ct);
            return Report(io, r.GetValue(json), outcome, "cancelled");
        });
        return cmd;
    }

    private static Command AtRisk(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("at-risk", "Committed lines that accepted supply no longer covers (slipped deliveries)") { db, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var desk = await DealDesk.OpenAsync(store, ct);
            var uncovered = desk.Uncovered();
            if (r.GetValue(json))
            {
                io.WriteJson(uncovered);
                return ExitCodes.Ok;
            }
            if (uncovered.Count == 0)
            {
                io.Out.WriteLine("every committed line is covered by accepted supply.");
                return ExitCodes.Ok;
            }
            var table = new Table().Title($"{uncovered.Count} line(s) not covered by supply");
            table.Columns(["line", "fabric", "from", "until", "GPUs short"], "GPUs short");
            foreach (var u in uncovered)
                table.AddRow(u.Line.ToString(), u.Fabric.Value, Format.Date(u.Shortfall.Start), Format.Date(u.Shortfall.End), Format.Int(u.Short.Value));
            io.Console.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static int Report(CliIo io, bool json, EditOutcome outcome, string verb)
    {
        if (json) io.WriteJson(outcome);
        else if (outcome.Applied) io.Out.WriteLine($"{verb} {outcome.Contract!.Id}: value now {Format.Compact(outcome.Contract.Value)}; amendment #{outcome.Contract.Amendments.Count} recorded.");
        else
        {
            io.Err.WriteLine($"refused: {outcome.Field}: {outcome.Error}");
            foreach (var c in outcome.Constraints) io.Err.WriteLine($"  {c.Reason}");
        }
        return outcome.Applied ? ExitCodes.Ok : ExitCodes.Refused;
    }

    /// <summary>An unknown contract or line is bad input (exit 2), said with the nearest id; what the terms refuse is exit 3.</summary>
    private static bool Known(CliIo io, Scenario book, string contractId, string? lineId)
    {
        var contract = book.Contracts.FirstOrDefault(c => c.Id.Value == contractId);
        if (contract is null)
        {
            io.Err.WriteLine($"error: --contract: {Suggest.WithNearest($"no contract '{contractId}'.", contractId, book.Contracts.Select(c => c.Id.Value))}");
            return false;
        }
        if (lineId is not null && contract.Lines.All(l => l.Id.Value != lineId))
        {
            io.Err.WriteLine($"error: --line: {Suggest.WithNearest($"contract {contractId} has no line '{lineId}'.", lineId, contract.Lines.Select(l => l.Id.Value))}");
            return false;
        }
        return true;
    }

    private static DealRequest? Resolve(CliIo io, DealOptions options, ParseResult r, Scenario book, bool sizeOptional = false)
    {
        var body = options.Body(r, book, io, sizeOptional);
        if (body is null) return null;
        var (deal, errors) = DealInput.Build(book, body);
        if (deal is not null) return deal;
        var usingFile = r.GetValue(options.File) is not null;
        foreach (var (field, messages) in errors)
        {
            foreach (var m in messages) io.Err.WriteLine($"error: {(usingFile ? field : FlagOf(field))}: {m}");
        }
        return null;
    }

    /// <summary>Maps a body field (lines[0].gpus) back to the flag that set it (--gpus).</summary>
    private static string FlagOf(string field) => field switch
    {
        "customer" => "--customer",
        _ when field.StartsWith("lines[0].", StringComparison.Ordinal) => "--" + field["lines[0].".Length..].Replace("_size", "", StringComparison.Ordinal).Replace('_', '-').Replace("price-per-gpu-hour", "price", StringComparison.Ordinal),
        _ => field,
    };

    private static void RenderImpact(CliIo io, Scenario book, ImpactResult impact)
    {
        RenderFit(io, book, impact.Fit);
        if (impact.Tcv is { } tcv) io.Out.WriteLine($"TCV of the deal: {Format.Exact(tcv)}");
        var table = new Table().Title($"utilization (committed / available GPU-hours) over {Format.Period(impact.Over)}");
        table.AddColumn("scope");
        table.AddColumn(new TableColumn("before").RightAligned());
        table.AddColumn(new TableColumn("after").RightAligned());
        foreach (var u in impact.ByPlatform.Concat(impact.BySite).Where(u => u.After != u.Before))
            table.AddRow(Markup.Escape(u.Scope), u.Before.ToString("P1", Inv), u.After.ToString("P1", Inv));
        if (table.Rows.Count > 0) io.Console.Write(table);
    }

    internal static void RenderFit(CliIo io, Scenario book, FitResult fit)
    {
        if (!fit.Fits)
        {
            io.Out.WriteLine("does not fit.");
            foreach (var c in fit.Constraints) io.Out.WriteLine($"  binding: {Format.Name(c.Kind)}: {c.Reason}");
            return;
        }
        io.Out.WriteLine("fits.");
        var siteOf = book.Fabrics.ToDictionary(f => f.Id, f => f.Site);
        var table = new Table().Title("placement");
        table.Columns(["line", "platform", "GPUs", "period", "fabric", "site", "units"], "GPUs", "units");
        foreach (var p in fit.Placements)
        {
            var unit = book.Platforms.First(x => x.Id == p.Spec.Platform).GpusPerUnit;
            foreach (var group in p.Blocks.GroupBy(b => b.Fabric))
            {
                var units = group.Sum(b => b.Units);
                table.AddRow(p.Line.Value, p.Spec.Platform.Value, Format.Int(units * unit), Format.Period(p.Spec.Period), group.Key.Value,
                    siteOf.TryGetValue(group.Key, out var site) ? site.Value : "?", Format.Int(units));
            }
        }
        io.Console.Write(table);
    }
}
