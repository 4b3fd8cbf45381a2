using System.Globalization;
using Lessor.Server.Fleet;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Lessor.Server;

/// <summary>
/// A fleet write on a replica that does not hold the fleet lease (or lost it during the write; nothing was written) is
/// answered 503 with problem type <c>fleet-leader-elsewhere</c>, naming the holder and its advertised URL when known,
/// and Retry-After: a proxy retries it on another replica, an operator sees where to go (docs/deploy.md).
/// </summary>
internal sealed class FleetLeaseProblems(IProblemDetailsService problems, FleetLease lease) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var elsewhere = exception switch
        {
            FleetLeaderElsewhereException e => e,
            LeaseLostException lost when lost.Fence.Name == FleetLease.Name => new FleetLeaderElsewhereException(lease.Holder, lost.Current),
            _ => null,
        };
        if (elsewhere is null) return false;
        var holder = elsewhere.Holder;
        var now = lease.Clock.GetUtcNow().UtcDateTime;
        var held = holder is not null && holder.HeldAt(now) && holder.Holder != lease.Holder;
        // Until the holder's lease would end, or a second when nobody holds it (one takes it at its next renewal).
        var retry = held ? Math.Clamp((int)Math.Ceiling((holder!.ExpiresAt - now).TotalSeconds), 1, 60) : 1;
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Type = FleetLeaderElsewhereException.ProblemType,
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "This replica does not write the fleet: another one holds the fleet lease.",
                Detail = elsewhere.Message,
                Extensions =
                {
                    ["replica"] = lease.Holder,
                    ["holder"] = held ? holder!.Holder : null,
                    ["holder_url"] = held ? holder!.HolderUrl : null,
                    ["epoch"] = holder?.Epoch,
                },
            },
        });
    }
}
