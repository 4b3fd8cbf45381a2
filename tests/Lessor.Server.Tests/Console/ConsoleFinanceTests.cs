using System.Globalization;
using System.Text.Json;
using Lessor.Server.Access;
using static Microsoft.Playwright.Assertions;

namespace Lessor.Server.Tests.Browser;

/// <summary>Finance pages with a finance key: invoices (credit, issue, view, download), revenue (chart, CSV) and KPIs as of a date.</summary>
public sealed class ConsoleFinanceTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task Given_a_closed_month_not_yet_issued_When_finance_records_a_credit_and_issues_it_Then_the_invoices_show_the_credit_and_download()
    {
        const string month = "2026-09";
        var page = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Finance, null));

        await page.GotoAsync($"/invoices?month={month}");
        await Expect(page.GetByTestId("not-issued")).ToContainTextAsync($"{month} has not been issued.");
        await Expect(page.Locator("nav a[data-page='deals']")).ToBeHiddenAsync();
        await Expect(page.Locator("nav a[data-page='keys']")).ToBeHiddenAsync();
        await page.Locator("#credit input[name='id']").FillAsync("sla-2026-09-meta");
        await page.Locator("#credit select[name='customer']").SelectOptionAsync("meta");
        await page.Locator("#credit input[name='amount']").FillAsync("-5");
        await page.Locator("#credit input[name='reason']").FillAsync("SLA 99.9% missed in 2026-08");
        await page.Locator("#add-credit").ClickAsync();
        await Expect(page.Locator("#credit .field-error[data-for='amount']")).ToHaveTextAsync("-5 must be positive; a credit reduces what the customer owes.");
        await page.Locator("#credit input[name='amount']").FillAsync("125000.50");
        await page.Locator("#add-credit").ClickAsync();
        await Expect(page.Locator("[data-testid='credits'] tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid='credits'] tbody tr td").Nth(1)).ToHaveTextAsync("$125,000.50");

        await page.GetByTestId("issue").ClickAsync();
        await Expect(page.GetByTestId("invoices")).ToBeVisibleAsync();
        var issued = (await console.GetAsync($"/api/v1/invoices?month={month}")).EnumerateArray().ToList();
        Assert.NotEmpty(issued);
        await Expect(page.Locator("[data-testid='invoices'] tbody tr")).ToHaveCountAsync(issued.Count);
        var meta = issued.Single(i => i.GetProperty("customer").GetString() == "meta");
        var number = meta.GetProperty("number").GetString()!;
        Assert.Equal(125_000.50m, decimal.Parse(meta.GetProperty("credits").GetProperty("amount").GetString()!, CultureInfo.InvariantCulture));
        var row = page.Locator($"[data-invoice='{number}'] td");
        await Expect(row.Nth(6)).ToHaveTextAsync("-$125,000.50");
        await Expect(row.Nth(7)).ToHaveTextAsync(ConsoleTenantTests.Dollars(meta.GetProperty("total")));

        await page.Locator($"[data-invoice='{number}'] [data-testid='view']").ClickAsync();
        await Expect(page.GetByTestId("invoice-number")).ToHaveTextAsync($"Invoice {number}");
        await Expect(page.Locator("[data-testid='invoice-lines'] tbody tr")).ToHaveCountAsync(meta.GetProperty("lines").GetArrayLength());
        // Each download is awaited by its file name: a download event of an earlier click may still be in flight.
        var html = await page.RunAndWaitForDownloadAsync(() => page.Locator($"[data-download='{number}'][data-format='html']").ClickAsync(),
            new Microsoft.Playwright.PageRunAndWaitForDownloadOptions { Predicate = d => d.SuggestedFilename == $"{number}.html" });
        var text = await File.ReadAllTextAsync((await html.PathAsync())!);
        Assert.Contains($"<h1>Invoice {number}</h1>", text, StringComparison.Ordinal);
        Assert.Contains("SLA 99.9% missed in 2026-08", text, StringComparison.Ordinal);
        var json = await page.RunAndWaitForDownloadAsync(() => page.Locator($"[data-download='{number}'][data-format='json']").ClickAsync(),
            new Microsoft.Playwright.PageRunAndWaitForDownloadOptions { Predicate = d => d.SuggestedFilename == $"{number}.json" });
        var jsonText = await File.ReadAllTextAsync((await json.PathAsync())!);
        Assert.True(jsonText.StartsWith('{'), $"{json.SuggestedFilename} holds: {jsonText[..Math.Min(200, jsonText.Length)]}");
        var document = JsonDocument.Parse(jsonText).RootElement;
        Assert.Equal(meta.GetProperty("total").GetProperty("amount").GetString(), document.GetProperty("total").GetProperty("amount").GetString());
        Assert.Empty(console.PageErrors[page]);
        await ConsoleFixture.ScreenshotAsync(page, "invoices");

        // Issued months never change: the credit form is gone, and the API refuses a credit on it.
        await Expect(page.Locator("#credit")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Given_revenue_by_platform_When_opened_Then_the_table_chart_and_csv_carry_the_apis_figures()
    {
        var table = await console.GetAsync("/api/v1/finance/revenue?by=platform&from=2026-01&to=2026-12");
        var rows = table.GetProperty("rows").EnumerateArray().ToList();
        var page = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Finance, null));

        await page.GotoAsync("/revenue?by=platform&from=2026-01&to=2026-12");

        await Expect(page.GetByTestId("revenue-total")).ToHaveTextAsync(ConsoleTenantTests.Dollars(table.GetProperty("total")));
        await Expect(page.Locator("[data-testid='revenue'] tbody tr")).ToHaveCountAsync(rows.Count);
        foreach (var r in rows)
        {
            await Expect(page.Locator($"[data-testid='revenue'] tr[data-key='{r.GetProperty("key").GetString()}'] td").Nth(1))
                .ToHaveTextAsync(ConsoleTenantTests.Dollars(r.GetProperty("total")));
        }
        await Expect(page.GetByTestId("revenue-chart")).ToHaveAttributeAsync("data-drawn", "true");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("csv").ClickAsync());
        var lines = (await File.ReadAllTextAsync((await download.PathAsync())!)).TrimEnd('\n').Split('\n');
        Assert.Equal("platform,2026-01,2026-02,2026-03,2026-04,2026-05,2026-06,2026-07,2026-08,2026-09,2026-10,2026-11,2026-12,total,currency", lines[0]);
        Assert.Equal(rows.Count, lines.Length - 1);
        var csvTotal = lines.Skip(1).Sum(l => decimal.Parse(l.Split(',')[13], CultureInfo.InvariantCulture));
        Assert.Equal(decimal.Parse(table.GetProperty("total").GetProperty("amount").GetString()!, CultureInfo.InvariantCulture), csvTotal);

        await ConsoleFixture.ScreenshotAsync(page, "revenue");

        // A month that is not YYYY-MM is refused in the page, naming it, before any request.
        await page.Locator("#filter input[name='to']").FillAsync("12/2026");
        await page.Locator("#filter button[type='submit']").ClickAsync();
        await Expect(page.Locator("#range-error")).ToHaveTextAsync("'12/2026' is not a month as YYYY-MM.");
        Assert.Empty(console.PageErrors[page]);
    }

    [Fact]
    public async Task Given_a_date_When_asking_the_kpis_Then_the_tiles_and_breakdown_are_the_apis_and_a_non_iso_date_is_refused()
    {
        var kpis = await console.GetAsync("/api/v1/finance/kpis?as_of=2025-12-31");
        var page = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Finance, null));

        await page.GotoAsync("/kpis");
        await page.Locator("#filter input[name='as_of']").FillAsync("12/31/2025");
        await page.Locator("#filter button[type='submit']").ClickAsync();
        await Expect(page.Locator("#filter .field-error[data-for='as_of']")).ToHaveTextAsync("'12/31/2025' is not a date as YYYY-MM-DD (UTC).");
        await page.Locator("#filter input[name='as_of']").FillAsync("2025-12-31");
        await page.Locator("#filter select[name='by']").SelectOptionAsync("platform");
        await page.Locator("#filter button[type='submit']").ClickAsync();

        await Expect(page.GetByTestId("kpis-as-of")).ToHaveTextAsync("2025-12-31");
        var total = kpis.GetProperty("total");
        await Expect(page.Locator("[data-tile='Backlog'] .value")).ToHaveTextAsync(
            "$" + (decimal.Parse(total.GetProperty("backlog").GetProperty("amount").GetString()!, CultureInfo.InvariantCulture) / 1e9m).ToString("F2", CultureInfo.InvariantCulture) + "B");
        await Expect(page.Locator("[data-tile='In-service power'] .value")).ToHaveTextAsync(
            total.GetProperty("in_service_mw").GetDecimal().ToString("#,0.#", CultureInfo.InvariantCulture) + " MW");
        await Expect(page.Locator("[data-testid='kpi-rows'] tbody tr")).ToHaveCountAsync(kpis.GetProperty("by_platform").GetArrayLength());
        Assert.Empty(console.PageErrors[page]);
        await ConsoleFixture.ScreenshotAsync(page, "kpis");
    }
}
