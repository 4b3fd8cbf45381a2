using Lessor.Server.Access;
using static Microsoft.Playwright.Assertions;

namespace Lessor.Server.Tests.Browser;

/// <summary>A tenant's console: only its own contracts, and another tenant's contract is "not found", even by URL.</summary>
public sealed class ConsoleTenantTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task Given_a_tenant_key_When_opening_the_console_Then_it_sees_only_its_contracts_and_not_another_tenants_even_by_url()
    {
        var all = (await console.GetAsync("/api/v1/contracts?limit=1000")).GetProperty("items").EnumerateArray().ToList();
        var others = all.First(c => c.GetProperty("customer").GetString() != "meta").GetProperty("id").GetString()!;
        var own = all.Where(c => c.GetProperty("customer").GetString() == "meta").Select(c => c.GetProperty("id").GetString()!).ToList();
        var page = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Tenant, "meta"));

        await page.GotoAsync("/");
        await Expect(page.GetByTestId("who")).ToHaveTextAsync("tenant · meta");
        Assert.True(console.PageErrors[page].Count == 0, string.Join("\n", console.PageErrors[page]));

        await Expect(page).ToHaveURLAsync(new Uri(console.BaseUrl, "/contracts").ToString());
        await Expect(page.GetByTestId("who")).ToHaveTextAsync("tenant · meta");
        await Expect(page.Locator("nav a[data-page='deals']")).ToBeHiddenAsync();
        await Expect(page.Locator("nav a[data-page='estate']")).ToBeHiddenAsync();
        await Expect(page.Locator("[data-testid='contracts'] tbody tr")).ToHaveCountAsync(own.Count);
        var listed = await page.Locator("[data-testid='contracts'] tbody tr td:first-child").AllInnerTextsAsync();
        Assert.Equal(own.Order(StringComparer.Ordinal), listed.Select(t => t.Trim()).Order(StringComparer.Ordinal));
        await ConsoleFixture.ScreenshotAsync(page, "tenant-contracts");

        await page.GotoAsync($"/contracts/{others}");
        await Expect(page.GetByTestId("not-found")).ToContainTextAsync("Contract not found.");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-other-contract");
    }
}
