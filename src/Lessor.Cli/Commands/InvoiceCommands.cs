using System.CommandLine;
using Lessor.Core.Finance;
using Lessor.Server.Desk;
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
            var book = await ReportCommands.LoadBookAsync(io, r, db, ct);
            if (book is null) return ExitCodes.BadInput;
            await using var store = await LessorStore.OpenAsync(CommonOptions.Store(r, db), ct);
            var today = DateTime.SpecifyKind(DateTime.UtcNow.Date, DateTimeKind.Utc);
            var billing = await Billing.RunMonthAsync(store, book, m, today, ct);
            if (!billing.Ok)
            {
                io.Err.WriteLine($"error: --month: {billing.Refused}");
                return ExitCodes.Refused;
            }
            Write(io, billing.Invoices, r.GetValue(json) ? "json" : r.GetValue(format)!, r.GetValue(output));
            io.Err.WriteLine(billing.Fresh
                ? $"issued {billing.Invoices.Count} invoice(s) for {m}."
                : $"{m} was already issued ({billing.Invoices.Count} invoice(s)); nothing changed. Corrections are credit notes on a later month.");
            return ExitCodes.Ok;
        });
        command.Subcommands.Add(run);
        command.Subcommands.Add(Credit(io));
        return command;
    }

    private static Command Credit(CliIo io)
    {
        var id = new Option<string>("--id") { Description = "Your id for this credit: recording the same id twice records it once", Required = true };
        var customer = new Option<string>("--customer") { Description = "Customer owed the credit", Required = true };
        var month = ReportCommands.MonthOption("--month", "Invoice month it is applied to (YYYY-MM)");
        month.Required = true;
        var amount = new Option<decimal>("--amount") { Description = "Amount in the book's currency (positive)", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why, printed on the invoice (e.g. SLA 99.9% missed in 2026-10)", Required = true };
        var contract = new Option<string?>("--contract") { Description = "The contract it relates to" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("credit", "Record a credit (SLA or correction) to appear as its own line on a month's invoice") { id, customer, month, amount, reason, contract, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            if (r.GetValue(amount) <= 0)
            {
                io.Err.WriteLine($"error: --amount: {r.GetValue(amount).ToString(System.Globalization.CultureInfo.InvariantCulture)} must be positive; a credit reduces what the customer owes.");
                return ExitCodes.BadInput;
            }
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var book = await store.ExportAsync(ct);
            if (book.Customers.All(c => c.Id.Value != r.GetValue(customer)))
            {
                io.Err.WriteLine($"error: --customer: {Suggest.NoCustomer(book, r.GetValue(customer)!)}");
                return ExitCodes.BadInput;
            }
            if (r.GetValue(contract) is { } c && book.Contracts.All(x => x.Id.Value != c || x.Customer.Value != r.GetValue(customer)))
            {
                var theirs = book.Contracts.Where(x => x.Customer.Value == r.GetValue(customer)).Select(x => x.Id.Value);
                io.Err.WriteLine($"error: --contract: {Suggest.WithNearest($"no contract '{c}' of {r.GetValue(customer)}.", c, theirs)}");
                return ExitCodes.BadInput;
            }
            var m = r.GetValue(month)!.Value;
            if ((await store.IssuedInvoicesAsync(m, ct)).Count > 0)
            {
                io.Err.WriteLine($"error: --month: {m} is already invoiced and issued invoices never change; credit a later month.");
                return ExitCodes.Refused;
            }
            var credit = new Credit(new Lessor.Core.Model.CustomerId(r.GetValue(customer)!), m, new Lessor.Core.Model.Money(r.GetValue(amount), book.Currency), r.GetValue(reason)!)
            {
                Contract = r.GetValue(contract) is { } cc ? new Lessor.Core.Model.ContractId(cc) : null,
            };
            await store.AddCreditAsync(r.GetValue(id)!, credit, ct);
            if (r.GetValue(json))
                io.WriteJson(new { id = r.GetValue(id), customer = credit.Customer, month = m.ToString(), amount = credit.Amount, reason = credit.Reason, contract = credit.Contract });
            else io.Out.WriteLine($"credit {r.GetValue(id)} of {Format.Exact(credit.Amount)} recorded for {credit.Customer} on {m}.");
            return ExitCodes.Ok;
        });
        return cmd;
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
