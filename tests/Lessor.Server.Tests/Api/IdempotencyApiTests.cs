using System.Net;
using System.Text;
using System.Text.Json;
using Lessor.Core.Model;
using Lessor.Server.Access;

namespace Lessor.Server.Tests.Api;

/// <summary>
/// Idempotency-Key on every idempotent endpoint (sign, sign with moves, claims): a key answers only to the caller that
/// sent it first, and only for the request it first came with (issue 11, items 1 and 3).
/// </summary>
public sealed class IdempotencyApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly CustomerId Nvidia = new("nvidia");

    internal static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient client, string path, string json, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Id(string body) => JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;

    private static string Claim(string customer, int nodes = 1) =>
        $$"""{"platform": "h100-hgx", "nodes": {{nodes}}, "scope": "fabric", "customer": "{{customer}}"}""";

    private static string Sign(string title, string customer = "meta") =>
        $$"""{"deal": {"customer": "{{customer}}", "lines": [{"platform": "h100-hgx", "gpus": 8, "start": "2031-01-01", "end": "2031-02-01"}]}, "title": "{{title}}"}""";

    private static void AssertKeyMismatch(HttpStatusCode status, string body, string key)
    {
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(422, problem.GetProperty("status").GetInt32());
        Assert.Equal("Idempotency-Key", problem.GetProperty("field").GetString());
        Assert.Contains($"'{key}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_claim_made_by_one_tenant_with_a_key_When_another_tenant_claims_with_the_same_key_Then_it_gets_a_claim_of_its_own()
    {
        using var nvidia = await server.NewClientAsync(Roles.Tenant, Nvidia);
        using var meta = server.ClientFor(Roles.Tenant);

        var (firstStatus, first) = await PostAsync(nvidia, "/api/v1/claims", Claim("nvidia"), "shared-1");
        var (secondStatus, second) = await PostAsync(meta, "/api/v1/claims", Claim("meta"), "shared-1");

        Assert.Equal(HttpStatusCode.Created, firstStatus);
        Assert.Equal(HttpStatusCode.Created, secondStatus);
        Assert.NotEqual(Id(first), Id(second));
        Assert.DoesNotContain(Id(first), second, StringComparison.Ordinal);
        Assert.Equal("meta", JsonDocument.Parse(second).RootElement.GetProperty("customer").GetString());
    }

    [Fact]
    public async Task Given_a_deal_signed_with_a_key_When_the_same_key_comes_with_another_title_Then_422_names_the_key_and_nothing_is_signed()
    {
        var (created, first) = await PostAsync(server.Client, "/api/v1/deals/sign", Sign("t1"), "sign-mismatch-1");
        var contracts = server.State.Scenario.Contracts.Count;

        var (status, body) = await PostAsync(server.Client, "/api/v1/deals/sign", Sign("t2"), "sign-mismatch-1");
        var (replayed, again) = await PostAsync(server.Client, "/api/v1/deals/sign", Sign("t1"), "sign-mismatch-1");

        Assert.Equal(HttpStatusCode.Created, created);
        AssertKeyMismatch(status, body, "sign-mismatch-1");
        Assert.Equal(contracts, server.State.Scenario.Contracts.Count);
        Assert.Equal(HttpStatusCode.OK, replayed);
        Assert.Equal(Id(first), Id(again));
    }

    [Fact]
    public async Task Given_a_claim_made_with_a_key_When_the_same_key_asks_for_more_nodes_Then_422_and_nothing_is_claimed()
    {
        var (created, _) = await PostAsync(server.Client, "/api/v1/claims", Claim("nvidia", 1), "claim-mismatch-1");
        var before = JsonDocument.Parse(await server.Client.GetStringAsync(new Uri("/api/v1/claims", UriKind.Relative))).RootElement.GetArrayLength();

        var (status, body) = await PostAsync(server.Client, "/api/v1/claims", Claim("nvidia", 2), "claim-mismatch-1");

        Assert.Equal(HttpStatusCode.Created, created);
        AssertKeyMismatch(status, body, "claim-mismatch-1");
        Assert.Equal(before, JsonDocument.Parse(await server.Client.GetStringAsync(new Uri("/api/v1/claims", UriKind.Relative))).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Given_a_key_used_to_sign_When_it_comes_again_on_sign_with_moves_Then_422_and_nothing_is_signed()
    {
        var (created, _) = await PostAsync(server.Client, "/api/v1/deals/sign", Sign("across"), "across-endpoints-1");
        var contracts = server.State.Scenario.Contracts.Count;

        var (status, body) = await PostAsync(server.Client, "/api/v1/deals/sign-with-moves", Sign("across"), "across-endpoints-1");

        Assert.Equal(HttpStatusCode.Created, created);
        AssertKeyMismatch(status, body, "across-endpoints-1");
        Assert.Equal(contracts, server.State.Scenario.Contracts.Count);
    }

    [Fact]
    public async Task Given_a_deal_signed_by_an_admin_with_a_key_When_a_planner_signs_with_the_same_key_Then_it_signs_its_own_contract()
    {
        using var planner = server.ClientFor(Roles.Planner);

        var (adminStatus, admin) = await PostAsync(server.Client, "/api/v1/deals/sign", Sign("admin's", "nvidia"), "two-callers-1");
        var (plannerStatus, mine) = await PostAsync(planner, "/api/v1/deals/sign", Sign("planner's"), "two-callers-1");

        Assert.Equal(HttpStatusCode.Created, adminStatus);
        Assert.Equal(HttpStatusCode.Created, plannerStatus);
        Assert.NotEqual(Id(admin), Id(mine));
        Assert.Equal("planner's", JsonDocument.Parse(mine).RootElement.GetProperty("title").GetString());
    }
}
