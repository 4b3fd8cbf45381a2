using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Core.Finance;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Json;

namespace Lessor.Server.Tests.Api;

/// <summary>One contract's credit from the credit run's answer.</summary>
internal sealed record RunCredit(string Contract, string Customer, decimal Amount);

/// <summary>
/// Writes SLA credits for the month before the current one: 200 nodes serving contracts with an SLA (in the annotated
/// example, meta-1's: 99%, 10%, cap 50%) fall off the bus on that month's second day, more than their fabrics' spares can
/// replace, then the month's credits are run through POST /api/v1/sla/credits.
/// </summary>
internal static class LastMonthCredits
{
    public static async Task<(YearMonth Month, DateTime RunAt, IReadOnlyList<RunCredit> Credits)> WriteAsync(HttpClient admin)
    {
        var runAt = DateTime.UtcNow;
        var month = YearMonth.Of(runAt).Previous;
        var withSla = (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/sla?month={month}")).EnumerateArray()
            .Select(m => m.GetProperty("contract").GetString()!).ToHashSet(StringComparer.Ordinal);
        var nodes = new List<JsonElement>();
        for (var offset = 0; nodes.Count < 200; offset += 1000)
        {
            var page = (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/fleet/nodes?role=serving&offset={offset}&limit=1000")).GetProperty("items").EnumerateArray().ToList();
            if (page.Count == 0) break;
            nodes.AddRange(page.Where(n => n.TryGetProperty("contract", out var c) && withSla.Contains(c.GetString()!)).Take(200 - nodes.Count));
        }
        Assert.Equal(200, nodes.Count);
        var at = month.Start.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var reports = nodes.Select(n => new
        {
            node = n.GetProperty("serial").GetString(),
            seq = 1,
            at,
            gpus = Array.Empty<object>(),
            events = new[] { new { kind = "xid", gpu = 0, code = 79, detail = "GPU has fallen off the bus" } },
        }).ToArray();
        using (var posted = await admin.PostAsJsonAsync("/api/v1/fleet/reports", reports))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            Assert.Equal(200, (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("applied").GetInt32());
        }
        using var run = await admin.PostAsync(new Uri($"/api/v1/sla/credits?month={month}", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var credits = (await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("contracts").EnumerateArray()
            .Select(c => new RunCredit(c.GetProperty("contract").GetString()!, c.GetProperty("customer").GetString()!, Amount(c.GetProperty("credit"))))
            .Where(c => c.Amount > 0).ToList();
        Assert.True(credits.Count > 0, "the failures earned no credit: the test would prove nothing");
        return (month, runAt, credits);
    }

    public static decimal Amount(JsonElement money) => decimal.Parse(money.GetProperty("amount").GetString()!, CultureInfo.InvariantCulture);
}

/// <summary>A server whose last month's SLA credits were written once, at the start.</summary>
public sealed class SlaCreditsFixture : IAsyncLifetime
{
    public ServerFixture Server { get; } = new();

    public YearMonth Month { get; private set; }

    /// <summary>When the test asked for the credit run: the run wrote at or after this instant.</summary>
    public DateTime RunAt { get; private set; }

    internal IReadOnlyList<RunCredit> Credits { get; private set; } = [];

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        using var admin = Server.ClientFor(Roles.Admin);
        (Month, RunAt, Credits) = await LastMonthCredits.WriteAsync(admin);
    }

    public Task DisposeAsync() => Server.DisposeAsync();
}

/// <summary>
/// SLA credits in the finance KPIs: by customer and month of service, summed here by hand from what the credit run
/// wrote; written only by the as-of date, accrued before that; a tenant sees only its own credits, and not the KPIs.
/// </summary>
public sealed class SlaCreditKpiTests(SlaCreditsFixture fixture) : IClassFixture<SlaCreditsFixture>
{
    private ServerFixture Server => fixture.Server;

    private static string Day(DateTime t) => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<JsonElement> GetOkAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Dictionary<string, (decimal Amount, int Contracts)> ExpectedByCustomer() =>
        fixture.Credits.GroupBy(c => c.Customer, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (Math.Round(g.Sum(c => c.Amount), 2, MidpointRounding.AwayFromZero), g.Count()), StringComparer.Ordinal);

    [Fact]
    public async Task Given_credits_written_for_last_month_When_finance_asks_the_kpis_as_of_the_next_day_Then_they_are_there_by_customer_and_month_with_totals()
    {
        using var finance = Server.ClientFor(Roles.Finance);
        var asOf = fixture.RunAt.Date.AddDays(1);
        var kpis = await GetOkAsync(finance, $"/api/v1/finance/kpis?as_of={Day(asOf)}&sla_from={fixture.Month}");
        var sla = kpis.GetProperty("sla_credits");
        Assert.Equal((fixture.Month.ToString(), YearMonth.Of(asOf).ToString()), (sla.GetProperty("from").GetString(), sla.GetProperty("to").GetString()));

        var expected = ExpectedByCustomer();
        var rows = sla.GetProperty("rows").EnumerateArray().ToList();
        Assert.All(rows, r => Assert.Equal(fixture.Month.ToString(), r.GetProperty("month").GetString()));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), rows.Select(r => r.GetProperty("customer").GetString()!));
        foreach (var r in rows)
        {
            var (amount, contracts) = expected[r.GetProperty("customer").GetString()!];
            Assert.Equal((amount, contracts), (LastMonthCredits.Amount(r.GetProperty("written")), r.GetProperty("written_contracts").GetInt32()));
            Assert.Equal((0m, 0), (LastMonthCredits.Amount(r.GetProperty("accrued")), r.GetProperty("accrued_contracts").GetInt32()));
            Assert.Equal("USD", r.GetProperty("written").GetProperty("currency").GetString());
        }
        var total = expected.Values.Sum(v => v.Amount);
        Assert.Equal(total, LastMonthCredits.Amount(sla.GetProperty("written")));
        Assert.Equal(0m, LastMonthCredits.Amount(sla.GetProperty("accrued")));
        Assert.Empty(sla.GetProperty("accrued_months").EnumerateArray());
        var byMonth = sla.GetProperty("by_month").EnumerateArray().ToList();
        Assert.Equal(YearMonth.MonthsBetween(fixture.Month, YearMonth.Of(asOf)) + 1, byMonth.Count);
        Assert.Equal(total, LastMonthCredits.Amount(byMonth[0].GetProperty("written")));
        Assert.All(byMonth.Skip(1), m => Assert.Equal(0m, LastMonthCredits.Amount(m.GetProperty("written"))));
        Assert.Equal(expected.ToDictionary(e => e.Key, e => e.Value.Amount), sla.GetProperty("by_customer").EnumerateArray()
            .ToDictionary(c => c.GetProperty("customer").GetString()!, c => LastMonthCredits.Amount(c.GetProperty("written"))));

        // The existing endpoint reads the same credits back from the credits store.
        var stored = await GetOkAsync(finance, $"/api/v1/sla/credits/by-customer?month={fixture.Month}");
        Assert.Equal(expected.ToDictionary(e => e.Key, e => e.Value.Amount), stored.EnumerateArray()
            .ToDictionary(c => c.GetProperty("customer").GetString()!, c => LastMonthCredits.Amount(c.GetProperty("credits"))));

        // Additive: the KPIs themselves are the finance engine's, unchanged.
        var engine = FinanceReport.Kpis(Server.State.Desk.FinanceBook(), asOf, FinanceSettings.Default);
        Assert.True(JsonElement.DeepEquals(JsonSerializer.SerializeToElement(engine.Total, LessorJson.Options), kpis.GetProperty("total")));
        Assert.True(JsonElement.DeepEquals(JsonSerializer.SerializeToElement(engine.ByCustomer, LessorJson.Options), kpis.GetProperty("by_customer")));
        Assert.True(JsonElement.DeepEquals(JsonSerializer.SerializeToElement(engine.BySite, LessorJson.Options), kpis.GetProperty("by_site")));
    }

    [Fact]
    public async Task Given_credits_written_today_When_the_kpis_are_as_of_today_Then_none_counts_as_written_and_the_month_shows_them_accrued()
    {
        using var admin = Server.ClientFor(Roles.Admin);
        // As of the start of the day the run wrote: the month was over, its credits were not written yet.
        var sla = (await GetOkAsync(admin, $"/api/v1/finance/kpis?as_of={Day(fixture.RunAt.Date)}&sla_from={fixture.Month}")).GetProperty("sla_credits");
        Assert.Equal(0m, LastMonthCredits.Amount(sla.GetProperty("written")));
        Assert.Equal([fixture.Month.ToString()], sla.GetProperty("accrued_months").EnumerateArray().Select(m => m.GetString()!));
        var expected = ExpectedByCustomer();
        Assert.Equal(expected.Values.Sum(v => v.Amount), LastMonthCredits.Amount(sla.GetProperty("accrued")));
        Assert.Equal(expected, sla.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("customer").GetString()!,
            r => (LastMonthCredits.Amount(r.GetProperty("accrued")), r.GetProperty("accrued_contracts").GetInt32())));
        Assert.All(sla.GetProperty("rows").EnumerateArray(), r => Assert.Equal(0, r.GetProperty("written_contracts").GetInt32()));

        // As of the month's last day it was not over: nothing written, nothing accrued.
        var before = (await GetOkAsync(admin, $"/api/v1/finance/kpis?as_of={Day(fixture.Month.End.AddDays(-1))}&sla_from={fixture.Month}")).GetProperty("sla_credits");
        Assert.Empty(before.GetProperty("rows").EnumerateArray());
        Assert.Empty(before.GetProperty("accrued_months").EnumerateArray());
        Assert.Equal((0m, 0m), (LastMonthCredits.Amount(before.GetProperty("written")), LastMonthCredits.Amount(before.GetProperty("accrued"))));
    }

    [Fact]
    public async Task Given_no_sla_from_When_asking_the_kpis_Then_the_credits_cover_the_as_of_year_to_date()
    {
        using var finance = Server.ClientFor(Roles.Finance);
        var asOf = fixture.RunAt.Date.AddDays(1);
        var sla = (await GetOkAsync(finance, $"/api/v1/finance/kpis?as_of={Day(asOf)}")).GetProperty("sla_credits");
        Assert.Equal(($"{asOf.Year:D4}-01", YearMonth.Of(asOf).ToString()), (sla.GetProperty("from").GetString(), sla.GetProperty("to").GetString()));
        Assert.Equal(asOf.Month, sla.GetProperty("by_month").GetArrayLength());
        // Last month is in this year's months unless the run was in January; either way the months not credited by then were measured.
        var inYear = fixture.Month.Year == asOf.Year;
        Assert.Equal(inYear ? ExpectedByCustomer().Values.Sum(v => v.Amount) : 0m, LastMonthCredits.Amount(sla.GetProperty("written")));
        var measured = sla.GetProperty("accrued_months").EnumerateArray().Select(m => YearMonth.Parse(m.GetString()!)).ToList();
        var now = DateTime.UtcNow;
        var over = Enumerable.Range(1, asOf.Month).Select(m => new YearMonth(asOf.Year, m)).Where(m => m.End <= asOf && m.End <= now && m != fixture.Month).ToList();
        Assert.Equal(over, measured);
    }

    [Theory]
    [InlineData("2026-13", "is not a month written YYYY-MM")]
    [InlineData("2027-01", "is after the as-of month 2026-12")]
    [InlineData("2020-01", "at most 36 are reported")]
    public async Task Given_a_bad_sla_from_When_asking_the_kpis_Then_400_names_the_field_and_the_reason(string from, string reason)
    {
        using var finance = Server.ClientFor(Roles.Finance);
        using var response = await finance.GetAsync(new Uri($"/api/v1/finance/kpis?as_of=2026-12-01&sla_from={from}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains(reason, errors.GetProperty("sla_from")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_written_credits_When_tenants_ask_Then_each_sees_only_its_own_and_neither_the_kpis_nor_the_credits_by_customer()
    {
        var expected = ExpectedByCustomer();
        using var meta = Server.ClientFor(Roles.Tenant);
        Assert.Equal("meta", Server.TenantCustomer.Value);
        var own = (await GetOkAsync(meta, $"/api/v1/sla?month={fixture.Month}")).EnumerateArray().ToList();
        Assert.All(own, m => Assert.Equal("meta", m.GetProperty("customer").GetString()));
        Assert.Equal(fixture.Credits.Where(c => c.Customer == "meta").ToDictionary(c => c.Contract, c => c.Amount),
            own.Where(m => LastMonthCredits.Amount(m.GetProperty("credit")) > 0).ToDictionary(m => m.GetProperty("contract").GetString()!, m => LastMonthCredits.Amount(m.GetProperty("credit"))));
        Assert.Equal(expected["meta"].Amount, own.Sum(m => LastMonthCredits.Amount(m.GetProperty("credit"))));

        using var nvidia = await Server.NewClientAsync(Roles.Tenant, new CustomerId("nvidia"));
        Assert.Empty((await GetOkAsync(nvidia, $"/api/v1/sla?month={fixture.Month}")).EnumerateArray());
        foreach (var tenant in new[] { meta, nvidia })
        {
            foreach (var path in new[] { $"/api/v1/sla?month={fixture.Month}&customer={(tenant == meta ? "nvidia" : "meta")}",
                $"/api/v1/finance/kpis?as_of={Day(fixture.RunAt.Date.AddDays(1))}", $"/api/v1/sla/credits/by-customer?month={fixture.Month}" })
            {
                using var hidden = await tenant.GetAsync(new Uri(path, UriKind.Relative));
                Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
            }
        }

        // Finance and admin see every customer's credits.
        foreach (var role in new[] { Roles.Finance, Roles.Admin })
        {
            using var client = Server.ClientFor(role);
            var sla = (await GetOkAsync(client, $"/api/v1/finance/kpis?as_of={Day(fixture.RunAt.Date.AddDays(1))}&sla_from={fixture.Month}")).GetProperty("sla_credits");
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), sla.GetProperty("by_customer").EnumerateArray().Select(c => c.GetProperty("customer").GetString()!));
        }
    }
}
