using Lessor.Core.Finance;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Finance over HTTP: KPIs as of a date and revenue per month by a dimension.</summary>
public static class FinanceApi
{
    public static IEndpointRouteBuilder MapFinanceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/finance");
        api.MapGet("/kpis", Kpis);
        api.MapGet("/revenue", Revenue);
        return app;
    }

    private static Results<Ok<FinanceKpis>, ValidationProblem> Kpis(LessorState s, DateTime? asOf, string? runRate)
    {
        var errors = new Dictionary<string, string[]>();
        if (asOf is null) errors["as_of"] = ["required: a UTC date such as 2025-12-31."];
        if (runRate is not (null or "month" or "quarter")) errors["run_rate"] = [$"'{runRate}' is neither month nor quarter."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var settings = new FinanceSettings { RunRate = runRate == "quarter" ? RunRateMethod.LatestQuarterTimes4 : RunRateMethod.LatestMonthTimes12 };
        var book = FinanceBook.Build(s.Scenario, s.Desk.Coverage());
        return TypedResults.Ok(FinanceReport.Kpis(book, DateTime.SpecifyKind(asOf!.Value, DateTimeKind.Utc), settings));
    }

    private static Results<Ok<RevenueTable>, ValidationProblem> Revenue(LessorState s, string? by, string? from, string? to)
    {
        var errors = new Dictionary<string, string[]>();
        FinanceDimension? dimension = by switch
        {
            null or "customer" => FinanceDimension.Customer,
            "platform" => FinanceDimension.Platform,
            "site" => FinanceDimension.Site,
            "region" => FinanceDimension.Region,
            _ => null,
        };
        if (dimension is null) errors["by"] = [$"'{by}' is not one of customer, platform, site, region."];
        if (!YearMonth.TryParse(from, out var first)) errors["from"] = [$"'{from}' is not a month written YYYY-MM."];
        if (!YearMonth.TryParse(to, out var last)) errors["to"] = [$"'{to}' is not a month written YYYY-MM."];
        if (errors.Count == 0 && last.CompareTo(first) < 0) errors["to"] = [$"{last} is before from {first}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var book = FinanceBook.Build(s.Scenario, s.Desk.Coverage());
        return TypedResults.Ok(RevenueReport.By(book, dimension!.Value, first, last));
    }
}
