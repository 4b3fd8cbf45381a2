using System.Text.Json;
using static Microsoft.Playwright.Assertions;

namespace Lessor.Server.Tests.Browser;

/// <summary>The deal desk's build-out plan for the 100,008-GPU Vera Rubin deal, in the browser, against the API's own answer.</summary>
public sealed class ConsolePlanTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task Given_a_deal_that_does_not_fit_When_asking_for_a_build_out_plan_Then_the_deliveries_to_order_are_shown()
    {
        var deal = new { customer = "meta", lines = new[] { new { platform = "vr-nvl72", gpus = 100_008, start = "2027-01-01", end = "2033-01-01", locality = "any", min_sites = 3 } } };
        var api = await console.PostAsync("/api/v1/deals/plan", new { deal, today = "2026-04-01" });
        Assert.Equal("planned", api.GetProperty("outcome").GetString());
        var page = await console.NewPageAsync();

        await page.GotoAsync("/deals");
        await page.Locator("select[name='customer']").SelectOptionAsync("meta");
        await page.Locator("select[name='platform']").SelectOptionAsync("vr-nvl72");
        await page.Locator("input[name='gpus']").FillAsync("100008");
        await page.Locator("input[name='start']").FillAsync("2027-01-01");
        await page.Locator("input[name='end']").FillAsync("2033-01-01");
        await page.Locator("input[name='min_sites']").FillAsync("3");
        await page.Locator("input[name='plan_today']").FillAsync("2026-04-01");
        await page.Locator("button[data-action='plan']").ClickAsync();

        await Expect(page.GetByTestId("plan")).ToContainTextAsync($"Build {api.GetProperty("units").GetInt32():N0} units");
        await Expect(page.Locator("[data-testid='plan-deliveries'] tbody tr")).ToHaveCountAsync(api.GetProperty("deliveries").GetArrayLength());
        Assert.Empty(console.PageErrors[page]);
        await ConsoleFixture.ScreenshotAsync(page, "deal-plan");
    }
}
