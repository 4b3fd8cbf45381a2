using System.CommandLine;
using Lessor.Core.Finance;
using Lessor.Core.Model;

namespace Lessor.Cli.Commands;

/// <summary>`lessor report chart backlog|revenue --out FILE.png|svg`, drawn with ScottPlot.</summary>
internal static class ChartCommand
{
    public static Command Build(CliIo io)
    {
        var kind = new Argument<string>("kind") { Description = "backlog (RPO and backlog at each quarter end) or revenue (recognized per month)" };
        kind.AcceptOnlyFromAmong("backlog", "revenue");
        var output = new Option<FileInfo>("--out", "-o") { Description = "Image file: .png or .svg", Required = true };
        output.Validators.Add(v =>
        {
            var f = v.GetValueOrDefault<FileInfo>();
            if (f is not null && f.Extension is not (".png" or ".svg")) v.AddError($"--out: {f.Name} must end in .png or .svg.");
        });
        var from = ReportCommands.MonthOption("--from", "First month (default 2024-01)");
        var to = ReportCommands.MonthOption("--to", "Last month (default 2033-12)");
        var runRate = ReportCommands.RunRateOption();
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("chart", "Draw backlog or revenue over time to a PNG or SVG file") { kind, output, from, to, runRate, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            var first = r.GetValue(from) ?? new YearMonth(2024, 1);
            var last = r.GetValue(to) ?? new YearMonth(2033, 12);
            if (last.CompareTo(first) < 0)
            {
                io.Err.WriteLine($"error: --to: {last} is before --from {first}.");
                return ExitCodes.BadInput;
            }
            var book = await ReportCommands.LoadBookAsync(io, r, db, ct);
            if (book is null) return ExitCodes.BadInput;
            var plot = r.GetValue(kind) == "backlog"
                ? Backlog(book, first, last, ReportCommands.Settings(r.GetValue(runRate)!))
                : Revenue(book, first, last);
            var file = r.GetValue(output)!;
            if (file.Extension == ".svg") plot.SaveSvg(file.FullName, 1200, 600);
            else plot.SavePng(file.FullName, 1200, 600);
            if (r.GetValue(json)) io.WriteJson(new { written = file.FullName, kind = r.GetValue(kind), from = first.ToString(), to = last.ToString() });
            else io.Out.WriteLine($"wrote {file.FullName}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static ScottPlot.Plot Backlog(FinanceBook book, YearMonth first, YearMonth last, FinanceSettings settings)
    {
        var dates = new List<DateTime>();
        for (var m = first; m.CompareTo(last) <= 0; m = m.AddMonths(3)) dates.Add(m.Start);
        var kpis = dates.Select(d => FinanceReport.Kpis(book, d, settings)).ToList();
        var xs = dates.Select(d => d.ToOADate()).ToArray();
        var plot = new ScottPlot.Plot();
        var backlog = plot.Add.Scatter(xs, kpis.Select(k => (double)(k.Total.Backlog.Amount / 1e9m)).ToArray());
        backlog.LegendText = "backlog (RPO + other committed)";
        var rpo = plot.Add.Scatter(xs, kpis.Select(k => (double)(k.Total.Rpo.Amount / 1e9m)).ToArray());
        rpo.LegendText = "RPO";
        var runRate = plot.Add.Scatter(xs, kpis.Select(k => (double)(k.Total.RunRate.Amount / 1e9m)).ToArray());
        runRate.LegendText = $"run-rate ({FinanceReport.Describe(settings.RunRate)})";
        plot.Axes.DateTimeTicksBottom();
        plot.Title($"{book.Scenario.Name}: backlog, RPO and run-rate");
        plot.YLabel($"{book.Scenario.Currency} billions");
        // Outside the data area, so the legend never covers the lines' ends.
        plot.ShowLegend(ScottPlot.Edge.Right);
        return plot;
    }

    private static ScottPlot.Plot Revenue(FinanceBook book, YearMonth first, YearMonth last)
    {
        var table = RevenueReport.By(book, FinanceDimension.Platform, first, last);
        var plot = new ScottPlot.Plot();
        var xs = table.Months.Select(m => m.Start.ToOADate()).ToArray();
        foreach (var row in table.Rows.OrderByDescending(r => r.Total.Amount))
        {
            var line = plot.Add.Scatter(xs, row.Months.Select(v => (double)(v.Amount / 1e6m)).ToArray());
            line.LegendText = row.Key;
            line.MarkerSize = 0;
        }
        plot.Axes.DateTimeTicksBottom();
        plot.Title($"{book.Scenario.Name}: recognized revenue per month by platform");
        plot.YLabel($"{book.Scenario.Currency} millions");
        // Outside the data area, so the legend never covers the lines' ends.
        plot.ShowLegend(ScottPlot.Edge.Right);
        return plot;
    }
}
