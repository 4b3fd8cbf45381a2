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
        var listed = await page.Locator("[data-testid='contracts'] tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.contract)");
        Assert.Equal(own.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        await ConsoleFixture.ScreenshotAsync(page, "tenant-contracts");

        await page.GotoAsync($"/contracts/{others}");
        await Expect(page.GetByTestId("not-found")).ToContainTextAsync("Contract not found.");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-other-contract");
    }

    [Fact]
    public async Task Given_a_tenant_key_When_opening_its_own_contract_schedule_and_invoices_Then_each_page_shows_its_own_data()
    {
        var contract = await console.GetAsync("/api/v1/contracts/meta-2");
        var schedule = await console.GetAsync("/api/v1/customers/meta/schedule?from=2026-01&to=2026-12");
        // October 2026 is closed: issue it (idempotent), as finance would, so the tenant has an invoice to open.
        await console.PostAsync("/api/v1/invoices/run?month=2026-10", new { });
        var invoice = (await console.GetAsync("/api/v1/customers/meta/invoices?month=2026-10")).EnumerateArray().Single();
        var number = invoice.GetProperty("number").GetString()!;
        var page = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Tenant, "meta"));

        // The contract page asks only for what a tenant may read (no catalog, which answers a tenant 404).
        await page.GotoAsync("/contracts/meta-2");
        await Expect(page.GetByTestId("contract-id")).ToHaveTextAsync("Contract meta-2");
        await Expect(page.Locator("[data-testid='lines'] tbody tr")).ToHaveCountAsync(contract.GetProperty("lines").GetArrayLength());
        await Expect(page.GetByTestId("amend-panel")).ToHaveCountAsync(0);
        await Expect(page.Locator("nav a[data-page='estate']")).ToBeHiddenAsync();
        await Expect(page.Locator("nav a[data-page='invoices']")).ToBeVisibleAsync();
        await ConsoleFixture.ScreenshotAsync(page, "tenant-contract");

        await page.GetByTestId("schedule-link").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(console.BaseUrl, "/revenue").ToString());
        await page.Locator("#filter input[name='from']").FillAsync("2026-01");
        await page.Locator("#filter input[name='to']").FillAsync("2026-12");
        await page.Locator("#filter button[type='submit']").ClickAsync();
        await Expect(page.GetByTestId("revenue-total")).ToHaveTextAsync(Dollars(schedule.GetProperty("total")));
        await Expect(page.Locator("[data-testid='revenue'] tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid='revenue'] tbody tr[data-key='meta']")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("revenue-chart")).ToHaveAttributeAsync("data-drawn", "true");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-schedule");

        await page.Locator("nav a[data-page='invoices']").ClickAsync();
        await Expect(page.Locator("[data-testid='invoices'] tbody tr")).ToHaveCountAsync(1);
        await page.Locator($"[data-invoice='{number}'] [data-testid='view']").ClickAsync();
        await Expect(page.GetByTestId("invoice-number")).ToHaveTextAsync($"Invoice {number}");
        await Expect(page.GetByTestId("invoice-total")).ToHaveTextAsync(Dollars(invoice.GetProperty("total")));
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator($"[data-download='{number}'][data-format='csv']").ClickAsync());
        Assert.Equal($"{number}.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("invoice,customer,month,currency,kind,contract,line,description,gpu_hours,rate,amount\n", csv, StringComparison.Ordinal);
        Assert.All(csv.TrimEnd('\n').Split('\n').Skip(1), row => Assert.StartsWith($"{number},meta,2026-10,USD,", row, StringComparison.Ordinal));
        await ConsoleFixture.ScreenshotAsync(page, "tenant-invoices");

        // Its claims: the pool, and a claim made for itself (the form has no customer to choose).
        await page.Locator("nav a[data-page='claims']").ClickAsync();
        await Expect(page.Locator("[data-testid='pool'] tbody tr").First).ToBeVisibleAsync();
        await Expect(page.Locator("#claim select[name='customer']")).ToHaveCountAsync(0);
        await page.Locator("#claim select[name='platform']").SelectOptionAsync("h100-hgx");
        await page.Locator("#make").ClickAsync();
        await Expect(page.Locator("[data-testid='claims'] tbody tr")).ToHaveCountAsync(1);
        Assert.Equal("meta", (await console.GetAsync("/api/v1/claims")).EnumerateArray().Single().GetProperty("customer").GetString());
        Assert.True(console.PageErrors[page].Count == 0, string.Join("\n", console.PageErrors[page]));
    }

    /// <summary>Money as format.js's money() writes US dollars: "$1,234.57".</summary>
    internal static string Dollars(System.Text.Json.JsonElement money)
    {
        Assert.Equal("USD", money.GetProperty("currency").GetString());
        var amount = decimal.Round(decimal.Parse(money.GetProperty("amount").GetString()!, System.Globalization.CultureInfo.InvariantCulture), 2, MidpointRounding.AwayFromZero);
        return (amount < 0 ? "-$" : "$") + Math.Abs(amount).ToString("#,0.00", System.Globalization.CultureInfo.InvariantCulture);
    }
}
