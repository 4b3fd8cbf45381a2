using System.Globalization;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lessor.Server.Tests.Browser;

/// <summary>Signing from the deal desk, on a server of its own so the new contract changes no other test's book.</summary>
public sealed class ConsoleSigningTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task Given_a_deal_that_fits_When_signed_at_the_desk_Then_it_is_in_contracts_with_its_placement_and_a_repeat_click_replays_it()
    {
        var before = (await console.GetAsync("/api/v1/contracts?customer=meta&limit=1000")).GetProperty("total").GetInt32();
        var page = await console.NewPageAsync();

        await page.GotoAsync("/deals");
        await ConsoleReadTests.FillDealAsync(page, 720);
        await page.Locator("input[name='title']").FillAsync("Console test: GB300 for 2027");
        await page.Locator("input[name='signed_on']").FillAsync("2026-11-27");
        var sign = page.GetByRole(AriaRole.Button, new() { Name = "Sign", Exact = true });
        await sign.ClickAsync();

        await Expect(page.GetByTestId("signed")).ToContainTextAsync("Signed: ");
        var id = (await page.GetByTestId("signed-link").TextContentAsync())!;
        var stored = await console.GetAsync($"/api/v1/contracts/{id}");
        Assert.Equal("meta", stored.GetProperty("customer").GetString());
        Assert.Equal("Console test: GB300 for 2027", stored.GetProperty("title").GetString());
        Assert.Equal("2026-11-27T00:00:00Z", stored.GetProperty("signed_on").GetString());
        Assert.Equal(before + 1, (await console.GetAsync("/api/v1/contracts?customer=meta&limit=1000")).GetProperty("total").GetInt32());

        // The same deal signed again carries the same idempotency key: the server replays, nothing new is stored.
        await sign.ClickAsync();
        await Expect(page.GetByTestId("signed")).ToContainTextAsync($"Already signed: {id}");
        Assert.Equal(before + 1, (await console.GetAsync("/api/v1/contracts?customer=meta&limit=1000")).GetProperty("total").GetInt32());

        await page.GetByTestId("signed-link").ClickAsync();
        await Expect(page.GetByTestId("contract-id")).ToHaveTextAsync($"Contract {id}");
        // One pill per fabric, its blocks summed, in the order the fabrics first appear.
        var pinned = stored.GetProperty("lines")[0].GetProperty("pinned").EnumerateArray()
            .GroupBy(b => b.GetProperty("fabric").GetString())
            .Select(g => (Fabric: g.Key, Units: g.Sum(b => b.GetProperty("units").GetInt32())))
            .Select(b => $"{b.Fabric} · {b.Units.ToString("N0", CultureInfo.InvariantCulture)} units = {(b.Units * 72).ToString("N0", CultureInfo.InvariantCulture)} GPUs")
            .ToList();
        Assert.NotEmpty(pinned);
        Assert.Equal(pinned, await page.Locator("[data-testid='placement'] .chip").AllTextContentsAsync());
        await ConsoleFixture.ScreenshotAsync(page, "contract");

        await page.GetByRole(AriaRole.Link, new() { Name = "Contracts", Exact = true }).ClickAsync();
        await page.Locator("#customer").SelectOptionAsync("meta");
        await Expect(page.Locator($"[data-testid='contracts'] tr[data-contract='{id}']")).ToBeVisibleAsync();
        Assert.Empty(console.PageErrors[page]);
        await ConsoleFixture.ScreenshotAsync(page, "contracts");
    }
}
