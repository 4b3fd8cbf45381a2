using System.Diagnostics.Metrics;
using Lessor.Server.Access;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Lessor.Server;

/// <summary>
/// Metrics and traces for operators. `/metrics` is Prometheus text of every Meter named "Lessor.*" (the desks'
/// queues here, the store's transactions, and "Lessor.Replication" and "Lessor.Fleet" where those parts publish) and of
/// ASP.NET Core's request metrics (rates and latencies per route template). Traces (ActivitySource "Lessor" and the
/// request spans) are exported by OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise no tracer is built.
/// </summary>
public static class ServerTelemetry
{
    /// <summary>The server's own Meter.</summary>
    public const string MeterName = "Lessor.Server";

    /// <summary>Where Prometheus scrapes, with a key whose role the <see cref="Policies.Metrics"/> policy admits.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The environment variable (standard OpenTelemetry) that turns the OTLP export of traces and metrics on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>
    /// Writers waiting at a desk (tag desk=deal: behind the deal desk's one writer; desk=claim: queued for, or in, the
    /// claim desk's group commit). Summed over the desks of this process.
    /// </summary>
    internal static readonly UpDownCounter<long> DeskWaiting = Meter.CreateUpDownCounter<long>(
        "lessor.desk.waiting", "{writer}", "Writers waiting at a desk (deal: for the one writer; claim: queued for or in a group commit).");

    internal static readonly KeyValuePair<string, object?> DealDesk = new("desk", "deal");
    internal static readonly KeyValuePair<string, object?> ClaimDesk = new("desk", "claim");

    internal static void Add(WebApplicationBuilder builder)
    {
        var otlp = builder.Configuration[OtlpEndpointVariable] is { Length: > 0 };
        var telemetry = builder.Services.AddOpenTelemetry();
        telemetry.WithMetrics(m =>
        {
            // "Lessor.*": every part's Meter, those written later included, without this list changing.
            m.AddMeter("Lessor.*");
            m.AddAspNetCoreInstrumentation();
            // No cached answer: scrapes need a key, so they are not a storm to absorb, and a scrape right after a request
            // should count it.
            m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            if (otlp) m.AddOtlpExporter();
        });
        // A meter made by an IMeterFactory (ASP.NET Core's request metrics) belongs to one host, but the listener
        // matches such meters by name in the whole process: several servers in one process (tests, benches) would
        // count each other's requests, and the first host to stop would end the other's series (one stream per
        // instrument name). Keep only this host's; the process-wide "Lessor.*" meters have no scope.
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) =>
        {
            var own = services.GetRequiredService<IMeterFactory>();
            metrics.AddView(instrument => instrument.Meter.Scope is { } scope && !ReferenceEquals(scope, own) ? MetricStreamConfiguration.Drop : null);
        });
        if (otlp)
        {
            telemetry.WithTracing(t => t
                .AddSource(StoreTelemetry.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments(MetricsPath, StringComparison.Ordinal))
                .AddOtlpExporter());
        }
    }

    internal static void Map(WebApplication app) =>
        app.MapPrometheusScrapingEndpoint(MetricsPath).RequireAuthorization(Policies.Metrics).WithName("metrics").ExcludeFromDescription();
}
