using System.CommandLine;
using System.Globalization;
using Lessor.Core.Finance;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor report kpis | revenue | chart`: the numbers finance reports, from the same ledger.</summary>
internal static class ReportCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Build(CliIo io)
    {
        var command = new Command("report", "Finance: KPIs, revenue, charts");
        command.Subcommands.Add(Kpis(io));
        command.Subcommands.Add(Revenue(io));
        command.Subcommands.Add(ChartCommand.Build(io));
        return command;
    }

    internal static Option<string> RunRateOption()
    {
        var o = new Option<string>("--run-rate") { Description = "month (latest month x 12) or quarter (latest quarter x 4)", DefaultValueFactory = _ => "month" };
        o.AcceptOnlyFromAmong("month", "quarter");
        return o;
    }

    internal static FinanceSettings Settings(string runRate) =>
        new() { RunRate = runRate == "quarter" ? RunRateMethod.LatestQuarterTimes4 : RunRateMethod.LatestMonthTimes12 };

    internal static Option<string> ByOption(string fallback)
    {
        var o = new Option<string>("--by") { Description = "customer | platform | site | region", DefaultValueFactory = _ => fallback };
        o.AcceptOnlyFromAmong("customer", "platform", "site", "region");
        return o;
    }

    internal static FinanceDimension Dimension(string by) => by switch
    {
        "customer" => FinanceDimension.Customer,
        "platform" => FinanceDimension.Platform,
        "site" => FinanceDimension.Site,
        _ => FinanceDimension.Region,
    };

    /// <summary>A "YYYY-MM" month; the parser names the option and the value when it is not one.</summary>
    internal static Option<YearMonth?> MonthOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            var errors = new Dictionary<string, string[]>();
            var month = DateInput.Month(errors, name, text);
            if (errors.Count == 0) return month;
            r.AddError($"{name}: {errors[name][0]}");
            return null;
        },
    };

    /// <summary>The book and each line's coverage by accepted supply, as finance needs them; null when there is no store (said on stderr).</summary>
    internal static async Task<FinanceBook?> LoadBookAsync(CliIo io, ParseResult r, Option<string?> db, CancellationToken ct)
    {
        await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
        if (store is null) return null;
        var desk = await DealDesk.OpenAsync(store, ct);
        return desk.FinanceBook();
    }

    private static Command Kpis(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var asOf = CommonOptions.Date("--as-of", "UTC date the KPIs are taken at");
        asOf.Required = true;
        var runRate = RunRateOption();
        var by = ByOption("customer");
        var cmd = new Command("kpis", "TCV, recognized, RPO, backlog, run-rate, MW, revenue per MW, utilization as of a date") { db, json, asOf, runRate, by };
        cmd.SetAction(async (r, ct) =>
        {
            var book = await LoadBookAsync(io, r, db, ct);
            if (book is null) return ExitCodes.BadInput;
            var kpis = FinanceReport.Kpis(book, r.GetValue(asOf)!.Value, Settings(r.GetValue(runRate)!));
            if (r.GetValue(json))
            {
                io.WriteJson(kpis);
                return ExitCodes.Ok;
            }
            var t = kpis.Total;
            var head = new Table().Title($"KPIs as of {Format.Date(kpis.AsOf)} (run-rate: {kpis.RunRateName}, window {Format.Period(kpis.RunRateWindow)})");
            head.AddColumn("measure");
            head.AddColumn(new TableColumn("value").RightAligned());
            head.AddRow("TCV (committed)", Format.Compact(t.Tcv));
            head.AddRow("recognized to date", Format.Compact(t.Recognized));
            head.AddRow("forfeited (late GPU-time never served)", Format.Compact(t.Forfeited));
            head.AddRow("RPO (take-or-pay remaining)", Format.Compact(t.Rpo));
            head.AddRow("other committed (backstop)", Format.Compact(t.OtherCommitted));
            head.AddRow("backlog = RPO + other committed", Format.Compact(t.Backlog));
            head.AddRow("next twelve months", Format.Compact(t.NextTwelveMonths));
            head.AddRow($"run-rate ({kpis.RunRateName})", Format.Compact(t.RunRate));
            head.AddRow("in-service MW (energized, sites in use)", t.InServiceMw is { } a ? Format.Mw(a) : "-");
            head.AddRow("drawn MW (IT draw of accepted units)", t.DrawnMw is { } dr ? Format.Mw(dr) : "-");
            head.AddRow("contracted MW", t.ContractedMw is { } c ? Format.Mw(c) : "-");
            head.AddRow("revenue per MW-year", t.RevenuePerMwYear is { } rpm ? Format.Compact(rpm) : "-");
            head.AddRow("utilization (committed GPU-h / available)", t.Utilization is { } u ? u.ToString("P1", Inv) : "-");
            io.Console.Write(head);

            var dimension = Dimension(r.GetValue(by)!);
            var rows = kpis.By(dimension).OrderByDescending(x => x.Backlog.Amount).ToList();
            var table = new Table().Title($"by {r.GetValue(by)} ({rows.Count})");
            foreach (var h in new[] { r.GetValue(by)!, "TCV", "recognized", "RPO", "backlog", "NTM", "run-rate", "in-service MW", "util." })
                table.AddColumn(h == r.GetValue(by) ? new TableColumn(h) : new TableColumn(h).RightAligned());
            foreach (var x in rows.Take(25))
            {
                table.AddRow(Markup.Escape(x.Key), Format.Compact(x.Tcv), Format.Compact(x.Recognized), Format.Compact(x.Rpo), Format.Compact(x.Backlog),
                    Format.Compact(x.NextTwelveMonths), Format.Compact(x.RunRate), x.InServiceMw is { } mw ? Format.Mw(mw) : "-", x.Utilization is { } ut ? ut.ToString("P0", Inv) : "-");
            }
            if (rows.Count > 25) table.Caption($"top 25 of {rows.Count} by backlog; --json for all");
            io.Console.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Revenue(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var by = ByOption("customer");
        var from = MonthOption("--from", "First month (YYYY-MM)");
        var to = MonthOption("--to", "Last month, inclusive (YYYY-MM)");
        from.Required = true;
        to.Required = true;
        var cmd = new Command("revenue", "Recognized revenue per month by customer, platform, site or region") { db, json, by, from, to };
        cmd.SetAction(async (r, ct) =>
        {
            var first = r.GetValue(from)!.Value;
            var last = r.GetValue(to)!.Value;
            if (last.CompareTo(first) < 0)
            {
                io.Err.WriteLine($"error: --to: {last} is before --from {first}.");
                return ExitCodes.BadInput;
            }
            var book = await LoadBookAsync(io, r, db, ct);
            if (book is null) return ExitCodes.BadInput;
            var table = RevenueReport.By(book, Dimension(r.GetValue(by)!), first, last);
            if (r.GetValue(json))
            {
                io.WriteJson(table);
                return ExitCodes.Ok;
            }
            // One currency per table, in its title: cells stay short enough not to wrap.
            var t = new Table().Title($"revenue by {r.GetValue(by)}, {first} .. {last} ({table.Total.Currency.Code})");
            t.AddColumn(r.GetValue(by)!);
            foreach (var m in table.Months) t.AddColumn(new TableColumn(m.ToString()).RightAligned());
            t.AddColumn(new TableColumn("total").RightAligned());
            foreach (var row in table.Rows.OrderByDescending(x => x.Total.Amount).Take(30))
                t.AddRow([Markup.Escape(row.Key), .. row.Months.Select(Format.CompactAmount), Format.CompactAmount(row.Total)]);
            t.AddRow(["[bold]total[/]", .. table.MonthTotals.Select(Format.CompactAmount), Format.CompactAmount(table.Total)]);
            io.Console.Write(t);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
