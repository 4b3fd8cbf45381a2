using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Json;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lessor.Server.Tests;

/// <summary>
/// A real server on a free loopback port over a fresh SQLite store seeded with the annotated example, with one API
/// key per role (the tenant key bound to the first customer).
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public HttpClient Client { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public string DbPath { get; } = Path.Combine(Path.GetTempPath(), $"lessor-server-{Guid.NewGuid():N}.db");
    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);
    public LessorState State => _app!.Services.GetRequiredService<LessorState>();

    /// <summary>The server's services.</summary>
    public IServiceProvider Services => _app!.Services;

    /// <summary>Every route the server maps.</summary>
    public IEnumerable<RouteEndpoint> Endpoints => _app!.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();

    /// <summary>The customer the tenant key is bound to.</summary>
    public CustomerId TenantCustomer { get; private set; }

    public async Task InitializeAsync()
    {
        _app = await LessorServer.BuildAsync(new ServerOptions
        {
            Store = new StoreLocation.Sqlite(DbPath),
            SeedScenarioPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "valid", "annotated.yaml"),
            Port = 0,
        }, CancellationToken.None);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
        TenantCustomer = State.Scenario.Customers[0].Id;
        foreach (var role in Roles.All)
        {
            var created = await ApiKeys.CreateAsync(State.Store, role, role == Roles.Tenant ? TenantCustomer : null, $"test {role}",
                new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc), CancellationToken.None);
            Keys[role] = created.Key;
        }
        Client = ClientFor(Roles.Admin);
    }

    /// <summary>A client that presents the key of <paramref name="role"/>, or no key when null.</summary>
    public HttpClient ClientFor(string? role)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (role is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Keys[role]);
        return client;
    }

    /// <summary>A client with a key of its own, made now: a second tenant, or a second caller of the same role.</summary>
    public async Task<HttpClient> NewClientAsync(string role, CustomerId? customer = null)
    {
        var created = await ApiKeys.CreateAsync(State.Store, role, customer, $"test {role} {Guid.NewGuid():N}",
            new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc), CancellationToken.None);
        // As POST /api/v1/keys does: otherwise a reload within the last 250 ms hides the new key (401) for a moment.
        _app!.Services.GetRequiredService<KeyRegistry>().Invalidate();
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Key);
        return client;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        // The server's store is closed with it (its pool cleared): the files can go.
        foreach (var file in new[] { DbPath, DbPath + "-wal", DbPath + "-shm" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // A file still held open is left for the temporary directory's cleanup.
            }
        }
    }

    public async Task<T> GetJson<T>(string path) =>
        (await Client.GetFromJsonAsync<T>(path, LessorJson.Options))!;

    public async Task<JsonElement> GetElement(string path) => await GetJson<JsonElement>(path);
}
