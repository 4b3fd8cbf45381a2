using System.CommandLine;
using System.Globalization;
using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Model;
using Lessor.Core.Risk;
using Lessor.Server.Desk;
using Lessor.Server.Fleet;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor fleet nodes | events | spares | simulate` and `lessor sla report | credits` (docs/fleet.md).</summary>
internal static class FleetOpsCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A clock a command moves (the simulation) or stops (--at).</summary>
    private sealed class SetClock(DateTime now) : TimeProvider
    {
        public DateTime Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => new(Now, TimeSpan.Zero);
    }

    public static void AddTo(Command fleet, CliIo io)
    {
        fleet.Subcommands.Add(Nodes(io));
        fleet.Subcommands.Add(Events(io));
        fleet.Subcommands.Add(Spares(io));
        fleet.Subcommands.Add(Simulate(io));
    }

    public static Command Sla(CliIo io)
    {
        var command = new Command("sla", "Availability and SLA credits per contract and month");
        command.Subcommands.Add(Report(io));
        command.Subcommands.Add(Credits(io));
        return command;
    }

    private static async Task<(LessorStore Store, FleetDesk Fleet, SetClock Clock)?> OpenAsync(CliIo io, ParseResult r, Option<string?> db, DateTime now, CancellationToken ct)
    {
        var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
        if (store is null) return null;
        var clock = new SetClock(now);
        var deals = await DealDesk.OpenAsync(store, clock, ct);
        return (store, await FleetDesk.OpenAsync(deals, store, clock, null, ct), clock);
    }

    private static DateTime Now => DateTime.SpecifyKind(DateTime.UtcNow, DateTimeKind.Utc);

    private static Command Nodes(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var state = new Option<string?>("--state") { Description = "burn_in, in_service, degraded, failed, in_repair, rma or retired" };
        var fabric = new Option<string?>("--fabric") { Description = "Only this fabric's nodes" };
        var limit = new Option<int>("--limit") { Description = "At most this many rows", DefaultValueFactory = _ => 50 };
        var cmd = new Command("nodes", "The fleet's nodes: state, role and the line each serves") { db, state, fabric, limit, json };
        cmd.SetAction(async (r, ct) =>
        {
            NodeState? s = null;
            if (r.GetValue(state) is { } text)
            {
                if (!FleetText.TryParseState(text, out var parsed))
                {
                    io.Err.WriteLine($"error: --state: '{text}' is not one of burn_in, in_service, degraded, failed, in_repair, rma, retired.");
                    return ExitCodes.BadInput;
                }
                s = parsed;
            }
            var opened = await OpenAsync(io, r, db, Now, ct);
            if (opened is not { } o) return ExitCodes.BadInput;
            await using var store = o.Store;
            var nodes = o.Fleet.Nodes(r.GetValue(fabric) is { } f ? new FabricId(f) : null, s, null);
            var shown = nodes.Take(Math.Max(0, r.GetValue(limit))).ToList();
            if (r.GetValue(json))
            {
                io.WriteJson(new { total = nodes.Count, nodes = shown });
                return ExitCodes.Ok;
            }
            var table = new Table().Columns(["node", "state", "since", "role", "serves", "reports"], "reports");
            foreach (var n in shown)
                table.AddRow(n.Serial, n.State, Format.Date(n.Since), n.Role, n.Contract is null ? "" : $"{n.Contract}/{n.Line}", n.ReportsApplied.ToString("#,0", Inv));
            io.Console.Write(table);
            io.Out.WriteLine($"{shown.Count} of {nodes.Count} node(s)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Events(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var node = new Option<string?>("--node") { Description = "Only this node's transitions" };
        var limit = new Option<int>("--limit") { Description = "At most this many, newest first", DefaultValueFactory = _ => 50 };
        var cmd = new Command("events", "State transitions, newest first, with their causes") { db, node, limit, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var events = await store.ListTransitionsAsync(r.GetValue(node), 0, Math.Clamp(r.GetValue(limit), 1, 10_000), ct);
            if (r.GetValue(json))
            {
                io.WriteJson(events.Select(e => new { e.Id, e.Transition.Node, From = FleetText.Name(e.Transition.From), To = FleetText.Name(e.Transition.To), e.Transition.At, e.Transition.Cause }));
                return ExitCodes.Ok;
            }
            var table = new Table().Columns(["at", "node", "from", "to", "cause"]);
            foreach (var e in events)
                table.AddRow(Format.Date(e.Transition.At), e.Transition.Node, FleetText.Name(e.Transition.From), FleetText.Name(e.Transition.To), Markup.Escape(e.Transition.Cause));
            io.Console.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Spares(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("spares", "Spare pools per fabric: the policy's size, the pool, healthy spares left, lines short") { db, json };
        cmd.SetAction(async (r, ct) =>
        {
            var opened = await OpenAsync(io, r, db, Now, ct);
            if (opened is not { } o) return ExitCodes.BadInput;
            await using var store = o.Store;
            var spares = o.Fleet.Spares();
            if (r.GetValue(json))
            {
                io.WriteJson(new { fabrics = spares, short_now = o.Fleet.AtRisk() });
                return ExitCodes.Ok;
            }
            var table = new Table().Columns(["fabric", "GPUs in service", "policy", "pool", "left", "short"], "GPUs in service", "policy", "pool", "left", "short");
            foreach (var s in spares)
                table.AddRow(s.Fabric, Format.Int(s.GpusInService), Format.Int(s.PolicyNodes), Format.Int(s.Pool), Format.Int(s.Left), Format.Int(s.Short));
            io.Console.Write(table);
            foreach (var l in o.Fleet.AtRisk())
                io.Out.WriteLine($"short: {l.Contract}/{l.Line} of {l.CustomerName} ({l.Customer}): {l.GpusShort} GPUs since {Format.Date(l.Since)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Simulate(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var month = ReportCommands.MonthOption("--month", "The month to simulate (YYYY-MM)");
        month.Required = true;
        var seed = new Option<ulong>("--seed") { Description = "Seed of the failure draws (same seed, same month)", DefaultValueFactory = _ => 1 };
        var cmd = new Command("simulate",
            "Apply a month of simulated failures and repairs (the book's failure model: one interruption per 50,700 GPU-hours, its cause mix and repair times) through the fleet desk into the store")
            { db, month, seed, json };
        cmd.SetAction(async (r, ct) =>
        {
            var m = r.GetValue(month)!.Value;
            var opened = await OpenAsync(io, r, db, m.Start, ct);
            if (opened is not { } o) return ExitCodes.BadInput;
            await using var store = o.Store;
            var fleet = o.Fleet;
            var scenario = (await store.ExportAsync(ct));
            var model = scenario.Uncertainty?.Failures ?? new FailureModel();
            var inService = fleet.Nodes(null, null, null).Where(n => n.State is "in_service" or "degraded").Select(n => (n.Serial, n.Gpus)).ToList();
            var steps = FleetSimulator.Month(inService, m, model, r.GetValue(seed));
            o.Clock.Now = m.End;
            var replay = await fleet.ReplayAsync(steps, ct);
            int failures = replay.Failures, skipped = replay.Skipped;
            var swapped = await store.ListSwapsAsync(0, 100_000, ct);
            var inMonth = swapped.Where(s => m.Period.Contains(s.Swap.At)).ToList();
            var swaps = inMonth.Count(s => s.Swap.Spare is not null && s.Swap.Cause != "spare available");
            var shorts = inMonth.Count(s => s.Swap.Spare is null);
            var sla = await fleet.SlaAsync(m, null, ct);
            var credits = sla.Where(x => x.Credit.Amount > 0).ToList();
            if (r.GetValue(json))
            {
                io.WriteJson(new { month = m.ToString(), failures, skipped, swaps, shorts, credits = credits.Select(c => new { contract = c.Contract.Value, availability = c.Availability, credit = c.Credit }) });
                return ExitCodes.Ok;
            }
            io.Out.WriteLine($"{m}: {failures} failures ({skipped} on nodes already out), {swaps} swapped to a spare, {shorts} left a line short");
            foreach (var c in credits)
                io.Out.WriteLine($"  {c.Contract}: availability {c.Availability.ToString("P3", Inv)} below {c.Target.ToString("P2", Inv)}, credit {Format.Exact(c.Credit)}");
            io.Out.WriteLine($"{credits.Count} contract(s) earn credits; `lessor sla credits --month {m}` writes them onto the next invoice.");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Report(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var month = ReportCommands.MonthOption("--month", "The month (YYYY-MM)");
        month.Required = true;
        var customer = new Option<string?>("--customer") { Description = "Only this customer's contracts" };
        var cmd = new Command("report", "Availability and the credit each contract with an SLA earns in a month, with the evidence") { db, month, customer, json };
        cmd.SetAction(async (r, ct) =>
        {
            var m = r.GetValue(month)!.Value;
            var opened = await OpenAsync(io, r, db, Now, ct);
            if (opened is not { } o) return ExitCodes.BadInput;
            await using var store = o.Store;
            var months = await o.Fleet.SlaAsync(m, r.GetValue(customer) is { } c ? new CustomerId(c) : null, ct);
            if (r.GetValue(json))
            {
                io.WriteJson(months.Select(Lessor.Server.Api.SlaApi.SlaView.Of));
                return ExitCodes.Ok;
            }
            var table = new Table().Columns(["contract", "customer", "availability", "target", "down GPU-min", "credit"], "availability", "target", "down GPU-min", "credit");
            foreach (var x in months.Where(x => x.DownGpuMinutes > 0 || x.Credit.Amount > 0))
                table.AddRow(x.Contract.Value, x.Customer.Value, x.Availability.ToString("P3", Inv), x.Target.ToString("P2", Inv),
                    x.DownGpuMinutes.ToString("#,0", Inv), Format.Exact(x.Credit));
            io.Console.Write(table);
            io.Out.WriteLine($"{months.Count} contract(s) with an SLA in {m}; {months.Count(x => x.Credit.Amount > 0)} earn credits");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Credits(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var month = ReportCommands.MonthOption("--month", "The month whose credits to write (YYYY-MM, over)");
        month.Required = true;
        var at = CommonOptions.Date("--at", "Act as if now were this UTC instant (default: the clock)");
        var cmd = new Command("credits", "Write a month's SLA credits once (idempotent) onto the next invoice not yet issued") { db, month, at, json };
        cmd.SetAction(async (r, ct) =>
        {
            var m = r.GetValue(month)!.Value;
            var opened = await OpenAsync(io, r, db, r.GetValue(at) ?? Now, ct);
            if (opened is not { } o) return ExitCodes.BadInput;
            await using var store = o.Store;
            var (items, error) = await o.Fleet.RunCreditsAsync(m, ct);
            if (items is null)
            {
                io.Err.WriteLine($"error: --month: {error}");
                return ExitCodes.Refused;
            }
            if (r.GetValue(json))
            {
                io.WriteJson(items);
                return ExitCodes.Ok;
            }
            var written = items.Where(i => i.Written && i.CreditId is not null).ToList();
            foreach (var i in items.Where(i => i.CreditId is not null))
                io.Out.WriteLine($"{i.Contract} ({i.Customer}): {Format.Exact(i.Credit)}{(i.Written ? "" : " (already written)")}");
            io.Out.WriteLine($"{written.Count} credit(s) written for {m}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
