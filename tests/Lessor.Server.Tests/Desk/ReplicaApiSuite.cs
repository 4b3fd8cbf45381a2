using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Lessor.Server.Replication;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Lessor.Server.Tests.Desk;

/// <summary>
/// Two real servers on one store (docs/change-feed.md): a write on one is seen by the other without a request, every
/// answer carries its revision, a client reads its own write on the other server with Lessor-Min-Revision, a server
/// behind says so, and /health/ready reports the figures. Run on SQLite and on PostgreSQL.
/// </summary>
public abstract class ReplicaApiSuite(StoreFactory stores)
{
    private static readonly CancellationToken None = CancellationToken.None;

    internal static async Task<(WebApplication App, HttpClient Client)> ServeAsync(StoreLocation location, TimeSpan? readBound = null, TimeSpan? poll = null)
    {
        var app = await LessorServer.BuildAsync(new ServerOptions
        {
            Store = location,
            SeedScenarioPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "valid", "annotated.yaml"),
            Port = 0,
            WarmUp = false,
            PollInterval = poll ?? TimeSpan.FromMilliseconds(50),
            ReadStaleBound = readBound ?? TimeSpan.FromSeconds(5),
        }, None);
        await app.StartAsync();
        var state = app.Services.GetRequiredService<LessorState>();
        var key = await ApiKeys.CreateAsync(state.Store, Roles.Admin, null, "replica test", new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc), None);
        app.Services.GetRequiredService<KeyRegistry>().Invalidate();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        return (app, client);
    }

    internal static async Task<SignOutcome> SignAsync(WebApplication app)
    {
        var desk = app.Services.GetRequiredService<LessorState>().Desk;
        var s = desk.Scenario;
        // The first small deal (one unit, one month) that fits somewhere in the book.
        var deal = (from platform in s.Platforms
                    where s.Fabrics.Any(f => f.Platform == platform.Id)
                    from year in Enumerable.Range(2027, 8)
                    let start = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc)
                    select new DealRequest(s.Customers[0].Id, [new DealLine { Platform = platform.Id, Gpus = new GpuCount(platform.GpusPerUnit), Period = new Period(start, start.AddMonths(1)) }]))
            .First(d => desk.Check(d).Fits);
        return await desk.SignAsync(new SignRequest(deal, null, new DateTime(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc), null), None);
    }

    [Fact]
    public async Task Given_two_servers_on_one_store_When_one_signs_Then_the_other_serves_it_at_the_asked_revision_and_catches_up_without_a_request()
    {
        var location = await stores.CreateAsync();
        var (a, clientA) = await ServeAsync(location);
        await using var _ = a;
        var (b, clientB) = await ServeAsync(location);
        await using var __ = b;
        var deskB = b.Services.GetRequiredService<LessorState>().Desk;

        var signed = await SignAsync(a);
        Assert.True(signed.Signed, signed.Error);
        var revision = a.Services.GetRequiredService<LessorState>().Desk.Revision;

        using var read = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/contracts/{signed.Contract!.Id.Value}");
        read.Headers.Add(ReplicaGate.MinRevisionHeader, revision.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var answer = await clientB.SendAsync(read);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.True(long.Parse(answer.Headers.GetValues(ReplicaGate.RevisionHeader).Single(), System.Globalization.CultureInfo.InvariantCulture) >= revision);

        // Another sign on A: B learns of it by itself (notification or poll), no request needed.
        Assert.True((await SignAsync(a)).Signed);
        var target = a.Services.GetRequiredService<LessorState>().Desk.Revision;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (deskB.Revision < target && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        Assert.Equal(target, deskB.Revision);
        Assert.Equal(0, deskB.FullRebuilds);

        using var ready = await clientB.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(target, body.RootElement.GetProperty("revision").GetInt64());
        Assert.Equal(0, body.RootElement.GetProperty("lag").GetInt64());
        Assert.True(body.RootElement.GetProperty("last_catch_up_from_feed").GetBoolean());
    }

    [Fact]
    public async Task Given_two_servers_on_one_store_When_one_claims_nodes_Then_the_other_lists_the_claim_without_a_request_and_can_release_it()
    {
        var location = await stores.CreateAsync();
        var (a, _) = await ServeAsync(location);
        await using var _a = a;
        var (b, _) = await ServeAsync(location);
        await using var _b = b;
        var claimsA = a.Services.GetRequiredService<Lessor.Server.Claims.ClaimDesk>();
        var claimsB = b.Services.GetRequiredService<Lessor.Server.Claims.ClaimDesk>();
        var scenario = a.Services.GetRequiredService<LessorState>().Desk.Scenario;
        var platform = scenario.Platforms.FirstOrDefault(p => claimsA.FreeNodes(p.Id) > 0);
        Assert.True(platform is not null, "the seed book has no claimable node now: the test cannot claim");

        var claimed = await claimsA.ClaimAsync(new Lessor.Server.Claims.ClaimAsk(platform.Id, 1, Lessor.Core.Claims.ClaimScope.Fabric, scenario.Customers[0].Id), None);
        Assert.True(claimed.Granted, claimed.Error);

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (claimsB.Get(claimed.Claim!.Id) is null && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        Assert.NotNull(claimsB.Get(claimed.Claim!.Id));
        Assert.Equal(claimsA.FreeNodes(platform.Id), claimsB.FreeNodes(platform.Id));

        Assert.Equal(Lessor.Server.Claims.ReleaseOutcome.Released, await claimsB.ReleaseAsync(claimed.Claim.Id, None));
        waited.Restart();
        while (claimsA.Get(claimed.Claim.Id) is not null && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        Assert.Null(claimsA.Get(claimed.Claim.Id));
    }

    [Fact]
    public async Task Given_a_client_asking_for_a_revision_no_server_has_When_it_reads_Then_it_gets_503_naming_both_revisions()
    {
        var (app, client) = await ServeAsync(await stores.CreateAsync());
        await using var _ = app;
        var at = app.Services.GetRequiredService<LessorState>().Desk.Revision;

        using var answer = await client.GetAsync(new Uri($"/api/v1/contracts?min_revision={at + 1000}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        using var problem = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        Assert.Equal("replica-behind", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(at, problem.RootElement.GetProperty("revision").GetInt64());
        Assert.Equal(at + 1000, problem.RootElement.GetProperty("min_revision").GetInt64());
        using var bad = new HttpRequestMessage(HttpMethod.Get, "/api/v1/contracts");
        bad.Headers.Add(ReplicaGate.MinRevisionHeader, "soon");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(bad)).StatusCode);
    }
}

public sealed class ReplicaApiOnSqlite() : ReplicaApiSuite(new StoreFactory.Sqlite());

public sealed class ReplicaApiOnPostgres() : ReplicaApiSuite(new StoreFactory.Postgres());

/// <summary>
/// A server cut off from a real PostgreSQL (the connection runs through a TCP relay the test cuts): writes are refused
/// at once, reads after the stated bound, /health/ready says not ready; after the cut heals the server serves again.
/// </summary>
public sealed class ReplicaCutOffTests
{
    [Fact]
    public async Task Given_a_server_cut_off_from_postgres_When_clients_call_Then_writes_fail_fast_reads_stop_after_the_bound_and_it_recovers()
    {
        var direct = (StoreLocation.Postgres)await new StoreFactory.Postgres().CreateAsync();
        var target = new NpgsqlConnectionStringBuilder(direct.ConnectionString);
        using var relay = new Relay(target.Host!, target.Port);
        var through = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Port = relay.Port, Timeout = 2 };
        var bound = TimeSpan.FromSeconds(2);
        var (app, client) = await ServeAsync(new StoreLocation.Postgres(through.ConnectionString), bound);
        await using var _ = app;
        var desk = app.Services.GetRequiredService<LessorState>().Desk;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/v1/contracts", UriKind.Relative))).StatusCode);

        relay.Cut();
        var cut = System.Diagnostics.Stopwatch.StartNew();
        while (!desk.LastContactFailed && cut.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        Assert.True(desk.LastContactFailed, "the server never noticed the cut");
        var write = System.Diagnostics.Stopwatch.StartNew();
        using var refused = await client.PostAsync(new Uri("/api/v1/deals/check", UriKind.Relative), new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.True(write.Elapsed < TimeSpan.FromSeconds(1), $"a write took {write.Elapsed} to be refused");
        Assert.Contains("store-unreachable", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        while (cut.Elapsed < bound + TimeSpan.FromMilliseconds(300)) await Task.Delay(50);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync(new Uri("/api/v1/contracts", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode);

        relay.Heal();
        var healed = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            await Task.Delay(100);
            status = (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode;
        }
        while (status != HttpStatusCode.OK && healed.Elapsed < TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/v1/contracts", UriKind.Relative))).StatusCode);
    }

    private static Task<(WebApplication App, HttpClient Client)> ServeAsync(StoreLocation location, TimeSpan bound) =>
        ReplicaApiSuite.ServeAsync(location, bound, TimeSpan.FromMilliseconds(100));

    /// <summary>A TCP relay on a loopback port to the database; <see cref="Cut"/> drops every connection and refuses new ones until <see cref="Heal"/>.</summary>
    private sealed class Relay : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly string _host;
        private readonly int _port;
        private readonly List<TcpClient> _open = [];
        private readonly Lock _gate = new();
        private volatile bool _cut;

        public Relay(string host, int port)
        {
            _host = host;
            _port = port;
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = Task.Run(AcceptAsync);
        }

        public int Port { get; }

        public void Cut()
        {
            _cut = true;
            lock (_gate)
            {
                foreach (var c in _open) c.Dispose();
                _open.Clear();
            }
        }

        public void Heal() => _cut = false;

        private async Task AcceptAsync()
        {
            while (true)
            {
                TcpClient inbound;
                try
                {
                    inbound = await _listener.AcceptTcpClientAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                if (_cut)
                {
                    inbound.Dispose();
                    continue;
                }
                var outbound = new TcpClient();
                try
                {
                    await outbound.ConnectAsync(_host, _port);
                }
                catch (SocketException)
                {
                    inbound.Dispose();
                    outbound.Dispose();
                    continue;
                }
                lock (_gate)
                {
                    _open.Add(inbound);
                    _open.Add(outbound);
                }
                _ = PumpAsync(inbound, outbound);
                _ = PumpAsync(outbound, inbound);
            }
        }

        private static async Task PumpAsync(TcpClient from, TcpClient to)
        {
            try
            {
                await from.GetStream().CopyToAsync(to.GetStream());
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or SocketException)
            {
                // Cut.
            }
            from.Dispose();
            to.Dispose();
        }

        public void Dispose()
        {
            Cut();
            _listener.Stop();
        }
    }
}
