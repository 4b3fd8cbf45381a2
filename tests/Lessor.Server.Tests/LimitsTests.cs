using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lessor.Server.Access;
using Lessor.Storage.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Lessor.Server.Tests;

/// <summary>Per-key rate limits and the request size limit, on a server configured tight enough to hit them.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task Given_a_limit_of_three_per_second_When_a_key_sends_more_Then_it_gets_429_and_another_key_is_unaffected()
    {
        await using var app = await LessorServer.BuildAsync(new ServerOptions
        {
            Store = new StoreLocation.Sqlite(Path.Combine(Path.GetTempPath(), $"lessor-limits-{Guid.NewGuid():N}.db")),
            SeedScenarioPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "valid", "annotated.yaml"),
            Port = 0,
            RateLimitPerSecond = 3,
            MaxRequestBodyBytes = 1024,
        }, CancellationToken.None);
        await app.StartAsync();
        var store = app.Services.GetRequiredService<LessorState>().Store;
        var now = new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc);
        var busy = (await ApiKeys.CreateAsync(store, Roles.Planner, null, "busy", now, CancellationToken.None)).Key;
        var other = (await ApiKeys.CreateAsync(store, Roles.Planner, null, "other", now, CancellationToken.None)).Key;
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        async Task<HttpStatusCode> Get(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sites");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return (await client.SendAsync(request)).StatusCode;
        }

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++) statuses.Add(await Get(busy));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        Assert.Equal(HttpStatusCode.OK, await Get(other));

        using var big = new HttpRequestMessage(HttpMethod.Post, "/api/v1/deals/check")
        {
            Content = new StringContent("{\"customer\":\"" + new string('x', 4096) + "\"}", Encoding.UTF8, "application/json"),
        };
        big.Headers.Authorization = new AuthenticationHeaderValue("Bearer", other);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.SendAsync(big)).StatusCode);
    }
}
