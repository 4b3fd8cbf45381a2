using System.Globalization;
using Lessor.Server.Access;
using Lessor.Server.Tests.Api;
using static Microsoft.Playwright.Assertions;

namespace Lessor.Server.Tests.Browser;

/// <summary>The KPIs page's SLA credits: by month of service and customer, written by the as-of date or accrued, with the total.</summary>
public sealed class ConsoleSlaCreditTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private static string Usd(decimal amount) => "$" + amount.ToString("#,0.00", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Given_credits_written_for_last_month_When_finance_opens_the_kpis_Then_the_credits_table_shows_each_customer_and_the_total()
    {
        var (month, runAt, credits) = await LastMonthCredits.WriteAsync(console.Client);
        // Summed here from the credit run's answer: per customer, rounded to cents, then the total.
        var byCustomer = credits.GroupBy(c => c.Customer, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Math.Round(g.Sum(c => c.Amount), 2, MidpointRounding.AwayFromZero), StringComparer.Ordinal);
        var total = byCustomer.Values.Sum();
        var page = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Finance, null));

        await page.GotoAsync($"/kpis?as_of={runAt.Date.AddDays(1):yyyy-MM-dd}&sla_from={month}");
        await Expect(page.Locator("[data-testid='sla-credits'] tbody tr")).ToHaveCountAsync(byCustomer.Count);
        await Expect(page.GetByTestId("sla-credits-written")).ToHaveTextAsync(Usd(total));
        await Expect(page.GetByTestId("sla-credits-accrued")).ToHaveTextAsync(Usd(0m));
        foreach (var (customer, amount) in byCustomer)
            await Expect(page.Locator($"[data-testid='sla-credits'] tr[data-month='{month}'][data-customer='{customer}'] [data-testid='written']")).ToHaveTextAsync(Usd(amount));
        await Expect(page.Locator("[data-testid='sla-credits-by-customer'] tbody tr")).ToHaveCountAsync(byCustomer.Count);
        await ConsoleFixture.ScreenshotAsync(page, "kpis-sla-credits");

        // As of the day the run wrote them (its first instant), the month was over and not credited: the same credits, accrued.
        await page.GotoAsync($"/kpis?as_of={runAt.Date:yyyy-MM-dd}&sla_from={month}");
        await Expect(page.GetByTestId("sla-credits-written")).ToHaveTextAsync(Usd(0m));
        await Expect(page.GetByTestId("sla-credits-accrued")).ToHaveTextAsync(Usd(total));

        // A month that is not one is refused on the page, before any request.
        await page.Locator("#filter input[name='sla_from']").FillAsync("2026-13");
        await page.Locator("#filter button[type='submit']").ClickAsync();
        await Expect(page.Locator("#filter .field-error[data-for='sla_from']")).ToHaveTextAsync("2026-13 is not a month written YYYY-MM.");
        Assert.Empty(console.PageErrors[page]);
    }
}
