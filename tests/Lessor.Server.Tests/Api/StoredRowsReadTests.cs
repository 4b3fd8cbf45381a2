using System.Net.Http.Headers;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lessor.Server.Tests.Api;

/// <summary>
/// No stored row makes a read endpoint fail (issue 11, item 5): a store written before dates were range-checked may hold
/// a contract in 9999 and a delivery accepted in 9999; every GET still answers, for staff and tenants alike.
/// </summary>
public sealed class StoredRowsReadTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Given_a_store_with_a_contract_and_a_delivery_in_9999_When_every_read_endpoint_is_called_Then_none_fails()
    {
        var location = new StoreLocation.Sqlite(Path.Combine(Path.GetTempPath(), $"lessor-far-{Guid.NewGuid():N}.db"));
        await using (var store = await LessorStore.OpenAsync(location, None))
        {
            var parsed = ScenarioFile.Load(Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "valid", "annotated.yaml"));
            await store.ImportAsync(parsed.Scenario!, None);
            // Straight through the desk, as the API let it through before: nothing checks the range down here.
            var desk = await DealDesk.OpenAsync(store, None);
            var far = new DealRequest(new CustomerId("meta"), [new DealLine
            {
                Platform = new PlatformId("h100-hgx"), Gpus = new GpuCount(8),
                Period = new Period(Utc.Date(9999, 11, 1), Utc.Date(9999, 12, 31)),
            }]);
            var signed = await desk.SignAsync(new SignRequest(far, new ContractId("meta-far"), Utc.Date(2026, 11, 1), null), None);
            Assert.True(signed.Signed, signed.Error);
            var delivery = desk.Scenario.Deliveries.First(d => d.Id.Value == "d-iad2-vr-1");
            Assert.NotNull(await store.WriteDeliveryAsync(delivery with { AcceptanceDate = Utc.Date(9999, 6, 1) }, await store.RevisionAsync(None), None));
        }

        await using var app = await LessorServer.BuildAsync(new ServerOptions
        {
            Store = location,
            Port = 0,
        }, None);
        await app.StartAsync();
        var state = app.Services.GetRequiredService<LessorState>();
        var now = new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc);
        var keys = new Dictionary<string, string>
        {
            [Roles.Admin] = (await ApiKeys.CreateAsync(state.Store, Roles.Admin, null, "admin", now, None)).Key,
            [Roles.Tenant] = (await ApiKeys.CreateAsync(state.Store, Roles.Tenant, new CustomerId("meta"), "meta", now, None)).Key,
        };
        var paths = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("GET") ?? true)
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Where(p => p.StartsWith("/api/", StringComparison.Ordinal))
            .Select(p => p
                .Replace("/contracts/{id}", "/contracts/meta-far", StringComparison.Ordinal)
                .Replace("/customers/{id}", "/customers/meta", StringComparison.Ordinal)
                .Replace("/sites/{id}", "/sites/iad-2", StringComparison.Ordinal))
            .Concat(["/api/v1/finance/kpis?as_of=2027-01-01", "/api/v1/finance/revenue?from=2026-01&to=2032-12", "/api/v1/invoices?month=2026-10"])
            .ToList();
        Assert.Contains("/api/v1/dashboard/power", paths);

        var failures = new List<string>();
        foreach (var (role, key) in keys)
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            foreach (var path in paths)
            {
                using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
                if ((int)response.StatusCode >= 500) failures.Add($"GET {path} as {role}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
        Assert.Empty(failures);
    }
}
