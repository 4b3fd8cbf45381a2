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

    /// <summary>
    /// Readiness of this server as a replica: <c>ready</c> when the store answered within the stale bound; its book's
    /// revision, the store's as last seen, the lag between them, the last catch-up, the last contact with the store, and
    /// whether the last attempt to reach it failed (then writes are refused), and the fleet lease. Answered with 503 when
    /// not ready (holding the fleet lease or not does not change readiness: reads and non-fleet writes are served either way).
    /// </summary>
    public sealed record Ready(
        string Status, long Revision, long StoreRevision, long Lag, DateTimeOffset? LastCatchUpAt, double? LastCatchUpMs, bool? LastCatchUpFromFeed,
        DateTimeOffset LastContact, bool CutOff, bool Listening, long FullRebuilds, FleetLeaseView FleetLease);

    /// <summary>
    /// The fleet lease as this replica sees it: whether it holds it (it alone writes the fleet and runs the NATS consumer)
    /// and at which epoch; otherwise who holds it as last read, and when this replica last reloaded its fleet book from
    /// the holder's writes (fleet reads here lag by up to the follow interval).
    /// </summary>
    public sealed record FleetLeaseView(bool Held, long? Epoch, string Replica, string? Holder, string? HolderUrl, DateTimeOffset? BookReloadedAt);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", GetHealth).WithName("health").AllowAnonymous();
        // For proxies and operators, like /health's liveness; left out of the API document (docs/change-feed.md says what
        // it answers), where a second Health operation pushed the API reference's first areas out of its first view.
        app.MapGet("/health/ready", GetReady).WithName("ready").AllowAnonymous()
            .Produces<Ready>(StatusCodes.Status200OK).Produces<Ready>(StatusCodes.Status503ServiceUnavailable).ExcludeFromDescription();
        return app;
    }

    private static IResult GetReady(LessorState state, Replication.ReplicaLoop replica, ServerOptions options, TimeProvider clock, Fleet.FleetLease lease, Fleet.FleetDesk fleet)
    {
        var epoch = lease.Epoch;
        var elsewhere = epoch is null && lease.Elsewhere is { } seen && seen.HeldAt(lease.Clock.GetUtcNow().UtcDateTime) ? seen : null;
        var leaseView = new FleetLeaseView(epoch is not null, epoch, lease.Holder, elsewhere?.Holder, elsewhere?.HolderUrl, fleet.FollowedAt);
        var desk = state.Desk;
        var last = desk.LastCatchUp;
        var stale = clock.GetUtcNow() - desk.LastContact > options.ReadStaleBound;
        var ready = new Ready(stale ? "unreachable" : desk.LastContactFailed ? "read-only" : "ready", desk.Revision, desk.StoreRevision, desk.Lag,
            last?.At, last?.Took.TotalMilliseconds, last?.FromFeed, desk.LastContact, desk.LastContactFailed, replica.Listening, desk.FullRebuilds, leaseView);
        return stale || desk.LastContactFailed
            ? TypedResults.Json(ready, statusCode: StatusCodes.Status503ServiceUnavailable)
            : TypedResults.Ok(ready);
    }

    private static async Task<Ok<Health>> GetHealth(LessorState state, CancellationToken ct)
    {
        var version = await state.Store.SchemaVersionAsync(ct);
        return TypedResults.Ok(new Health("ok", version));
    }
}
