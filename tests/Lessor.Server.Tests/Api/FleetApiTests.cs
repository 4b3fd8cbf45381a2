using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lessor.Server.Access;

namespace Lessor.Server.Tests.Api;

/// <summary>The fleet and SLA endpoints over a real server: per-item outcomes of a report batch, actions, and tenant scoping.</summary>
public sealed class FleetApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Given_a_batch_with_good_bad_unknown_and_duplicate_reports_When_posted_Then_each_item_says_what_became_of_it()
    {
        using var op = server.ClientFor(Roles.Operator);
        var serial = (await GetAsync(op, "/api/v1/fleet/nodes?state=in_service&limit=1")).GetProperty("items")[0].GetProperty("serial").GetString()!;
        var at = DateTime.UtcNow.AddMinutes(-1).ToString("O");
        var body = $$"""
            [{"node": "{{serial}}", "seq": 1, "at": "{{at}}", "gpus": [{"gpu": 0, "temperature_c": 60, "power_w": 700, "utilization": 0.9, "nvlink_errors": 0, "ecc_double_bit": 0}]},
             {"node": "{{serial}}", "seq": 1, "at": "{{at}}", "gpus": []},
             {"node": "no-such-node", "seq": 1, "at": "{{at}}", "gpus": []},
             {"node": "{{serial}}", "seq": 0, "at": "{{at}}", "gpus": []},
             {"node": "{{serial}}", "seq": 2, "at": "2999-01-01T00:00:00Z", "gpus": []}]
            """;
        using var response = await op.PostAsync(new Uri("/api/v1/fleet/reports", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var batch = await response.Content.ReadFromJsonAsync<JsonElement>();
        var items = batch.GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("status").GetString(), i.TryGetProperty("field", out var f) ? f.GetString() : null)).ToList();
        Assert.Equal(("applied", (string?)null), items[0]);
        Assert.Equal(("duplicate", (string?)null), items[1]);
        Assert.Equal(("unknown_node", "node"), items[2]);
        Assert.Equal(("malformed", "[3].seq"), items[3]);
        Assert.Equal(("from_the_future", "at"), items[4]);
        Assert.Equal((1, 1, 3), (batch.GetProperty("applied").GetInt32(), batch.GetProperty("duplicates").GetInt32(), batch.GetProperty("refused").GetInt32()));

        var node = await GetAsync(op, $"/api/v1/fleet/nodes/{serial}");
        Assert.Equal(1, node.GetProperty("node").GetProperty("reports_applied").GetInt64());
    }

    [Fact]
    public async Task Given_a_node_When_an_operator_acts_Then_refusals_name_the_field_and_a_retire_is_final()
    {
        using var op = server.ClientFor(Roles.Operator);
        var serial = (await GetAsync(op, "/api/v1/fleet/nodes?role=free&state=in_service&limit=1")).GetProperty("items")[0].GetProperty("serial").GetString()!;
        using (var bad = await op.PostAsJsonAsync($"/api/v1/fleet/nodes/{serial}/actions", new { action = "explode" }))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var refused = await op.PostAsJsonAsync($"/api/v1/fleet/nodes/{serial}/actions", new { action = "rma" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("cannot rma a node that is in_service", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var retire = await op.PostAsJsonAsync($"/api/v1/fleet/nodes/{serial}/actions", new { action = "retire", note = "test" }))
            Assert.Equal(HttpStatusCode.OK, retire.StatusCode);
        using (var back = await op.PostAsJsonAsync($"/api/v1/fleet/nodes/{serial}/actions", new { action = "return_to_service" }))
            Assert.Equal(HttpStatusCode.BadRequest, back.StatusCode);
        var events = await GetAsync(op, $"/api/v1/fleet/events?node={serial}");
        Assert.Equal("retired", events.GetProperty("items")[0].GetProperty("to").GetString());
    }

    [Fact]
    public async Task Given_a_tenant_When_it_asks_for_availability_Then_it_sees_only_its_own_contracts()
    {
        using var tenant = server.ClientFor(Roles.Tenant);
        var month = DateTime.UtcNow.ToString("yyyy-MM");
        var own = await GetAsync(tenant, $"/api/v1/sla?month={month}");
        Assert.All(own.EnumerateArray(), m => Assert.Equal(server.TenantCustomer.Value, m.GetProperty("customer").GetString()));
        var other = server.State.Scenario.Customers.First(c => c.Id != server.TenantCustomer).Id.Value;
        using var hidden = await tenant.GetAsync(new Uri($"/api/v1/sla?month={month}&customer={other}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        using var run = await tenant.PostAsync(new Uri($"/api/v1/sla/credits?month={month}", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NotFound, run.StatusCode);
    }
}
