using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Operations: move a delivery's date, or preview what a slip would put at risk.</summary>
public static class OperationsApi
{
    /// <summary>The new acceptance date of a delivery.</summary>
    public sealed record SlipBody(DateTime? To);

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/deliveries/{id}/slip", Slip).RequireAuthorization(Policies.Operations);
        app.MapPost("/api/v1/deliveries/{id}/slip-preview", Preview).RequireAuthorization(Policies.Risk).WithMetadata(ReadOnlyOperation.Instance);
        return app;
    }

    /// <summary>The field error for a missing or out-of-range new date; null when fine.</summary>
    private static ValidationProblem? To(SlipBody body) =>
        body.To is null ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = ["required: the new acceptance date."] })
        : DateInput.Refusal(body.To) is { } far ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = [far] })
        : null;

    private static async Task<Results<Ok<SlipOutcome>, NotFound, ValidationProblem, Conflict<ProblemDetails>>> Slip(LessorState s, string id, SlipBody body, CancellationToken ct)
    {
        if (s.Scenario.Deliveries.All(d => d.Id.Value != id)) return TypedResults.NotFound();
        if (To(body) is { } problem) return problem;
        var outcome = await s.Desk.SlipDeliveryAsync(new DeliveryId(id), body.To!.Value, ct);
        return outcome.Applied ? TypedResults.Ok(outcome) : TypedResults.Conflict(new ProblemDetails { Title = "The delivery was not moved.", Detail = outcome.Error, Status = 409 });
    }

    private static Results<Ok<SlipOutcome>, NotFound, ValidationProblem, Conflict<ProblemDetails>> Preview(LessorState s, string id, SlipBody body)
    {
        if (s.Scenario.Deliveries.All(d => d.Id.Value != id)) return TypedResults.NotFound();
        if (To(body) is { } problem) return problem;
        var outcome = s.Desk.PreviewSlip(new DeliveryId(id), body.To!.Value);
        return outcome.Delivery is not null ? TypedResults.Ok(outcome) : TypedResults.Conflict(new ProblemDetails { Title = "No such slip.", Detail = outcome.Error, Status = 409 });
    }
}
