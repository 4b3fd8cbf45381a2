using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsCheck;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Lessor.Server.Tests.Api;

/// <summary>
/// Fuzzes the real server (issue 11): random JSON, mutated valid bodies and broken text for every POST endpoint, random
/// query strings and route values for every GET, with every role's key and random Idempotency-Keys. The rule: no 5xx,
/// no stack trace or exception name in a body, and every answer within <see cref="PerRequest"/>. LESSOR_FUZZ_ITERATIONS
/// sets the number of requests (default <see cref="DefaultIterations"/>, so the suite stays fast; scripts/fuzz.sh runs
/// every Fuzz test with a large count). A failure prints CsCheck's seed and the smallest failing request it found.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed partial class ApiFuzzTests(ITestOutputHelper output)
{
    private const int DefaultIterations = 300;

    /// <summary>
    /// The slowest answer allowed. Measured (2 shared cores, 60,000 requests): every answer under 1 s; the build-out planner,
    /// the slowest endpoint by design (up to 20 deterministic solver seconds), plans the example's deals in about 1.5 s.
    /// </summary>
    private static readonly TimeSpan PerRequest = TimeSpan.FromSeconds(30);

    private static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("LESSOR_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : DefaultIterations;

    /// <summary>A request as generated: who sends it, to what, with which body and headers.</summary>
    public sealed record FuzzRequest(string Role, string Method, string Path, string? Body, string? ContentType, string? IdempotencyKey)
    {
        public override string ToString() => $"{Method} {Path} as {Role}{(IdempotencyKey is null ? "" : $" key '{IdempotencyKey}'")} [{ContentType}] {Body}";
    }

    [GeneratedRegex(@"   at |\bat [\w.`<>]+\(|Exception\b|Unhandled", RegexOptions.CultureInvariant)]
    private static partial Regex StackTrace();

    // Values that reach interesting branches: ids of the annotated example, names of enums, dates at and past the supported
    // range's edges, malformed dates and months, numbers as text, and strings no field expects.
    private static readonly string[] Words =
    [
        "meta", "nvidia", "no-such", "h100-hgx", "H100 SXM HGX", "NVL144", "gb300-nvl72", "vera-rubin-nvl72", "iad-1", "iad-2", "dfw-1",
        "iad1-gb300-a", "iad1-gb300-a-u00000-t00", "dfw1-h100-a", "d-iad1-vr-1", "d-dfw1-gb300-1", "meta-1", "training", "inference-dallas", "L1",
        "fabric", "domain", "scale_up_domain", "site", "region", "any", "customer", "platform", "month", "quarter",
        "USD", "EUR", "usd", "admin", "tenant", "planner", "operator", "finance", "", " ", "null", "true", "0", "-1", "1.5", "1e309", "NaN",
        "2027-01-01", "2027-01-01T00:00:00Z", "2027-01-01T12:30:00+00:00", "2027-01-01T12:30:00+02:00", "2027-01-01T12:30:45.123Z",
        "2027-02-30", "2027-13-01", "9999-12-31", "0001-01-01", "1999-12-31", "2199-12-31", "2200-01-01", "2200-01-02",
        "2027-06", "9999-12", "0000-01", "2027-1", "2027-00", "\u0000", "\ud83d\ude00", "'; DROP TABLE contracts; --", "../../etc/passwd", "%00",
    ];

    private static readonly string[] Keys =
    [
        "customer", "lines", "platform", "gpus", "start", "end", "locality", "block_size", "min_sites", "price_per_gpu_hour", "id",
        "deal", "contract_id", "signed_on", "title", "prepayment", "amount", "currency", "as_of", "until", "max_moves", "min_deal_gpus",
        "not_before", "horizon_end", "today", "new_fabric_max_units", "max_new_fabrics_per_site", "line", "effective", "reason", "to",
        "moves", "contract", "from", "fabric", "units", "window", "nodes", "scope", "role", "name",
    ];

    private static readonly string[] QueryNames = ["as_of", "run_rate", "by", "from", "to", "month", "customer", "offset", "limit", "at", "site", "fabric", "state", "role", "node"];

    private static readonly Gen<string> Text = Gen.Frequency(
        (8, Gen.OneOf(Words)),
        (2, Gen.String),
        (1, Gen.Char.Array[0, 3000].Select(c => new string(c))));

    private static readonly Gen<JsonNode?> Leaf = Gen.Frequency(
        (1, Gen.Const((JsonNode?)null)),
        (1, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))),
        (3, Gen.Int[-3, 5000].Select(n => (JsonNode?)JsonValue.Create(n))),
        (1, Gen.OneOf(int.MinValue, int.MaxValue, 0, 8, 72, 1_000_000_000).Select(n => (JsonNode?)JsonValue.Create(n))),
        (1, Gen.Long.Select(n => (JsonNode?)JsonValue.Create(n))),
        (1, Gen.Double.Select(d => (JsonNode?)JsonValue.Create(double.IsFinite(d) ? d : 0.5))),
        (6, Text.Select(s => (JsonNode?)JsonValue.Create(s))));

    private static readonly Gen<JsonNode?> Json = Gen.Recursive<JsonNode?>((depth, self) => depth >= 4 ? Leaf : Gen.Frequency(
        (5, Leaf),
        (1, self.List[0, 4].Select(items => (JsonNode?)new JsonArray([.. items]))),
        (2, Gen.Select(Gen.Frequency((8, Gen.OneOf(Keys)), (1, Text)), self).List[0, 6].Select(Object))));

    private static JsonNode? Object(List<(string Key, JsonNode? Value)> properties)
    {
        var o = new JsonObject();
        foreach (var (key, value) in properties) o[key] = value;
        return o;
    }

    /// <summary>One change to a valid body: replace, remove, add, or set a far date or an extreme number, at a node picked by <c>Pick</c>.</summary>
    public sealed record Mutation(int Op, int Pick, JsonNode? Value, string Key);

    // Mostly value changes (a word or an extreme number where a valid value was), so that many mutated bodies still get
    // past parsing into the desks; structure changes (remove, add, duplicate, random JSON) less often.
    private static readonly Gen<Mutation> Mutations = Gen.Select(
        Gen.Frequency((1, Gen.Const(0)), (1, Gen.Const(1)), (1, Gen.Const(2)), (4, Gen.Const(3)), (2, Gen.Const(4)), (1, Gen.Const(5))),
        Gen.Int[0, 1000], Json, Gen.OneOf(Keys), (op, pick, value, key) => new Mutation(op, pick, value, key));

    [Fact]
    public async Task Given_random_and_mutated_requests_to_every_endpoint_When_sent_Then_none_gets_a_5xx_a_stack_trace_or_a_late_answer()
    {
        await using var app = await LessorServer.BuildAsync(new ServerOptions
        {
            Store = new StoreLocation.Sqlite(Path.Combine(Path.GetTempPath(), $"lessor-fuzz-{Guid.NewGuid():N}.db")),
            SeedScenarioPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "valid", "annotated.yaml"),
            Port = 0,
            RateLimitPerSecond = 1_000_000,
        }, CancellationToken.None);
        await app.StartAsync();
        var state = app.Services.GetRequiredService<LessorState>();
        var keys = new Dictionary<string, string>();
        foreach (var role in Roles.All)
        {
            keys[role] = (await ApiKeys.CreateAsync(state.Store, role, role == Roles.Tenant ? new CustomerId("meta") : null, "fuzz " + role,
                new DateTime(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc), CancellationToken.None)).Key;
        }
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = PerRequest + TimeSpan.FromSeconds(30) };
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: "/" + e.RoutePattern.RawText!.Trim('/'))))
            .Where(r => r.Pattern.StartsWith("/api/", StringComparison.Ordinal) && r.Method is "GET" or "POST")
            .Distinct().OrderBy(r => r.Method + r.Pattern, StringComparer.Ordinal).ToList();
        var valid = await ValidBodiesAsync(client, keys[Roles.Admin]);
        Assert.Empty(routes.Where(r => r.Method == "POST" && !valid.ContainsKey(r.Pattern)).Select(r => r.Pattern));

        var ids = new[] { "meta", "nvidia", "meta-1", "d-iad1-vr-1", "d-dfw1-gb300-1", "iad-1", "iad1-gb300-a-u00000-t00", "no-such", "000000000000" };
        var route = Gen.OneOf(routes.ToArray());
        var routeValue = Gen.Frequency((6, Gen.OneOf(ids)), (1, Text.Where(t => t.Length is > 0 and < 200).Select(Uri.EscapeDataString)));
        var query = Gen.Select(Gen.OneOf(QueryNames), Text.Where(t => t.Length < 200)).List[0, 4]
            .Select(q => q.Count == 0 ? "" : "?" + string.Join('&', q.Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}")));
        // A body is either text (random JSON, broken JSON) or a recipe to apply to one of the endpoint's valid bodies.
        var body = Gen.Frequency(
            (3, Json.Select(j => (object)(j?.ToJsonString() ?? "null"))),
            (4, Gen.Select(Gen.Int[0, 1000], Mutations.List[0, 3]).Select(r => (object)r)),
            (1, Gen.Select(Json, Gen.Int[0, 10_000]).Select(x => (object)Truncate(x.Item1?.ToJsonString() ?? "", x.Item2))),
            (1, Gen.OneOf("", "{", "[", "{\"deal\":", "{\"gpus\": 1e309}", "{\"gpus\": 123456789012345678901234567890}", "{\"start\": \"2027-01-01\", \"start\": 5}",
                "\uFEFF{}", "{\"a\":" + new string('[', 5000)).Select(t => (object)t)));
        var gen = Gen.Select(
            Gen.Frequency((6, Gen.Const(Roles.Admin)), (1, Gen.Const(Roles.Planner)), (1, Gen.Const(Roles.Finance)), (1, Gen.Const(Roles.Operator)), (2, Gen.Const(Roles.Tenant))),
            route, routeValue, query, body,
            Gen.Frequency((8, Gen.Const("application/json")), (1, Gen.Const("text/plain")), (1, Gen.Const((string)null!))),
            Gen.Frequency((3, Gen.Const((string?)null)), (2, Gen.OneOf<string?>("k1", "k2", "k3")), (1, Gen.Char['!', '~'].Array[0, 260].Select(c => (string?)new string(c)))),
            (role, r, value, q, b, type, key) =>
            {
                var path = Regex.Replace(r.Pattern, @"\{[^}]+\}", value) + q;
                if (r.Method == "GET") return new FuzzRequest(role, "GET", path, null, null, null);
                var text = b is string s ? s : Mutate(valid[r.Pattern], ((int, List<Mutation>))b);
                return new FuzzRequest(role, "POST", path, text, type, key);
            });

        var statuses = new SortedDictionary<int, int>();
        var slowest = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var sent = 0;
        await gen.SampleAsync(async request =>
        {
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", keys[request.Role]);
            if (request.IdempotencyKey is { } k) message.Headers.TryAddWithoutValidation(Idempotency.Header, k);
            if (request.Body is { } text)
            {
                message.Content = new StringContent(text, System.Text.Encoding.UTF8);
                message.Content.Headers.ContentType = request.ContentType is null ? null : new MediaTypeHeaderValue(request.ContentType);
            }
            var watch = Stopwatch.StartNew();
            using var response = await client.SendAsync(message);
            var answer = await response.Content.ReadAsStringAsync();
            watch.Stop();
            var status = (int)response.StatusCode;
            lock (statuses)
            {
                sent++;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                var at = request.Method + " " + Regex.Replace(request.Path, @"\?.*", "");
                if (watch.Elapsed > slowest.GetValueOrDefault(at)) slowest[at] = watch.Elapsed;
            }
            Assert.True(status < 500, $"{status}: {answer}");
            Assert.False(StackTrace().IsMatch(answer), $"a stack trace or exception name in the answer ({status}): {answer}");
            Assert.True(watch.Elapsed <= PerRequest, $"answered in {watch.Elapsed.TotalSeconds:0.0} s ({status})");
        }, iter: Iterations, threads: 1, print: r => r.ToString());

        output.WriteLine($"{sent} requests; status counts: {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}");
        foreach (var (at, time) in slowest.OrderByDescending(s => s.Value).Take(5)) output.WriteLine($"slowest: {at} {time.TotalMilliseconds:0} ms");
    }

    private static string Truncate(string text, int at) => text.Length == 0 ? text : text[..(at % text.Length)];

    /// <summary>A valid body of the endpoint, picked and changed by the mutations (applied in order, each at its picked node).</summary>
    private static string Mutate(IReadOnlyList<string> bodies, (int Pick, List<Mutation> Mutations) recipe)
    {
        var root = JsonNode.Parse(bodies[recipe.Pick % bodies.Count]);
        foreach (var m in recipe.Mutations)
        {
            var slots = new List<(JsonNode Parent, object Key)>();
            Collect(root, slots);
            if (slots.Count == 0) return m.Value?.ToJsonString() ?? "null";
            var (parent, key) = slots[m.Pick % slots.Count];
            var value = m.Op switch
            {
                0 or 2 => m.Value?.DeepClone(),
                3 => JsonValue.Create(Words[m.Pick % Words.Length]),
                4 => JsonValue.Create(new long[] { -1, 0, int.MaxValue, (long)int.MaxValue + 1, long.MaxValue, -8 }[m.Pick % 6]),
                _ => null,
            };
            switch (parent, key, m.Op)
            {
                case (JsonObject o, string name, 1): o.Remove(name); break;
                case (JsonArray a, int index, 1): a.RemoveAt(index); break;
                case (JsonObject o, _, 2): o[m.Key] = value; break;
                case (JsonObject o, string name, 5): o[name] = new JsonArray(o[name]?.DeepClone(), o[name]?.DeepClone()); break;
                case (JsonArray a, int index, 5): a.Add(a[index]?.DeepClone()); break;
                case (JsonObject o, string name, _): o[name] = value; break;
                case (JsonArray a, int index, _): a[index] = value; break;
            }
        }
        return root?.ToJsonString() ?? "null";
    }

    private static void Collect(JsonNode? node, List<(JsonNode Parent, object Key)> slots)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    slots.Add((o, name));
                    Collect(child, slots);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    slots.Add((a, i));
                    Collect(a[i], slots);
                }
                break;
        }
    }

    /// <summary>Bodies each POST endpoint accepts on the annotated example, to mutate; a new POST endpoint without one fails the test.</summary>
    private static async Task<Dictionary<string, IReadOnlyList<string>>> ValidBodiesAsync(HttpClient client, string adminKey)
    {
        const string Deal = """{"customer": "meta", "lines": [{"platform": "h100-hgx", "gpus": 8, "start": "2031-01-01", "end": "2031-02-01", "locality": "fabric"}]}""";
        const string TwoLines = """{"customer": "nvidia", "lines": [{"id": "a", "platform": "NVL144", "gpus": 144, "start": "2028-01-01", "end": "2029-01-01", "block_size": 72, "min_sites": 1}, {"platform": "h100-hgx", "gpus": 16, "start": "2027-06-01T00:00:00Z", "end": "2027-07-01T00:00:00Z", "price_per_gpu_hour": {"amount": "1.50", "currency": "USD"}}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/placement/optimize") { Content = new StringContent("""{"as_of": "2026-01-01", "max_moves": 3}""", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var plan = await client.SendAsync(request);
        var planText = await plan.Content.ReadAsStringAsync();
        Assert.True(plan.IsSuccessStatusCode, planText);
        return new(StringComparer.Ordinal)
        {
            ["/api/v1/deals/check"] = [Deal, TwoLines],
            ["/api/v1/deals/largest"] = [Deal],
            ["/api/v1/deals/earliest"] = [$$"""{"deal": {{Deal}}, "not_before": "2027-01-01", "horizon_end": "2035-01-01"}""", $$"""{"deal": {{TwoLines}}}"""],
            ["/api/v1/deals/sign"] = [$$"""{"deal": {{Deal}}, "title": "fuzz", "signed_on": "2026-11-01", "prepayment": {"amount": "100", "currency": "USD"} }""", $$"""{"deal": {{TwoLines}}, "contract_id": "nvidia-fuzz"}"""],
            ["/api/v1/deals/plan"] = [$$"""{"deal": {{Deal}}, "today": "2026-11-01", "new_fabric_max_units": 16, "max_new_fabrics_per_site": 2}"""],
            ["/api/v1/deals/check-with-moves"] = [$$"""{"deal": {{Deal}}, "as_of": "2027-01-01", "max_moves": 5}"""],
            ["/api/v1/deals/sign-with-moves"] = [$$"""{"deal": {{Deal}}, "as_of": "2027-01-01", "max_moves": 5, "title": "fuzz"}"""],
            ["/api/v1/placement/optimize"] = ["""{"as_of": "2027-01-01", "until": "2030-01-01", "min_deal_gpus": 64, "max_moves": 10}""", "{}"],
            ["/api/v1/placement/moves"] = [planText],
            ["/api/v1/contracts/{id}/amend"] = ["""{"line": "training", "effective": "2030-01-01", "gpus": 4392}""", """{"line": "training", "effective": "2030-01-01", "end": "2032-01-01"}"""],
            ["/api/v1/contracts/{id}/cancel"] = ["""{"effective": "2031-01-01", "reason": "fuzz"}"""],
            ["/api/v1/contracts/{id}/amend-preview"] = ["""{"line": "training", "effective": "2030-01-01", "gpus": 4392}""", """{"line": "training", "effective": "2030-01-01", "end": "2032-01-01"}"""],
            ["/api/v1/contracts/{id}/cancel-preview"] = ["""{"effective": "2031-01-01", "reason": "fuzz"}"""],
            ["/api/v1/credits"] = ["""{"id": "fuzz", "customer": "meta", "month": "2031-01", "amount": 12.5, "reason": "fuzz", "contract": "meta-1"}"""],
            ["/api/v1/deliveries/{id}/slip"] = ["""{"to": "2027-06-01"}"""],
            ["/api/v1/deliveries/{id}/slip-preview"] = ["""{"to": "2027-06-01"}"""],
            ["/api/v1/invoices/run"] = ["{}"],
            ["/api/v1/risk/run"] = ["""{"trials": 20, "seed": 3, "from": "2027-01-01", "until": "2028-01-01", "tornado": 2}"""],
            ["/api/v1/keys"] = ["""{"role": "tenant", "customer": "meta", "name": "fuzz"}""", """{"role": "planner", "name": "fuzz"}"""],
            ["/api/v1/claims"] = ["""{"platform": "h100-hgx", "nodes": 2, "scope": "fabric", "customer": "meta"}""", """{"platform": "gb300-nvl72", "nodes": 4, "scope": "domain", "customer": "nvidia"}"""],
            ["/api/v1/fleet/reports"] = ["""[{"node": "iad1-gb300-a-u00000-t00", "seq": 1, "at": "2026-11-01T00:00:00Z", "gpus": [{"gpu": 0, "temperature_c": 60, "power_w": 700, "utilization": 0.9, "nvlink_errors": 0, "ecc_double_bit": 0}], "events": [{"kind": "xid", "gpu": 0, "code": 79}]}]"""],
            ["/api/v1/fleet/nodes/{serial}/actions"] = ["""{"action": "start_repair", "note": "fuzz"}""", """{"action": "retire", "at": "2026-11-01T00:00:00Z"}"""],
            ["/api/v1/fleet/deliveries/{id}/burn-in"] = ["""{"passed": true, "evidence": "fuzz"}"""],
            ["/api/v1/fleet/maintenance"] = ["""{"id": "m1", "fabric": "iad1-gb300-a", "nodes": ["iad1-gb300-a-u00000-t00"], "start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z", "reason": "fuzz"}"""],
            ["/api/v1/sla/credits"] = ["{}"],
        };
    }
}
