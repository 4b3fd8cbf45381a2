using System.CommandLine;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor delivery list | slip | risk`: the deliveries, a delivery's new date, or what moving it would do.</summary>
internal static class DeliveryCommands
{
    public static Command Build(CliIo io)
    {
        var command = new Command("delivery", "Deliveries: the list, slips and their risk");
        command.Subcommands.Add(List(io));
        command.Subcommands.Add(Slip(io, preview: false));
        command.Subcommands.Add(Slip(io, preview: true));
        return command;
    }

    private static Command List(CliIo io)
    {
        var fabric = new Option<string?>("--fabric") { Description = "Only deliveries into this fabric" };
        var site = new Option<string?>("--site") { Description = "Only deliveries into this site's fabrics" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("list", "Deliveries with fabric, site, platform, units, status and acceptance date (slips marked)") { fabric, site, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var scenario = await store.ExportAsync(ct);
            if (r.GetValue(fabric) is { } f && scenario.Fabrics.All(x => x.Id.Value != f))
            {
                io.Err.WriteLine($"error: --fabric: {Suggest.WithNearest($"no fabric '{f}'.", f, scenario.Fabrics.Select(x => x.Id.Value))}");
                return ExitCodes.BadInput;
            }
            if (r.GetValue(site) is { } st && scenario.Sites.All(x => x.Id.Value != st))
            {
                io.Err.WriteLine($"error: --site: {Suggest.WithNearest($"no site '{st}'.", st, scenario.Sites.Select(x => x.Id.Value))}");
                return ExitCodes.BadInput;
            }
            var fabrics = scenario.Fabrics.ToDictionary(x => x.Id);
            var rows = scenario.Deliveries
                .Where(d => r.GetValue(fabric) is not { } only || d.Fabric.Value == only)
                .Where(d => r.GetValue(site) is not { } only || fabrics[d.Fabric].Site.Value == only)
                .OrderBy(d => d.AcceptanceDate).ThenBy(d => d.Id.Value, StringComparer.Ordinal)
                .ToList();
            if (r.GetValue(json))
            {
                io.WriteJson(rows.Select(d => new
                {
                    d.Id, d.Fabric, fabrics[d.Fabric].Site, fabrics[d.Fabric].Platform, d.Units, d.Status, d.OrderedOn, d.AcceptanceDate, d.OriginalAcceptanceDate,
                }));
                return ExitCodes.Ok;
            }
            var table = new Table().Title($"{rows.Count} deliveries");
            foreach (var h in new[] { "delivery", "fabric", "site", "platform", "units", "status", "acceptance" })
                table.AddColumn(h == "units" ? new TableColumn(h).RightAligned() : new TableColumn(h));
            foreach (var d in rows)
            {
                var fab = fabrics[d.Fabric];
                table.AddRow(d.Id.Value, d.Fabric.Value, fab.Site.Value, fab.Platform.Value, Format.Int(d.Units), Format.Name(d.Status),
                    Format.Date(d.AcceptanceDate) + (d.HasSlipped ? $" (slipped from {Format.Date(d.OriginalAcceptanceDate!.Value)})" : ""));
            }
            io.Console.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
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
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var desk = await DealDesk.OpenAsync(store, ct);
            var deliveryId = new DeliveryId(r.GetValue(id)!);
            if (desk.Scenario.Deliveries.All(d => d.Id != deliveryId))
            {
                io.Err.WriteLine($"error: --id: {Suggest.WithNearest($"no delivery '{deliveryId}'.", deliveryId.Value, desk.Scenario.Deliveries.Select(d => d.Id.Value))} `lessor delivery list` shows them.");
                return ExitCodes.BadInput;
            }
            var outcome = preview ? desk.PreviewSlip(deliveryId, r.GetValue(to)!.Value) : await desk.SlipDeliveryAsync(deliveryId, r.GetValue(to)!.Value, ct);
            if (r.GetValue(json))
            {
                io.WriteJson(outcome);
                return outcome.Delivery is null ? ExitCodes.Refused : ExitCodes.Ok;
            }
            if (outcome.Delivery is null)
            {
                // The delivery exists: the new date is refused (already due then, or it breaks the site's power).
                io.Err.WriteLine($"error: {outcome.Error}");
                return ExitCodes.Refused;
            }
            var d = outcome.Delivery;
            io.Out.WriteLine($"{(preview ? "if" : "moved")} {d.Id} ({d.Units} units into {d.Fabric}) {(preview ? "were accepted" : "to")} {Format.Date(d.AcceptanceDate)} (first promised {Format.Date(d.OriginalAcceptanceDate ?? d.AcceptanceDate)}):");
            if (outcome.Uncovered.Count == 0) io.Out.WriteLine("  every committed line stays covered.");
            else
            {
                var table = new Table().Title($"{outcome.Uncovered.Count} line(s) not covered by supply");
                table.Columns(["line", "fabric", "from", "until", "GPUs short"], "GPUs short");
                foreach (var u in outcome.Uncovered)
                    table.AddRow(u.Line.ToString(), u.Fabric.Value, Format.Date(u.Shortfall.Start), Format.Date(u.Shortfall.End), Format.Int(u.Short.Value));
                io.Console.Write(table);
            }
            if (outcome.Revenue is { } moved)
            {
                io.Out.WriteLine($"  revenue deferred: {Format.Exact(moved.Deferred)}; never recognized: {Format.Exact(moved.Lost)}");
                var quarters = new Table().Title("revenue by quarter");
                quarters.Columns(["quarter", "before", "after", "moved"], "before", "after", "moved");
                foreach (var q in moved.Quarters) quarters.AddRow(q.Quarter, Format.Compact(q.Before), Format.Compact(q.After), Format.Compact(q.Moved));
                if (quarters.Rows.Count > 0) io.Console.Write(quarters);
                var contracts = new Table().Title("contracts affected");
                contracts.Columns(["contract", "customer", "first quarter", "deferred", "lost"], "deferred", "lost");
                foreach (var c in moved.Contracts) contracts.AddRow(c.Contract.Value, c.Customer.Value, c.FirstQuarter, Format.Exact(c.Deferred), Format.Exact(c.Lost));
                if (contracts.Rows.Count > 0) io.Console.Write(contracts);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
