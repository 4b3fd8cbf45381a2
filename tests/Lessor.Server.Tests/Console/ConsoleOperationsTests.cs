using System.Globalization;
using Lessor.Server.Access;
using static Microsoft.Playwright.Assertions;

namespace Lessor.Server.Tests.Browser;

/// <summary>Operations and desk pages that write: a slip what-if then recorded, node claims, amend and cancel previewed then confirmed.</summary>
public sealed class ConsoleOperationsTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task Given_a_delivery_and_a_later_date_When_asking_what_if_Then_the_uncovered_lines_and_revenue_moved_are_the_apis_and_recording_stores_the_slip()
    {
        const string delivery = "us-east-02-f3-d3";
        var preview = await console.PostAsync($"/api/v1/deliveries/{delivery}/slip-preview", new { to = "2026-12-05" });
        var uncovered = preview.GetProperty("uncovered").GetArrayLength();
        Assert.True(uncovered > 0);
        var page = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Operator, null));

        await page.GotoAsync("/deliveries?site=us-east-02");
        await page.Locator("#whatif select[name='id']").SelectOptionAsync(delivery);
        await page.Locator("#whatif input[name='to']").FillAsync("2026-13-05");
        await page.Locator("#preview").ClickAsync();
        await Expect(page.Locator("#whatif .field-error[data-for='to']")).ToHaveTextAsync("2026-13-05 is not a calendar date.");
        await page.Locator("#whatif input[name='to']").FillAsync("2026-12-05");
        await page.Locator("#preview").ClickAsync();

        await Expect(page.GetByTestId("whatif")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid='uncovered'] tbody tr")).ToHaveCountAsync(uncovered);
        await Expect(page.GetByTestId("deferred")).ToHaveTextAsync(ConsoleTenantTests.Dollars(preview.GetProperty("revenue").GetProperty("deferred")));
        await Expect(page.Locator("[data-testid='quarters'] tbody tr")).ToHaveCountAsync(preview.GetProperty("revenue").GetProperty("quarters").GetArrayLength());
        var before = (await console.GetAsync("/api/v1/deliveries?limit=1000")).GetProperty("items").EnumerateArray().Single(d => d.GetProperty("id").GetString() == delivery);
        Assert.Equal("2026-09-05T00:00:00Z", before.GetProperty("acceptance_date").GetString());
        await ConsoleFixture.ScreenshotAsync(page, "slip-whatif");

        await page.GetByTestId("record").ClickAsync();
        await Expect(page.GetByTestId("recorded")).ToContainTextAsync($"Recorded: {delivery}");
        var after = (await console.GetAsync("/api/v1/deliveries?limit=1000")).GetProperty("items").EnumerateArray().Single(d => d.GetProperty("id").GetString() == delivery);
        Assert.Equal("2026-12-05T00:00:00Z", after.GetProperty("acceptance_date").GetString());
        Assert.Empty(console.PageErrors[page]);
    }

    [Fact]
    public async Task Given_the_node_pool_When_claiming_and_releasing_Then_the_pool_and_claims_follow()
    {
        var pool = (await console.GetAsync("/api/v1/claims/pool")).EnumerateArray().ToList();
        var h100 = pool.Single(p => p.GetProperty("platform").GetString() == "h100-hgx").GetProperty("free_nodes").GetInt32();
        Assert.True(h100 >= 2);
        var page = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Operator, null));

        await page.GotoAsync("/claims");
        await Expect(page.Locator("[data-testid='pool'] tbody tr")).ToHaveCountAsync(pool.Count);
        await Expect(page.GetByTestId("no-claims")).ToBeVisibleAsync();
        await page.Locator("#claim select[name='customer']").SelectOptionAsync("meta");
        await page.Locator("#claim select[name='platform']").SelectOptionAsync("h100-hgx");
        await page.Locator("#claim input[name='nodes']").FillAsync("2");
        await page.Locator("#make").ClickAsync();

        await Expect(page.Locator("[data-testid='claims'] tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid='pool'] tr[data-platform='h100-hgx'] td").Nth(1)).ToHaveTextAsync((h100 - 2).ToString("N0", CultureInfo.InvariantCulture));
        var claims = (await console.GetAsync("/api/v1/claims")).EnumerateArray().ToList();
        Assert.Equal("meta", Assert.Single(claims).GetProperty("customer").GetString());
        await ConsoleFixture.ScreenshotAsync(page, "claims");

        await page.Locator($"button[data-release='{claims[0].GetProperty("id").GetString()}']").ClickAsync();
        await Expect(page.GetByTestId("no-claims")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid='pool'] tr[data-platform='h100-hgx'] td").Nth(1)).ToHaveTextAsync(h100.ToString("N0", CultureInfo.InvariantCulture));
        Assert.Empty(console.PageErrors[page]);
    }

    [Fact]
    public async Task Given_a_contract_When_a_planner_previews_and_confirms_an_amendment_and_a_cancellation_Then_the_preview_matched_what_was_stored()
    {
        const string line = "gb300-inference";
        var contract = await console.GetAsync("/api/v1/contracts/meta-2");
        var gpus = contract.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("id").GetString() == line).GetProperty("gpus").GetInt32();
        var smaller = gpus - 1_152;
        var preview = await console.PostAsync("/api/v1/contracts/meta-2/amend-preview", new { line, effective = "2027-06-01", gpus = smaller });
        Assert.True(preview.GetProperty("possible").GetBoolean(), preview.ToString());
        var page = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Planner, null));

        await page.GotoAsync("/contracts/meta-2");
        await page.Locator("#amend select[name='line']").SelectOptionAsync(line);
        await page.Locator("#amend input[name='effective']").FillAsync("2027-06-01");
        await page.Locator("#amend input[name='gpus']").FillAsync(smaller.ToString(CultureInfo.InvariantCulture));
        await page.Locator("#amend-preview").ClickAsync();

        var tcvAfter = ConsoleTenantTests.Dollars(preview.GetProperty("tcv_after"));
        await Expect(page.GetByTestId("preview-tcv")).ToContainTextAsync($"→ {tcvAfter}");
        await Expect(page.GetByTestId("preview-gpus")).ToHaveTextAsync($"{gpus.ToString("N0", CultureInfo.InvariantCulture)} → {smaller.ToString("N0", CultureInfo.InvariantCulture)}");
        Assert.StartsWith("-", preview.GetProperty("tcv_change").GetProperty("amount").GetString(), StringComparison.Ordinal);
        // Nothing is stored by a preview.
        Assert.Equal(contract.GetProperty("value").ToString(), (await console.GetAsync("/api/v1/contracts/meta-2")).GetProperty("value").ToString());
        await ConsoleFixture.ScreenshotAsync(page, "contract-amend");

        await page.Locator("#amend-confirm").ClickAsync();
        await Expect(page.Locator("[data-testid='amendments'] tbody tr")).ToHaveCountAsync(contract.GetProperty("amendments").GetArrayLength() + 1);
        var stored = await console.GetAsync("/api/v1/contracts/meta-2");
        Assert.Equal(tcvAfter, ConsoleTenantTests.Dollars(stored.GetProperty("value")));
        await Expect(page.GetByTestId("tcv")).ToHaveTextAsync(tcvAfter);

        var cancel = await console.PostAsync("/api/v1/contracts/meta-2/cancel-preview", new { effective = "2029-01-01" });
        await page.Locator("#cancel input[name='effective']").FillAsync("2029-01-01");
        await page.Locator("#cancel input[name='reason']").FillAsync("console test");
        await page.Locator("#cancel-preview").ClickAsync();
        await Expect(page.GetByTestId("preview-fee")).ToHaveTextAsync(ConsoleTenantTests.Dollars(cancel.GetProperty("fee")));
        await Expect(page.GetByTestId("preview-freed")).ToHaveTextAsync(cancel.GetProperty("gpus_freed").GetInt32().ToString("N0", CultureInfo.InvariantCulture));
        await page.Locator("#cancel-confirm").ClickAsync();
        await Expect(page.Locator("[data-testid='facts']")).ToContainTextAsync("from 2029-01-01");
        var cancelled = await console.GetAsync("/api/v1/contracts/meta-2");
        Assert.Equal(cancel.GetProperty("fee").ToString(), cancelled.GetProperty("cancellation").GetProperty("fee").ToString());
        Assert.Equal(ConsoleTenantTests.Dollars(cancel.GetProperty("tcv_after")), ConsoleTenantTests.Dollars(cancelled.GetProperty("value")));
        await Expect(page.GetByTestId("cancel-panel")).ToHaveCountAsync(0);
        Assert.Empty(console.PageErrors[page]);
    }
}
