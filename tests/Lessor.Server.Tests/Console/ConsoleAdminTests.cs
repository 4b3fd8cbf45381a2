using System.Net;
using Lessor.Server.Access;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lessor.Server.Tests.Browser;

/// <summary>Admin pages (API keys, audit log), what each role's bar lists, and the API reference served fully offline.</summary>
public sealed class ConsoleAdminTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task Given_an_admin_When_creating_a_tenant_key_Then_its_secret_is_shown_once_it_works_and_revoking_it_locks_it_out()
    {
        var page = await console.NewPageAsync();

        await page.GotoAsync("/keys");
        await page.Locator("#new-key select[name='role']").SelectOptionAsync("tenant");
        await page.Locator("#create").ClickAsync();
        await Expect(page.Locator("#new-key .field-error[data-for='customer']")).ToHaveTextAsync("a tenant key is bound to one customer; name it.");
        await page.Locator("#new-key select[name='customer']").SelectOptionAsync("meta");
        await page.Locator("#new-key input[name='name']").FillAsync("meta's portal");
        await page.Locator("#create").ClickAsync();

        var secret = (await page.GetByTestId("secret").TextContentAsync())!;
        Assert.StartsWith("lsr_", secret, StringComparison.Ordinal);
        using var client = new HttpClient { BaseAddress = console.BaseUrl };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        Assert.Contains("\"customer\":\"meta\"", await client.GetStringAsync(new Uri("/api/v1/me", UriKind.Relative)), StringComparison.Ordinal);
        var id = secret.Split('_')[1];
        await Expect(page.Locator($"[data-testid='keys'] tr[data-key-id='{id}']")).ToContainTextAsync("meta's portal");
        await ConsoleFixture.ScreenshotAsync(page, "keys");

        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.Locator($"button[data-revoke='{id}']").ClickAsync();
        await Expect(page.Locator($"[data-testid='keys'] tr[data-key-id='{id}'] .chip.bad")).ToBeVisibleAsync();
        // The secret is nowhere on the reloaded page, and the server refuses it now.
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        using var refused = await client.GetAsync(new Uri("/api/v1/me", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        await page.Locator("nav a[data-page='audit']").ClickAsync();
        await Expect(page.Locator("[data-testid='audit']")).ToBeVisibleAsync();
        var shown = await page.Locator("[data-testid='audit'] tbody tr").EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.sequence))");
        // This test's own read of the log is audited too (an admin action), after what the page showed.
        var entries = (await console.GetAsync("/api/v1/audit?limit=100")).EnumerateArray()
            .Select(e => e.GetProperty("sequence").GetInt64()).Where(q => q <= shown[0]).ToList();
        Assert.Equal(entries, shown);
        await Expect(page.Locator("[data-testid='audit']")).ToContainTextAsync($"DELETE /api/v1/keys/{id}");
        Assert.Empty(console.PageErrors[page]);
        await ConsoleFixture.ScreenshotAsync(page, "audit");
    }

    [Theory]
    [InlineData(Roles.Finance, new[] { "dashboard", "estate", "contracts", "risk", "kpis", "revenue", "invoices", "fleet", "availability" })]
    [InlineData(Roles.Planner, new[] { "dashboard", "estate", "contracts", "deals", "placement", "deliveries", "risk", "fleet" })]
    [InlineData(Roles.Operator, new[] { "dashboard", "estate", "contracts", "deliveries", "claims", "fleet", "availability" })]
    [InlineData(Roles.Tenant, new[] { "contracts", "revenue", "invoices", "claims", "availability" })]
    public async Task Given_a_role_When_opening_the_console_Then_the_bar_lists_only_the_pages_it_can_use(string role, string[] pages)
    {
        var page = await console.NewPageAsync(await console.CreateKeyAsync(role, role == Roles.Tenant ? "meta" : null));

        await page.GotoAsync("/contracts");
        await Expect(page.GetByTestId("who")).ToContainTextAsync(role);

        var listed = await page.Locator("nav a[data-page]").EvaluateAllAsync<string[]>("links => links.filter(a => !a.hidden).map(a => a.dataset.page)");
        Assert.Equal(pages, listed);
        // A page the role cannot use, typed in the bar, says so instead of failing on the first request.
        var other = new[] { "keys", "deals", "invoices" }.First(p => !pages.Contains(p));
        await page.GotoAsync($"/{other}");
        await Expect(page.GetByTestId("not-allowed")).ToContainTextAsync($"This key's role ({role}) cannot use this page.");
        Assert.Empty(console.PageErrors[page]);
    }

    [Fact]
    public async Task Given_no_network_When_opening_the_api_reference_Then_it_renders_from_the_server_alone_with_a_bearer_field_and_no_cloud_buttons()
    {
        var page = await console.NewPageAsync();
        var outside = new List<string>();
        // Everything not served by this server is refused and recorded: the reference must not need any of it.
        await page.Context.RouteAsync("**/*", async route =>
        {
            if (new Uri(route.Request.Url).Authority == console.BaseUrl.Authority) await route.ContinueAsync();
            else
            {
                lock (outside) outside.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });

        await page.GotoAsync("/scalar/");
        await Expect(page.GetByText("Lessor API").First).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Expect(page.GetByText("/api/v1/platforms").First).ToBeVisibleAsync();
        await Expect(page.GetByText("Authentication").First).ToBeVisibleAsync();

        Assert.Empty(outside);
        var text = await page.Locator("body").InnerTextAsync();
        foreach (var cloud in new[] { "Ask AI", "Deploy", "Generate SDK" }) Assert.DoesNotContain(cloud, text, StringComparison.Ordinal);
        var document = await console.GetAsync("/openapi/v1.json");
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.Equal(JsonValueKindArray, document.GetProperty("security").ValueKind);
        await ConsoleFixture.ScreenshotAsync(page, "scalar");
    }

    private const System.Text.Json.JsonValueKind JsonValueKindArray = System.Text.Json.JsonValueKind.Array;
}
