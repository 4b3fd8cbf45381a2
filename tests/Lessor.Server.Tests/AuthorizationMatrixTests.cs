using System.Net;
using System.Text;
using System.Text.Json;
using Lessor.Server.Access;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Tests;

/// <summary>
/// Calls every endpoint the server maps with every role's key (and with none) and asserts exactly who gets in:
/// allowed callers never see 401/403 (nor a tenant a 404), other roles get 403, a tenant gets 404, anonymous 401.
/// The table below is written by hand; an endpoint missing from it fails the test. Idempotent endpoints are also
/// replayed across callers (issue 11): a key answers only to the caller that sent it, and only for its request.
/// </summary>
public sealed class AuthorizationMatrixTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Anyone = "anonymous";
    private static readonly string[] Estate = [Roles.Admin, Roles.Planner, Roles.Finance, Roles.Operator];
    private static readonly string[] Book = [Roles.Admin, Roles.Planner, Roles.Finance, Roles.Operator, Roles.Tenant];
    private static readonly string[] Desk = [Roles.Admin, Roles.Planner];
    private static readonly string[] Risk = [Roles.Admin, Roles.Planner, Roles.Operator];
    private static readonly string[] Operations = [Roles.Admin, Roles.Operator];
    private static readonly string[] Forecast = [Roles.Admin, Roles.Planner, Roles.Finance];
    private static readonly string[] Finance = [Roles.Admin, Roles.Finance];
    private static readonly string[] CustomerFinance = [Roles.Admin, Roles.Finance, Roles.Tenant];
    private static readonly string[] Admin = [Roles.Admin];
    private static readonly string[] ClaimsRoles = [Roles.Admin, Roles.Operator, Roles.Tenant];
    private static readonly string[] FleetRead = [Roles.Admin, Roles.Planner, Roles.Finance, Roles.Operator];
    private static readonly string[] FleetWrite = [Roles.Admin, Roles.Operator];
    private static readonly string[] SlaRead = [Roles.Admin, Roles.Finance, Roles.Operator, Roles.Tenant];
    private static readonly string[] Open = [Anyone, .. Roles.All];

    /// <summary>Who may call each endpoint, by "METHOD route pattern".</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["GET /health"] = Open,
        ["GET /health/ready"] = Open,
        // Prometheus scrapes with an operator's (or admin's) key: request volumes are the business's, not a tenant's.
        ["GET /metrics"] = [Roles.Admin, Roles.Operator],
        ["GET /openapi/{documentName}.json"] = Open,
        ["GET /scalar/{documentName?}"] = Open,
        ["GET /scalar/scalar.js"] = Open,
        ["GET /scalar/scalar.aspnetcore.js"] = Open,
        ["GET /scalar/favicon.svg"] = Open,
        // The console's pages are open: they hold no data and ask for a key before they fetch any.
        ["GET /estate"] = Open,
        ["HEAD /estate"] = Open,
        ["GET /contracts"] = Open,
        ["HEAD /contracts"] = Open,
        ["GET /contracts/{id}"] = Open,
        ["HEAD /contracts/{id}"] = Open,
        ["GET /deals"] = Open,
        ["HEAD /deals"] = Open,
        ["GET /placement"] = Open,
        ["HEAD /placement"] = Open,
        ["GET /estate/{site}"] = Open,
        ["HEAD /estate/{site}"] = Open,
        ["GET /invoices"] = Open,
        ["HEAD /invoices"] = Open,
        ["GET /revenue"] = Open,
        ["HEAD /revenue"] = Open,
        ["GET /kpis"] = Open,
        ["HEAD /kpis"] = Open,
        ["GET /deliveries"] = Open,
        ["HEAD /deliveries"] = Open,
        ["GET /risk"] = Open,
        ["HEAD /risk"] = Open,
        ["GET /claims"] = Open,
        ["HEAD /claims"] = Open,
        ["GET /fleet"] = Open,
        ["HEAD /fleet"] = Open,
        ["GET /availability"] = Open,
        ["HEAD /availability"] = Open,
        ["GET /keys"] = Open,
        ["HEAD /keys"] = Open,
        ["GET /audit"] = Open,
        ["HEAD /audit"] = Open,
        // Any other extensionless path: the console's own "page not found", status 404 for everyone (see below).
        ["GET /{*path:nonfile}"] = Open,
        ["GET /api/v1/keys"] = Admin,
        ["POST /api/v1/keys"] = Admin,
        ["DELETE /api/v1/keys/{id}"] = Admin,
        ["GET /api/v1/audit"] = Admin,
        ["GET /api/v1/me"] = Book,
        ["GET /api/v1/platforms"] = Estate,
        ["GET /api/v1/regions"] = Estate,
        ["GET /api/v1/sites"] = Estate,
        ["GET /api/v1/sites/{id}"] = Estate,
        ["GET /api/v1/fabrics"] = Estate,
        ["GET /api/v1/deliveries"] = Estate,
        ["GET /api/v1/fleet"] = Estate,
        ["GET /api/v1/dashboard/power"] = Estate,
        ["GET /api/v1/dashboard/capacity"] = Estate,
        ["GET /api/v1/customers"] = Book,
        ["GET /api/v1/contracts"] = Book,
        ["GET /api/v1/contracts/{id}"] = Book,
        ["POST /api/v1/deals/check"] = Desk,
        ["POST /api/v1/deals/earliest"] = Desk,
        ["POST /api/v1/deals/largest"] = Desk,
        ["POST /api/v1/deals/sign"] = Desk,
        ["POST /api/v1/deals/plan"] = Desk,
        ["POST /api/v1/deals/check-with-moves"] = Desk,
        ["POST /api/v1/deals/sign-with-moves"] = Desk,
        ["POST /api/v1/placement/optimize"] = Desk,
        ["POST /api/v1/placement/moves"] = Desk,
        ["POST /api/v1/contracts/{id}/amend"] = Desk,
        ["POST /api/v1/contracts/{id}/cancel"] = Desk,
        ["POST /api/v1/contracts/{id}/amend-preview"] = Desk,
        ["POST /api/v1/contracts/{id}/cancel-preview"] = Desk,
        ["GET /api/v1/deals/at-risk"] = Risk,
        ["POST /api/v1/deliveries/{id}/slip"] = Operations,
        ["GET /api/v1/fleet/ingest"] = Operations,
        ["POST /api/v1/deliveries/{id}/slip-preview"] = Risk,
        ["POST /api/v1/risk/run"] = Forecast,
        ["GET /api/v1/finance/kpis"] = Finance,
        ["GET /api/v1/finance/revenue"] = Finance,
        ["POST /api/v1/invoices/run"] = Finance,
        ["GET /api/v1/invoices"] = Finance,
        ["GET /api/v1/customers/{id}/schedule"] = CustomerFinance,
        ["GET /api/v1/customers/{id}/invoices"] = CustomerFinance,
        ["GET /api/v1/invoices/{number}"] = CustomerFinance,
        ["GET /api/v1/credits"] = Finance,
        ["POST /api/v1/credits"] = Finance,
        ["GET /api/v1/claims/pool"] = ClaimsRoles,
        ["POST /api/v1/claims/"] = ClaimsRoles,
        ["DELETE /api/v1/claims/{id}"] = ClaimsRoles,
        ["GET /api/v1/claims/"] = ClaimsRoles,
        ["GET /api/v1/fleet/nodes"] = FleetRead,
        ["GET /api/v1/fleet/nodes/{serial}"] = FleetRead,
        ["GET /api/v1/fleet/events"] = FleetRead,
        ["GET /api/v1/fleet/spares"] = FleetRead,
        ["GET /api/v1/fleet/summary"] = FleetRead,
        ["GET /api/v1/fleet/at-risk"] = FleetRead,
        ["GET /api/v1/fleet/maintenance"] = FleetRead,
        ["POST /api/v1/fleet/reports"] = FleetWrite,
        ["POST /api/v1/fleet/nodes/{serial}/actions"] = FleetWrite,
        ["POST /api/v1/fleet/deliveries/{id}/burn-in"] = FleetWrite,
        ["POST /api/v1/fleet/maintenance"] = FleetWrite,
        ["GET /api/v1/sla/"] = SlaRead,
        ["POST /api/v1/sla/credits"] = Finance,
        ["GET /api/v1/sla/credits/by-customer"] = Finance,
    };

    private IEnumerable<(string Method, string Pattern)> Endpoints()
    {
        foreach (var e in server.Endpoints)
        {
            var methods = e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var m in methods) yield return (m, "/" + e.RoutePattern.RawText!.TrimStart('/'));
        }
    }

    [Fact]
    public void Given_the_mapped_endpoints_Then_each_is_in_the_table_and_each_table_row_is_mapped()
    {
        var mapped = Endpoints().Select(e => $"{e.Method} {e.Pattern}").ToHashSet(StringComparer.Ordinal);
        Assert.Empty(mapped.Except(Allowed.Keys));
        Assert.Empty(Allowed.Keys.Except(mapped));
    }

    [Fact]
    public async Task Given_every_endpoint_When_called_with_every_role_Then_exactly_the_allowed_roles_get_in()
    {
        var failures = new List<string>();
        foreach (var (method, pattern) in Endpoints())
        {
            var allowed = Allowed[$"{method} {pattern}"];
            foreach (var role in new[] { Anyone }.Concat(Roles.All))
            {
                using var client = server.ClientFor(role == Anyone ? null : role);
                var path = Concrete(pattern);
                if (pattern == "/api/v1/claims/{id}") path = $"/api/v1/claims/{await TenantClaimAsync()}";
                if (pattern == "/api/v1/invoices/{number}") path = $"/api/v1/invoices/{await TenantInvoiceAsync()}";
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await client.SendAsync(request);
                var status = (int)response.StatusCode;
                var got = pattern == NotFoundPage
                    ? status == 404
                    : allowed.Contains(role)
                        ? status is not (401 or 403) && !(role == Roles.Tenant && status == 404)
                        : status == (role == Anyone ? 401 : role == Roles.Tenant ? 404 : 403);
                if (!got) failures.Add($"{method} {pattern} as {role}: {status} (allowed: {string.Join(",", allowed)})");
            }
        }
        Assert.Empty(failures);
    }

    /// <summary>An endpoint that takes an Idempotency-Key, who may call it, and how to read the id of what it made.</summary>
    private sealed record Idempotent(string Path, string[] Roles, Func<JsonElement, string> IdOf);

    /// <summary>Every endpoint that takes an Idempotency-Key; a test below fails when one is added without a row here.</summary>
    private static readonly Idempotent[] IdempotentEndpoints =
    [
        new("/api/v1/deals/sign", Desk, r => r.GetProperty("id").GetString()!),
        new("/api/v1/deals/sign-with-moves", Desk, r => r.GetProperty("contract").GetProperty("id").GetString()!),
        new("/api/v1/claims", ClaimsRoles, r => r.GetProperty("id").GetString()!),
    ];

    [Fact]
    public void Given_the_mapped_endpoints_Then_each_that_takes_an_idempotency_key_is_in_the_replay_matrix()
    {
        var taking = server.Endpoints
            .Where(e => e.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IParameterBindingMetadata>().Any(p =>
                p.ParameterInfo.GetCustomAttributes(typeof(Microsoft.AspNetCore.Mvc.FromHeaderAttribute), false)
                    .OfType<Microsoft.AspNetCore.Mvc.FromHeaderAttribute>().Any(h => h.Name == Idempotency.Header)))
            .Select(e => "/" + e.RoutePattern.RawText!.Trim('/'))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(IdempotentEndpoints.Select(e => e.Path).Order(StringComparer.Ordinal), taking.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Replays across callers (issue 11): for every idempotent endpoint and every pair of callers allowed on it (each role
    /// allowed, twice: two keys of a role, and two tenants of different customers), the same key sent by both gives each
    /// its own result, the second never the first's; each replays its own (200, same id) when it repeats its request, and
    /// gets 422 when it reuses its key with another request. The callers send the same body where they may (staff), so
    /// only the caller tells the two requests apart.
    /// </summary>
    [Fact]
    public async Task Given_every_idempotent_endpoint_and_every_pair_of_callers_When_both_send_one_key_Then_each_sees_only_its_own_result()
    {
        var nvidia = server.State.Scenario.Customers.First(c => c.Id != server.TenantCustomer).Id;
        var callers = new Dictionary<string, (HttpClient Client, string Customer)>();
        foreach (var role in Roles.All.Where(r => IdempotentEndpoints.Any(e => e.Roles.Contains(r))))
        {
            var own = role == Roles.Tenant ? server.TenantCustomer.Value : "meta";
            callers[role] = (server.ClientFor(role), own);
            callers[role + " (second key)"] = role == Roles.Tenant
                ? (await server.NewClientAsync(role, nvidia), nvidia.Value)
                : (await server.NewClientAsync(role), own);
        }
        var failures = new List<string>();
        var round = 0;
        foreach (var endpoint in IdempotentEndpoints)
        {
            var allowed = callers.Where(c => endpoint.Roles.Any(r => c.Key == r || c.Key.StartsWith(r + " ", StringComparison.Ordinal))).ToList();
            for (var i = 0; i < allowed.Count; i++)
            {
                for (var j = i + 1; j < allowed.Count; j++)
                {
                    round++;
                    var key = $"replay-matrix-{round}";
                    var (a, b) = (allowed[i], allowed[j]);
                    string Body(string customer, bool other) => endpoint.Path == "/api/v1/claims"
                        ? $$"""{"platform": "h100-hgx", "nodes": {{(other ? 2 : 1)}}, "scope": "fabric", "customer": "{{customer}}"}"""
                        : $$"""{"deal": {"customer": "{{customer}}", "lines": [{"platform": "h100-hgx", "gpus": 8, "start": "2032-01-01", "end": "2032-02-01"}]}, "title": "{{(other ? "other" : "same")}}"}""";
                    async Task<(HttpStatusCode Status, string Text)> Send((string Name, (HttpClient Client, string Customer) Caller) who, bool other) =>
                        await Api.IdempotencyApiTests.PostAsync(who.Caller.Client, endpoint.Path, Body(who.Caller.Customer, other), key);
                    var where = $"{endpoint.Path} key {key}: {a.Key} then {b.Key}";

                    var first = await Send((a.Key, a.Value), false);
                    var second = await Send((b.Key, b.Value), false);
                    if (first.Status != HttpStatusCode.Created || second.Status != HttpStatusCode.Created)
                    {
                        failures.Add($"{where}: {(int)first.Status}, then {(int)second.Status} {second.Text}");
                        continue;
                    }
                    var (idA, idB) = (endpoint.IdOf(JsonDocument.Parse(first.Text).RootElement), endpoint.IdOf(JsonDocument.Parse(second.Text).RootElement));
                    if (idA == idB || second.Text.Contains(idA, StringComparison.Ordinal)) failures.Add($"{where}: the second caller saw the first's {idA}");
                    foreach (var (who, id) in new[] { ((a.Key, a.Value), idA), ((b.Key, b.Value), idB) })
                    {
                        var again = await Send(who, false);
                        if (again.Status != HttpStatusCode.OK || endpoint.IdOf(JsonDocument.Parse(again.Text).RootElement) != id)
                            failures.Add($"{where}: {who.Item1} repeating its request got {(int)again.Status} {again.Text}, not 200 with {id}");
                        var reused = await Send(who, true);
                        if (reused.Status != HttpStatusCode.UnprocessableEntity || reused.Text.Contains(id, StringComparison.Ordinal))
                            failures.Add($"{where}: {who.Item1} reusing its key with another request got {(int)reused.Status} {reused.Text}, not 422");
                    }
                    // Claims hold nodes: give them back so every pair finds some free.
                    if (endpoint.Path == "/api/v1/claims")
                    {
                        foreach (var id in new[] { idA, idB }) (await server.Client.DeleteAsync(new Uri($"/api/v1/claims/{id}", UriKind.Relative))).Dispose();
                    }
                }
            }
        }
        Assert.True(round >= 21, $"only {round} pairs were tried");
        Assert.Empty(failures);
    }

    /// <summary>A fresh, active claim of one node for the tenant's customer, made by an admin.</summary>
    /// <summary>The console's catch-all: it answers 404 (with the console's page) to everyone, key or not.</summary>
    private const string NotFoundPage = "/{*path:nonfile}";

    /// <summary>The number of an issued invoice of the tenant's customer (October 2026 is closed and billed).</summary>
    private async Task<string> TenantInvoiceAsync()
    {
        using var finance = server.ClientFor(Roles.Finance);
        using var run = await finance.PostAsync(new Uri("/api/v1/invoices/run?month=2026-10", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        return $"INV-2026-10-{server.TenantCustomer}";
    }

    private async Task<string> TenantClaimAsync()
    {
        var s = server.State.Scenario;
        var body = "";
        foreach (var platform in s.Fabrics.Select(f => f.Platform).Distinct())
        {
            var response = await server.Client.PostAsync(new Uri("/api/v1/claims", UriKind.Relative), new StringContent(
                $"{{\"platform\":\"{platform}\",\"nodes\":1,\"scope\":\"fabric\",\"customer\":\"{server.TenantCustomer}\"}}", Encoding.UTF8, "application/json"));
            body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode) return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        }
        Assert.Fail($"could not make a claim for the matrix on any platform: {body}");
        return "";
    }

    /// <summary>Route values that exist and, where a tenant may look, belong to the tenant's customer.</summary>
    private string Concrete(string pattern)
    {
        var s = server.State.Scenario;
        var own = server.TenantCustomer;
        return pattern
            .Replace("/contracts/{id}", $"/contracts/{s.Contracts.First(c => c.Customer == own).Id}", StringComparison.Ordinal)
            .Replace("/customers/{id}", $"/customers/{own}", StringComparison.Ordinal)
            .Replace("/sites/{id}", $"/sites/{s.Sites[0].Id}", StringComparison.Ordinal)
            .Replace("/estate/{site}", $"/estate/{s.Sites[0].Id}", StringComparison.Ordinal)
            .Replace(NotFoundPage, "/no-such-page", StringComparison.Ordinal)
            .Replace("/deliveries/{id}", $"/deliveries/{s.Deliveries[0].Id}", StringComparison.Ordinal)
            .Replace("/keys/{id}", "/keys/000000000000", StringComparison.Ordinal)
            .Replace("{documentName}", "v1", StringComparison.Ordinal)
            .Replace("{documentName?}", "", StringComparison.Ordinal);
    }
}
