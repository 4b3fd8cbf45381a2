using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lessor.Core.Catalog;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Bench.Claims;

/// <summary>
/// `claims-peer [--claims N] [--clients C]`: Lessor's half of the HTTP-against-HTTP comparison with OpenStack Placement
/// (../shared/peers/placement), on Placement's fleet shape: 10,000 nodes of 8 GPUs, fabrics of 64 (156 full fabrics and
/// one of 16), GPU type by fabric H100, H100, H200, B200 (Placement's load.py: H100, H100, H200, A100), no reservations.
/// "Find and claim" is one POST /api/v1/claims of 1 H100 node (the server finds the node, fleet-wide, best fit) through a
/// real `lessor serve` on SQLite with durable commits, access control and audit on; one client in sequence, then C
/// clients racing. Server CPU per granted claim comes from /proc, as Placement's bench.py reads gunicorn's and
/// PostgreSQL's. Nothing is released inside the measured window (Placement's find+claim does not release either).
/// Placement's half: bench/Lessor.Bench/Claims/placement_find_claim.py; both alternate in peer-placement.sh.
/// </summary>
internal static class PeerClaimsBench
{
    private const string Book = "Placement's fleet shape: 10,000 nodes x 8 GPUs, fabrics of 64, 50% H100";

    public static async Task<int> RunAsync(string[] args)
    {
        var claims = (int)Api.ApiBench.Arg(args, "--claims", 1000);
        var clients = (int)Api.ApiBench.Arg(args, "--clients", 8);
        var work = Directory.CreateTempSubdirectory("lessor-claims-peer-").FullName;
        try
        {
            var db = Path.Combine(work, "peer.db");
            var location = new StoreLocation.Sqlite(db);
            var keys = new List<string>();
            await using (var store = await LessorStore.OpenAsync(location, CancellationToken.None))
            {
                await store.ImportAsync(Fleet(), CancellationToken.None);
                await Lessor.Server.Access.ApiKeys.CreateAsync(store, Lessor.Server.Access.Roles.Admin, null, "peer bench admin", DateTime.UtcNow, CancellationToken.None);
                for (var c = 0; c < clients; c++)
                    keys.Add((await Lessor.Server.Access.ApiKeys.CreateAsync(store, Lessor.Server.Access.Roles.Operator, null, $"peer bench client {c}", DateTime.UtcNow, CancellationToken.None)).Key);
            }
            await using var server = await Api.LessorServe.StartAsync(location, ownsSqliteFile: true, TimeSpan.FromMinutes(2));
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }) { BaseAddress = server.Url };
            Console.WriteLine($"claims-peer: {Book}; lessor serve pid {server.Pid}; load average {Results.LoadAverage()}");

            // Warm-up (not measured): claim and release at once for 10 s, so tiered JIT has settled.
            var warm = Stopwatch.StartNew();
            var w = 0;
            while (warm.Elapsed.TotalSeconds < 10)
            {
                var (status, id) = await ClaimAsync(http, keys[w % clients], $"warm-{w}");
                w++;
                if (status != HttpStatusCode.Created) throw new InvalidOperationException($"warm-up claim: {status}");
                await ReleaseAsync(http, keys[0], id!);
            }

            var held = new List<string>();
            await PhaseAsync(http, server, keys, 1, claims / 4, held, "1 client, one after another");
            await PhaseAsync(http, server, keys, clients, claims, held, $"{clients} clients racing");
            await Parallel.ForEachAsync(held, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (id, _) => await ReleaseAsync(http, keys[0], id));
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task PhaseAsync(HttpClient http, Api.LessorServe server, List<string> keys, int clients, int claims, List<string> held, string what)
    {
        var granted = 0;
        var attempted = 0;
        var statuses = new Dictionary<HttpStatusCode, int>();
        var latencies = new List<double>();
        var next = -1;
        var cpu0 = server.Cpu();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < claims)
            {
                var t = Stopwatch.GetTimestamp();
                var (status, id) = await ClaimAsync(http, keys[c], $"peer-{clients}-{Guid.NewGuid():N}");
                var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                lock (held)
                {
                    attempted++;
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    if (status != HttpStatusCode.Created) continue;
                    granted++;
                    latencies.Add(ms);
                    held.Add(id!);
                }
            }
        })));
        var wall = watch.Elapsed;
        var cpu = server.Cpu() - cpu0;
        Results.Require($"claims-peer {what}: find-and-claims granted", granted, attempted);
        var sorted = latencies.Order().ToArray();
        var perClaim = cpu.TotalMilliseconds / granted;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  find+claim 1 H100 node, {what}: {granted:N0}/{attempted:N0} granted ({string.Join(", ", statuses.Select(kv => $"{(int)kv.Key}: {kv.Value}"))}) in {wall.TotalSeconds:N1} s = {granted / wall.TotalSeconds:N0}/s; median {sorted[sorted.Length / 2]:N2} ms; server CPU {perClaim:N3} ms per granted claim; load {Results.LoadAverage()}"));
        Results.Record(new BenchFigure("claims-peer", $"claims_peer.find_and_claim.server_cpu_ms.c{clients}",
            $"server CPU (lessor serve, from /proc) per granted POST /api/v1/claims of 1 H100 node found fleet-wide, {what}, SQLite durable, access control and audit on", Book, "ms", perClaim)
        {
            Attempted = attempted, Succeeded = granted, WallMs = wall.TotalMilliseconds, CpuMs = cpu.TotalMilliseconds,
            Extra = new Dictionary<string, double>
            {
                ["claims_per_s"] = granted / wall.TotalSeconds, ["median_ms"] = sorted[sorted.Length / 2],
                ["p99_ms"] = sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)], ["clients"] = clients,
            },
        });
    }

    private static async Task<(HttpStatusCode Status, string? Id)> ClaimAsync(HttpClient http, string key, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/claims")
        {
            Content = new StringContent("""{"platform":"h100-hgx","nodes":1,"scope":"fabric","customer":"tenant-0"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.Created) return (response.StatusCode, null);
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return (response.StatusCode, json.RootElement.GetProperty("id").GetString());
    }

    private static async Task ReleaseAsync(HttpClient http, string key, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/claims/{id}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.NoContent) throw new InvalidOperationException($"release {id}: {response.StatusCode}");
    }

    /// <summary>Placement's load.py fleet: node i in fabric i / 64, 16 fabrics per site, GPU type by fabric.</summary>
    private static Scenario Fleet()
    {
        var usd = Currency.Usd;
        var catalog = DefaultCatalog.Platforms(usd);
        PlatformId[] types = [DefaultCatalog.Ids.H100, DefaultCatalog.Ids.H100, DefaultCatalog.Ids.H200, DefaultCatalog.Ids.B200];
        const int nodes = 10_000;
        const int perFabric = 64;
        var fabricCount = (nodes + perFabric - 1) / perFabric;
        var sites = Enumerable.Range(0, (fabricCount + 15) / 16).Select(s => new Site
        {
            Id = new SiteId($"site-{s}"), Name = $"Site {s}", Region = new RegionId("us"), Cooling = [Cooling.Air, Cooling.Liquid],
            Power = [new PowerStep(Utc.Date(2025, 1, 1), 1_000m)],
        }).ToList();
        var fabrics = new List<Fabric>();
        var deliveries = new List<Delivery>();
        for (var f = 0; f < fabricCount; f++)
        {
            var units = Math.Min(perFabric, nodes - f * perFabric);
            var id = new FabricId($"fab-{f:D3}");
            fabrics.Add(new Fabric { Id = id, Site = new SiteId($"site-{f / 16}"), Platform = types[f % types.Length], MaxUnits = perFabric });
            deliveries.Add(new Delivery { Id = new DeliveryId($"d-{f:D3}"), Fabric = id, Units = units, Status = DeliveryStatus.Accepted, AcceptanceDate = Utc.Date(2026, 1, 1) });
        }
        var used = types.Distinct().ToHashSet();
        return new Scenario
        {
            Name = "placement-shape-10k", Currency = usd, Platforms = catalog.Where(p => used.Contains(p.Id)).ToList(),
            Regions = [new Region { Id = new RegionId("us"), Name = "US" }], Sites = sites, Fabrics = fabrics, Deliveries = deliveries,
            Customers = Enumerable.Range(0, 8).Select(i => new Customer { Id = new CustomerId($"tenant-{i}"), Name = $"Tenant {i}" }).ToList(),
            Contracts = [],
        };
    }
}
