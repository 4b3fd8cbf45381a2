using System.Security.Claims;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Admin: API keys (create, list, revoke) and the audit log.</summary>
public static class AccessApi
{
    /// <summary>A key as listed: never its secret or hash.</summary>
    public sealed record KeyView(string Id, string Name, string Role, CustomerId? Customer, DateTime CreatedAt, DateTime? RevokedAt);

    /// <summary>A new key; <see cref="Key"/> is shown this once.</summary>
    public sealed record CreatedKeyView(KeyView Record, string Key);

    /// <summary>The caller: its role, a tenant's customer, and the key's name.</summary>
    public sealed record Me(string Role, string? Customer, string Name);

    /// <summary>What a new key is for.</summary>
    public sealed record CreateKeyBody(string? Role, string? Customer, string? Name);

    public static IEndpointRouteBuilder MapAccessApi(this IEndpointRouteBuilder app)
    {
        // Who am I: the console shows only the pages the key's role may use.
        app.MapGet("/api/v1/me", (System.Security.Claims.ClaimsPrincipal user) => TypedResults.Ok(new Me(
            user.FindFirstValue(System.Security.Claims.ClaimTypes.Role)!, user.TenantCustomer(), user.FindFirstValue(System.Security.Claims.ClaimTypes.Name)!)))
            .RequireAuthorization(Policies.Anyone);
        var api = app.MapGroup("/api/v1").RequireAuthorization(Policies.Admin);
        api.MapGet("/keys", async (LessorState s, CancellationToken ct) =>
            TypedResults.Ok((await s.Store.ListApiKeysAsync(ct)).Select(View).ToList()));
        api.MapPost("/keys", CreateKey);
        api.MapDelete("/keys/{id}", async Task<Results<NoContent, NotFound>> (LessorState s, KeyRegistry keys, TimeProvider clock, string id, CancellationToken ct) =>
        {
            var revoked = await s.Store.RevokeApiKeyAsync(id, clock.GetUtcNow().UtcDateTime, ct);
            keys.Invalidate();
            return revoked ? TypedResults.NoContent() : TypedResults.NotFound();
        });
        api.MapGet("/audit", async Task<Results<Ok<IReadOnlyList<AuditEntry>>, ValidationProblem>> (LessorState s, AuditWriter audit, long? before, int? limit, CancellationToken ct) =>
        {
            if (limit is < 1 or > 1000) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"{limit} is outside 1..1000."] });
            await audit.FlushAsync(ct);
            return TypedResults.Ok(await s.Store.ListAuditAsync(before, limit ?? 100, ct));
        });
        return app;
    }

    private static async Task<Results<Created<CreatedKeyView>, ValidationProblem>> CreateKey(
        LessorState s, KeyRegistry keys, TimeProvider clock, CreateKeyBody body, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (body.Role is null || !Roles.All.Contains(body.Role)) errors["role"] = [$"'{body.Role}' is not one of {string.Join(", ", Roles.All)}."];
        if (body.Role == Roles.Tenant && string.IsNullOrEmpty(body.Customer)) errors["customer"] = ["a tenant key is bound to one customer; name it."];
        if (body.Role != Roles.Tenant && !string.IsNullOrEmpty(body.Customer)) errors["customer"] = ["only tenant keys are bound to a customer."];
        if (!string.IsNullOrEmpty(body.Customer) && s.Scenario.Customers.All(c => c.Id.Value != body.Customer)) errors["customer"] = [$"no customer '{body.Customer}'."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var created = await ApiKeys.CreateAsync(s.Store, body.Role!, string.IsNullOrEmpty(body.Customer) ? null : new CustomerId(body.Customer),
            body.Name ?? $"{body.Role} key", clock.GetUtcNow().UtcDateTime, ct);
        keys.Invalidate();
        return TypedResults.Created($"/api/v1/keys/{created.Record.Id}", new CreatedKeyView(View(created.Record), created.Key));
    }

    private static KeyView View(ApiKeyRecord k) => new(k.Id, k.Name, k.Role, k.Customer, k.CreatedAt, k.RevokedAt);
}
