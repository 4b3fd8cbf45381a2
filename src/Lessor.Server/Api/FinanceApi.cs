using System.Security.Claims;
using Lessor.Core.Contracts;
using Lessor.Core.Finance;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Lessor.Server.Finance;
using Lessor.Server.Fleet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Finance over HTTP: KPIs as of a date and revenue per month by a dimension.</summary>
public static class FinanceApi
{
    public static IEndpointRouteBuilder MapFinanceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/finance").RequireAuthorization(Policies.Finance);
        api.MapGet("/kpis", Kpis);
        api.MapGet("/revenue", Revenue);
        app.MapPost("/api/v1/invoices/run", RunInvoices).RequireAuthorization(Policies.Finance);
        app.MapGet("/api/v1/invoices", ListInvoices).RequireAuthorization(Policies.Finance);
        var customer = app.MapGroup("/api/v1/customers/{id}").RequireAuthorization(Policies.CustomerFinance);
        customer.MapGet("/schedule", Schedule);
        customer.MapGet("/invoices", CustomerInvoices);
        return app;
    }

    /// <summary>
    /// The KPIs as of a date (?as_of=), with the SLA credits by customer and month of service from ?sla_from=YYYY-MM
    /// (default: January of the as-of year) to the as-of month: written by the as-of date, and accrued (docs/finance.md).
    /// </summary>
    private static async Task<Results<Ok<FinanceKpis>, ValidationProblem>> Kpis(
        LessorState s, FleetDesk fleet, [FromQuery(Name = "as_of")] DateTime? asOf, [FromQuery(Name = "run_rate")] string? runRate,
        [FromQuery(Name = "sla_from")] string? slaFrom, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (asOf is null) errors["as_of"] = ["required: a UTC date such as 2025-12-31."];
        DateInput.Check(errors, "as_of", asOf);
        if (runRate is not (null or "month" or "quarter")) errors["run_rate"] = [$"'{runRate}' is neither month nor quarter."];
        var from = DateInput.Month(errors, "sla_from", slaFrom);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var at = DateTime.SpecifyKind(asOf!.Value, DateTimeKind.Utc);
        var to = YearMonth.Of(at);
        var first = from ?? new YearMonth(to.Year, 1);
        if (first.CompareTo(to) > 0) errors["sla_from"] = [$"{first} is after the as-of month {to}."];
        else if (YearMonth.MonthsBetween(first, to) >= MaxCreditMonths)
            errors["sla_from"] = [$"{first} to the as-of month {to} is {YearMonth.MonthsBetween(first, to) + 1} months; at most {MaxCreditMonths} are reported."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var settings = new FinanceSettings { RunRate = runRate == "quarter" ? RunRateMethod.LatestQuarterTimes4 : RunRateMethod.LatestMonthTimes12 };
        var kpis = FinanceReport.Kpis(s.Desk.FinanceBook(), at, settings);
        var (entries, measured) = await fleet.CreditsAsOfAsync(at, first, to, ct);
        return TypedResults.Ok(kpis with { SlaCredits = SlaCreditSummary.Of(at, kpis.Currency, first, to, entries, measured) });
    }

    /// <summary>The most months of SLA credits one KPI answer reports (three years): each month not yet credited is measured.</summary>
    private const int MaxCreditMonths = 36;

    private static async Task<Results<Ok<BillingRun>, ValidationProblem>> RunInvoices(LessorState s, string? month, TimeProvider clock, CancellationToken ct)
    {
        if (RequiredMonth(month) is { } problem) return problem;
        var m = YearMonth.Parse(month!);
        var run = await Billing.RunMonthAsync(s.Store, s.Desk.FinanceBook(), m, clock.GetUtcNow().UtcDateTime, ct);
        return run.Ok ? TypedResults.Ok(run) : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["month"] = [run.Refused!] });
    }

    private static async Task<Results<Ok<IReadOnlyList<Invoice>>, ValidationProblem>> ListInvoices(LessorState s, string? month, CancellationToken ct)
    {
        if (RequiredMonth(month) is { } problem) return problem;
        return TypedResults.Ok(Billing.Read(await s.Store.IssuedInvoicesAsync(YearMonth.Parse(month!), ct)));
    }

    /// <summary>The field error for a required month that is absent, not YYYY-MM, or out of the supported range; null when fine.</summary>
    private static ValidationProblem? RequiredMonth(string? month)
    {
        var errors = new Dictionary<string, string[]>();
        if (DateInput.Month(errors, "month", month ?? "") is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return null;
    }

    /// <summary>One customer's recognized revenue per month over its contracts' terms.</summary>
    private static Results<Ok<RevenueTable>, NotFound, ValidationProblem> Schedule(LessorState s, ClaimsPrincipal user, string id, string? from, string? to)
    {
        if (!user.MaySee(id) || s.Scenario.Customers.All(c => c.Id.Value != id)) return TypedResults.NotFound();
        var errors = new Dictionary<string, string[]>();
        var asked = (From: DateInput.Month(errors, "from", from), To: DateInput.Month(errors, "to", to));
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var own = s.Scenario with { Contracts = s.Scenario.Contracts.Where(c => c.Customer.Value == id).ToList() };
        var lines = own.Contracts.SelectMany(LineSegments.Of).ToList();
        // Defaults come from stored terms, which may predate the range check: clamped, so a far row cannot make this fail.
        var first = asked.From ?? (lines.Count > 0 ? DateInput.ClampedMonth(lines.Min(l => l.Period.Start)) : DateInput.FirstMonth);
        var last = asked.To ?? (lines.Count > 0 ? DateInput.ClampedMonth(lines.Max(l => l.Period.End).AddMinutes(-1)) : first);
        if (last.CompareTo(first) < 0) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = [$"{last} is before from {first}."] });
        return TypedResults.Ok(RevenueReport.By(FinanceBook.Build(own, s.Desk.Coverage()), FinanceDimension.Customer, first, last));
    }

    private static async Task<Results<Ok<IReadOnlyList<Invoice>>, NotFound, ValidationProblem>> CustomerInvoices(LessorState s, ClaimsPrincipal user, string id, string? month, CancellationToken ct)
    {
        if (!user.MaySee(id) || s.Scenario.Customers.All(c => c.Id.Value != id)) return TypedResults.NotFound();
        var errors = new Dictionary<string, string[]>();
        var asked = DateInput.Month(errors, "month", month);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var months = asked is { } m ? [m] : await s.Store.IssuedMonthsAsync(ct);
        var invoices = new List<Invoice>();
        foreach (var one in months)
            invoices.AddRange(Billing.Read(await s.Store.IssuedInvoicesAsync(one, ct)).Where(i => i.Customer.Value == id));
        return TypedResults.Ok<IReadOnlyList<Invoice>>(invoices);
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
        var first = DateInput.Month(errors, "from", from ?? "") ?? default;
        var last = DateInput.Month(errors, "to", to ?? "") ?? default;
        if (errors.Count == 0 && last.CompareTo(first) < 0) errors["to"] = [$"{last} is before from {first}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var book = s.Desk.FinanceBook();
        return TypedResults.Ok(RevenueReport.By(book, dimension!.Value, first, last));
    }
}
