using Lessor.Core.Ledger;
using Lessor.Planning;
using Lessor.Server.Desk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>The build-out planner over HTTP: what to build, where and by when, for a deal that does not fit.</summary>
public static class PlanApi
{
    /// <summary>A deal to plan for, the day to plan from (default: today, UTC), and the size and number of new fabrics.</summary>
    public sealed record PlanBody(DealBody? Deal, DateTime? Today, int? NewFabricMaxUnits, int? MaxNewFabricsPerSite);

    public static IEndpointRouteBuilder MapPlanApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/deals/plan", Plan).RequireAuthorization(Access.Policies.Desk).WithMetadata(Access.ReadOnlyOperation.Instance);
        return app;
    }

    private static Results<Ok<BuildOutPlan>, ValidationProblem> Plan(LessorState s, PlanBody body, TimeProvider clock)
    {
        var scenario = s.Scenario;
        var (deal, errors) = DealInput.Build(scenario, body.Deal);
        var all = errors.ToDictionary(e => "deal." + e.Key, e => e.Value);
        if (body.NewFabricMaxUnits is <= 0) all["new_fabric_max_units"] = [$"{body.NewFabricMaxUnits} must be positive."];
        if (body.MaxNewFabricsPerSite is < 0) all["max_new_fabrics_per_site"] = [$"{body.MaxNewFabricsPerSite} must not be negative."];
        DateInput.Check(all, "today", body.Today);
        if (deal is null || all.Count > 0) return TypedResults.ValidationProblem(all);
        var today = DateTime.SpecifyKind((body.Today ?? clock.GetUtcNow().UtcDateTime).Date, DateTimeKind.Utc);
        var options = new PlanOptions
        {
            NewFabricMaxUnits = body.NewFabricMaxUnits,
            MaxNewFabricsPerSite = body.MaxNewFabricsPerSite ?? PlanOptions.Default.MaxNewFabricsPerSite,
        };
        // A ledger of its own, built from the immutable snapshot (signed lines are pinned, so it equals the desk's):
        // the solve then never holds the desk's write lock.
        var ledger = CapacityLedger.Build(scenario).Ledger;
        return TypedResults.Ok(BuildOutPlanner.Plan(scenario, ledger, deal, today, options));
    }
}
