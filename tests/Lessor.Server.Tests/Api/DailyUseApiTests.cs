using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Json;

namespace Lessor.Server.Tests.Api;

/// <summary>
/// The endpoints the console's daily pages use (issue 13): amend and cancel previews agree with the writes, largest needs
/// no size, credits are field-checked, an issued invoice downloads as JSON, HTML or CSV (a tenant only its own), the
/// node pool, and the contracts listing sorts.
/// </summary>
public sealed class DailyUseApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private async Task<(HttpStatusCode Status, JsonElement Json)> Post(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body, LessorJson.Compact);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement);
    }

    private static decimal Amount(JsonElement money) => decimal.Parse(money.GetProperty("amount").GetString()!, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Given_an_amendment_When_previewed_then_applied_Then_the_preview_named_the_stored_value_and_stored_nothing_itself()
    {
        using var planner = server.ClientFor(Roles.Planner);
        var before = await server.GetElement("/api/v1/contracts/meta-1");
        var body = new { line = "training", effective = "2028-01-01", end = "2032-06-01" };

        var (status, preview) = await Post(planner, "/api/v1/contracts/meta-1/amend-preview", body);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(preview.GetProperty("possible").GetBoolean(), preview.ToString());
        Assert.Equal(Amount(before.GetProperty("value")), Amount(preview.GetProperty("tcv_before")));
        Assert.Equal("2032-06-01T00:00:00Z", preview.GetProperty("end_after").GetString());
        Assert.Equal(Amount(preview.GetProperty("tcv_after")) - Amount(preview.GetProperty("tcv_before")), Amount(preview.GetProperty("tcv_change")));
        Assert.True(Amount(preview.GetProperty("tcv_change")) > 0);
        Assert.Equal(before.GetProperty("value").ToString(), (await server.GetElement("/api/v1/contracts/meta-1")).GetProperty("value").ToString());

        var (applied, contract) = await Post(planner, "/api/v1/contracts/meta-1/amend", body);
        Assert.Equal(HttpStatusCode.OK, applied);
        Assert.Equal(Amount(preview.GetProperty("tcv_after")), Amount(contract.GetProperty("value")));
    }

    [Fact]
    public async Task Given_an_amendment_the_desk_refuses_When_previewed_Then_the_field_and_reason_are_the_amendments()
    {
        using var planner = server.ClientFor(Roles.Planner);

        var (status, preview) = await Post(planner, "/api/v1/contracts/meta-1/amend-preview", new { line = "no-such-line", effective = "2028-01-01", gpus = 72 });
        var (missing, problem) = await Post(planner, "/api/v1/contracts/meta-1/amend-preview", new { line = "training", gpus = 72 });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(preview.GetProperty("possible").GetBoolean());
        Assert.Equal("line", preview.GetProperty("field").GetString());
        Assert.Equal("contract meta-1 has no line 'no-such-line'.", preview.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal("required.", problem.GetProperty("errors").GetProperty("effective")[0].GetString());
    }

    [Fact]
    public async Task Given_a_cancellation_When_previewed_Then_its_fee_and_value_are_what_cancelling_stores()
    {
        using var planner = server.ClientFor(Roles.Planner);
        var body = new { effective = "2028-03-01", reason = "preview test" };

        var (_, preview) = await Post(planner, "/api/v1/contracts/meta-2/cancel-preview", body);
        var (status, cancelled) = await Post(planner, "/api/v1/contracts/meta-2/cancel", body);
        var (_, again) = await Post(planner, "/api/v1/contracts/meta-2/cancel-preview", body);

        Assert.True(preview.GetProperty("possible").GetBoolean(), preview.ToString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Amount(preview.GetProperty("fee")), Amount(cancelled.GetProperty("cancellation").GetProperty("fee")));
        Assert.Equal(Amount(preview.GetProperty("tcv_after")), Amount(cancelled.GetProperty("value")));
        Assert.True(preview.GetProperty("gpus_freed").GetInt32() > 0);
        Assert.False(again.GetProperty("possible").GetBoolean());
        Assert.Equal("meta-2 was already cancelled from 2028-03-01.", again.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Given_a_largest_question_without_gpus_When_asked_Then_it_answers_the_size()
    {
        using var planner = server.ClientFor(Roles.Planner);
        var deal = new { customer = "meta", lines = new[] { new { platform = "h100-hgx", start = "2027-06-01", end = "2029-06-01" } } };

        var (status, largest) = await Post(planner, "/api/v1/deals/largest", deal);
        var (sized, same) = await Post(planner, "/api/v1/deals/largest", new { customer = "meta", lines = new[] { new { platform = "h100-hgx", gpus = 8, start = "2027-06-01", end = "2029-06-01" } } });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, sized);
        Assert.True(largest.GetProperty("largest").GetInt32() > 0);
        Assert.Equal(same.GetProperty("largest").GetInt32(), largest.GetProperty("largest").GetInt32());
    }

    [Fact]
    public async Task Given_bad_credits_When_recorded_Then_each_field_is_named_and_a_good_one_is_listed_once()
    {
        using var finance = server.ClientFor(Roles.Finance);

        var (bad, problem) = await Post(finance, "/api/v1/credits", new { customer = "metaa", month = "2027-13", amount = -1m, reason = "" });
        var (made, _) = await Post(finance, "/api/v1/credits", new { id = "c-1", customer = "meta", month = "2027-02", amount = 10.25m, reason = "SLA" });
        var (twice, _) = await Post(finance, "/api/v1/credits", new { id = "c-1", customer = "meta", month = "2027-02", amount = 10.25m, reason = "SLA" });
        var listed = (await server.GetElement("/api/v1/credits?month=2027-02")).EnumerateArray().ToList();

        Assert.Equal(HttpStatusCode.BadRequest, bad);
        var errors = problem.GetProperty("errors");
        Assert.Equal(["amount", "customer", "id", "month", "reason"], errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Contains("did you mean 'meta'", errors.GetProperty("customer")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("-1 must be positive; a credit reduces what the customer owes.", errors.GetProperty("amount")[0].GetString());
        Assert.Equal(HttpStatusCode.Created, made);
        Assert.Equal(HttpStatusCode.Created, twice);
        var credit = Assert.Single(listed);
        Assert.Equal(10.25m, Amount(credit.GetProperty("amount")));
        Assert.Equal("USD", credit.GetProperty("amount").GetProperty("currency").GetString());
    }

    [Fact]
    public async Task Given_an_issued_invoice_When_downloaded_Then_json_html_and_csv_agree_and_another_tenant_gets_404()
    {
        using var finance = server.ClientFor(Roles.Finance);
        using var run = await finance.PostAsync(new Uri("/api/v1/invoices/run?month=2026-10", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var number = $"INV-2026-10-{server.TenantCustomer}";
        using var tenant = server.ClientFor(Roles.Tenant);
        var other = server.State.Scenario.Customers.First(c => c.Id != server.TenantCustomer).Id;
        using var otherTenant = await server.NewClientAsync(Roles.Tenant, other);

        var json = JsonDocument.Parse(await tenant.GetStringAsync(new Uri($"/api/v1/invoices/{number}", UriKind.Relative))).RootElement;
        using var html = await tenant.GetAsync(new Uri($"/api/v1/invoices/{number}?format=html", UriKind.Relative));
        var csv = await tenant.GetStringAsync(new Uri($"/api/v1/invoices/{number}?format=csv", UriKind.Relative));
        using var hidden = await otherTenant.GetAsync(new Uri($"/api/v1/invoices/{number}", UriKind.Relative));
        using var badFormat = await finance.GetAsync(new Uri($"/api/v1/invoices/{number}?format=pdf", UriKind.Relative));
        using var unknown = await finance.GetAsync(new Uri("/api/v1/invoices/INV-2026-10-nobody", UriKind.Relative));

        Assert.Equal(number, json.GetProperty("number").GetString());
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        var page = await html.Content.ReadAsStringAsync();
        Assert.Contains($"<h1>Invoice {number}</h1>", page, StringComparison.Ordinal);
        Assert.Contains(Amount(json.GetProperty("total")).ToString("#,0.00", CultureInfo.InvariantCulture), page, StringComparison.Ordinal);
        Assert.Equal(json.GetProperty("lines").GetArrayLength() + 1, csv.TrimEnd('\n').Split('\n').Length);
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badFormat.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Given_the_node_pool_When_listed_Then_each_platform_has_its_free_nodes()
    {
        var pool = (await server.GetElement("/api/v1/claims/pool")).EnumerateArray().ToList();

        Assert.Equal(server.State.Scenario.Platforms.Select(p => p.Id.Value), pool.Select(p => p.GetProperty("platform").GetString()));
        Assert.All(pool, p => Assert.True(p.GetProperty("free_nodes").GetInt32() >= 0));
        Assert.All(pool, p => Assert.True(p.GetProperty("nodes_per_domain").GetInt32() >= 1));
    }

    [Theory]
    [InlineData("value")]
    [InlineData("-value")]
    [InlineData("signed")]
    [InlineData("-gpus")]
    public async Task Given_a_sort_key_When_listing_contracts_Then_they_come_in_that_order(string sort)
    {
        var items = (await server.GetElement($"/api/v1/contracts?sort={sort}&limit=1000")).GetProperty("items").EnumerateArray().ToList();
        Func<JsonElement, decimal> key = sort.TrimStart('-') switch
        {
            "value" => c => Amount(c.GetProperty("value")),
            "gpus" => c => c.GetProperty("committed_gpus").GetInt32(),
            _ => c => c.GetProperty("signed_on").GetDateTime().Ticks,
        };
        var keys = items.Select(key).ToList();
        var expected = sort.StartsWith('-') ? keys.OrderDescending().ToList() : keys.Order().ToList();

        Assert.True(items.Count > 1);
        Assert.Equal(expected, keys);
    }

    [Fact]
    public async Task Given_an_unknown_sort_key_When_listing_contracts_Then_the_field_is_named()
    {
        using var response = await server.Client.GetAsync(new Uri("/api/v1/contracts?sort=price", UriKind.Relative));
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("'price' is not one of id, customer, signed, start, gpus, value (a leading '-' sorts descending).", problem.GetProperty("errors").GetProperty("sort")[0].GetString());
    }
}
