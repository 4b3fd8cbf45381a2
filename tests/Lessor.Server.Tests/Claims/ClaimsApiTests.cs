using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Lessor.Server.Tests.Claims;

/// <summary>The claims API over a real server (annotated example: 256 accepted H100 nodes, 128 under a reserved line until 2027-10).</summary>
public sealed class ClaimsApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string json, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/claims") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        using var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string[] Errors(JsonElement problem, string field) =>
        problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()!).ToArray();

    [Theory]
    [InlineData("""{"nodes": 1, "customer": "meta"}""", "platform", "required: a platform id or alias.")]
    [InlineData("""{"platform": "tpu-v9", "nodes": 1, "customer": "meta"}""", "platform", "no platform 'tpu-v9' in the catalog.")]
    [InlineData("""{"platform": "h100-hgx", "nodes": 0, "customer": "meta"}""", "nodes", "required: a positive whole number of nodes.")]
    [InlineData("""{"platform": "h100-hgx", "nodes": "2", "customer": "meta"}""", "nodes", "required: a positive whole number of nodes.")]
    [InlineData("""{"platform": "h100-hgx", "nodes": 1.5, "customer": "meta"}""", "nodes", "required: a positive whole number of nodes.")]
    [InlineData("""{"platform": "h100-hgx", "nodes": 1, "scope": "rack", "customer": "meta"}""", "scope", "must be \"fabric\" or \"domain\".")]
    [InlineData("""{"platform": "h100-hgx", "nodes": 1}""", "customer", "required: a customer id.")]
    [InlineData("""{"platform": "h100-hgx", "nodes": 1, "customer": "nobody"}""", "customer", "no customer 'nobody'.")]
    [InlineData("""{"platform": "gb300-nvl72", "nodes": 19, "scope": "domain", "customer": "meta"}""", "nodes", "a scale-up domain of gb300-nvl72 holds 18 nodes; 19 asked.")]
    [InlineData("""[1, 2]""", "body", "must be a JSON object with platform, nodes, scope and customer.")]
    public async Task Given_bad_input_When_claiming_Then_a_validation_problem_names_the_field_and_nothing_is_claimed(string body, string field, string message)
    {
        var before = (await server.GetElement("/api/v1/claims")).GetArrayLength();

        var (status, problem) = await PostAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal([message], Errors(problem, field));
        Assert.Equal(before, (await server.GetElement("/api/v1/claims")).GetArrayLength());
    }

    [Fact]
    public async Task Given_a_tenant_When_it_claims_for_another_customer_that_exists_or_not_Then_both_answer_the_same_404()
    {
        using var tenant = server.ClientFor(Lessor.Server.Access.Roles.Tenant);
        async Task<(HttpStatusCode, string)> Claim(string customer, string platform = "h100-hgx")
        {
            using var response = await tenant.PostAsync(new Uri("/api/v1/claims", UriKind.Relative), new StringContent(
                $$"""{"platform": "{{platform}}", "nodes": 1, "customer": "{{customer}}"}""", Encoding.UTF8, "application/json"));
            return (response.StatusCode, System.Text.RegularExpressions.Regex.Replace(await response.Content.ReadAsStringAsync(), "\"trace_id\":\"[^\"]*\"", ""));
        }

        var existing = await Claim("nvidia");
        var missing = await Claim("no-such");
        var badPlatformElsewhere = await Claim("no-such", "tpu-v9");

        Assert.Equal(HttpStatusCode.NotFound, existing.Item1);
        Assert.Equal(existing, missing);
        Assert.Equal(existing, badPlatformElsewhere);
        Assert.DoesNotContain("no customer", missing.Item2, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_an_unknown_customer_When_listing_Then_a_validation_problem_names_customer()
    {
        using var response = await server.Client.GetAsync("/api/v1/claims?customer=nobody");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["no customer 'nobody'."], Errors(problem, "customer"));
    }

    [Fact]
    public async Task Given_more_nodes_than_are_free_When_claiming_Then_409_names_nodes()
    {
        var (status, problem) = await PostAsync("""{"platform": "h100-hgx", "nodes": 300, "customer": "meta"}""");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("nodes", problem.GetProperty("field").GetString());
        Assert.StartsWith("nodes: ", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Given_a_claim_with_a_key_When_retried_listed_and_released_twice_Then_one_claim_is_made_listed_and_released()
    {
        const string body = """{"platform": "H100 SXM HGX", "nodes": 2, "scope": "fabric", "customer": "nvidia"}""";
        var (created, claim) = await PostAsync(body, "api-key-1");
        var (replayed, again) = await PostAsync(body, "api-key-1");

        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(HttpStatusCode.OK, replayed);
        var id = claim.GetProperty("id").GetString()!;
        Assert.Equal(id, again.GetProperty("id").GetString());
        Assert.Equal("h100-hgx", claim.GetProperty("platform").GetString());
        Assert.Equal(2, claim.GetProperty("node_count").GetInt32());
        Assert.All(claim.GetProperty("nodes").EnumerateArray(), n => Assert.Equal("dfw1-h100-a", n.GetProperty("fabric").GetString()));
        var listed = await server.GetElement("/api/v1/claims?customer=nvidia");
        Assert.Equal([id], listed.EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        Assert.Empty((await server.GetElement("/api/v1/claims?customer=meta")).EnumerateArray());

        using var first = await server.Client.DeleteAsync($"/api/v1/claims/{id}");
        using var second = await server.Client.DeleteAsync($"/api/v1/claims/{id}");
        using var unknown = await server.Client.DeleteAsync("/api/v1/claims/cl-unknown");
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Empty((await server.GetElement("/api/v1/claims?customer=nvidia")).EnumerateArray());
    }
}
