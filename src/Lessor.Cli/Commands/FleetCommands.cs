using System.CommandLine;
using Lessor.Core.Estate;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor fleet show`: sites, MW, fabrics and GPUs by platform over time.</summary>
internal static class FleetCommands
{
    public static Command Build(CliIo io)
    {
        var command = new Command("fleet", "The estate: sites, power, fabrics, GPUs");
        var db = CommonOptions.Db();
        var at = CommonOptions.Date("--at", "Show the estate at this UTC date instead of at each year end");
        var json = CommonOptions.Json();
        var show = new Command("show", "Sites, MW, fabrics and GPUs by platform over time") { db, at, json };
        show.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var scenario = await store.ExportAsync(ct);
            var instants = r.GetValue(at) is { } t ? [t] : FleetSummary.YearEnds(scenario);
            var snapshots = FleetSummary.At(scenario, instants);
            if (r.GetValue(json))
            {
                io.WriteJson(snapshots);
                return ExitCodes.Ok;
            }
            Render(io.Console, scenario.Name, snapshots);
            return ExitCodes.Ok;
        });
        command.Subcommands.Add(show);
        FleetOpsCommands.AddTo(command, io);
        return command;
    }

    private static void Render(IAnsiConsole console, string name, IReadOnlyList<FleetSnapshot> snapshots)
    {
        if (snapshots.Count == 0)
        {
            console.WriteLine("The store holds no deliveries yet.");
            return;
        }
        var over = new Table().Title($"{name}: estate over time (GPUs in service on accepted units)");
        over.AddColumn("at");
        over.AddColumn(new TableColumn("sites").RightAligned());
        over.AddColumn(new TableColumn("energized MW").RightAligned());
        over.AddColumn(new TableColumn("drawn MW").RightAligned());
        over.AddColumn(new TableColumn("contracted MW").RightAligned());
        var platforms = snapshots[0].ByPlatform.Where(p => snapshots.Any(s => s.ByPlatform.Any(x => x.Platform == p.Platform && (x.Gpus > 0 || x.PendingGpus > 0)))).Select(p => p.Platform).ToList();
        foreach (var p in platforms) over.AddColumn(new TableColumn(p.Value).RightAligned());
        over.AddColumn(new TableColumn("GPUs").RightAligned());
        foreach (var s in snapshots)
        {
            var cells = new List<string> { Format.Date(s.At), Format.Int(s.Sites), Format.Mw(s.EnergizedMw), Format.Mw(s.DrawnMw), Format.Mw(s.ContractedMw) };
            cells.AddRange(platforms.Select(p => Format.Int(s.ByPlatform.First(x => x.Platform == p).Gpus)));
            cells.Add(Format.Int(s.TotalGpus));
            over.AddRow(cells.ToArray());
        }
        console.Write(over);

        var last = snapshots[^1];
        var sites = new Table().Title($"sites at {Format.Date(last.At)}");
        sites.AddColumn("site");
        sites.AddColumn("region");
        sites.AddColumn(new TableColumn("energized MW").RightAligned());
        sites.AddColumn(new TableColumn("drawn MW").RightAligned());
        sites.AddColumn(new TableColumn("contracted MW").RightAligned());
        sites.AddColumn(new TableColumn("fabrics").RightAligned());
        sites.AddColumn(new TableColumn("GPUs").RightAligned());
        foreach (var s in last.BySite)
            sites.AddRow(s.Site.Value, s.Region.Value, Format.Mw(s.EnergizedMw), Format.Mw(s.DrawnMw), Format.Mw(s.ContractedMw), Format.Int(s.Fabrics), Format.Int(s.Gpus));
        console.Write(sites);
    }
}
