using System.Globalization;
using System.Text.Json;
using Lessor.Server.Access;
using static Microsoft.Playwright.Assertions;

namespace Lessor.Server.Tests.Browser;

/// <summary>The fleet health page (fabrics by state, failed nodes, swaps, lines short, repairs) and the availability page.</summary>
public sealed class ConsoleFleetTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task Given_a_serving_node_that_falls_off_the_bus_When_an_operator_opens_fleet_health_Then_it_is_listed_failed_with_its_swap_and_repair_moves_it()
    {
        var failedBefore = (await console.GetAsync("/api/v1/fleet/summary")).GetProperty("states").GetProperty("failed").GetInt32();
        var swapsBefore = (await console.GetAsync("/api/v1/fleet/spares")).GetProperty("recent_swaps").GetArrayLength();
        var node = await FailServingNodeAsync(seq: 1, at: DateTime.UtcNow.AddMinutes(-30));
        var serial = node.GetProperty("serial").GetString()!;
        var summary = await console.GetAsync("/api/v1/fleet/summary");
        Assert.Equal(failedBefore + 1, summary.GetProperty("states").GetProperty("failed").GetInt32());
        var swaps = (await console.GetAsync("/api/v1/fleet/spares")).GetProperty("recent_swaps").EnumerateArray().ToList();
        Assert.Equal(swapsBefore + 1, swaps.Count);
        Assert.Equal(serial, swaps[0].GetProperty("failed").GetString());
        var atRisk = (await console.GetAsync("/api/v1/fleet/at-risk")).GetArrayLength();
        var page = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Operator, null));

        await page.GotoAsync("/fleet");
        // Shown first: the fabrics that need an operator (nodes out, or fewer healthy spares than the policy asks).
        var attention = summary.GetProperty("fabrics").EnumerateArray().Count(f =>
            new[] { "failed", "degraded", "in_repair", "rma" }.Any(s => f.GetProperty("states").GetProperty(s).GetInt32() > 0)
            || (f.TryGetProperty("spares", out var sp) && sp.ValueKind == JsonValueKind.Object && sp.GetProperty("left").GetInt32() < sp.GetProperty("policy_nodes").GetInt32()));
        await Expect(page.Locator("[data-testid='fabrics'] tbody tr")).ToHaveCountAsync(attention);
        await Expect(page.Locator("[data-testid='failed'] tbody tr")).ToHaveCountAsync(failedBefore + 1);
        await Expect(page.Locator($"[data-testid='failed'] tr[data-node='{serial}']")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid='swaps'] tbody tr")).ToHaveCountAsync(swapsBefore + 1);
        await Expect(page.Locator("[data-testid='swaps'] tbody tr td").Nth(3)).ToHaveTextAsync(serial);
        await Expect(page.GetByTestId("lines-short")).ToHaveTextAsync(atRisk.ToString(CultureInfo.InvariantCulture));
        if (atRisk == 0) await Expect(page.GetByTestId("at-risk-none")).ToBeVisibleAsync();
        else await Expect(page.Locator("[data-testid='at-risk'] tbody tr")).ToHaveCountAsync(atRisk);
        var fabric = node.GetProperty("fabric").GetString()!;
        var fabricRow = summary.GetProperty("fabrics").EnumerateArray().Single(f => f.GetProperty("fabric").GetString() == fabric);
        // Columns: fabric, site, platform, nodes, then the states in lifecycle order (failed is the fourth state).
        await Expect(page.Locator($"[data-testid='fabrics'] tr[data-fabric='{fabric}'] td").Nth(4 + 3)).ToHaveTextAsync("1");
        await Expect(page.Locator($"[data-testid='fabrics'] tr[data-fabric='{fabric}'] td").Nth(3))
            .ToHaveTextAsync(fabricRow.GetProperty("nodes").GetInt32().ToString("N0", CultureInfo.InvariantCulture));
        await ConsoleFixture.ScreenshotAsync(page, "fleet-health");
        await page.GetByTestId("toggle-all").ClickAsync();
        await Expect(page.Locator("[data-testid='fabrics'] tbody tr")).ToHaveCountAsync(summary.GetProperty("fabrics").GetArrayLength());
        await page.GotoAsync("/fleet");

        var repairsBefore = summary.GetProperty("open_repairs").GetInt32();
        await page.Locator($"button[data-act='start_repair'][data-serial='{serial}']").ClickAsync();
        await Expect(page.Locator($"[data-testid='repairs'] tr[data-node='{serial}']")).ToBeVisibleAsync();
        await Expect(page.Locator($"[data-testid='failed'] tr[data-node='{serial}']")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("open-repairs")).ToHaveTextAsync((repairsBefore + 1).ToString(CultureInfo.InvariantCulture));
        var after = await console.GetAsync($"/api/v1/fleet/nodes/{serial}");
        Assert.Equal("in_repair", after.GetProperty("node").GetProperty("state").GetString());
        Assert.Empty(console.PageErrors[page]);
    }

    [Fact]
    public async Task Given_a_tenants_node_down_this_month_When_the_tenant_opens_availability_Then_it_sees_its_own_contracts_as_the_api_computes_them_and_finance_cannot_credit_an_open_month()
    {
        // Down since two days before this month began: last month is closed, so its figures stand still while the test reads them.
        var thisMonth = new DateTime(DateTime.UtcNow.Year, DateTime.UtcNow.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var node = await FailServingNodeAsync(seq: 1, at: thisMonth.AddDays(-2), slaOnly: true);
        var contract = node.GetProperty("contract").GetString()!;
        var customer = (await console.GetAsync($"/api/v1/contracts/{contract}")).GetProperty("customer").GetString()!;
        var month = thisMonth.AddDays(-2).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var mine = (await console.GetAsync($"/api/v1/sla?month={month}&customer={customer}")).EnumerateArray().ToList();
        var row = mine.Single(m => m.GetProperty("contract").GetString() == contract);
        Assert.True(row.GetProperty("down_gpu_minutes").GetDecimal() > 0, row.ToString());
        var tenant = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Tenant, customer));

        await tenant.GotoAsync($"/availability?month={month}");
        await Expect(tenant.Locator("[data-testid='sla'] > tbody > tr[data-contract]")).ToHaveCountAsync(mine.Count);
        var percent = (row.GetProperty("availability").GetDecimal() * 100m).ToString("F4", CultureInfo.InvariantCulture) + "%";
        await Expect(tenant.Locator($"tr[data-contract='{contract}'] [data-testid='availability']")).ToHaveTextAsync(percent);
        await Expect(tenant.Locator("#run")).ToHaveCountAsync(0);
        await tenant.Locator($"tr[data-contract='{contract}'] button[data-evidence]").ClickAsync();
        await Expect(tenant.Locator($"tr.evidence:not([hidden]) td").GetByText(node.GetProperty("serial").GetString()!)).ToBeVisibleAsync();
        await ConsoleFixture.ScreenshotAsync(tenant, "availability");
        Assert.Empty(console.PageErrors[tenant]);

        var finance = await console.NewPageAsync(await console.CreateKeyAsync(Roles.Finance, null));
        var open = DateTime.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        await finance.GotoAsync($"/availability?month={open}");
        await finance.Locator("#run").ClickAsync();
        await Expect(finance.GetByTestId("run-refused")).ToContainTextAsync("month");
        await finance.GotoAsync($"/availability?month={month}");
        await finance.Locator("#run").ClickAsync();
        await Expect(finance.GetByTestId("run-done")).ToContainTextAsync($"Credits for {month}");
        Assert.Empty(console.PageErrors[finance]);
    }

    /// <summary>Sends an Xid 79 (fallen off the bus) for the first node serving a line (of a contract with an SLA when asked) and returns that node.</summary>
    private async Task<JsonElement> FailServingNodeAsync(int seq, DateTime at, bool slaOnly = false)
    {
        var serving = (await console.GetAsync("/api/v1/fleet/nodes?role=serving&limit=1000")).GetProperty("items").EnumerateArray().ToList();
        Assert.NotEmpty(serving);
        JsonElement node = serving[0];
        if (slaOnly)
        {
            // The SLA report lists every contract with SLA terms.
            var month = at.ToString("yyyy-MM", CultureInfo.InvariantCulture);
            var withSla = (await console.GetAsync($"/api/v1/sla?month={month}")).EnumerateArray().Select(m => m.GetProperty("contract").GetString()!).ToHashSet();
            node = serving.First(n => withSla.Contains(n.GetProperty("contract").GetString()!));
        }
        var report = new
        {
            node = node.GetProperty("serial").GetString(),
            seq,
            at = at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            gpus = Array.Empty<object>(),
            events = new[] { new { kind = "xid", gpu = 0, code = 79, detail = "GPU has fallen off the bus" } },
        };
        var answer = await console.PostAsync("/api/v1/fleet/reports", new[] { report });
        Assert.Equal(1, answer.GetProperty("applied").GetInt32());
        return node;
    }
}
