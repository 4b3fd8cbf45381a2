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

/// <summary>Re-placement over HTTP: propose moves of lines not yet started, apply reviewed moves, check a deal letting lines move.</summary>
public static class PlacementApi
{
    /// <summary>
    /// What to optimise: lines not started at <c>as_of</c> (default now) may move; stranding is measured until <c>until</c>
    /// (default five years on); at most <c>max_moves</c> lines move (default 100; 0: no limit, the whole-book repack).
    /// </summary>
    public sealed record OptimizeBody(DateTime? AsOf, DateTime? Until, int? MinDealGpus, int? MaxMoves);

    /// <summary>A deal to check, letting lines not started at <c>as_of</c> (now, or later when given) move, at most <c>max_moves</c> of them (default 100; 0: no limit).</summary>
    public sealed record CheckWithMovesBody(DealBody? Deal, DateTime? AsOf, int? MaxMoves);

    /// <summary>The default move budget: a diff a person can review.</summary>
    public const int DefaultMaxMoves = 100;

    /// <summary>A client's move budget: 0 is no limit (null to the engine), absent is the default.</summary>
    public static int? Budget(int? maxMoves) => maxMoves switch
    {
        null => DefaultMaxMoves,
        0 => null,
        var n => n,
    };

    /// <summary>A deal's fit when lines may move: the new lines' placement (or what binds) and the moves it needs.</summary>
    public sealed record CheckWithMovesResponse(bool Fits, FitResult Fit, IReadOnlyList<MoveBody> Moves);

    /// <summary>Moves applied.</summary>
    public sealed record MovesApplied(IReadOnlyList<MoveBody> Moves);

    /// <summary>A deal to sign, moving lines not started at <c>as_of</c> (now, or later when given) when it fits only that way, at most <c>max_moves</c> of them (default 100; 0: no limit).</summary>
    public sealed record SignWithMovesBody(DealBody? Deal, string? ContractId, DateTime? SignedOn, string? Title, Money? Prepayment, DateTime? AsOf, int? MaxMoves);

    /// <summary>The contract signed and the lines moved to make room (none when it fit as placed).</summary>
    public sealed record SignedWithMoves(Contract Contract, IReadOnlyList<MoveBody> Moves);

    public static IEndpointRouteBuilder MapPlacementApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/placement").RequireAuthorization(Policies.Desk);
        api.MapPost("/optimize", Optimize).WithMetadata(ReadOnlyOperation.Instance);
        api.MapPost("/moves", Apply);
        app.MapPost("/api/v1/deals/check-with-moves", CheckWithMoves).RequireAuthorization(Policies.Desk).WithMetadata(ReadOnlyOperation.Instance);
        app.MapPost("/api/v1/deals/sign-with-moves", SignWithMoves).RequireAuthorization(Policies.Desk);
        return app;
    }

    /// <summary>
    /// The instant lines are judged started at: now, or a later instant the caller asks about (a line that has started
    /// never moves, so an earlier one is never used).
    /// </summary>
    public static DateTime NotBeforeNow(DateTime? asked, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var now = clock.GetUtcNow().UtcDateTime;
        return asked?.ToUniversalTime() is { } given && given > now ? given : now;
    }

    /// <summary>An instant floored to its minute: the ledger's grain.</summary>
    public static DateTime Minute(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);

    private static Results<Ok<PlacementPlanBody>, ValidationProblem> Optimize(LessorState s, TimeProvider clock, OptimizeBody? body)
    {
        var dates = new Dictionary<string, string[]>();
        DateInput.Check(dates, "as_of", body?.AsOf);
        DateInput.Check(dates, "until", body?.Until);
        if (dates.Count > 0) return TypedResults.ValidationProblem(dates);
        var asOf = Minute(body?.AsOf?.ToUniversalTime() ?? clock.GetUtcNow().UtcDateTime);
        var until = Minute(body?.Until?.ToUniversalTime() ?? asOf.AddYears(5));
        if (until <= asOf) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["until"] = ["must be after as_of."] });
        if (body?.MinDealGpus is < 1) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["min_deal_gpus"] = ["must be at least 1."] });
        if (body?.MaxMoves is < 0) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["max_moves"] = ["must be 0 (no limit) or more."] });
        var plan = s.Desk.ProposeReplacement(asOf, new Period(asOf, until), body?.MinDealGpus ?? 1_024, Budget(body?.MaxMoves));
        return TypedResults.Ok(PlacementPlanBody.Of(plan));
    }

    private static async Task<Results<Ok<MovesApplied>, ValidationProblem, Conflict<ProblemDetails>>> Apply(
        LessorState s, TimeProvider clock, PlacementPlanBody? body, CancellationToken ct)
    {
        var (moves, errors) = PlacementInput.Build(s.Scenario, body);
        if (moves is null) return TypedResults.ValidationProblem(errors);
        // Lines are judged started at the moment of applying, never at the plan's older instant.
        var now = clock.GetUtcNow().UtcDateTime;
        var outcome = await s.Desk.ApplyMovesAsync(moves, now, ct);
        return outcome.Applied
            ? TypedResults.Ok(new MovesApplied([.. outcome.Moves.Select(PlacementInput.Body)]))
            : TypedResults.Conflict(new ProblemDetails { Title = "The moves were not applied.", Detail = outcome.Error, Status = 409 });
    }

    private static Results<Ok<CheckWithMovesResponse>, ValidationProblem> CheckWithMoves(LessorState s, TimeProvider clock, CheckWithMovesBody? body)
    {
        var (deal, dealErrors) = DealInput.Build(s.Scenario, body?.Deal);
        var errors = dealErrors.ToDictionary(e => $"deal.{e.Key}", e => e.Value);
        if (body?.MaxMoves is < 0) errors["max_moves"] = ["must be 0 (no limit) or more."];
        DateInput.Check(errors, "as_of", body?.AsOf);
        if (deal is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var repack = s.Desk.CheckWithReplacement(deal, NotBeforeNow(body!.AsOf, clock), Budget(body.MaxMoves));
        return TypedResults.Ok(new CheckWithMovesResponse(repack.Fit.Fits, repack.Fit, [.. repack.Moves.Select(PlacementInput.Body)]));
    }

    private static async Task<Results<Created<SignedWithMoves>, Ok<SignedWithMoves>, ValidationProblem, Conflict<ProblemDetails>, UnprocessableEntity<ProblemDetails>>> SignWithMoves(
        LessorState s, SignWithMovesBody body, [FromHeader(Name = Idempotency.Header)] string? key, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var (deal, dealErrors) = DealInput.Build(s.Scenario, body.Deal);
        var errors = dealErrors.ToDictionary(e => $"deal.{e.Key}", e => e.Value);
        if (body.MaxMoves is < 0) errors["max_moves"] = ["must be 0 (no limit) or more."];
        DateInput.Check(errors, "signed_on", body.SignedOn);
        DateInput.Check(errors, "as_of", body.AsOf);
        if (Idempotency.Invalid(key) is { } badKey) errors[Idempotency.Header] = [badKey];
        if (deal is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var now = clock.GetUtcNow().UtcDateTime;
        var signedOn = body.SignedOn ?? now.Date;
        var request = new SignRequest(deal, body.ContractId is { Length: > 0 } id ? new ContractId(id) : null,
            DateTime.SpecifyKind(signedOn, DateTimeKind.Utc), Idempotency.For(Idempotency.ScopeOf(user), key, "POST /api/v1/deals/sign-with-moves", body),
            body.Title, body.Prepayment);
        var outcome = await s.Desk.SignWithMovesAsync(request, NotBeforeNow(body.AsOf, clock), Budget(body.MaxMoves), ct);
        var sign = outcome.Sign;
        if (sign.KeyMismatch) return Idempotency.Mismatch(sign.Error!);
        var answer = sign.Contract is { } contract ? new SignedWithMoves(contract, [.. outcome.Moves.Select(PlacementInput.Body)]) : null;
        if (sign.Replayed) return TypedResults.Ok(answer!);
        if (sign.Signed) return TypedResults.Created($"/api/v1/contracts/{sign.Contract!.Id}", answer);
        return TypedResults.Conflict(new ProblemDetails
        {
            Title = "The deal cannot be signed, even moving lines that have not started.",
            Detail = sign.Error,
            Status = StatusCodes.Status409Conflict,
            Extensions = { ["constraints"] = sign.Fit?.Constraints },
        });
    }
}
