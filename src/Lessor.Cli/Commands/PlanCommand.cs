using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Planning;
using Lessor.Server.Desk;
using Lessor.Server.Json;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor deal plan`: the deliveries that would make a deal fit, with dates, MW, capex and the deal's margin.</summary>
internal static class PlanCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Build(CliIo io)
    {
        // The same deal flags as `deal check`.
        var customer = new Option<string?>("--customer") { Description = "Customer id" };
        var platform = new Option<string?>("--platform") { Description = "Platform id or alias (e.g. vr-nvl72, NVL144)" };
        var gpus = new Option<int?>("--gpus") { Description = "GPUs (a multiple of the platform's unit)" };
        var start = CommonOptions.Date("--start", "First instant of the term (UTC date)");
        var end = CommonOptions.Date("--end", "End of the term, exclusive (UTC date)");
        var locality = new Option<Locality?>("--locality") { Description = "fabric | site | region | any (default any)" };
        var block = new Option<int?>("--block") { Description = "Block size in GPUs: each block stays inside one fabric" };
        var minSites = new Option<int?>("--min-sites") { Description = "Spread the blocks over at least this many sites" };
        var price = new Option<decimal?>("--price") { Description = "Price per GPU-hour in the book's currency (default: the platform's reserved list price)" };
        var file = new Option<FileInfo?>("--deal") { Description = "A deal file (JSON) with a customer and several lines, instead of the flags" };
        var today = CommonOptions.Date("--today", "Plan as of this day: nothing can be ordered before it (default: today, UTC)");
        var fabricUnits = new Option<int?>("--new-fabric-units") { Description = "Units a new fabric holds (default: the platform's largest fabric, at least the largest block)" };
        var perSite = new Option<int?>("--max-new-fabrics") { Description = "At most this many new fabrics per site (default 4)" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("plan", "What to build, where and by when to make a deal fit: deliveries, MW, capex, order dates and margin")
        {
            db, json, customer, platform, gpus, start, end, locality, block, minSites, price, file, today, fabricUnits, perSite,
        };
        cmd.SetAction(async (r, ct) =>
        {
            if (r.GetValue(fabricUnits) is <= 0)
            {
                io.Err.WriteLine($"error: --new-fabric-units: {r.GetValue(fabricUnits)} must be positive.");
                return ExitCodes.BadInput;
            }
            if (r.GetValue(perSite) is < 0)
            {
                io.Err.WriteLine($"error: --max-new-fabrics: {r.GetValue(perSite)} must not be negative.");
                return ExitCodes.BadInput;
            }
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var desk = await DealDesk.OpenAsync(store, ct);
            var book = desk.Scenario;
            DealBody? body;
            if (r.GetValue(file) is { } f)
            {
                try
                {
                    body = JsonSerializer.Deserialize<DealBody>(File.ReadAllText(f.FullName), LessorJson.Options);
                }
                catch (Exception e) when (e is JsonException or IOException)
                {
                    io.Err.WriteLine($"error: --deal: {f.Name}: {e.Message}");
                    return ExitCodes.BadInput;
                }
            }
            else
            {
                body = new DealBody
                {
                    Customer = r.GetValue(customer),
                    Lines =
                    [
                        new DealLineBody
                        {
                            Platform = r.GetValue(platform), Gpus = r.GetValue(gpus), Start = r.GetValue(start), End = r.GetValue(end),
                            Locality = r.GetValue(locality), BlockSize = r.GetValue(block), MinSites = r.GetValue(minSites),
                            PricePerGpuHour = r.GetValue(price) is { } p ? new Money(p, book.Currency) : null,
                        },
                    ],
                };
            }
            var (deal, errors) = DealInput.Build(book, body);
            if (deal is null)
            {
                foreach (var (field, messages) in errors)
                {
                    foreach (var m in messages) io.Err.WriteLine($"error: {(r.GetValue(file) is null ? FlagOf(field) : field)}: {m}");
                }
                return ExitCodes.BadInput;
            }
            var options = new PlanOptions
            {
                NewFabricMaxUnits = r.GetValue(fabricUnits),
                MaxNewFabricsPerSite = r.GetValue(perSite) ?? PlanOptions.Default.MaxNewFabricsPerSite,
            };
            var asOf = r.GetValue(today) ?? DateTime.SpecifyKind(DateTime.UtcNow.Date, DateTimeKind.Utc);
            var plan = BuildOutPlanner.Plan(book, CapacityLedger.Build(book).Ledger, deal, asOf, options);
            if (r.GetValue(json)) io.WriteJson(plan);
            else Render(io, deal, plan);
            return plan.Fits ? ExitCodes.Ok : ExitCodes.Refused;
        });
        return cmd;
    }

    private static string FlagOf(string field) => field switch
    {
        "customer" => "--customer",
        _ when field.StartsWith("lines[0].", StringComparison.Ordinal) => "--" + field["lines[0].".Length..].Replace("_size", "", StringComparison.Ordinal).Replace('_', '-').Replace("price-per-gpu-hour", "price", StringComparison.Ordinal),
        _ => field,
    };

    private static void Render(CliIo io, DealRequest deal, BuildOutPlan plan)
    {
        var gpus = deal.Lines.Sum(l => l.Gpus.Value);
        var what = $"{Format.Int(gpus)} GPUs over {Format.Period(new Period(deal.Lines.Min(l => l.Period.Start), deal.Lines.Max(l => l.Period.End)))}";
        switch (plan.Outcome)
        {
            case PlanOutcome.AlreadyFits:
                io.Out.WriteLine($"{what}: fits as the estate stands; nothing to build.");
                break;
            case PlanOutcome.NoPlan:
                io.Out.WriteLine($"{what}: no build-out makes it fit ({plan.Blocker}).");
                io.Out.WriteLine($"  {plan.Why}");
                break;
            default:
                io.Out.WriteLine($"{what}: build {Format.Int(plan.Units)} units ({Format.Int(plan.Gpus.Value)} GPUs), {Format.Mw(plan.Mw)} MW, capex {Format.Compact(plan.Capex)}; first order by {Format.Date(plan.FirstOrderBy!.Value)}.");
                var table = new Table().Title($"{plan.Deliveries.Count} deliveries{(plan.Optimal ? " (least capex, proven)" : "")}");
                table.Columns(["delivery", "fabric", "site", "units", "GPUs", "accept", "order by", "MW", "capex"], "units", "GPUs", "MW", "capex");
                foreach (var d in plan.Deliveries)
                {
                    table.AddRow(d.Id.Value, d.Fabric.Value + (d.NewFabric ? $" (new, {Format.Int(d.NewFabricMaxUnits ?? d.Units)} units)" : ""), d.Site.Value,
                        Format.Int(d.Units), Format.Int(d.Gpus.Value), Format.Date(d.AcceptanceDate), Format.Date(d.OrderBy), Format.Mw(d.Mw), Format.Compact(d.Capex));
                }
                io.Console.Write(table);
                io.Out.WriteLine("verified: with these deliveries the rebuilt ledger fits the deal.");
                break;
        }
        var percent = plan.MarginPercent is { } m ? $" ({m.ToString("0.0", Inv)}% of TCV)" : "";
        io.Out.WriteLine($"TCV {Format.Compact(plan.Tcv)}, capex {Format.Compact(plan.Capex)}, margin over the term {Format.Compact(plan.Margin)}{percent}.");
    }
}
