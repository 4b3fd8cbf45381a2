using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Server.Json;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;

namespace Lessor.Server.Tests;

/// <summary>A real server on a free loopback port over a fresh SQLite store seeded with the annotated example.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public HttpClient Client { get; private set; } = null!;
    public string DbPath { get; } = Path.Combine(Path.GetTempPath(), $"lessor-server-{Guid.NewGuid():N}.db");

    public async Task InitializeAsync()
    {
        _app = await LessorServer.BuildAsync(new ServerOptions
        {
            Store = new StoreLocation.Sqlite(DbPath),
            SeedScenarioPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "valid", "annotated.yaml"),
            Port = 0,
        }, CancellationToken.None);
        await _app.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null) await _app.DisposeAsync();
    }

    public async Task<T> GetJson<T>(string path) =>
        (await Client.GetFromJsonAsync<T>(path, LessorJson.Options))!;

    public async Task<JsonElement> GetElement(string path) => await GetJson<JsonElement>(path);
}
