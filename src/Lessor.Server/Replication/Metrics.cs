using System.Diagnostics.Metrics;
using Lessor.Server.Desk;

namespace Lessor.Server.Replication;

/// <summary>
/// The replication figures as System.Diagnostics.Metrics instruments in the meter <see cref="MeterName"/>, for an
/// exporter (Prometheus, OpenTelemetry) to pick up: per desk in the process, its revision, the store's, the lag and
/// whether it is cut off; catch-ups (from the feed or by rebuild) and how long they took.
/// </summary>
public static class Metrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Lessor.Replication";

    private static readonly Meter Meter = new(MeterName);
    private static readonly List<WeakReference<DealDesk>> Desks = [];
    private static readonly Lock Gate = new();

    private static readonly Counter<long> CatchUps = Meter.CreateCounter<long>("lessor.replication.catch_ups", "{catch-up}",
        "Catch-ups that found the store moved; tag source=feed (changes applied) or rebuild (book rebuilt from the store).");

    private static readonly Histogram<double> CatchUpTime = Meter.CreateHistogram<double>("lessor.replication.catch_up.duration", "ms",
        "How long a catch-up took, from reading the feed to the book being current.");

    static Metrics()
    {
        Meter.CreateObservableGauge("lessor.replication.revision", () => Observe(d => d.Revision), "{revision}", "The store revision the replica's book reflects.");
        Meter.CreateObservableGauge("lessor.replication.store_revision", () => Observe(d => d.StoreRevision), "{revision}", "The highest store revision the replica has seen.");
        Meter.CreateObservableGauge("lessor.replication.lag", () => Observe(d => d.Lag), "{revision}", "Revisions seen but not yet applied.");
        Meter.CreateObservableGauge("lessor.replication.cut_off", () => Observe(d => d.LastContactFailed ? 1L : 0L), "{bool}", "1 when the replica's last attempt to reach the store failed.");
        Meter.CreateObservableGauge("lessor.replication.full_rebuilds", () => Observe(d => d.FullRebuilds), "{rebuild}", "Books rebuilt from the store since start.");
    }

    /// <summary>Adds a desk to the gauges (held weakly: a desk dropped by a test is not kept alive).</summary>
    public static void Register(DealDesk desk)
    {
        lock (Gate)
        {
            Desks.RemoveAll(w => !w.TryGetTarget(out _));
            Desks.Add(new WeakReference<DealDesk>(desk));
        }
    }

    /// <summary>Records one catch-up.</summary>
    public static void CatchUp(TimeSpan took, bool fromFeed)
    {
        var source = new KeyValuePair<string, object?>("source", fromFeed ? "feed" : "rebuild");
        CatchUps.Add(1, source);
        CatchUpTime.Record(took.TotalMilliseconds, source);
    }

    private static List<Measurement<long>> Observe(Func<DealDesk, long> figure)
    {
        var result = new List<Measurement<long>>();
        lock (Gate)
        {
            for (var i = 0; i < Desks.Count; i++)
                if (Desks[i].TryGetTarget(out var desk)) result.Add(new Measurement<long>(figure(desk), new KeyValuePair<string, object?>("desk", i)));
        }
        return result;
    }
}
