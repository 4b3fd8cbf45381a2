using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Server.Access;

namespace Lessor.Server.Tests.Api;

/// <summary>POST /api/v1/risk/run: a run over the seeded book, and every bad field named.</summary>
public sealed class RiskApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Given_a_finance_key_When_running_50_trials_Then_the_summary_has_a_fan_per_quarter_and_next_years_range()
    {
        using var client = server.ClientFor(Roles.Finance);

        using var response = await client.PostAsJsonAsync("/api/v1/risk/run", new { trials = 50, seed = 7, from = "2026-01-01", until = "2027-01-01", tornado = 3 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var summary = doc.RootElement.GetProperty("summary");
        Assert.Equal(50, summary.GetProperty("trials").GetInt32());
        Assert.Equal(["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"], summary.GetProperty("revenue").EnumerateArray().Select(f => f.GetProperty("quarter").GetString()));
        var nextYear = summary.GetProperty("next_year_revenue");
        Assert.True(nextYear.GetProperty("p10").GetDecimal() <= nextYear.GetProperty("p90").GetDecimal());
        Assert.True(doc.RootElement.GetProperty("tornado").GetArrayLength() <= 3);
    }

    [Fact]
    public async Task Given_bad_fields_When_running_Then_each_is_named()
    {
        using var client = server.ClientFor(Roles.Planner);

        using var response = await client.PostAsJsonAsync("/api/v1/risk/run", new { trials = 0, from = "2027-01-01", until = "2026-01-01", spare_fraction = 2.0 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Contains("give 1 to 20,000 trials", errors.GetProperty("trials")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("must be after from.", errors.GetProperty("until")[0].GetString());
        Assert.StartsWith("a fraction of failure domains must lie in [0, 1]", errors.GetProperty("spare_fraction")[0].GetString(), StringComparison.Ordinal);
    }
}
