using System.Security.Claims;
using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Lessor.Server.Fleet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Availability and SLA credits per contract and month (docs/fleet.md); finance runs the month's credits.</summary>
public static class SlaApi
{
    /// <summary>A contract's month: availability, the credit it earns and the evidence behind it.</summary>
    public sealed record SlaView(
        string Contract, string Customer, string Month, decimal Availability, decimal Target, decimal CommittedGpuMinutes, decimal ExcludedGpuMinutes,
        decimal DownGpuMinutes, decimal DegradedGpuMinutes, decimal CreditFraction, Money Charge, Money Credit, IReadOnlyList<EvidenceView> Evidence)
    {
        public static SlaView Of(SlaMonth m) => new(m.Contract.Value, m.Customer.Value, m.Month.ToString(), m.Availability, m.Target, m.CommittedGpuMinutes,
            m.ExcludedGpuMinutes, m.DownGpuMinutes, m.DegradedGpuMinutes, m.CreditFraction, m.Charge, m.Credit, [.. m.Evidence.Select(EvidenceView.Of)]);
    }

    /// <summary>One node's minutes in the month: down or degraded, counted or not, and the cause.</summary>
    public sealed record EvidenceView(string Node, string? Line, int Gpus, decimal Minutes, bool Degraded, bool CountedDown, string Cause, DateTime Start, DateTime End)
    {
        public static EvidenceView Of(SlaEvidence e) => new(e.Node, e.Line.Line.Value, e.Gpus, e.Minutes, e.Degraded, e.CountedDown, e.Cause, e.Start, e.End);
    }

    /// <summary>The credit run's answer: per contract with an SLA, the credit and whether this run wrote it.</summary>
    public sealed record CreditRunView(string Month, IReadOnlyList<CreditRunItem> Contracts, Money? Total);

    /// <summary>Credits per customer in a month's SLA run, for finance.</summary>
    public sealed record CustomerCredits(string Customer, Money Credits, int Contracts);

    public static IEndpointRouteBuilder MapSlaApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/sla").RequireAuthorization(Policies.SlaRead).MapGet("", Report);
        var finance = app.MapGroup("/api/v1/sla").RequireAuthorization(Policies.Finance);
        finance.MapPost("/credits", Run).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        finance.MapGet("/credits/by-customer", ByCustomer);
        return app;
    }

    /// <summary>Availability and credit of each contract with an SLA in a month (?month=YYYY-MM, optional ?customer=); a tenant sees only its own.</summary>
    private static async Task<Results<Ok<IReadOnlyList<SlaView>>, NotFound, ValidationProblem>> Report(FleetDesk desk, LessorState s, ClaimsPrincipal user, string? month, string? customer, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (DateInput.Month(errors, "month", month ?? "") is not { } m || errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var own = user.TenantCustomer();
        if (customer is not null && (!user.MaySee(customer) || s.Scenario.Customers.All(c => c.Id.Value != customer))) return TypedResults.NotFound();
        var who = own ?? customer;
        var months = await desk.SlaAsync(m, who is null ? null : new CustomerId(who), ct);
        return TypedResults.Ok<IReadOnlyList<SlaView>>([.. months.Select(SlaView.Of)]);
    }

    /// <summary>
    /// Writes the month's SLA credits (?month=YYYY-MM, a month that is over): once per (contract, month), each on the next
    /// invoice not yet issued as a credit line, with its evidence. Running it again writes nothing twice.
    /// </summary>
    private static async Task<Results<Ok<CreditRunView>, ValidationProblem, Conflict<ProblemDetails>>> Run(FleetDesk desk, string? month, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (DateInput.Month(errors, "month", month ?? "") is not { } m || errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (items, error) = await desk.RunCreditsAsync(m, ct);
        if (items is null)
            return TypedResults.Conflict(new ProblemDetails { Title = "The month is not over.", Detail = $"month: {error}", Status = StatusCodes.Status409Conflict });
        var currencies = items.Select(i => i.Credit.Currency).Distinct().ToList();
        Money? total = currencies.Count == 1 ? new Money(items.Sum(i => i.Credit.Amount), currencies[0]) : null;
        return TypedResults.Ok(new CreditRunView(m.ToString(), items, total));
    }

    /// <summary>SLA credits written for a month (?month=YYYY-MM), summed per customer: what finance reports by customer and month.</summary>
    private static async Task<Results<Ok<IReadOnlyList<CustomerCredits>>, ValidationProblem>> ByCustomer(LessorState s, string? month, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (DateInput.Month(errors, "month", month ?? "") is not { } m || errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var written = await s.Store.ListSlaMonthsAsync(m, ct);
        var ids = written.Where(w => w.CreditId is not null).Select(w => w.CreditId!).ToHashSet(StringComparer.Ordinal);
        var contracts = s.Scenario.Contracts.ToDictionary(c => c.Id);
        var credits = new List<(string Customer, Money Amount)>();
        // The credit of a month lands on a later invoice; read it back by its id's month from the next months' credits.
        for (var k = m.Next; ids.Count > 0 && k.CompareTo(m.AddMonths(24)) <= 0; k = k.Next)
        {
            foreach (var c in await s.Store.ListCreditsAsync(k, ct))
            {
                if (c.Contract is not { } id || !ids.Remove($"sla-{id}-{m}")) continue;
                credits.Add((c.Customer.Value, c.Amount));
            }
        }
        return TypedResults.Ok<IReadOnlyList<CustomerCredits>>([.. credits.GroupBy(c => (c.Customer, c.Amount.Currency)).OrderBy(g => g.Key.Customer, StringComparer.Ordinal)
            .Select(g => new CustomerCredits(g.Key.Customer, new Money(g.Sum(x => x.Amount.Amount), g.Key.Currency), g.Count()))]);
    }
}
