using System.Text.Json;
using Lessor.Core.Claims;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Claims;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>On-demand node claims over HTTP: claim (idempotent), release, list.</summary>
public static class ClaimsApi
{
    /// <summary>One node of a claim: a compute tray of a unit in a fabric.</summary>
    public sealed record NodeView(FabricId Fabric, int Unit, int Tray);

    /// <summary>A claim as the API shows it; scope is "fabric" or "domain".</summary>
    public sealed record ClaimView(string Id, CustomerId Customer, PlatformId Platform, string Scope, int NodeCount, IReadOnlyList<NodeView> Nodes)
    {
        public static ClaimView Of(Claim c) => new(c.Id.Value, c.Customer, c.Platform, ScopeName(c.Scope), c.Nodes.Count,
            c.Nodes.Select(n => new NodeView(n.Fabric, n.Unit, n.Tray)).ToList());
    }

    public static IEndpointRouteBuilder MapClaimsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/claims").RequireAuthorization(Policies.Claims);
        api.MapPost("", Create);
        api.MapDelete("/{id}", Release);
        api.MapGet("", List);
        api.MapGet("/pool", Pool);
        return app;
    }

    /// <summary>The on-demand pool of one platform: nodes free to claim now, and how many nodes make a scale-up domain.</summary>
    public sealed record PoolView(PlatformId Platform, string Name, int FreeNodes, int NodesPerDomain);

    /// <summary>Free claimable nodes per platform now (units no reserved line holds, less claims), platforms with none included.</summary>
    private static Ok<IReadOnlyList<PoolView>> Pool(LessorState s, ClaimDesk desk) =>
        TypedResults.Ok<IReadOnlyList<PoolView>>([.. s.Scenario.Platforms.Select(p => new PoolView(p.Id, p.Name, desk.FreeNodes(p.Id), NodeShape.NodesPerUnit(p)))]);

    public static string ScopeName(ClaimScope scope) => scope == ClaimScope.Fabric ? "fabric" : "domain";

    /// <summary>Parses "fabric" or "domain" (also "scale_up_domain"), as the API and the CLI spell scopes.</summary>
    public static ClaimScope? ParseScope(string? text) => text?.ToLowerInvariant() switch
    {
        "fabric" => ClaimScope.Fabric,
        "domain" or "scale_up_domain" or "scale-up-domain" => ClaimScope.ScaleUpDomain,
        _ => null,
    };

    /// <summary>Checks a claim body field by field: the ask (without its key), or the errors keyed by the field at fault.</summary>
    public static (ClaimAsk? Ask, Dictionary<string, string[]> Errors) Validate(Scenario scenario, JsonElement body, string? idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var errors = new Dictionary<string, string[]>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["must be a JSON object with platform, nodes, scope and customer."];
            return (null, errors);
        }
        Platform? platform = null;
        if (!body.TryGetProperty("platform", out var p) || p.ValueKind != JsonValueKind.String || p.GetString() is not { Length: > 0 } platformText)
            errors["platform"] = ["required: a platform id or alias."];
        else if ((platform = scenario.FindPlatform(platformText)) is null)
            errors["platform"] = [$"no platform '{platformText}' in the catalog."];

        var nodes = 0;
        if (!body.TryGetProperty("nodes", out var n) || n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out nodes) || nodes <= 0)
            errors["nodes"] = ["required: a positive whole number of nodes."];

        ClaimScope scope = ClaimScope.Fabric;
        if (body.TryGetProperty("scope", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind != JsonValueKind.String || ParseScope(s.GetString()) is not { } parsed) errors["scope"] = ["must be \"fabric\" or \"domain\"."];
            else scope = parsed;
        }

        CustomerId? customer = null;
        if (!body.TryGetProperty("customer", out var c) || c.ValueKind != JsonValueKind.String || c.GetString() is not { Length: > 0 } customerText)
            errors["customer"] = ["required: a customer id."];
        else if (scenario.Customers.All(x => x.Id.Value != customerText))
            errors["customer"] = [$"no customer '{customerText}'."];
        else customer = new CustomerId(customerText);

        if (platform is not null && nodes > 0 && scope == ClaimScope.ScaleUpDomain && nodes > NodeShape.NodesPerUnit(platform))
            errors["nodes"] = [$"a scale-up domain of {platform.Id} holds {NodeShape.NodesPerUnit(platform)} nodes; {nodes} asked."];
        if (Idempotency.Invalid(idempotencyKey) is { } badKey) errors[Idempotency.Header] = [badKey];
        if (errors.Count > 0) return (null, errors);
        return (new ClaimAsk(platform!.Id, nodes, scope, customer!.Value), errors);
    }

    /// <summary>
    /// The claim's idempotency key for a caller, or null without one: the digest covers what was asked (platform by id,
    /// so an alias and its id are the same request), the same for the API and the CLI.
    /// </summary>
    public static IdempotencyKey? Key(string scope, string? key, ClaimAsk ask)
    {
        ArgumentNullException.ThrowIfNull(ask);
        return Idempotency.For(scope, key, "POST /api/v1/claims", new { ask.Platform, ask.Nodes, Scope = ScopeName(ask.Scope), ask.Customer });
    }

    private static async Task<Results<Created<ClaimView>, Ok<ClaimView>, ValidationProblem, Conflict<ProblemDetails>, NotFound, UnprocessableEntity<ProblemDetails>>> Create(
        LessorState s, ClaimDesk desk, System.Security.Claims.ClaimsPrincipal user, JsonElement body, [FromHeader(Name = Idempotency.Header)] string? key, CancellationToken ct)
    {
        // A tenant claims only for itself; another customer is, to it, a customer that does not exist, whether it exists or
        // not: answered before validation, whose "no customer" would tell a tenant which customer ids exist.
        if (user.TenantCustomer() is { } own && NamedCustomer(body) is { } named && named != own) return TypedResults.NotFound();
        var (ask, errors) = Validate(s.Scenario, body, key);
        if (ask is null) return TypedResults.ValidationProblem(errors);
        if (!user.MaySee(ask.Customer.Value)) return TypedResults.NotFound();
        var outcome = await desk.ClaimAsync(ask with { IdempotencyKey = Key(Idempotency.ScopeOf(user), key, ask) }, ct);
        if (outcome.KeyMismatch) return Idempotency.Mismatch(outcome.Error!);
        if (outcome.Replayed) return TypedResults.Ok(ClaimView.Of(outcome.Claim!));
        if (outcome.Granted) return TypedResults.Created($"/api/v1/claims/{outcome.Claim!.Id}", ClaimView.Of(outcome.Claim));
        return TypedResults.Conflict(new ProblemDetails
        {
            Title = "The nodes cannot be claimed now; nothing was stored.",
            Detail = $"{outcome.Field}: {outcome.Error}",
            Status = StatusCodes.Status409Conflict,
            Extensions = { ["field"] = outcome.Field },
        });
    }

    /// <summary>The customer a claim body names, when it names one as a string.</summary>
    private static string? NamedCustomer(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("customer", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;

    private static async Task<Results<NoContent, NotFound>> Release(ClaimDesk desk, System.Security.Claims.ClaimsPrincipal user, string id, CancellationToken ct)
    {
        if (user.TenantCustomer() is { } own && desk.Get(new ClaimId(id))?.Customer.Value != own) return TypedResults.NotFound();
        return await desk.ReleaseAsync(new ClaimId(id), ct) == ReleaseOutcome.NotFound ? TypedResults.NotFound() : TypedResults.NoContent();
    }

    private static Results<Ok<IReadOnlyList<ClaimView>>, ValidationProblem, NotFound> List(LessorState s, ClaimDesk desk, System.Security.Claims.ClaimsPrincipal user, string? customer)
    {
        if (user.TenantCustomer() is { } own)
        {
            if (customer is not null && customer != own) return TypedResults.NotFound();
            customer = own;
        }
        if (customer is not null && s.Scenario.Customers.All(c => c.Id.Value != customer))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["customer"] = [$"no customer '{customer}'."] });
        var claims = desk.List(customer is null ? null : new CustomerId(customer));
        return TypedResults.Ok<IReadOnlyList<ClaimView>>(claims.Select(ClaimView.Of).ToList());
    }
}
