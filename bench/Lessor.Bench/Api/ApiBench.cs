using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Lessor.Bench.Scale;
using Lessor.Core.Contracts;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server;
using Lessor.Server.Access;
using Lessor.Storage.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Lessor.Bench.Api;

/// <summary>
/// `Lessor.Bench api [requests] [clients]`: deal checks through the HTTP API on loopback against the bundled scenario
/// (throughput and latency percentiles, with GET /health through the same stack as the in-run baseline), then a
/// concurrent signing run whose book is checked afterwards for oversold fabrics.
/// </summary>
internal static class ApiBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var requests = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
        var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 16;
        var db = Path.Combine(Path.GetTempPath(), $"lessor-apibench-{Guid.NewGuid():N}.db");
        await using var app = await LessorServer.BuildAsync(new ServerOptions
        {
            Store = new StoreLocation.Sqlite(db),
            SeedScenarioPath = Path.Combine(RepositoryRoot(), "samples", "neocloud-2026.yaml"),
            Port = 0,
            // Measure capacity, not the per-key limit (5,000/s by default).
            RateLimitPerSecond = 1_000_000,
        }, CancellationToken.None);
        await app.StartAsync();
        var state = app.Services.GetRequiredService<LessorState>();
        var key = (await ApiKeys.CreateAsync(state.Store, Roles.Planner, null, "bench", DateTime.UtcNow, CancellationToken.None)).Key;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = new Uri(app.Urls.First()) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        var deals = Deals(state.Scenario, 512);
        Console.WriteLine($"bundled scenario: {state.Scenario.Fabrics.Count} fabrics, {state.Scenario.Contracts.Count} contracts; {clients} concurrent clients on loopback; load {File.ReadAllText("/proc/loadavg")[..14]}");
        var health = await Load(http, requests, clients, i => http.GetAsync(new Uri("/health", UriKind.Relative)));
        var checks = await Load(http, requests, clients, i => http.PostAsJsonAsync(new Uri("/api/v1/deals/check", UriKind.Relative), deals[i % deals.Count]));
        Report("GET /health (baseline)", health);
        Report("POST /api/v1/deals/check", checks);
        Console.WriteLine($"  deal checks per second = {checks.PerSecond / health.PerSecond:N2}x the baseline (target >= 2,000/s, p99 < 20 ms)");

        // Concurrent signing: overlapping one-to-four-rack deals from every client at once.
        var signs = 0;
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, 400), new ParallelOptions { MaxDegreeOfParallelism = clients }, async (i, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/deals/sign") { Content = JsonContent.Create(new { deal = deals[i % deals.Count], signed_on = "2026-11-01" }) };
            request.Headers.Add("Idempotency-Key", $"bench-sign-{i}");
            using var response = await http.SendAsync(request, ct);
            if ((int)response.StatusCode == 201) Interlocked.Increment(ref signs);
        });
        var elapsed = watch.Elapsed;
        var book = await state.Store.ExportAsync(CancellationToken.None);
        var oversold = Oversold(book);
        Console.WriteLine($"concurrent signing: 400 signs from {clients} clients in {elapsed.TotalSeconds:N1} s, {signs} signed; fabrics oversold after: {oversold}; ledger rebuilt from the store reports {CapacityLedger.Build(book).Uncovered.Count} uncovered lines");
        await app.StopAsync();
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(db + suffix);
        return oversold == 0 ? 0 : 1;
    }

    private sealed record LoadResult(double PerSecond, double[] Ms, int Errors);

    private static async Task<LoadResult> Load(HttpClient http, int requests, int clients, Func<int, Task<HttpResponseMessage>> send)
    {
        for (var i = 0; i < 500; i++) (await send(i)).Dispose();
        var ms = new double[requests];
        var errors = 0;
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await send(i);
                await response.Content.ReadAsByteArrayAsync();
                ms[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref errors);
            }
        })));
        return new LoadResult(requests / watch.Elapsed.TotalSeconds, ms, errors);
    }

    private static void Report(string name, LoadResult r)
    {
        var (p50, p99, max) = Stats.Percentiles(r.Ms);
        Console.WriteLine($"{name}: {r.PerSecond:N0}/s, median {p50:N2} ms, p99 {p99:N2} ms, max {max:N1} ms, {r.Errors} non-2xx of {r.Ms.Length}");
    }

    /// <summary>Deals a desk would see: each platform with deliveries, 1-4 units to a few hundred GPUs, 1-3 years from 2027.</summary>
    private static List<object> Deals(Scenario s, int count)
    {
        var customers = s.Customers.Select(c => c.Id.Value).ToArray();
        var platforms = s.Fabrics.Select(f => f.Platform).Distinct().Select(p => s.Platforms.First(x => x.Id == p)).ToArray();
        var deals = new List<object>(count);
        for (var i = 0; i < count; i++)
        {
            var p = platforms[i % platforms.Length];
            var start = new DateTime(2027, 1 + i % 12, 1, 0, 0, 0, DateTimeKind.Utc);
            deals.Add(new
            {
                customer = customers[i % customers.Length],
                lines = new[] { new { platform = p.Id.Value, gpus = p.GpusPerUnit * (1 + i % 4), start = start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), end = start.AddYears(1 + i % 3).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), locality = i % 3 == 0 ? "fabric" : "any" } },
            });
        }
        return deals;
    }

    /// <summary>Fabrics where, at some instant a commitment starts, pinned units exceed the units accepted by then.</summary>
    private static int Oversold(Scenario book)
    {
        var segments = book.Contracts.SelectMany(LineSegments.Of).ToList();
        var oversold = 0;
        foreach (var fabric in book.Fabrics)
        {
            var mine = segments.Where(x => x.Pinned.Any(b => b.Fabric == fabric.Id)).ToList();
            var deliveries = book.Deliveries.Where(d => d.Fabric == fabric.Id).ToList();
            foreach (var t in mine.Select(x => x.Period.Start).Distinct())
            {
                var held = mine.Where(x => x.Period.Contains(t)).SelectMany(x => x.Pinned).Where(b => b.Fabric == fabric.Id).Sum(b => b.Units);
                if (held > deliveries.Where(d => d.AcceptanceDate <= t).Sum(d => d.Units))
                {
                    oversold++;
                    break;
                }
            }
        }
        return oversold;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lessor.slnx"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("Lessor.slnx not found above " + AppContext.BaseDirectory);
    }
}
