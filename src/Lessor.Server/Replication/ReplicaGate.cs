using System.Globalization;
using Lessor.Server.Desk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lessor.Server.Replication;

/// <summary>
/// What a client can hold on to when several servers share a store (docs/change-feed.md): every answer carries
/// <c>Lessor-Revision</c>; <c>Lessor-Min-Revision</c> (or <c>?min_revision=</c>) makes a server behind catch up first or say
/// so; a server cut off from the store refuses writes at once and reads after <see cref="ServerOptions.ReadStaleBound"/>.
/// </summary>
public static class ReplicaGate
{
    /// <summary>The revision an answer reflects: for a write, the revision after it; for a read, at least this one.</summary>
    public const string RevisionHeader = "Lessor-Revision";

    /// <summary>The revision a client asks the answer to reflect at least (its own last write's, say).</summary>
    public const string MinRevisionHeader = "Lessor-Min-Revision";

    /// <summary>The same, as a query parameter.</summary>
    public const string MinRevisionQuery = "min_revision";

    /// <summary>Refuses API requests while the server cannot reach the store (before authentication, which reads keys from it).</summary>
    public static IApplicationBuilder UseCutOffGate(this IApplicationBuilder app, ServerOptions options, TimeProvider clock) => app.Use(async (context, next) =>
    {
        var desk = context.RequestServices.GetService(typeof(LessorState)) is LessorState state ? state.Desk : null;
        if (desk is null || !context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }
        var write = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method);
        var since = clock.GetUtcNow() - desk.LastContact;
        if ((write && desk.LastContactFailed) || since > options.ReadStaleBound)
        {
            await Results.Problem(
                title: "This server cannot reach the store.",
                detail: write
                    ? $"The store did not answer this server's last check; writes are refused until it does. Try another server."
                    : $"The store last answered {since.TotalSeconds:0.0} s ago (more than {options.ReadStaleBound.TotalSeconds:0.#} s): this server's book may be stale. Try another server.",
                statusCode: StatusCodes.Status503ServiceUnavailable,
                type: "store-unreachable",
                extensions: new Dictionary<string, object?> { ["revision"] = desk.Revision, ["last_contact"] = desk.LastContact }).ExecuteAsync(context);
            return;
        }
        try
        {
            await next(context);
        }
        catch (System.Data.Common.DbException e) when (!context.Response.HasStarted && IsUnreachable(e))
        {
            // The store went away under this request. A transaction commits whole or not at all, but a commit whose answer
            // was lost may have happened: a retry with the same idempotency key is safe either way.
            desk.StoreFailed();
            context.Response.Clear();
            await Results.Problem(
                title: "This server cannot reach the store.",
                detail: "The store stopped answering during this request, so whether a write in it was committed is unknown; retry it with the same Idempotency-Key (here or on another server) to find out.",
                statusCode: StatusCodes.Status503ServiceUnavailable,
                type: "store-unreachable",
                extensions: new Dictionary<string, object?> { ["revision"] = desk.Revision, ["last_contact"] = desk.LastContact }).ExecuteAsync(context);
        }
    });

    // A connection that could not be opened or broke (I/O, timeouts, a server shutting down), as opposed to an error of the
    // statement itself, which stays a bug (500).
    private static bool IsUnreachable(System.Data.Common.DbException e) =>
        e is Npgsql.NpgsqlException { IsTransient: true } || e.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException;

    /// <summary>Stamps every answer with its revision and honours a client's minimum revision (after authorization).</summary>
    public static IApplicationBuilder UseRevisions(this IApplicationBuilder app, ServerOptions options) => app.Use(async (context, next) =>
    {
        var desk = context.RequestServices.GetService(typeof(LessorState)) is LessorState state ? state.Desk : null;
        if (desk is null)
        {
            await next(context);
            return;
        }
        var read = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        var atStart = desk.Revision;
        context.Response.OnStarting(() =>
        {
            var revision = read ? atStart : desk.Revision;
            context.Response.Headers[RevisionHeader] = revision.ToString(CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });

        string? asked = context.Request.Headers[MinRevisionHeader].FirstOrDefault() ?? context.Request.Query[MinRevisionQuery].FirstOrDefault();
        if (asked is null)
        {
            await next(context);
            return;
        }
        if (!long.TryParse(asked, NumberStyles.None, CultureInfo.InvariantCulture, out var min))
        {
            await Results.ValidationProblem(new Dictionary<string, string[]>
            {
                [MinRevisionHeader] = [$"'{asked}' is not a revision (a whole number from a {RevisionHeader} header)."],
            }).ExecuteAsync(context);
            return;
        }
        if (desk.Revision < min)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            wait.CancelAfter(options.MinRevisionWait);
            try
            {
                while (desk.Revision < min)
                {
                    await desk.RefreshAsync(wait.Token);
                    if (desk.Revision < min) await Task.Delay(TimeSpan.FromMilliseconds(20), wait.Token);
                }
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                // Waited long enough: answered below.
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                // The store did not answer: the replica is behind for now; answered below.
            }
            atStart = desk.Revision;
        }
        if (desk.Revision < min)
        {
            context.Response.Headers.RetryAfter = "1";
            await Results.Problem(
                title: "This server has not reached the revision asked for.",
                detail: $"Asked for revision {min} or later; this server is at {desk.Revision} and the store at {desk.StoreRevision} (waited {options.MinRevisionWait.TotalSeconds:0.#} s). Retry, or ask another server.",
                statusCode: StatusCodes.Status503ServiceUnavailable,
                type: "replica-behind",
                extensions: new Dictionary<string, object?> { ["revision"] = desk.Revision, ["store_revision"] = desk.StoreRevision, ["min_revision"] = min }).ExecuteAsync(context);
            return;
        }
        await next(context);
    });
}
