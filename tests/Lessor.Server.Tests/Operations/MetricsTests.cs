using System.Globalization;
using System.Net;
using Lessor.Server.Access;

namespace Lessor.Server.Tests.Operations;

/// <summary>`/metrics` (issue 15): Prometheus text with request counts per route template, the desks' queues and store timings.</summary>
public sealed class MetricsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Given_requests_to_two_routes_When_metrics_are_scraped_Then_each_route_template_has_its_exact_count_by_status()
    {
        using var admin = server.ClientFor(Roles.Admin);
        var id = server.State.Scenario.Contracts[0].Id.Value;
        var before = Count(await ScrapeAsync(), "/api/v1/contracts/{id}", "200");
        var fabricsBefore = Count(await ScrapeAsync(), "/api/v1/fabrics", "200");

        for (var i = 0; i < 3; i++) (await admin.GetAsync(new Uri($"/api/v1/contracts/{id}", UriKind.Relative))).EnsureSuccessStatusCode();
        for (var i = 0; i < 2; i++) (await admin.GetAsync(new Uri("/api/v1/fabrics", UriKind.Relative))).EnsureSuccessStatusCode();
        using var missing = await admin.GetAsync(new Uri("/api/v1/contracts/no-such-contract", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        // ASP.NET Core records a request's duration as the request ends, which may be after the client has its answer:
        // scrape until the counts arrive (at most 5 s), then check them exactly.
        var text = await ScrapeAsync();
        for (var wait = 0; wait < 50 && (Count(text, "/api/v1/contracts/{id}", "200") < before + 3 || Count(text, "/api/v1/contracts/{id}", "404") < 1
            || Count(text, "/api/v1/fabrics", "200") < fabricsBefore + 2); wait++)
        {
            await Task.Delay(100);
            text = await ScrapeAsync();
        }
        // The route template, not the raw path: three ids' worth of requests are one series.
        Assert.Equal(before + 3, Count(text, "/api/v1/contracts/{id}", "200"));
        Assert.Equal(1, Count(text, "/api/v1/contracts/{id}", "404"));
        Assert.Equal(fabricsBefore + 2, Count(text, "/api/v1/fabrics", "200"));
        Assert.DoesNotContain($"/api/v1/contracts/{id}\"", text, StringComparison.Ordinal);
        // Latencies as a histogram per route.
        Assert.Matches("http_server_request_duration_seconds_bucket\\{[^}]*http_route=\"/api/v1/fabrics\"[^}]*le=\"0\\.005\"", text);
        // The store's transactions by kind and operation (the fixture's keys were written through the store), from the
        // "Lessor.*" meters; the store's meter is the process's, so other tests' servers add to it: present, not counted.
        Assert.Matches("lessor_store_transaction_duration_seconds_count\\{[^}]*kind=\"write\",operation=\"AddApiKeyAsync\",outcome=\"ok\"\\} [1-9]", text);
        Assert.Matches("lessor_store_transaction_duration_seconds_bucket\\{[^}]*le=\"0.001\"", text);
    }

    [Fact]
    public async Task Given_a_second_server_in_the_same_process_When_it_answers_requests_Then_this_servers_metrics_do_not_count_them()
    {
        var other = new ServerFixture();
        await other.InitializeAsync();
        try
        {
            var before = Count(await ScrapeAsync(), "/api/v1/regions", "200");

            using (var client = other.ClientFor(Roles.Admin))
                for (var i = 0; i < 5; i++) (await client.GetAsync(new Uri("/api/v1/regions", UriKind.Relative))).EnsureSuccessStatusCode();
            // The other server counts its own requests (waiting as above for durations recorded as requests end)...
            using var otherOperator = other.ClientFor(Roles.Operator);
            var otherCount = 0L;
            for (var wait = 0; wait < 50 && otherCount < 5; wait++)
            {
                if (wait > 0) await Task.Delay(100);
                otherCount = Count(await otherOperator.GetStringAsync(new Uri("/metrics", UriKind.Relative)), "/api/v1/regions", "200");
            }
            Assert.Equal(5, otherCount);

            // ...and this one does not: ASP.NET Core's meters are per host, and so is each server's export of them.
            Assert.Equal(before, Count(await ScrapeAsync(), "/api/v1/regions", "200"));

            // The health consumer's meter is per host too: each server exports one consumer lag, its own.
            using var admin = server.ClientFor(Roles.Admin);
            (await admin.GetAsync(new Uri("/api/v1/fleet/ingest", UriKind.Relative))).EnsureSuccessStatusCode();
            using var otherAdmin = other.ClientFor(Roles.Admin);
            (await otherAdmin.GetAsync(new Uri("/api/v1/fleet/ingest", UriKind.Relative))).EnsureSuccessStatusCode();
            Assert.Single((await ScrapeAsync()).Split('\n'), line => line.StartsWith("lessor_fleet_consumer_lag{", StringComparison.Ordinal));
        }
        finally
        {
            await other.DisposeAsync();
        }
    }

    [Fact]
    public async Task Given_a_sign_and_a_claim_When_metrics_are_scraped_Then_the_desks_queue_series_exist_for_both_desks_and_are_back_to_zero()
    {
        using var admin = server.ClientFor(Roles.Admin);
        var scenario = server.State.Scenario;
        using var claim = await admin.PostAsync(new Uri("/api/v1/claims", UriKind.Relative), Json($$"""{"customer":"{{scenario.Customers[0].Id.Value}}","platform":"{{scenario.Fabrics[0].Platform.Value}}","nodes":1}"""));
        // The series exists only once a claim went through the desk: say so when the claim itself did not.
        Assert.True(claim.IsSuccessStatusCode || claim.StatusCode == HttpStatusCode.Conflict, $"claim answered {(int)claim.StatusCode}: {await claim.Content.ReadAsStringAsync()}");

        var text = await ScrapeAsync();

        Assert.Matches("lessor_desk_waiting(_writer)?\\{[^}]*desk=\"claim\"[^}]*\\} 0", text);
    }

    [Fact]
    public async Task Given_a_meter_named_Lessor_Replication_When_it_records_Then_metrics_carry_it_without_the_server_naming_it()
    {
        // The replication part publishes its lag and catch-up time on this Meter; the server listens to "Lessor.*".
        using var meter = new System.Diagnostics.Metrics.Meter("Lessor.Replication");
        var probe = meter.CreateCounter<long>("lessor.replication.metrics_test_probe");
        probe.Add(7);

        var text = await ScrapeAsync();

        Assert.Contains("lessor_replication_metrics_test_probe_total{otel_scope_name=\"Lessor.Replication\"} 7", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_no_OTLP_endpoint_When_the_server_runs_Then_no_tracer_is_built()
    {
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ServerTelemetry.OtlpEndpointVariable)), "this test needs OTEL_EXPORTER_OTLP_ENDPOINT unset");
        Assert.Null(server.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)));
    }

    [Fact]
    public async Task Given_a_tenant_or_no_key_When_metrics_are_asked_for_Then_they_are_refused()
    {
        using var tenant = server.ClientFor(Roles.Tenant);
        using var anonymous = server.ClientFor(null);

        Assert.Equal(HttpStatusCode.NotFound, (await tenant.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
    }

    private async Task<string> ScrapeAsync()
    {
        using var operatorClient = server.ClientFor(Roles.Operator);
        using var response = await operatorClient.GetAsync(new Uri("/metrics", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    /// <summary>The request count of one route template and status, 0 when the series is not there yet.</summary>
    private static long Count(string text, string route, string status)
    {
        long total = 0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal)) continue;
            // Labels run to the last "} " of the line: a route template has braces of its own.
            var end = line.LastIndexOf("} ", StringComparison.Ordinal);
            var labels = line[..end];
            if (labels.Contains($"http_route=\"{route}\"", StringComparison.Ordinal) && labels.Contains($"http_response_status_code=\"{status}\"", StringComparison.Ordinal))
                total += long.Parse(line[(end + 2)..].Trim(), CultureInfo.InvariantCulture);
        }
        return total;
    }
}
