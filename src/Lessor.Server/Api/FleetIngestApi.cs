using Lessor.Server.Access;
using Lessor.Server.Fleet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>The NATS health consumer's status: counters, lag, last error (docs/nats.md).</summary>
public static class FleetIngestApi
{
    public static IEndpointRouteBuilder MapFleetIngestApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/fleet/ingest", Status).RequireAuthorization(Policies.Operations);
        return app;
    }

    /// <summary>Whether the consumer runs, and what it has consumed, applied, answered duplicate and dead-lettered since the server started.</summary>
    private static Ok<FleetIngestMetrics.Status> Status(FleetIngestMetrics metrics) => TypedResults.Ok(metrics.Snapshot());
}
