using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Storage.Store;
using Npgsql;

namespace Lessor.Cli.Tests.Faults;

/// <summary>What one drill did and found: the counts the issue asks for, and what the checks against the store found.</summary>
internal sealed record DrillReport
{
    public long Requests { get; init; }
    public long Attempts { get; init; }
    public long ClientFailures { get; init; }
    public long Checks { get; init; }
    public long SignsAcknowledged { get; init; }
    public long SignsRefused { get; init; }
    public long ClaimsAcknowledged { get; init; }
    public long ClaimsRefused { get; init; }
    public long Releases { get; init; }
    public int Kills { get; init; }
    public int Cuts { get; init; }
    public double LongestOutageSeconds { get; init; }
    public long OversoldGpuMinutes { get; init; }
    public int UnplacedNewLines { get; init; }
    public int DoubleAllocatedNodes { get; init; }
    public int AcknowledgedWritesLost { get; init; }
    public int WritesAppliedTwice { get; init; }
    public double Seconds { get; init; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"requests {Requests} (attempts {Attempts}: checks {Checks}, signs {SignsAcknowledged} acknowledged + {SignsRefused} refused as not fitting, " +
        $"claims {ClaimsAcknowledged} acknowledged + {ClaimsRefused} refused, releases {Releases}), failures seen by clients {ClientFailures}, " +
        $"faults injected {Kills + Cuts} ({Kills} kill -9, {Cuts} cut from the database), longest a client went unserved {LongestOutageSeconds:F2} s, " +
        $"oversold GPU-minutes {OversoldGpuMinutes}, new lines left unplaced {UnplacedNewLines}, double-allocated nodes {DoubleAllocatedNodes}, " +
        $"acknowledged writes lost {AcknowledgedWritesLost}, writes applied twice {WritesAppliedTwice}, over {Seconds:F1} s");
}

/// <summary>
/// The fault drill of issue 15: replicas of `lessor serve` on one PostgreSQL database behind HAProxy, a mixed load of
/// deal checks, signs and claims (with idempotency keys, retried by the clients as a real client would), replicas killed
/// with SIGKILL and restarted, one replica cut from the database and restored; then the store and the clients' records
/// are compared. Used by the short test (tests/Lessor.Cli.Tests) and the long bench (`faults` in bench/Lessor.Bench).
/// </summary>
internal sealed class FaultDrill
{
    private readonly Uri _proxy;
    private readonly string _connectionString;
    private readonly string _key;
    private readonly Scenario _book;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private long _attempts, _failures, _checks, _signsOk, _signsRefused, _claimsOk, _claimsRefused, _releases, _requests;
    private long _outageTicks;
    private readonly ConcurrentDictionary<string, string> _signed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ClaimRecord> _claims = new(StringComparer.Ordinal);

    private sealed record ClaimRecord(string Key, IReadOnlyList<string> Nodes)
    {
        public bool Released { get; set; }
    }

    public FaultDrill(Uri proxy, string connectionString, string key, Scenario book)
    {
        _proxy = proxy;
        _connectionString = connectionString;
        _key = key;
        _book = book;
    }

    /// <summary>The deals this drill signs start here: after everything in the book, so a new line's shortfall is the drill's own.</summary>
    public static DateTime DealStart(Scenario book) =>
        new(Math.Max(2031, book.Contracts.SelectMany(c => c.Lines).Select(l => l.Period.End.Year + 1).DefaultIfEmpty(2031).Max()), 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Runs <paramref name="clients"/> closed-loop clients through the proxy until <paramref name="stop"/> fires.</summary>
    public async Task LoadAsync(int clients, CancellationToken stop)
    {
        var customer = _book.Customers[0].Id.Value;
        var platform = _book.Platforms.First(p => _book.Fabrics.Any(f => f.Platform == p.Id));
        var start = DealStart(_book);
        // Each deal asks for a sixth of the platform's supply in one of six months: after a few signs a month is full, so
        // replicas race for the last units and most signs must be refused (409): the case where overselling would show.
        var fabrics = _book.Fabrics.Where(f => f.Platform == platform.Id).Select(f => f.Id).ToHashSet();
        var units = _book.Deliveries.Where(d => fabrics.Contains(d.Fabric)).Sum(d => d.Units);
        var gpus = Math.Max(1, units / 6) * platform.GpusPerUnit;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c, customer, platform, gpus, start, stop), CancellationToken.None)));
    }

    private async Task ClientAsync(int client, string customer, Platform platform, int gpus, DateTime start, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = _proxy, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _key);
        var held = new Queue<ClaimRecord>();
        long failingSince = 0;
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var op = (i + client) % 10;
            var month = start.AddMonths((client + i) % 6);
            var deal = $$"""{"customer":"{{customer}}","lines":[{"platform":"{{platform.Id.Value}}","gpus":{{gpus}},"start":"{{month:yyyy-MM-dd}}T00:00:00Z","end":"{{month.AddMonths(1):yyyy-MM-dd}}T00:00:00Z"}]}""";
            var key = $"drill-{_runId}-{client}-{i}";
            Interlocked.Increment(ref _requests);
            // A client retries a failed request (5xx, no answer) with the same key, as the API asks, until it is answered.
            for (var attempt = 0; attempt < 60 && !(stop.IsCancellationRequested && attempt > 0 && op < 6); attempt++)
            {
                using var request = op switch
                {
                    < 6 => Post("/api/v1/deals/check", deal, null),
                    < 8 => Post("/api/v1/deals/sign", $$"""{"deal":{{deal}}}""", key),
                    _ when held.Count >= 3 => new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/claims/{held.Peek().Key}"),
                    _ => Post("/api/v1/claims", $$"""{"customer":"{{customer}}","platform":"{{platform.Id.Value}}","nodes":1}""", key),
                };
                Interlocked.Increment(ref _attempts);
                var (status, body) = await SendAsync(http, request);
                if (status is 0 or >= 500)
                {
                    Interlocked.Increment(ref _failures);
                    if (failingSince == 0) failingSince = Stopwatch.GetTimestamp();
                    await Task.Delay(50, CancellationToken.None);
                    continue;
                }
                if (failingSince != 0)
                {
                    var outage = Stopwatch.GetTimestamp() - failingSince;
                    long seen;
                    while (outage > (seen = Interlocked.Read(ref _outageTicks)) && Interlocked.CompareExchange(ref _outageTicks, outage, seen) != seen)
                    {
                    }
                    failingSince = 0;
                }
                Record(op, held, status, body!, key);
                break;
            }
        }
    }

    private void Record(int op, Queue<ClaimRecord> held, int status, string body, string key)
    {
        if (op < 6)
        {
            if (status != 200) throw new InvalidOperationException($"a deal check answered {status}: {body}");
            Interlocked.Increment(ref _checks);
            return;
        }
        if (op < 8)
        {
            if (status is 200 or 201)
            {
                var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
                if (!_signed.TryAdd(key, id) && _signed[key] != id) throw new InvalidOperationException($"key {key} answered two contracts");
                Interlocked.Increment(ref _signsOk);
            }
            else if (status == 409) Interlocked.Increment(ref _signsRefused);
            else throw new InvalidOperationException($"a sign answered {status}: {body}");
            return;
        }
        if (held.Count >= 3)
        {
            if (status is not (204 or 200 or 404)) throw new InvalidOperationException($"a release answered {status}: {body}");
            held.Dequeue().Released = true;
            Interlocked.Increment(ref _releases);
            return;
        }
        if (status is 200 or 201)
        {
            var root = JsonDocument.Parse(body).RootElement;
            var nodes = root.GetProperty("nodes").EnumerateArray()
                .Select(n => string.Create(CultureInfo.InvariantCulture, $"{n.GetProperty("fabric").GetString()}/{n.GetProperty("unit").GetInt32()}/{n.GetProperty("tray").GetInt32()}"))
                .ToList();
            var record = new ClaimRecord(root.GetProperty("id").GetString()!, nodes);
            if (_claims.TryAdd(key, record)) held.Enqueue(record);
            Interlocked.Increment(ref _claimsOk);
        }
        else if (status == 409) Interlocked.Increment(ref _claimsRefused);
        else throw new InvalidOperationException($"a claim answered {status}: {body}");
    }

    private static HttpRequestMessage Post(string path, string json, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    private static async Task<(int Status, string? Body)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        try
        {
            using var response = await http.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return (0, null);
        }
    }

    /// <summary>The book's shortfall in GPU-minutes per line (lines supply does not cover) and the lines it could not place.</summary>
    public static async Task<(long ShortGpuMinutes, IReadOnlyDictionary<string, long> ShortByContract, IReadOnlySet<string> Unplaced, int Contracts)> LedgerAsync(string connectionString)
    {
        await using var store = await LessorStore.OpenAsync(new StoreLocation.Postgres(connectionString), CancellationToken.None);
        var book = await store.ExportAsync(CancellationToken.None);
        var build = CapacityLedger.Build(book);
        if (build.Issues.Count > 0) throw new InvalidOperationException("the stored book does not rebuild: " + string.Join("; ", build.Issues));
        long minutes = 0;
        var byContract = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var u in build.Uncovered)
        {
            // A shortfall with no end (supply never arrives) is counted as a year: it is a shortfall all the same.
            var end = u.Shortfall.End.Year >= 9999 ? u.Shortfall.Start.AddYears(1) : u.Shortfall.End;
            var m = (long)u.Short.Value * (long)(end - u.Shortfall.Start).TotalMinutes;
            minutes += m;
            byContract[u.Line.Contract.Value] = byContract.GetValueOrDefault(u.Line.Contract.Value) + m;
        }
        return (minutes, byContract,
            build.Unplaced.Select(u => u.Line.Contract.Value).ToHashSet(StringComparer.Ordinal), book.Contracts.Count);
    }

    /// <summary>Compares the store with what the clients were told.</summary>
    public async Task<DrillReport> VerifyAsync(long baselineShortGpuMinutes, int kills, int cuts, double seconds)
    {
        var (shortMinutes, shortByContract, unplaced, _) = await LedgerAsync(_connectionString);
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        var prefix = $"drill-{_runId}-";
        var storedSigns = await PairsAsync(connection, "SELECT key, contract_id FROM idempotency_keys WHERE key LIKE @p", prefix);
        var storedClaims = await PairsAsync(connection, "SELECT key, claim_id FROM claim_idempotency_keys WHERE key LIKE @p", prefix);
        var contracts = (await PairsAsync(connection, "SELECT id, id FROM contracts WHERE id = ANY(@ids)", null, [.. storedSigns.Select(s => s.Value)])).Count;
        var claimRows = (await PairsAsync(connection, "SELECT id, id FROM node_claims WHERE id = ANY(@ids)", null, [.. storedClaims.Select(s => s.Value)])).Count;
        var held = await PairsAsync(connection, "SELECT fabric_id || '/' || unit || '/' || tray, claim_id FROM claimed_nodes", null);

        var lost = 0;
        foreach (var (key, id) in _signed)
        {
            if (!storedSigns.TryGetValue(key, out var stored) || stored != id) lost++;
        }
        foreach (var (key, record) in _claims)
        {
            if (!storedClaims.TryGetValue(key, out var stored) || stored != record.Key) lost++;
            // A claim the client still holds must hold, in the store, the nodes it was told.
            else if (!record.Released && record.Nodes.Any(n => !held.TryGetValue(n, out var owner) || owner != record.Key)) lost++;
        }
        // One key, one write: distinct stored ids per key, and as many contracts and claims as keys that made them.
        var twice = storedSigns.Count - storedSigns.Values.Distinct(StringComparer.Ordinal).Count() + (storedSigns.Count - contracts)
            + storedClaims.Count - storedClaims.Values.Distinct(StringComparer.Ordinal).Count() + (storedClaims.Count - claimRows);
        // Two claims the clients hold that were told the same node.
        var doubled = _claims.Values.Where(c => !c.Released).SelectMany(c => c.Nodes).GroupBy(n => n, StringComparer.Ordinal).Count(g => g.Count() > 1);
        var newContracts = storedSigns.Values.ToHashSet(StringComparer.Ordinal);
        return new DrillReport
        {
            Requests = _requests, Attempts = _attempts, ClientFailures = _failures, Checks = _checks,
            SignsAcknowledged = _signsOk, SignsRefused = _signsRefused, ClaimsAcknowledged = _claimsOk, ClaimsRefused = _claimsRefused,
            Releases = _releases, Kills = kills, Cuts = cuts, LongestOutageSeconds = (double)_outageTicks / Stopwatch.Frequency,
            // The drill's lines start after everything else, so they cannot take supply from the book's lines: any
            // growth of the shortfall, and any shortfall of a drill line, is overselling.
            OversoldGpuMinutes = Math.Max(Math.Max(0, shortMinutes - baselineShortGpuMinutes), newContracts.Sum(c => shortByContract.GetValueOrDefault(c))),
            UnplacedNewLines = unplaced.Count(newContracts.Contains), DoubleAllocatedNodes = doubled,
            AcknowledgedWritesLost = lost, WritesAppliedTwice = twice, Seconds = seconds,
        };
    }

    private static async Task<Dictionary<string, string>> PairsAsync(NpgsqlConnection connection, string sql, string? prefix, string[]? ids = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (prefix is not null) command.Parameters.AddWithValue("p", prefix + "%");
        if (ids is not null) command.Parameters.AddWithValue("ids", ids);
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var r = await command.ExecuteReaderAsync();
        while (await r.ReadAsync()) pairs[r.GetString(0)] = r.GetString(1);
        return pairs;
    }

    /// <summary>A free loopback TCP port (bound and released: another process may take it, which the caller's start reports).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
