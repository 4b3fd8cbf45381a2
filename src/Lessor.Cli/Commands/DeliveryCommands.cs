using System.CommandLine;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor delivery slip | risk`: move a delivery's date, or see what moving it would do.</summary>
internal static class DeliveryCommands
{
    public static Command Build(CliIo io)
    {
        var command = new Command("delivery", "Deliveries: slips and their risk");
        command.Subcommands.Add(Slip(io, preview: false));
        command.Subcommands.Add(Slip(io, preview: true));
        return command;
    }

    private static Command Slip(CliIo io, bool preview)
    {
        var id = new Option<string>("--id") { Description = "Delivery id", Required = true };
        var to = CommonOptions.Date("--to", "New acceptance date (UTC)");
        to.Required = true;
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = preview
            ? new Command("risk", "What a slip would do: lines left uncovered and revenue moved by quarter (nothing is written)") { id, to, db, json }
            : new Command("slip", "Move a delivery to a new acceptance date; commitments stay and uncovered lines are reported") { id, to, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await LessorStore.OpenAsync(CommonOptions.Store(r, db), ct);
            var desk = await DealDesk.OpenAsync(store, ct);
            var deliveryId = new DeliveryId(r.GetValue(id)!);
            var outcome = preview ? desk.PreviewSlip(deliveryId, r.GetValue(to)!.Value) : await desk.SlipDeliveryAsync(deliveryId, r.GetValue(to)!.Value, ct);
            if (r.GetValue(json))
            {
                io.WriteJson(outcome);
                return outcome.Delivery is null ? 1 : 0;
            }
            if (outcome.Delivery is null)
            {
                io.Err.WriteLine($"error: {outcome.Error}");
                return 1;
            }
            var d = outcome.Delivery;
            io.Out.WriteLine($"{(preview ? "if" : "moved")} {d.Id} ({d.Units} units into {d.Fabric}) {(preview ? "were accepted" : "to")} {Format.Date(d.AcceptanceDate)} (first promised {Format.Date(d.OriginalAcceptanceDate ?? d.AcceptanceDate)}):");
            if (outcome.Uncovered.Count == 0) io.Out.WriteLine("  every committed line stays covered.");
            else
            {
                var table = new Table().Title($"{outcome.Uncovered.Count} line(s) not covered by supply");
                foreach (var h in new[] { "line", "fabric", "from", "until", "GPUs short" }) table.AddColumn(h);
                foreach (var u in outcome.Uncovered)
                    table.AddRow(u.Line.ToString(), u.Fabric.Value, Format.Date(u.Shortfall.Start), Format.Date(u.Shortfall.End), Format.Int(u.Short.Value));
                io.Console.Write(table);
            }
            if (outcome.Revenue is { } moved)
            {
                io.Out.WriteLine($"  revenue deferred: {Format.Exact(moved.Deferred)}; never recognized: {Format.Exact(moved.Lost)}");
                var quarters = new Table().Title("revenue by quarter");
                foreach (var h in new[] { "quarter", "before", "after", "moved" }) quarters.AddColumn(h);
                foreach (var q in moved.Quarters) quarters.AddRow(q.Quarter, Format.Compact(q.Before), Format.Compact(q.After), Format.Compact(q.Moved));
                if (quarters.Rows.Count > 0) io.Console.Write(quarters);
                var contracts = new Table().Title("contracts affected");
                foreach (var h in new[] { "contract", "customer", "first quarter", "deferred", "lost" }) contracts.AddColumn(h);
                foreach (var c in moved.Contracts) contracts.AddRow(c.Contract.Value, c.Customer.Value, c.FirstQuarter, Format.Exact(c.Deferred), Format.Exact(c.Lost));
                if (contracts.Rows.Count > 0) io.Console.Write(contracts);
            }
            return 0;
        });
        return cmd;
    }
}
