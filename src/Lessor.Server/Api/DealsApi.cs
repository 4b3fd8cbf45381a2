using System.Security.Claims;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>The deal desk over HTTP: check, earliest, largest, sign (idempotent), amend, cancel, and lines at risk.</summary>
public static class DealsApi
{
    /// <summary>A deal and the window to search for its earliest start.</summary>
    public sealed record EarliestBody(DealBody Deal, DateTime? NotBefore, DateTime? HorizonEnd);

    /// <summary>A deal to sign, with the contract's identity.</summary>
    public sealed record SignBody(DealBody Deal, string? ContractId, DateTime? SignedOn, string? Title, Money? Prepayment, LateDeliveryRule? LateDelivery = null);

    /// <summary>Grow, shrink or extend one line from a date on.</summary>
    public sealed record AmendBody(string? Line, DateTime? Effective, int? Gpus, DateTime? End);

    /// <summary>End a contract from a date on.</summary>
    public sealed record CancelBody(DateTime? Effective, string? Reason);

    /// <summary>A fit check with what the deal would change.</summary>
    public sealed record CheckResponse(bool Fits, FitResult Fit, ImpactView Impact);

    /// <summary>What a deal changes: its value, and utilization of the platforms and sites it moves (unchanged ones left out).</summary>
    public sealed record ImpactView(Money? Tcv, Period Over, IReadOnlyList<Utilization> ByPlatform, IReadOnlyList<Utilization> BySite)
    {
        public static ImpactView Of(ImpactResult i) => new(
            i.Tcv, i.Over,
            i.ByPlatform.Where(u => u.After != u.Before).ToList(),
            i.BySite.Where(u => u.After != u.Before).ToList());
    }

    public static IEndpointRouteBuilder MapDealsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/deals").RequireAuthorization(Policies.Desk);
        api.MapPost("/check", Check).WithMetadata(ReadOnlyOperation.Instance);
        api.MapPost("/earliest", Earliest).WithMetadata(ReadOnlyOperation.Instance);
        api.MapPost("/largest", Largest).WithMetadata(ReadOnlyOperation.Instance);
        api.MapPost("/sign", Sign);
        app.MapGet("/api/v1/deals/at-risk", (LessorState s) => TypedResults.Ok(s.Desk.Uncovered())).RequireAuthorization(Policies.Risk);
        app.MapPost("/api/v1/contracts/{id}/amend", Amend).RequireAuthorization(Policies.Desk);
        app.MapPost("/api/v1/contracts/{id}/cancel", Cancel).RequireAuthorization(Policies.Desk);
        app.MapPost("/api/v1/contracts/{id}/amend-preview", AmendPreview).RequireAuthorization(Policies.Desk).WithMetadata(ReadOnlyOperation.Instance);
        app.MapPost("/api/v1/contracts/{id}/cancel-preview", CancelPreview).RequireAuthorization(Policies.Desk).WithMetadata(ReadOnlyOperation.Instance);
        return app;
    }

    private static Results<Ok<CheckResponse>, ValidationProblem> Check(LessorState s, DealBody body)
    {
        var (deal, errors) = DealInput.Build(s.Scenario, body);
        if (deal is null) return TypedResults.ValidationProblem(errors);
        var impact = s.Desk.Impact(deal);
        return TypedResults.Ok(new CheckResponse(impact.Fit.Fits, impact.Fit, ImpactView.Of(impact)));
    }

    private static Results<Ok<EarliestResult>, ValidationProblem> Earliest(LessorState s, EarliestBody body)
    {
        var (deal, dealErrors) = DealInput.Build(s.Scenario, body.Deal);
        var errors = new Dictionary<string, string[]>(dealErrors);
        DateInput.Check(errors, "not_before", body.NotBefore);
        DateInput.Check(errors, "horizon_end", body.HorizonEnd);
        if (deal is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var notBefore = body.NotBefore ?? deal.Lines.Min(l => l.Period.Start);
        var horizon = body.HorizonEnd ?? notBefore.AddYears(10);
        if (horizon <= notBefore)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["horizon_end"] = ["must be after not_before."] });
        return TypedResults.Ok(s.Desk.Earliest(deal, notBefore, horizon));
    }

    private static Results<Ok<LargestResult>, ValidationProblem> Largest(LessorState s, DealBody body)
    {
        // The answer is the size, so the line needs none: one block (or one unit of its platform) stands in for the checks,
        // as `lessor deal largest` does.
        if (body.Lines is [{ Gpus: null } line]
            && (line.BlockSize ?? (line.Platform is { } named ? s.Scenario.FindPlatform(named)?.GpusPerUnit : null)) is { } smallest)
            body = body with { Lines = [line with { Gpus = smallest }] };
        var (deal, errors) = DealInput.Build(s.Scenario, body);
        if (deal is null) return TypedResults.ValidationProblem(errors);
        if (deal.Lines.Count != 1)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["lines"] = ["largest size is asked of a single-line deal."] });
        return TypedResults.Ok(s.Desk.Largest(deal));
    }

    private static async Task<Results<Created<Contract>, Ok<Contract>, ValidationProblem, Conflict<ProblemDetails>, UnprocessableEntity<ProblemDetails>>> Sign(
        LessorState s, SignBody body, [FromHeader(Name = Idempotency.Header)] string? key, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var (deal, dealErrors) = DealInput.Build(s.Scenario, body.Deal);
        var errors = new Dictionary<string, string[]>(dealErrors);
        DateInput.Check(errors, "signed_on", body.SignedOn);
        if (Idempotency.Invalid(key) is { } badKey) errors[Idempotency.Header] = [badKey];
        if (deal is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var signedOn = body.SignedOn ?? clock.GetUtcNow().UtcDateTime.Date;
        var outcome = await s.Desk.SignAsync(new SignRequest(
            deal, body.ContractId is { Length: > 0 } id ? new ContractId(id) : null,
            DateTime.SpecifyKind(signedOn, DateTimeKind.Utc), Idempotency.For(Idempotency.ScopeOf(user), key, "POST /api/v1/deals/sign", body),
            body.Title, body.Prepayment, body.LateDelivery ?? LateDeliveryRule.Extend), ct);
        if (outcome.KeyMismatch) return Idempotency.Mismatch(outcome.Error!);
        if (outcome.Replayed) return TypedResults.Ok(outcome.Contract!);
        if (outcome.Signed) return TypedResults.Created($"/api/v1/contracts/{outcome.Contract!.Id}", outcome.Contract);
        return TypedResults.Conflict(new ProblemDetails
        {
            Title = "The deal cannot be signed.",
            Detail = outcome.Error,
            Status = StatusCodes.Status409Conflict,
            Extensions = { ["constraints"] = outcome.Fit?.Constraints },
        });
    }

    /// <summary>The field errors of an amendment body, the same for the preview and the amendment.</summary>
    private static Dictionary<string, string[]> AmendErrors(AmendBody body)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(body.Line)) errors["line"] = ["required."];
        if (body.Effective is null) errors["effective"] = ["required."];
        if (body.Gpus is null && body.End is null) errors["gpus"] = ["give gpus, end, or both."];
        if (body.Gpus is <= 0) errors["gpus"] = [$"{body.Gpus} must be positive; cancel the contract to end it."];
        DateInput.Check(errors, "effective", body.Effective);
        DateInput.Check(errors, "end", body.End);
        return errors;
    }

    /// <summary>What an amendment would change (TCV, GPUs, end, placement), or why it would be refused; nothing is stored.</summary>
    private static Results<Ok<AmendPreview>, NotFound, ValidationProblem> AmendPreview(LessorState s, string id, AmendBody body)
    {
        if (s.Scenario.Contracts.All(c => c.Id.Value != id)) return TypedResults.NotFound();
        var errors = AmendErrors(body);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(s.Desk.PreviewAmend(new ContractId(id), new LineId(body.Line!), body.Effective!.Value,
            body.Gpus is { } g ? new GpuCount(g) : null, body.End));
    }

    /// <summary>What a cancellation would change (TCV, fee, GPUs freed), or why it would be refused; nothing is stored.</summary>
    private static Results<Ok<CancelPreview>, NotFound, ValidationProblem> CancelPreview(LessorState s, string id, CancelBody body)
    {
        if (s.Scenario.Contracts.All(c => c.Id.Value != id)) return TypedResults.NotFound();
        if (body.Effective is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["effective"] = ["required."] });
        if (DateInput.Refusal(body.Effective) is { } far) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["effective"] = [far] });
        return TypedResults.Ok(s.Desk.PreviewCancel(new ContractId(id), body.Effective.Value, body.Reason));
    }

    private static async Task<Results<Ok<Contract>, NotFound, ValidationProblem, Conflict<ProblemDetails>, StatusCodeHttpResult>> Amend(
        LessorState s, string id, AmendBody body, HttpContext http, CancellationToken ct)
    {
        if (s.Scenario.Contracts.FirstOrDefault(c => c.Id.Value == id) is not { } current) return TypedResults.NotFound();
        if (!ContractsApi.IfMatch(http, current)) return TypedResults.StatusCode(StatusCodes.Status412PreconditionFailed);
        var errors = AmendErrors(body);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var outcome = await s.Desk.AmendAsync(new ContractId(id), new LineId(body.Line!), body.Effective!.Value,
            body.Gpus is { } g ? new GpuCount(g) : null, body.End, ct);
        return Applied(http, outcome);
    }

    private static async Task<Results<Ok<Contract>, NotFound, ValidationProblem, Conflict<ProblemDetails>, StatusCodeHttpResult>> Cancel(
        LessorState s, string id, CancelBody body, HttpContext http, CancellationToken ct)
    {
        if (s.Scenario.Contracts.FirstOrDefault(c => c.Id.Value == id) is not { } current) return TypedResults.NotFound();
        if (!ContractsApi.IfMatch(http, current)) return TypedResults.StatusCode(StatusCodes.Status412PreconditionFailed);
        if (body.Effective is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["effective"] = ["required."] });
        if (DateInput.Refusal(body.Effective) is { } far) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["effective"] = [far] });
        var outcome = await s.Desk.CancelAsync(new ContractId(id), body.Effective.Value, body.Reason, ct);
        return Applied(http, outcome);
    }

    private static Results<Ok<Contract>, NotFound, ValidationProblem, Conflict<ProblemDetails>, StatusCodeHttpResult> Applied(HttpContext http, EditOutcome outcome)
    {
        if (!outcome.Applied) return Refused(outcome);
        http.Response.Headers.ETag = ContractsApi.ETag(outcome.Contract!);
        return TypedResults.Ok(outcome.Contract!);
    }

    private static Conflict<ProblemDetails> Refused(EditOutcome outcome) => TypedResults.Conflict(new ProblemDetails
    {
        Title = "The change was refused; nothing was stored.",
        Detail = $"{outcome.Field}: {outcome.Error}",
        Status = StatusCodes.Status409Conflict,
        Extensions = { ["field"] = outcome.Field, ["constraints"] = outcome.Constraints },
    });
}
