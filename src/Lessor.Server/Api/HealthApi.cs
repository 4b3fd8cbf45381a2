using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Liveness and readiness: the store answers and the model is loaded.</summary>
public static class HealthApi
{
    /// <summary>Health report: status, store schema version and what is loaded.</summary>
    public sealed record Health(string Status, int SchemaVersion, string Scenario, int Contracts, int Fabrics);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", GetHealth).WithName("health");
        return app;
    }

    private static async Task<Ok<Health>> GetHealth(LessorState state, CancellationToken ct)
    {
        var version = await state.Store.SchemaVersionAsync(ct);
        var s = state.Scenario;
        return TypedResults.Ok(new Health("ok", version, s.Name, s.Contracts.Count, s.Fabrics.Count));
    }
}
