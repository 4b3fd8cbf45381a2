using Lessor.Core.Estate;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Read-only listings of the estate: catalog, regions, sites, fabrics, deliveries, and the fleet over time.</summary>
public static class EstateApi
{
    public static IEndpointRouteBuilder MapEstateApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization(Policies.EstateRead);
        api.MapGet("/platforms", (LessorState s, int? offset, int? limit) => Paging.Slice(s.Scenario.Platforms, offset, limit));
        api.MapGet("/regions", (LessorState s, int? offset, int? limit) => Paging.Slice(s.Scenario.Regions, offset, limit));
        api.MapGet("/sites", (LessorState s, int? offset, int? limit) => Paging.Slice(s.Scenario.Sites, offset, limit));
        api.MapGet("/sites/{id}", GetSite);
        api.MapGet("/fabrics", (LessorState s, string? site, int? offset, int? limit) =>
            Paging.Slice(site is null ? s.Scenario.Fabrics : s.Scenario.Fabrics.Where(f => f.Site.Value == site).ToList(), offset, limit));
        api.MapGet("/deliveries", (LessorState s, string? fabric, int? offset, int? limit) =>
            Paging.Slice(fabric is null ? s.Scenario.Deliveries : s.Scenario.Deliveries.Where(d => d.Fabric.Value == fabric).ToList(), offset, limit));
        api.MapGet("/fleet", GetFleet);
        return app;
    }

    private static Results<Ok<Site>, NotFound> GetSite(LessorState s, string id) =>
        s.Scenario.Sites.FirstOrDefault(x => x.Id.Value == id) is { } site ? TypedResults.Ok(site) : TypedResults.NotFound();

    private static Results<Ok<IReadOnlyList<FleetSnapshot>>, ValidationProblem> GetFleet(LessorState s, DateTime? at)
    {
        if (DateInput.Refusal(at) is { } far) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["at"] = [far] });
        if (at is { Kind: not DateTimeKind.Utc })
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["at"] = ["must be a UTC instant (ending in Z) or a date."] });
        var instants = at is { } t ? [t] : FleetSummary.YearEnds(s.Scenario);
        return TypedResults.Ok(FleetSummary.At(s.Scenario, instants));
    }
}
