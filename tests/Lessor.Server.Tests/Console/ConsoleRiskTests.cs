using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Server.Access;
using Lessor.Server.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lessor.Server.Tests.Browser;

/// <summary>The risk page (issue 16) with a planner key: a run's fan, next year's range and tornado are the API's; a tenant never sees it.</summary>
public sealed class ConsoleRiskTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task Given_a_planner_key_When_running_200_trials_Then_the_fan_and_tornado_are_drawn_and_next_years_p50_is_the_apis()
    {
        var key = await console.CreateKeyAsync(Roles.Planner, null);
        using var client = new HttpClient { BaseAddress = console.BaseUrl };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using var response = await client.PostAsJsonAsync("/api/v1/risk/run", new { trials = 200, seed = 1, from = "2027-01-01", until = "2029-01-01" }, LessorJson.Options);
        response.EnsureSuccessStatusCode();
        var report = await response.Content.ReadFromJsonAsync<JsonElement>(LessorJson.Options);
        var summary = report.GetProperty("summary");
        var page = await console.NewPageAsync(key);

        await page.GotoAsync("/risk");
        await Expect(page.Locator("nav a[data-page='risk']")).ToBeVisibleAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Risk");
        // A bad field is named as the API names it, under the field.
        await page.Locator("#risk input[name='trials']").FillAsync("0");
        await page.GetByTestId("run").ClickAsync();
        await Expect(page.Locator("#risk .field-error[data-for='trials']")).ToContainTextAsync("give 1 to 20,000 trials");

        await page.Locator("#risk input[name='trials']").FillAsync("200");
        await page.Locator("#risk input[name='seed']").FillAsync("1");
        await page.Locator("#risk input[name='from']").FillAsync("2027-01-01");
        await page.Locator("#risk input[name='until']").FillAsync("2029-01-01");
        await page.GetByTestId("run").ClickAsync();

        var slow = new LocatorAssertionsToHaveAttributeOptions { Timeout = 120_000 };
        await Expect(page.GetByTestId("fan-chart")).ToHaveAttributeAsync("data-drawn", "true", slow);
        await Expect(page.Locator("#risk .field-error[data-for='trials']")).ToHaveTextAsync("");
        var p50 = summary.GetProperty("next_year_revenue").GetProperty("p50").GetDecimal();
        await Expect(page.GetByTestId("next-year-p50")).ToHaveTextAsync("$" + decimal.Round(p50, 2, MidpointRounding.AwayFromZero).ToString("#,0.00", CultureInfo.InvariantCulture));
        await Expect(page.Locator("[data-testid='fan'] tbody tr")).ToHaveCountAsync(summary.GetProperty("revenue").GetArrayLength());
        var bars = report.GetProperty("tornado").GetArrayLength();
        Assert.True(bars > 0, "the bundled scenario has uncertain deliveries: the tornado has bars");
        await Expect(page.GetByTestId("tornado-chart")).ToHaveAttributeAsync("data-drawn", "true");
        await Expect(page.Locator("[data-testid='tornado'] tbody tr")).ToHaveCountAsync(bars);

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("csv").ClickAsync());
        var lines = (await File.ReadAllTextAsync((await download.PathAsync())!)).TrimEnd('\n').Split('\n');
        Assert.Equal("quarter,p10,p50,p90,mean,currency", lines[0]);
        Assert.Equal(summary.GetProperty("revenue").GetArrayLength(), lines.Length - 1);
        Assert.Equal(summary.GetProperty("revenue")[0].GetProperty("quarter").GetString(), lines[1].Split(',')[0]);
        Assert.True(console.PageErrors[page].Count == 0, string.Join("\n", console.PageErrors[page]));
        await ConsoleFixture.ScreenshotAsync(page, "risk");

        // A tenant's console does not list the page.
        var tenant = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Tenant, "meta"));
        await tenant.GotoAsync("/contracts");
        await Expect(tenant.GetByTestId("who")).ToHaveTextAsync("tenant · meta");
        await Expect(tenant.Locator("nav a[data-page='risk']")).ToBeHiddenAsync();
    }
}
