using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Lessor.Server.Fleet;
using Lessor.Server.Tests.Desk;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Lessor.Server.Tests.Fleet;

/// <summary>
/// One fleet writer per store (docs/deploy.md, "The fleet lease"): two fleet desks, each with a lease and a clock of its
/// own, on one store; and two real servers. Run on SQLite and PostgreSQL.
/// </summary>
public abstract class FleetLeaseSuite(StoreFactory stores)
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTime March10 = Utc.Date(2027, 3, 10);
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    private static HealthReport Report(string node, long seq, DateTime at, int? xid = null) =>
        new(node, seq, at, [new GpuReading(0, 60, 700, 0.9, 0, 0)], xid is { } code ? [new HealthEvent(HealthEventKind.Xid, 0, code, null, null)] : []);

    private sealed record Replica(string Name, FleetLease Lease, MovingClock LeaseClock, DealDesk Deals, FleetDesk Fleet);

    // A replica: its own deal desk, its own lease (holder = name) on a clock of its own, and a fleet desk writing under it.
    private static async Task<Replica> ReplicaAsync(LessorStore store, string name, MovingClock businessClock)
    {
        var leaseClock = new MovingClock(Utc.Date(2026, 12, 1));
        var lease = new FleetLease(store, new FleetLeaseOptions { Holder = name, AdvertisedUrl = $"http://{name}:5080", Ttl = Ttl, Clock = leaseClock }, standalone: false);
        await lease.RenewAsync(None);
        var deals = await DealDesk.OpenAsync(store, businessClock, None);
        return new Replica(name, lease, leaseClock, deals, await FleetDesk.OpenAsync(deals, store, businessClock, null, lease, None));
    }

    private async Task<(LessorStore Store, MovingClock Clock)> StoreAsync()
    {
        var store = await LessorStore.OpenAsync(await stores.CreateAsync(), None);
        await store.ImportAsync(SmallBook.Build(), None);
        return (store, new MovingClock(March10));
    }

    [Fact]
    public async Task Given_two_desks_on_one_store_When_both_write_Then_only_the_holder_writes_and_after_it_stops_renewing_the_other_takes_over_with_every_report()
    {
        var (store, clock) = await StoreAsync();
        await using var _ = store;
        var a = await ReplicaAsync(store, "a", clock);
        var b = await ReplicaAsync(store, "b", clock);
        Assert.Equal((1L, (long?)null), (a.Lease.Epoch!.Value, b.Lease.Epoch));
        var nodes = a.Fleet.Nodes(null, null, null).Select(n => n.Serial).Take(3).ToList();
        Assert.Equal(nodes, b.Fleet.Nodes(null, null, null).Select(n => n.Serial).Take(3)); // B read the nodes A registered

        var applied = await a.Fleet.ApplyAsync([.. nodes.SelectMany(n => new[] { Report(n, 1, March10), Report(n, 2, March10.AddSeconds(10)) })], None);
        Assert.All(applied, o => Assert.Equal(IngestStatus.Applied, o.Status));
        var writes = (await store.ReadLeaseAsync(FleetLease.Name, None))!.Writes;
        var refused = await Assert.ThrowsAsync<FleetLeaderElsewhereException>(() => b.Fleet.ApplyAsync([Report(nodes[0], 3, March10.AddSeconds(20))], None));
        Assert.Equal(("a", "http://a:5080", 1L), (refused.Holder!.Holder, refused.Holder.HolderUrl, refused.Holder.Epoch));
        await Assert.ThrowsAsync<FleetLeaderElsewhereException>(() => b.Fleet.ActAsync(nodes[1], NodeAction.StartRepair, null, null, None));
        await Assert.ThrowsAsync<FleetLeaderElsewhereException>(() => b.Fleet.RunCreditsAsync(new YearMonth(2027, 2), None));
        Assert.Equal(writes, (await store.ReadLeaseAsync(FleetLease.Name, None))!.Writes);
        Assert.Equal(2L, (await store.ReadFleetAsync(None)).Nodes.Single(n => n.Serial == nodes[0]).LastSeq);

        // A stops renewing (killed); B's renewal after the ttl takes the lease one epoch higher.
        b.LeaseClock.Now += Ttl;
        Assert.Equal(2L, await b.Lease.RenewAsync(None));
        var redelivered = await b.Fleet.ApplyAsync([.. nodes.Select(n => Report(n, 2, March10.AddSeconds(10))), Report(nodes[0], 3, March10.AddSeconds(20))], None);
        Assert.Equal([IngestStatus.Duplicate, IngestStatus.Duplicate, IngestStatus.Duplicate, IngestStatus.Applied], redelivered.Select(o => o.Status));
        Assert.Equal((3L, 3L), (b.Fleet.View(nodes[0])!.LastSeq, b.Fleet.View(nodes[0])!.ReportsApplied));
        Assert.Equal((2L, 2L), (b.Fleet.View(nodes[2])!.LastSeq, b.Fleet.View(nodes[2])!.ReportsApplied));
    }

    [Fact]
    public async Task Given_a_holder_paused_past_its_lease_while_another_took_it_When_it_writes_believing_it_holds_Then_the_write_is_refused_and_nothing_is_stored()
    {
        var (store, clock) = await StoreAsync();
        await using var _ = store;
        var a = await ReplicaAsync(store, "a", clock);
        var b = await ReplicaAsync(store, "b", clock);
        var node = a.Fleet.Nodes(null, null, null).First(n => n.State == "in_service").Serial;
        Assert.Equal(IngestStatus.Applied, Assert.Single(await a.Fleet.ApplyAsync([Report(node, 1, March10)], None)).Status);

        // A is paused: its clock has not moved, so it still believes it holds epoch 1. B's has, and B takes the lease.
        b.LeaseClock.Now += Ttl + TimeSpan.FromSeconds(1);
        Assert.Equal(2L, await b.Lease.RenewAsync(None));
        Assert.Equal(IngestStatus.Applied, Assert.Single(await b.Fleet.ApplyAsync([Report(node, 2, March10.AddSeconds(10))], None)).Status);
        var before = await store.ReadFleetAsync(None);
        var transitions = (await store.ListTransitionsAsync(node, 0, 100, None)).Count;
        Assert.Equal(1L, a.Lease.Epoch);

        // A wakes and applies a failure (a swap, a transition, an outage) under the epoch it had: the fence refuses it.
        var lost = await Assert.ThrowsAsync<LeaseLostException>(() => a.Fleet.ApplyAsync([Report(node, 3, March10.AddSeconds(20), 79)], None));
        Assert.Equal(("b", 2L), (lost.Current!.Holder, lost.Current.Epoch));
        var after = await store.ReadFleetAsync(None);
        Assert.Equal(before.Nodes.Select(n => (n.Serial, n.State, n.LastSeq, n.Role)), after.Nodes.Select(n => (n.Serial, n.State, n.LastSeq, n.Role)));
        Assert.Equal(transitions, (await store.ListTransitionsAsync(node, 0, 100, None)).Count);
        Assert.Empty(await store.ListSwapsAsync(0, 10, None));
        // A knows now: it holds nothing, refuses at once, and its book is the store's again.
        Assert.Null(a.Lease.Epoch);
        await Assert.ThrowsAsync<FleetLeaderElsewhereException>(() => a.Fleet.ApplyAsync([Report(node, 3, March10.AddSeconds(20), 79)], None));
        Assert.Equal(("in_service", 2L), (a.Fleet.View(node)!.State, a.Fleet.View(node)!.LastSeq));
    }

    [Fact]
    public async Task Given_a_lease_When_it_is_taken_ends_unrenewed_and_is_taken_back_Then_each_tenure_token_is_cancelled_when_that_tenure_ends()
    {
        var (store, _) = await StoreAsync();
        await using var _s = store;
        var leaseClock = new MovingClock(Utc.Date(2026, 12, 1));
        var lease = new FleetLease(store, new FleetLeaseOptions { Holder = "a", Ttl = Ttl, Clock = leaseClock }, standalone: false);
        var waiting = lease.WaitHeldAsync(None);
        Assert.False(waiting.IsCompleted);

        Assert.Equal(1L, await lease.RenewAsync(None));
        var first = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(first.IsCancellationRequested);
        leaseClock.Now += Ttl - TimeSpan.FromTicks(10);
        lease.ExpireIfDue();
        Assert.Equal((1L, false), (lease.Epoch, first.IsCancellationRequested));
        // Not renewed by its end (the store did not answer): the tenure ends by this process's own clock.
        leaseClock.Now += TimeSpan.FromTicks(10);
        lease.ExpireIfDue();
        Assert.Equal(((long?)null, true), (lease.Epoch, first.IsCancellationRequested));

        Assert.Equal(1L, await lease.RenewAsync(None)); // nobody took it meanwhile: the same epoch
        var second = await lease.WaitHeldAsync(None);
        Assert.False(second.IsCancellationRequested);
        await lease.ReleaseAsync(None);
        Assert.True(second.IsCancellationRequested);
        Assert.False((await store.ReadLeaseAsync(FleetLease.Name, None))!.HeldAt(leaseClock.Now.AddTicks(1)));
    }

    [Fact]
    public async Task Given_a_replica_without_the_lease_When_the_holder_writes_and_it_follows_Then_its_book_shows_the_writes_and_it_reloads_only_when_the_fleet_moved()
    {
        var (store, clock) = await StoreAsync();
        await using var _ = store;
        var a = await ReplicaAsync(store, "a", clock);
        var b = await ReplicaAsync(store, "b", clock);
        var node = a.Fleet.Nodes(null, null, null).First(n => n.State == "in_service").Serial;
        await a.Fleet.ApplyAsync([Report(node, 1, March10, 79)], None);
        Assert.Equal("in_service", b.Fleet.View(node)!.State);

        Assert.Null(await b.Lease.RenewAsync(None));
        Assert.True(await b.Fleet.FollowAsync(b.Lease.Elsewhere!, None));
        Assert.Equal(("failed", 1L), (b.Fleet.View(node)!.State, b.Fleet.View(node)!.LastSeq));
        Assert.Null(await b.Lease.RenewAsync(None));
        Assert.False(await b.Fleet.FollowAsync(b.Lease.Elsewhere!, None)); // nothing moved: no reload
    }

    [Fact]
    public async Task Given_two_servers_on_one_store_When_fleet_reports_reach_the_one_without_the_lease_Then_it_answers_503_naming_the_holder_and_takes_over_when_the_holder_stops()
    {
        var location = await stores.CreateAsync();
        var (a, clientA) = await ServeAsync(location, "server-a");
        var aStopped = false;
        try
        {
            var (b, clientB) = await ServeAsync(location, "server-b");
            await using var _b = b;
            var node = a.Services.GetRequiredService<FleetDesk>().Nodes(null, null, null).First(n => n.State == "in_service").Serial;
            var now = DateTime.UtcNow;
            using (var ok = await PostReportAsync(clientA, node, 1, now))
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

            using (var refused = await PostReportAsync(clientB, node, 2, now))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.NotNull(refused.Headers.RetryAfter);
                using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
                Assert.Equal("fleet-leader-elsewhere", problem.RootElement.GetProperty("type").GetString());
                Assert.Equal(("server-a", "http://server-a:5080"), (problem.RootElement.GetProperty("holder").GetString(), problem.RootElement.GetProperty("holder_url").GetString()));
            }
            Assert.Equal((true, false), (await HeldAsync(clientA), await HeldAsync(clientB)));
            Assert.Equal(("1", "0"), (await GaugeAsync(clientA, "lessor_fleet_lease_held"), await GaugeAsync(clientB, "lessor_fleet_lease_held")));
            Assert.Equal(("1", "0"), (await GaugeAsync(clientA, "lessor_fleet_lease_epoch"), await GaugeAsync(clientB, "lessor_fleet_lease_epoch")));

            // A stops (it lets the lease go): B takes it at its next renewal, reloads, and has A's report.
            await a.StopAsync();
            await a.DisposeAsync();
            aStopped = true;
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!await HeldAsync(clientB) && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
            Assert.True(await HeldAsync(clientB), "B did not take the fleet lease within 10 s of A stopping");
            using var again = await PostReportAsync(clientB, node, 1, now);
            using var next = await PostReportAsync(clientB, node, 2, now.AddSeconds(1));
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (again.StatusCode, next.StatusCode));
            Assert.Equal("duplicate", JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("items")[0].GetProperty("status").GetString());
            Assert.Equal("applied", JsonDocument.Parse(await next.Content.ReadAsStringAsync()).RootElement.GetProperty("items")[0].GetProperty("status").GetString());
            Assert.Equal(2L, (await b.Services.GetRequiredService<LessorState>().Store.ReadLeaseAsync(FleetLease.Name, None))!.Epoch);
        }
        finally
        {
            if (!aStopped) await a.DisposeAsync();
        }
    }

    private static async Task<(WebApplication App, HttpClient Client)> ServeAsync(StoreLocation location, string name)
    {
        var app = await LessorServer.BuildAsync(new ServerOptions
        {
            Store = location,
            SeedScenarioPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "valid", "annotated.yaml"),
            Port = 0,
            WarmUp = false,
            PollInterval = TimeSpan.FromMilliseconds(50),
            FleetLease = new FleetLeaseOptions { Holder = name, AdvertisedUrl = $"http://{name}:5080", Ttl = TimeSpan.FromSeconds(3) },
        }, None);
        await app.StartAsync();
        var state = app.Services.GetRequiredService<LessorState>();
        var key = await ApiKeys.CreateAsync(state.Store, Roles.Admin, null, "lease test", new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc), None);
        app.Services.GetRequiredService<KeyRegistry>().Invalidate();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        return (app, client);
    }

    private static Task<HttpResponseMessage> PostReportAsync(HttpClient client, string node, long seq, DateTime at)
    {
        var body = $$"""[{"node": "{{node}}", "seq": {{seq}}, "at": "{{at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}}", "gpus": [{"gpu": 0, "temperature_c": 60, "power_w": 700, "utilization": 0.9, "nvlink_errors": 0, "ecc_double_bit": 0}], "events": []}]""";
        return client.PostAsync(new Uri("/api/v1/fleet/reports", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
    }

    // The value of a gauge on the server's /metrics (the Prometheus text: "name{labels} value" or "name value").
    private static async Task<string> GaugeAsync(HttpClient client, string name)
    {
        var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var line = Assert.Single(text.Split('\n'), l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));
        var value = line.Contains('{', StringComparison.Ordinal) ? line[(line.LastIndexOf("} ", StringComparison.Ordinal) + 2)..] : line[(name.Length + 1)..];
        return value.Trim().Split(' ')[0];
    }

    private static async Task<bool> HeldAsync(HttpClient client)
    {
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("fleet_lease").GetProperty("held").GetBoolean();
    }
}

/// <summary>The fleet lease suite on the embedded SQLite store.</summary>
public sealed class FleetLeaseOnSqlite() : FleetLeaseSuite(new StoreFactory.Sqlite());

/// <summary>The fleet lease suite on PostgreSQL.</summary>
public sealed class FleetLeaseOnPostgres() : FleetLeaseSuite(new StoreFactory.Postgres());
