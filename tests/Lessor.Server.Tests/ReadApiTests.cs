using System.Net;
using System.Text.Json;

namespace Lessor.Server.Tests;

public sealed class ReadApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Given_a_seeded_store_When_asking_health_Then_it_reports_status_and_schema_and_nothing_of_the_book()
    {
        var health = await server.GetElement("/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.True(health.GetProperty("schema_version").GetInt32() >= 3);
        Assert.Equal(2, health.EnumerateObject().Count());
    }

    [Fact]
    public async Task Given_contracts_When_paging_Then_pages_partition_the_listing()
    {
        var all = await server.GetElement("/api/v1/contracts?limit=1000");
        var total = all.GetProperty("total").GetInt32();
        var ids = new List<string>();
        for (var offset = 0; offset < total; offset += 1)
        {
            var page = await server.GetElement($"/api/v1/contracts?offset={offset}&limit=1");
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!));
        }
        Assert.Equal(all.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!), ids);
    }

    [Fact]
    public async Task Given_a_limit_of_zero_When_listing_Then_a_validation_problem_names_the_field()
    {
        var response = await server.Client.GetAsync(new Uri("/api/v1/sites?limit=0", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("0 is outside 1..1000.", problem.GetProperty("errors").GetProperty("limit")[0].GetString());
    }

    [Fact]
    public async Task Given_an_unknown_contract_When_fetched_Then_404()
    {
        var response = await server.Client.GetAsync(new Uri("/api/v1/contracts/does-not-exist", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Given_a_contract_When_fetched_Then_money_is_an_exact_decimal_string_with_currency()
    {
        var first = (await server.GetElement("/api/v1/contracts")).GetProperty("items")[0];
        var contract = await server.GetElement($"/api/v1/contracts/{first.GetProperty("id").GetString()}");
        var price = contract.GetProperty("lines")[0].GetProperty("price_per_gpu_hour");
        Assert.Equal(JsonValueKind.String, price.GetProperty("amount").ValueKind);
        Assert.Equal(3, price.GetProperty("currency").GetString()!.Length);
    }

    [Fact]
    public async Task Given_kpis_asked_as_of_a_date_in_snake_case_Then_the_report_names_its_run_rate_method()
    {
        var kpis = await server.GetElement("/api/v1/finance/kpis?as_of=2027-01-01&run_rate=quarter");
        Assert.Equal("2027-01-01T00:00:00Z", kpis.GetProperty("as_of").GetString());
        Assert.Equal("latest_quarter_times4", kpis.GetProperty("run_rate_method").GetString());
        Assert.True(decimal.Parse(kpis.GetProperty("total").GetProperty("backlog").GetProperty("amount").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0m);
    }
}
