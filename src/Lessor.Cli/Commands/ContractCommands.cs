using System.CommandLine;
using Lessor.Core.Model;
using Lessor.Server.Api;
using Lessor.Server.Desk;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor contracts list | show`.</summary>
internal static class ContractCommands
{
    public static Command Build(CliIo io)
    {
        var command = new Command("contracts", "The book of contracts");
        command.Subcommands.Add(List(io));
        command.Subcommands.Add(Show(io));
        return command;
    }

    /// <summary>Rows a table shows unless --limit says otherwise: a screenful to read, not a 20,000-line scroll.</summary>
    private const int DefaultLimit = 100;

    private static Command List(CliIo io)
    {
        var db = CommonOptions.Db();
        var customer = new Option<string?>("--customer") { Description = "Only this customer's contracts" };
        var limit = new Option<int?>("--limit") { Description = $"At most this many contracts, in book order (0: all; the table's default is {DefaultLimit}, --json's all)" };
        limit.Validators.Add(v =>
        {
            if (v.GetValueOrDefault<int?>() is < 0) v.AddError($"--limit: {v.GetValueOrDefault<int?>()} is negative; give 0 for all.");
        });
        var json = CommonOptions.Json();
        var cmd = new Command("list", "Contracts with value, GPUs and term") { db, customer, limit, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var scenario = await store.ExportAsync(ct);
            var filter = r.GetValue(customer) is { } c ? new CustomerId(c) : (CustomerId?)null;
            if (filter is { } f && scenario.Customers.All(x => x.Id != f))
            {
                io.Err.WriteLine($"error: --customer: {Suggest.NoCustomer(scenario, f.Value)}");
                return ExitCodes.BadInput;
            }
            var all = ContractsApi.Summaries(scenario, filter);
            var take = r.GetValue(limit) ?? (r.GetValue(json) ? 0 : DefaultLimit);
            var rows = take == 0 || take >= all.Count ? all : all.Take(take).ToList();
            if (r.GetValue(json))
            {
                io.WriteJson(rows);
                return ExitCodes.Ok;
            }
            var table = new Table().Title(rows.Count == all.Count ? $"{all.Count} contracts" : $"first {rows.Count} of {all.Count:#,0} contracts (--limit 0 for all)");
            foreach (var h in new[] { "contract", "customer", "kind", "signed", "lines", "GPUs", "start", "end", "value", "headline" })
                table.AddColumn(h is "lines" or "GPUs" or "value" or "headline" ? new TableColumn(h).RightAligned() : new TableColumn(h));
            foreach (var x in rows)
            {
                table.AddRow(
                    x.Id.Value + (x.Cancelled ? " (cancelled)" : ""), x.Customer.Value, Format.Name(x.Kind), Format.Date(x.SignedOn),
                    Format.Int(x.Lines), Format.Int(x.CommittedGpus), x.Start is { } s ? Format.Date(s) : "-", x.End is { } e ? Format.Date(e) : "-",
                    Format.Compact(x.Value), x.HeadlineValue is { } h ? Format.Compact(h) : "-");
            }
            io.Console.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Show(CliIo io)
    {
        var id = new Argument<string>("id") { Description = "Contract id" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("show", "One contract: lines, options, placement, amendments") { id, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var scenario = await store.ExportAsync(ct);
            var contract = scenario.Contracts.FirstOrDefault(c => c.Id.Value == r.GetValue(id));
            if (contract is null)
            {
                io.Err.WriteLine($"error: id: {Suggest.WithNearest($"no contract '{r.GetValue(id)}'.", r.GetValue(id)!, scenario.Contracts.Select(c => c.Id.Value))}");
                return ExitCodes.BadInput;
            }
            if (r.GetValue(json))
            {
                io.WriteJson(contract);
                return ExitCodes.Ok;
            }
            Render(io.Console, contract);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static void Render(IAnsiConsole console, Contract c)
    {
        var head = new Grid().AddColumn().AddColumn();
        head.AddRow("contract", Markup.Escape(c.Id.Value + (c.Title is null ? "" : $" ({c.Title})")));
        head.AddRow("customer", Markup.Escape(c.Customer.Value));
        head.AddRow("kind", Format.Name(c.Kind));
        head.AddRow("signed", Format.Date(c.SignedOn));
        head.AddRow("value (committed)", Format.Exact(c.Value));
        if (c.HeadlineValue is { } hv) head.AddRow("headline value", Format.Exact(hv));
        if (c.Prepayment is { } pp) head.AddRow("prepayment", Format.Exact(pp));
        if (c.BackstopPeriod is { } bp) head.AddRow("backstop period", Format.Period(bp));
        if (c.Sla is { } sla) head.AddRow("SLA", $"{sla.AvailabilityTarget:P2} monthly; credit {sla.CreditFraction:P0}, cap {sla.CreditCapFraction:P0}");
        if (c.Cancellation is { } cx) head.AddRow("cancelled", $"from {Format.Date(cx.EffectiveOn)}, fee {Format.Exact(cx.Fee)}");
        console.Write(head);

        if (c.Lines.Count > 0)
        {
            var lines = new Table().Title("lines");
            lines.Columns(["line", "platform", "GPUs", "period", "price/GPU-h", "locality", "block", "min sites", "status", "placement", "value"],
                "GPUs", "price/GPU-h", "block", "min sites", "value");
            foreach (var l in c.Lines)
            {
                var status = l.Option is null ? "firm"
                    : l.Option.IsExercised ? $"option exercised {Format.Date(l.Option.ExercisedOn!.Value)}" + (l.Option.ExercisedUnder is { } u ? $" under {u}" : "")
                    : $"option until {Format.Date(l.Option.ExerciseBy)}";
                // One entry per fabric (its blocks summed), never cut: the table wraps the cell instead.
                var placement = l.Pinned.Count == 0 ? "-" : string.Join(", ", l.Pinned.GroupBy(b => b.Fabric).Select(g => $"{g.Key}x{g.Sum(b => b.Units)}"));
                lines.AddRow(
                    Markup.Escape(l.Id.Value), Markup.Escape(l.Platform.Value), Format.Int(l.Gpus.Value), Format.Period(l.Period), Format.Price(l.PricePerGpuHour),
                    Format.Name(l.Locality), l.BlockSize is { } b ? Format.Int(b.Value) : "-", l.MinSites.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(status), Markup.Escape(placement), Format.Compact(Lessor.Core.Finance.RevenueSchedule.LineTcv(c, l.Id)));
            }
            console.Write(lines);
        }

        if (c.Amendments.Count > 0)
        {
            var history = new Table().Title("amendments");
            history.Columns(["#", "effective", "kind", "line", "note"], "#");
            foreach (var a in c.Amendments)
                history.AddRow(a.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Date(a.EffectiveOn), Format.Name(a.Kind), a.Line?.Value ?? "-", Markup.Escape(a.Note ?? ""));
            console.Write(history);
        }
    }
}
