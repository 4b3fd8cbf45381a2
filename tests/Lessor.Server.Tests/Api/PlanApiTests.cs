using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Server.Json;

namespace Lessor.Server.Tests.Api;

/// <summary>POST /api/v1/deals/plan on the annotated example (dfw-1 is its only air-cooled site).</summary>
public sealed class PlanApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static object Body(int gpus, string today) => new
    {
        deal = new { customer = "meta", lines = new[] { new { platform = "h100-hgx", gpus, start = "2027-06-01", end = "2029-06-01" } } },
        today,
    };

    private async Task<(HttpStatusCode Status, JsonElement Json)> Post(object body)
    {
        var response = await server.Client.PostAsJsonAsync("/api/v1/deals/plan", body, LessorJson.Compact);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public async Task Given_an_H100_deal_beyond_the_fleet_When_planned_Then_new_H100_units_go_to_the_air_cooled_site_in_time()
    {
        var (status, plan) = await Post(Body(4096, "2026-01-01"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("planned", plan.GetProperty("outcome").GetString());
        var deliveries = plan.GetProperty("deliveries").EnumerateArray().ToList();
        Assert.NotEmpty(deliveries);
        Assert.All(deliveries, d =>
        {
            Assert.Equal("dfw-1", d.GetProperty("site").GetString());
            Assert.Equal("2027-06-01", d.GetProperty("acceptance_date").GetString()![..10]);
            Assert.Equal("2027-02-01", d.GetProperty("order_by").GetString()![..10]);
        });
        Assert.Equal(deliveries.Sum(d => d.GetProperty("units").GetInt32()), plan.GetProperty("units").GetInt32());
        Assert.True(plan.GetProperty("fit").GetProperty("fits").GetBoolean());
    }

    [Fact]
    public async Task Given_a_today_past_the_lead_time_When_planned_Then_the_answer_is_no_plan_with_the_reason()
    {
        var (status, plan) = await Post(Body(4096, "2027-03-01"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("no_plan", plan.GetProperty("outcome").GetString());
        Assert.Equal("lead_time", plan.GetProperty("blocker").GetString());
        Assert.Equal(
            "H100 SXM HGX ordered today (2027-03-01) is accepted 2027-06-29 at the earliest (120 days' lead time), after line L1 starts on 2027-06-01; start the deal on or after 2027-06-29.",
            plan.GetProperty("why").GetString());
    }

    [Fact]
    public async Task Given_a_deal_without_gpus_When_planned_Then_a_validation_problem_names_the_field()
    {
        var (status, problem) = await Post(new { deal = new { customer = "meta", lines = new[] { new { platform = "h100-hgx", start = "2027-06-01", end = "2029-06-01" } } } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("required.", problem.GetProperty("errors").GetProperty("deal.lines[0].gpus")[0].GetString());
    }
}
