using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lessor.Storage.Store;

/// <summary>
/// What the store tells operators: a span per transaction (ActivitySource "Lessor") and the time each one took
/// (Meter "Lessor.Storage"). Both cost a null check when nothing listens, which is the default.
/// </summary>
public static class StoreTelemetry
{
    /// <summary>The ActivitySource name every Lessor span uses (the server's requests and the store's transactions).</summary>
    public const string SourceName = "Lessor";

    /// <summary>The store's Meter.</summary>
    public const string MeterName = "Lessor.Storage";

    internal static readonly ActivitySource Source = new(SourceName);

    private static readonly Meter Meter = new(MeterName);

    internal static readonly Histogram<double> TransactionDuration = Meter.CreateHistogram<double>(
        "lessor.store.transaction.duration", "s",
        "Time of one store transaction, retries included, from opening the connection to commit, by kind (read/write) and operation.",
        tags: null,
        // Seconds, from a millisecond (a read on loopback) to ten (an import): the SDK's default buckets are for milliseconds.
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
}
