using System.CommandLine;
using Lessor.Core.Finance;
using Lessor.Server.Finance;
using Lessor.Server.Json;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor invoice run --month YYYY-MM`: issue a month's invoices once; re-running returns the issued ones.</summary>
internal static class InvoiceCommands
{
    public static Command Build(CliIo io)
    {
        var command = new Command("invoice", "Monthly invoices per customer");
        var db = CommonOptions.Db();
        var month = ReportCommands.MonthOption("--month", "The month to invoice (YYYY-MM); only closed months can be issued");
        month.Required = true;
        var format = new Option<string>("--format") { Description = "table | json | csv | html", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv", "html");
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Write the invoices into this folder (one HTML page per invoice, or one JSON/CSV file)" };
        var json = CommonOptions.Json();
        var run = new Command("run", "Issue the month's invoices (idempotent: issued invoices never change)") { db, month, format, output, json };
        run.SetAction(async (r, ct) =>
        {
            var m = r.GetValue(month)!.Value;
            var location = CommonOptions.Store(r, db);
            var book = await ReportCommands.LoadBookAsync(location, ct);
            await using var store = await LessorStore.OpenAsync(location, ct);
            var today = DateTime.SpecifyKind(DateTime.UtcNow.Date, DateTimeKind.Utc);
            var billing = await Billing.RunMonthAsync(store, book, m, today, ct);
            if (!billing.Ok)
            {
                io.Err.WriteLine($"error: --month: {billing.Refused}");
                return 1;
            }
            Write(io, billing.Invoices, r.GetValue(json) ? "json" : r.GetValue(format)!, r.GetValue(output));
            io.Err.WriteLine(billing.Fresh
                ? $"issued {billing.Invoices.Count} invoice(s) for {m}."
                : $"{m} was already issued ({billing.Invoices.Count} invoice(s)); nothing changed. Corrections are credit notes on a later month.");
            return 0;
        });
        command.Subcommands.Add(run);
        return command;
    }

    private static void Write(CliIo io, IReadOnlyList<Invoice> invoices, string format, DirectoryInfo? folder)
    {
        if (folder is not null) folder.Create();
        switch (format)
        {
            case "json":
                if (folder is null) io.WriteJson(invoices);
                else File.WriteAllText(Path.Combine(folder.FullName, "invoices.json"), System.Text.Json.JsonSerializer.Serialize(invoices, LessorJson.Options));
                break;
            case "csv":
                if (folder is null) io.Out.Write(InvoiceRenderer.ToCsv(invoices));
                else File.WriteAllText(Path.Combine(folder.FullName, "invoices.csv"), InvoiceRenderer.ToCsv(invoices));
                break;
            case "html":
                if (folder is null)
                {
                    foreach (var inv in invoices) io.Out.Write(InvoiceRenderer.ToHtml(inv));
                }
                else
                {
                    foreach (var inv in invoices) File.WriteAllText(Path.Combine(folder.FullName, inv.Number + ".html"), InvoiceRenderer.ToHtml(inv));
                }
                break;
            default:
                var table = new Table().Title($"{invoices.Count} invoice(s)");
                foreach (var h in new[] { "number", "customer", "lines", "charges", "prepayment", "credits", "total due" })
                    table.AddColumn(h is "number" or "customer" ? new TableColumn(h) : new TableColumn(h).RightAligned());
                foreach (var inv in invoices.OrderByDescending(i => i.Charges.Amount).Take(30))
                    table.AddRow(inv.Number, Markup.Escape(inv.CustomerName), inv.Lines.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        Format.Exact(inv.Charges), Format.Exact(-inv.PrepaymentApplied), Format.Exact(-inv.Credits), Format.Exact(inv.Total));
                if (invoices.Count > 30) table.Caption($"largest 30 of {invoices.Count}; --format csv or json for all");
                io.Console.Write(table);
                if (folder is not null) File.WriteAllText(Path.Combine(folder.FullName, "invoices.csv"), InvoiceRenderer.ToCsv(invoices));
                break;
        }
    }
}
