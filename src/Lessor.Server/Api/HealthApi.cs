using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Liveness and readiness: the store answers and the model is loaded. Open to all, so it tells nothing of the book.</summary>
public static class HealthApi
{
    /// <summary>Health report: status, store schema version and what is loaded.</summary>
    public sealed record Health(string Status, int SchemaVersion);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", GetHealth).WithName("health").AllowAnonymous();
        return app;
    }

    private static async Task<Ok<Health>> GetHealth(LessorState state, CancellationToken ct)
    {
        var version = await state.Store.SchemaVersionAsync(ct);
        return TypedResults.Ok(new Health("ok", version));
    }
}
