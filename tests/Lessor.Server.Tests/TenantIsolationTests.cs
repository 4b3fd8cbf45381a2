using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Server.Access;

namespace Lessor.Server.Tests;

public sealed class TenantIsolationTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Given_a_tenant_key_When_listing_contracts_Then_only_its_customers_appear()
    {
        using var tenant = server.ClientFor(Roles.Tenant);
        var page = JsonDocument.Parse(await tenant.GetStringAsync(new Uri("/api/v1/contracts?limit=1000", UriKind.Relative))).RootElement;
        var customers = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("customer").GetString()).Distinct().ToList();
        Assert.Equal([server.TenantCustomer.Value], customers);
        Assert.Equal(server.State.Scenario.Contracts.Count(c => c.Customer == server.TenantCustomer), page.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Given_a_tenant_key_When_typing_another_customers_contract_url_Then_404_with_nothing_in_the_body()
    {
        var other = server.State.Scenario.Contracts.First(c => c.Customer != server.TenantCustomer);
        using var tenant = server.ClientFor(Roles.Tenant);
        using var admin = server.ClientFor(Roles.Admin);

        var hidden = await tenant.GetAsync(new Uri($"/api/v1/contracts/{other.Id}", UriKind.Relative));
        var missing = await tenant.GetAsync(new Uri("/api/v1/contracts/no-such-contract", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri($"/api/v1/contracts/{other.Id}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        // Indistinguishable from a contract that does not exist.
        Assert.Equal(missing.StatusCode, hidden.StatusCode);
        Assert.Equal(WithoutTraceId(await missing.Content.ReadAsStringAsync()), WithoutTraceId(await hidden.Content.ReadAsStringAsync()));
        Assert.DoesNotContain(other.Customer.Value, await hidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static string WithoutTraceId(string problem) =>
        System.Text.RegularExpressions.Regex.Replace(problem, "\"trace_id\":\"[^\"]*\"", "");

    [Fact]
    public async Task Given_a_tenant_key_When_asking_for_another_customers_list_schedule_or_estate_Then_404()
    {
        var other = server.State.Scenario.Customers.First(c => c.Id != server.TenantCustomer).Id;
        using var tenant = server.ClientFor(Roles.Tenant);
        foreach (var path in new[] { $"/api/v1/contracts?customer={other}", $"/api/v1/customers/{other}/schedule", $"/api/v1/customers/{other}/invoices", "/api/v1/sites", "/api/v1/finance/kpis?as_of=2026-01-01" })
            Assert.Equal(HttpStatusCode.NotFound, (await tenant.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync(new Uri($"/api/v1/customers/{server.TenantCustomer}/schedule", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Given_a_revoked_key_When_used_Then_401_and_the_revocation_is_in_the_audit_log()
    {
        using var admin = server.ClientFor(Roles.Admin);
        var created = await admin.PostAsJsonAsync(new Uri("/api/v1/keys", UriKind.Relative), new { role = "planner", name = "short-lived" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var key = body.GetProperty("key").GetString()!;
        var id = body.GetProperty("record").GetProperty("id").GetString()!;
        using var planner = new HttpClient { BaseAddress = server.BaseAddress };
        planner.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await planner.GetAsync(new Uri("/api/v1/sites", UriKind.Relative))).StatusCode);

        using var revoke = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/keys/{id}");
        revoke.Headers.Add("X-Request-Id", "revoke-test-1");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.SendAsync(revoke)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await planner.GetAsync(new Uri("/api/v1/sites", UriKind.Relative))).StatusCode);
        var audit = JsonDocument.Parse(await admin.GetStringAsync(new Uri("/api/v1/audit?limit=50", UriKind.Relative))).RootElement;
        var entry = audit.EnumerateArray().First(e => e.GetProperty("request_id").GetString() == "revoke-test-1");
        Assert.Equal(("DELETE", $"/api/v1/keys/{id}", 204, "admin"), (entry.GetProperty("method").GetString(), entry.GetProperty("path").GetString(), entry.GetProperty("status").GetInt32(), entry.GetProperty("role").GetString()));
    }

    [Fact]
    public async Task Given_a_stale_etag_When_amending_Then_412_and_nothing_changes()
    {
        using var planner = server.ClientFor(Roles.Planner);
        var contract = server.State.Scenario.Contracts.First(c => c.Lines.Count > 0);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/contracts/{contract.Id}/cancel")
        {
            Content = JsonContent.Create(new { effective = "2030-01-01" }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", "\"0000000000000000\"");

        var response = await planner.SendAsync(request);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Null(server.State.Scenario.Contracts.First(c => c.Id == contract.Id).Cancellation);
        var get = await planner.GetAsync(new Uri($"/api/v1/contracts/{contract.Id}", UriKind.Relative));
        Assert.NotNull(get.Headers.ETag);
    }
}
