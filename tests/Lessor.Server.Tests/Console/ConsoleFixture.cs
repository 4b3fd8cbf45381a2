using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Server.Access;
using Lessor.Server.Json;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Lessor.Server.Tests.Browser;

/// <summary>
/// A real server on a free loopback port over a fresh SQLite store seeded with the bundled neocloud-2026 scenario,
/// and Debian's headless Chromium driven by Playwright (never a downloaded browser). One per test class, so a
/// class that signs deals never changes the book another class reads.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The flags STACK.md lists for this machine: headless, sandbox off (root), nothing fetched from the network.</summary>
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    private WebApplication? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _missing;

    public string DbPath { get; } = Path.Combine(Path.GetTempPath(), $"lessor-console-{Guid.NewGuid():N}.db");
    public Uri BaseUrl { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    /// <summary>An admin key; every page starts with it saved, as a signed-in operator's console would.</summary>
    public string ApiKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _app = await LessorServer.BuildAsync(new ServerOptions
        {
            Store = new StoreLocation.Sqlite(DbPath),
            SeedScenarioPath = Path.Combine(AppContext.BaseDirectory, "samples", "neocloud-2026.yaml"),
            Port = 0,
        }, CancellationToken.None);
        await _app.StartAsync();
        BaseUrl = new Uri(_app.Urls.First());
        var state = _app.Services.GetRequiredService<LessorState>();
        ApiKey = (await ApiKeys.CreateAsync(state.Store, Roles.Admin, null, "console tests", new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc), CancellationToken.None)).Key;
        Client = new HttpClient { BaseAddress = BaseUrl };
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);

        if (!File.Exists(ChromiumPath))
        {
            // Recorded, not thrown: every browser test then fails with this sentence instead of a fixture stack trace.
            _missing = $"Chromium is missing at {ChromiumPath}. Install Debian's package with scripts/chromium.sh " +
                       "(scripts/test.sh runs it); the console tests drive the system browser and never download one.";
            return;
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        Client.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(DbPath + suffix)) File.Delete(DbPath + suffix);
        }
    }

    /// <summary>A page in a fresh browser context (its own storage), sized like a laptop screen.</summary>
    /// <summary>A key of another role (a tenant's is bound to <paramref name="customer"/>).</summary>
    public async Task<string> CreateKeyAsync(string role, string? customer)
    {
        var key = (await ApiKeys.CreateAsync(_app!.Services.GetRequiredService<LessorState>().Store, role, customer is null ? null : new Lessor.Core.Model.CustomerId(customer),
            $"console tests {role}", new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc), CancellationToken.None)).Key;
        // As POST /api/v1/keys does: the server reads its keys again at the next request.
        _app.Services.GetRequiredService<KeyRegistry>().Invalidate();
        return key;
    }

    public Task<IPage> NewPageAsync() => NewPageAsync(ApiKey);

    /// <summary>A page whose console starts with <paramref name="key"/> saved.</summary>
    public async Task<IPage> NewPageAsync(string key)
    {
        if (_missing is not null) Assert.Fail(_missing);
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1360, Height = 1000 },
            BaseURL = BaseUrl.ToString(),
        });
        await context.AddInitScriptAsync($"localStorage.setItem('lessor.apiKey', '{key}');");
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);
        page.Console += (_, message) =>
        {
            // A 404 the page expects (an unknown contract) is logged by the browser too; it is not a script error.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) errors.Add(message.Text);
        };
        PageErrors[page] = errors;
        return page;
    }

    /// <summary>Script errors and console errors each page has logged: a console that throws fails its test.</summary>
    public Dictionary<IPage, List<string>> PageErrors { get; } = [];

    public async Task<JsonElement> GetAsync(string path) =>
        await Client.GetFromJsonAsync<JsonElement>(path, LessorJson.Options);

    public async Task<JsonElement> PostAsync(string path, object body)
    {
        using var response = await Client.PostAsJsonAsync(path, body, LessorJson.Options);
        return await response.Content.ReadFromJsonAsync<JsonElement>(LessorJson.Options);
    }

    /// <summary>Saves a full-page screenshot, scrolled to the top, as docs/screenshots/{name}.png in the repository (committed, linked from the README).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(RepositoryRoot(), "docs", "screenshots");
        Directory.CreateDirectory(folder);
        await page.EvaluateAsync("() => { window.scrollTo(0, 0); document.querySelectorAll('.scroll').forEach(e => { e.scrollTop = 0; }); }");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lessor.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Lessor.slnx above {AppContext.BaseDirectory}: cannot place the screenshots.");
    }
}
