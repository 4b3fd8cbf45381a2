using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Lessor.Core.Catalog;
using Lessor.Core.Claims;
using Lessor.Core.Model;
using Lessor.Server;
using Lessor.Storage.Store;

namespace Lessor.Bench.Claims;

/// <summary>
/// `claims`: node claims on a 50,000-node fleet (32,000 H100 HGX nodes in 125 fabrics of 256, 18,000 GB300 trays in
/// 1,000 NVL72 racks), in process (claim and release latency percentiles) and through the HTTP API with concurrent
/// clients on loopback after a 12 s warm-up (claims/s, then a check that no node is held twice and none lies under the reserved line).
/// Arguments: [--ops N] [--seconds S] [--clients C] [--pg CONNECTION].
/// </summary>
internal static class ClaimsBench
{
    private static readonly DateTime Now = Utc.Date(2026, 12, 1);
    private static readonly Currency Usd = Currency.Usd;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--serve", var serveAt]) return await ServeAsync(StoreLocation.Parse(serveAt));
        var ops = Arg(args, "--ops", 200_000);
        var seconds = Arg(args, "--seconds", 15);
        var clients = Arg(args, "--clients", 8);
        var pg = args.SkipWhile(a => a != "--pg").Skip(1).FirstOrDefault();
        var scenario = Fleet();
        Console.WriteLine($"fleet: {scenario.Fabrics.Count} fabrics, 50,000 nodes (32,000 H100 nodes, 1,000 GB300 NVL72 racks x 18 trays); 3 H100 fabrics under a reserved line");
        InProcess(scenario, ops);
        var sqlite = Path.Combine(Path.GetTempPath(), $"lessor-claims-bench-{Guid.NewGuid():N}.db");
        // In-run baseline: what this disk gives one durable SQLite commit right now (other sessions share it), so the
        // HTTP figure can be read against the machine's state at the time.
        var raw = Lessor.Bench.Scale.StoreBench.RawDurableCommitsPerSecond(sqlite + ".raw", 2_000);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline: raw durable one-row SQLite commits {raw:N0}/s; load average {LoadAverage()}"));
        await ThroughDeskAsync(scenario, new StoreLocation.Sqlite(sqlite + ".desk"), "sqlite", seconds, clients);
        await OverHttpAsync(scenario, new StoreLocation.Sqlite(sqlite), "sqlite", seconds, clients);
        if (pg is not null) await OverHttpAsync(scenario, new StoreLocation.Postgres(await FreshDatabaseAsync(pg)), "postgresql", seconds, clients);
        return 0;
    }

    // Each run gets its own database on the server, so no earlier run's claims are in the check.
    private static async Task<string> FreshDatabaseAsync(string admin)
    {
        var name = $"lessor_claims_bench_{Guid.NewGuid():N}";
        await using (var connection = new Npgsql.NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>The 50,000-node fleet, its accepted deliveries, 8 customers and one reserved line pinned to 3 H100 fabrics.</summary>
    public static Scenario Fleet()
    {
        var catalog = DefaultCatalog.Platforms(Usd);
        var h100 = catalog.Single(p => p.Id == DefaultCatalog.Ids.H100);
        var gb300 = catalog.Single(p => p.Id == DefaultCatalog.Ids.Gb300);
        var sites = new List<Site>();
        var fabrics = new List<Fabric>();
        var deliveries = new List<Delivery>();
        for (var s = 0; s < 8; s++)
        {
            sites.Add(new Site
            {
                Id = new SiteId($"site-{s}"), Name = $"Site {s}", Region = new RegionId("us"), Cooling = [Cooling.Air, Cooling.Liquid],
                Power = [new PowerStep(Utc.Date(2025, 1, 1), 1_000m)],
            });
        }
        void Add(string id, Platform p, int units, int site)
        {
            fabrics.Add(new Fabric { Id = new FabricId(id), Site = new SiteId($"site-{site}"), Platform = p.Id, MaxUnits = units });
            deliveries.Add(new Delivery
            {
                Id = new DeliveryId($"d-{id}"), Fabric = new FabricId(id), Units = units, Status = DeliveryStatus.Accepted, AcceptanceDate = Utc.Date(2026, 1, 1),
            });
        }
        for (var f = 0; f < 125; f++) Add($"h100-{f:D3}", h100, 256, f % 8);
        for (var f = 0; f < 16; f++) Add($"gb300-{f:D2}", gb300, f < 15 ? 64 : 40, f % 8);
        var customers = Enumerable.Range(0, 8).Select(i => new Customer { Id = new CustomerId($"tenant-{i}"), Name = $"Tenant {i}" }).ToList();
        var reserved = new Contract
        {
            Id = new ContractId("reserved-1"), Customer = customers[0].Id, SignedOn = Utc.Date(2025, 6, 1), Currency = Usd,
            Lines =
            [
                new ContractLine
                {
                    Id = new LineId("L1"), Platform = h100.Id, Gpus = new GpuCount(3 * 256 * 8), Period = new Period(Utc.Date(2026, 1, 1), Utc.Date(2030, 1, 1)),
                    PricePerGpuHour = Money.Usd(1.8m),
                    Pinned = [new PlacedBlock(new FabricId("h100-000"), 256), new PlacedBlock(new FabricId("h100-001"), 256), new PlacedBlock(new FabricId("h100-002"), 256)],
                },
            ],
        };
        return new Scenario
        {
            Name = "claims-50k", Currency = Usd, Platforms = [h100, gb300], Regions = [new Region { Id = new RegionId("us"), Name = "US" }],
            Sites = sites, Fabrics = fabrics, Deliveries = deliveries, Customers = customers, Contracts = [reserved],
        };
    }

    private static void InProcess(Scenario scenario, int ops)
    {
        var ledger = Lessor.Core.Ledger.CapacityLedger.Build(scenario).Ledger;
        var claimable = ClaimableUnits.Compute(scenario, ledger, Now, TimeSpan.FromDays(1));
        var pool = new NodePool(scenario.Platforms, scenario.Fabrics, claimable);
        var h100 = DefaultCatalog.Ids.H100;
        var gb300 = DefaultCatalog.Ids.Gb300;
        var free0 = pool.FreeNodes(h100) + pool.FreeNodes(gb300);
        Console.WriteLine($"in process: {free0:N0} claimable nodes (the reserved line holds {50_000 - free0:N0})");
        var rng = new Random(42);
        var live = new List<ClaimId>();
        var requests = new ClaimRequest[ops];
        for (var i = 0; i < ops; i++)
        {
            var kind = rng.Next(10);
            requests[i] = kind switch
            {
                < 5 => new ClaimRequest(new ClaimId($"c{i}"), h100, rng.Next(1, 17), ClaimScope.Fabric, new CustomerId("t")),
                < 8 => new ClaimRequest(new ClaimId($"c{i}"), gb300, rng.Next(1, 19), ClaimScope.ScaleUpDomain, new CustomerId("t")),
                _ => new ClaimRequest(new ClaimId($"c{i}"), gb300, rng.Next(18, 73), ClaimScope.Fabric, new CustomerId("t")),
            };
        }
        var claimTicks = new long[ops];
        var releaseTicks = new List<long>(ops);
        var refused = 0;
        var alloc0 = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < ops; i++)
        {
            // Hold the pool near 80% busy, releasing random claims, so claims search a fragmented fleet.
            while (pool.HeldNodes > free0 * 8 / 10)
            {
                var k = rng.Next(live.Count);
                var id = live[k];
                live[k] = live[^1];
                live.RemoveAt(live.Count - 1);
                var r0 = Stopwatch.GetTimestamp();
                pool.Release(id);
                releaseTicks.Add(Stopwatch.GetTimestamp() - r0);
            }
            var t0 = Stopwatch.GetTimestamp();
            var result = pool.Claim(requests[i]);
            claimTicks[i] = Stopwatch.GetTimestamp() - t0;
            if (result.Granted) live.Add(result.Claim!.Id);
            else refused++;
        }
        var alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        Console.WriteLine($"  {ops:N0} claims ({refused:N0} refused: no fabric or domain had room), {releaseTicks.Count:N0} releases, pool ~80% held");
        Console.WriteLine($"  claim   {Percentiles(claimTicks)}");
        Console.WriteLine($"  release {Percentiles([.. releaseTicks])}");
        Console.WriteLine($"  allocated {alloc / (ops + releaseTicks.Count):N0} B per operation (claim ids, node lists, records)");
    }

    private static string Percentiles(long[] ticks)
    {
        if (ticks.Length == 0) return "none";
        Array.Sort(ticks);
        double Us(double q) => ticks[Math.Min(ticks.Length - 1, (int)Math.Ceiling(q * ticks.Length) - 1)] * 1e6 / Stopwatch.Frequency;
        return string.Create(CultureInfo.InvariantCulture, $"p50 {Us(0.50):F1} us, p99 {Us(0.99):F1} us, p99.9 {Us(0.999):F1} us, max {ticks[^1] * 1e6 / Stopwatch.Frequency:F1} us");
    }

    // The claim desk without HTTP: what the store's transactions (grouped) cost, for comparison with the API figure.
    private static async Task ThroughDeskAsync(Scenario scenario, StoreLocation location, string name, int seconds, int clients)
    {
        await using var store = await LessorStore.OpenAsync(location, CancellationToken.None);
        await store.ImportAsync(scenario, CancellationToken.None);
        var desk = await Lessor.Server.Claims.ClaimDesk.OpenAsync(store, TimeProvider.System, CancellationToken.None);
        var counts = new int[clients];
        var releases = new int[clients];
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var stop = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var rng = new Random(c);
            var live = new Queue<ClaimId>();
            while (stop.Elapsed.TotalSeconds < seconds)
            {
                if (live.Count >= 200)
                {
                    await desk.ReleaseAsync(live.Dequeue(), CancellationToken.None);
                    releases[c]++;
                }
                var ask = rng.Next(4) < 3
                    ? new Lessor.Server.Claims.ClaimAsk(DefaultCatalog.Ids.H100, rng.Next(1, 9), ClaimScope.Fabric, new CustomerId($"tenant-{c}"))
                    : new Lessor.Server.Claims.ClaimAsk(DefaultCatalog.Ids.Gb300, rng.Next(1, 19), ClaimScope.ScaleUpDomain, new CustomerId($"tenant-{c}"));
                var outcome = await desk.ClaimAsync(ask, CancellationToken.None);
                if (outcome.Granted)
                {
                    live.Enqueue(outcome.Claim!.Id);
                    counts[c]++;
                }
            }
        })));
        var elapsed = stop.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"desk ({name}, {clients} tasks, no HTTP, {elapsed:F1} s): {counts.Sum() / elapsed:N0} claims/s and {releases.Sum() / elapsed:N0} releases/s; CPU {cpu / (counts.Sum() + releases.Sum()):F3} ms per operation; {desk.WriteStats.Operations / (double)Math.Max(1, desk.WriteStats.Transactions):F1} operations per store transaction"));
    }

    private static async Task OverHttpAsync(Scenario scenario, StoreLocation location, string name, int seconds, int clients)
    {
        await using (var seed = await LessorStore.OpenAsync(location, CancellationToken.None))
        {
            if (await seed.IsEmptyAsync(CancellationToken.None)) await seed.ImportAsync(scenario, CancellationToken.None);
        }
        // The server runs in a child process so its CPU time can be read apart from the clients' (the machine is shared).
        // Run as this process was run: through `dotnet Lessor.Bench.dll` or the apphost.
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true };
        // As `lessor serve` runs (Lessor.Cli.csproj): idle thread-pool workers sleep instead of spinning.
        start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(ClaimsBench).Assembly.Location);
        foreach (var a in new[] { "claims", "--serve", location is StoreLocation.Sqlite lite ? lite.Path : ((StoreLocation.Postgres)location).ConnectionString })
            start.ArgumentList.Add(a);
        using var server = Process.Start(start)!;
        string? url;
        string? key = null;
        while ((url = await server.StandardOutput.ReadLineAsync()) is not null && !url.StartsWith("listening ", StringComparison.Ordinal))
        {
            if (url.StartsWith("key ", StringComparison.Ordinal)) key = url["key ".Length..];
        }
        if (url is null) throw new InvalidOperationException("the claims server did not start");
        var drain = server.StandardOutput.ReadToEndAsync();
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }) { BaseAddress = new Uri(url["listening ".Length..]) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            await WarmUpAsync(http, clients, WarmUpSeconds);
            var granted = new List<(string Id, string[] Nodes)>[clients];
            var released = new HashSet<string>[clients];
            var refused = new int[clients];
            var latencies = new List<long>[clients];
            server.Refresh();
            var serverCpu0 = server.TotalProcessorTime;
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var stop = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                granted[c] = [];
                released[c] = [];
                latencies[c] = [];
                var rng = new Random(c);
                var live = new Queue<string>();
                var n = 0;
                while (stop.Elapsed.TotalSeconds < seconds)
                {
                    // Each client keeps at most 200 claims: beyond that it releases its oldest, so the fleet never fills.
                    if (live.Count >= 200)
                    {
                        var id = live.Dequeue();
                        using var del = await http.DeleteAsync($"/api/v1/claims/{id}");
                        if (del.StatusCode != HttpStatusCode.NoContent) throw new InvalidOperationException($"release {id}: {del.StatusCode}");
                        released[c].Add(id);
                    }
                    var body = rng.Next(4) < 3
                        ? $$"""{"platform":"h100-hgx","nodes":{{rng.Next(1, 9)}},"scope":"fabric","customer":"tenant-{{c}}"}"""
                        : $$"""{"platform":"gb300-nvl72","nodes":{{rng.Next(1, 19)}},"scope":"domain","customer":"tenant-{{c}}"}""";
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/claims") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                    request.Headers.Add("Idempotency-Key", $"bench-{c}-{n++}");
                    var t0 = Stopwatch.GetTimestamp();
                    using var response = await http.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    latencies[c].Add(Stopwatch.GetTimestamp() - t0);
                    if (response.StatusCode != HttpStatusCode.Created)
                    {
                        refused[c]++;
                        continue;
                    }
                    var json = JsonDocument.Parse(text).RootElement;
                    var claimId = json.GetProperty("id").GetString()!;
                    var nodes = json.GetProperty("nodes").EnumerateArray()
                        .Select(x => $"{x.GetProperty("fabric").GetString()}/{x.GetProperty("unit").GetInt32()}/{x.GetProperty("tray").GetInt32()}").ToArray();
                    granted[c].Add((claimId, nodes));
                    live.Enqueue(claimId);
                }
            })).ToArray();
            await Task.WhenAll(tasks);
            var elapsed = stop.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
            server.Refresh();
            var serverCpu = (server.TotalProcessorTime - serverCpu0).TotalMilliseconds;
            var claims = granted.Sum(g => g.Count);
            var releases = released.Sum(r => r.Count);
            Console.WriteLine($"http ({name}, {clients} clients, {elapsed:F1} s): {claims:N0} claims granted ({claims / elapsed:N0}/s), {refused.Sum():N0} refused, {releases:N0} releases; requests {(claims + refused.Sum() + releases) / elapsed:N0}/s");
            Console.WriteLine($"  POST latency {Percentiles(latencies.SelectMany(l => l).ToArray())}");
            // The machine is shared: CPU per request is the figure that survives contention (as in the Placement peer's report).
            var load = LoadAverage();
            var requests = claims + refused.Sum() + releases;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  server CPU {serverCpu / requests:F3} ms per request ({serverCpu / Math.Max(1, claims):F3} ms per granted claim, its release included); clients {cpu / requests:F3} ms; {Environment.ProcessorCount} cores, load average {load}"));

            // Zero double allocations: the store's held claims, and every claim the clients were granted and did not release.
            await using var store = await LessorStore.OpenAsync(location, CancellationToken.None);
            var held = (await store.ReadClaimsAsync(CancellationToken.None)).Claims;
            var heldNodes = held.SelectMany(h => h.Claim.Nodes.Select(x => x.ToString())).ToList();
            var liveByClients = granted.SelectMany((g, c) => g.Where(x => !released[c].Contains(x.Id))).ToList();
            var clientNodes = liveByClients.SelectMany(x => x.Nodes).ToList();
            var twice = clientNodes.Count - clientNodes.Distinct().Count() + heldNodes.Count - heldNodes.Distinct().Count();
            var reservedHits = clientNodes.Count(x => x.StartsWith("h100-000/", StringComparison.Ordinal) || x.StartsWith("h100-001/", StringComparison.Ordinal) || x.StartsWith("h100-002/", StringComparison.Ordinal));
            var agree = held.Count == liveByClients.Count && new HashSet<string>(heldNodes).SetEquals(clientNodes);
            Console.WriteLine($"  check: {held.Count:N0} claims / {heldNodes.Count:N0} nodes held in the store; nodes held twice: {twice}; nodes under the reserved line: {reservedHits}; store agrees with clients: {agree}");
            if (twice != 0 || reservedHits != 0 || !agree) throw new InvalidOperationException("claims check failed");
        }
        finally
        {
            server.StandardInput.Close();
            await server.WaitForExitAsync();
            await drain;
        }
    }

    // The server's tiered JIT recompiles the hot paths for seconds after start (profiled: a quarter of its CPU 7-14 s in,
    // none after 25 s on 2 shared cores): warm up with the measured mix long enough that the run sees the steady state.
    private const int WarmUpSeconds = 12;

    // JIT and connection pools warm up first: claim (the measured mix) and release at once, so the run starts from an empty fleet.
    private static async Task WarmUpAsync(HttpClient http, int clients, int seconds)
    {
        var stop = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var rng = new Random(1000 + c);
            var n = 0;
            while (stop.Elapsed.TotalSeconds < seconds)
            {
                var body = rng.Next(4) < 3
                    ? $$"""{"platform":"h100-hgx","nodes":{{rng.Next(1, 9)}},"scope":"fabric","customer":"tenant-{{c}}"}"""
                    : $$"""{"platform":"gb300-nvl72","nodes":{{rng.Next(1, 19)}},"scope":"domain","customer":"tenant-{{c}}"}""";
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/claims") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("Idempotency-Key", $"warm-{c}-{n++}");
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"warm-up claim: {(int)response.StatusCode} {text}");
                var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString();
                using var del = await http.DeleteAsync($"/api/v1/claims/{id}");
            }
        })));
    }

    // Child-process mode: serve the store on a free loopback port until standard input closes.
    private static async Task<int> ServeAsync(StoreLocation location)
    {
        // Measure capacity, not the per-key rate limit; the clients use an operator key.
        var app = await LessorServer.BuildAsync(new ServerOptions { Store = location, Port = 0, RateLimitPerSecond = 1_000_000 }, CancellationToken.None);
        await app.StartAsync();
        var store = ((LessorState)app.Services.GetService(typeof(LessorState))!).Store;
        var key = await Lessor.Server.Access.ApiKeys.CreateAsync(store, Lessor.Server.Access.Roles.Operator, null, "claims bench", DateTime.UtcNow, CancellationToken.None);
        Console.WriteLine($"key {key.Key}");
        Console.WriteLine($"listening {app.Urls.First()}");
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        await app.DisposeAsync();
        return 0;
    }
}
