using System.Diagnostics.Metrics;

namespace Lessor.Server.Fleet;

/// <summary>
/// The health consumer's counters, published on the Meter <c>Lessor.Fleet</c> (consumed, applied, duplicates,
/// dead-lettered, batches, apply time, consumer lag) and read back by <c>GET /api/v1/fleet/ingest</c>.
/// </summary>
public sealed class FleetIngestMetrics : IDisposable
{
    public const string MeterName = "Lessor.Fleet";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _consumed;
    private readonly Counter<long> _applied;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _batches;
    private readonly Histogram<double> _applyMs;
    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    private NatsIngestOptions? _options;
    private long _nConsumed, _nApplied, _nDuplicates, _nDead, _nBatches, _nErrors, _lag;
    private double _applyMsTotal, _applyMsMax;
    private long _nApplies;
    private bool _connected;
    private string? _lastError;
    private DateTime? _lastErrorAt, _lastBatchAt;

    /// <param name="clock">The clock of the last batch and error.</param>
    /// <param name="meters">
    /// The host's meter factory: the Meter is then the host's, exported by that host only and disposed with it (several
    /// servers in one process each count their own consumer). Without one (a consumer on its own), a Meter of its own.
    /// </param>
    public FleetIngestMetrics(TimeProvider clock, IMeterFactory? meters = null)
    {
        _clock = clock;
        _ownsMeter = meters is null;
        _meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _consumed = _meter.CreateCounter<long>("lessor.fleet.reports.consumed", "{report}", "Health reports taken from the stream");
        _applied = _meter.CreateCounter<long>("lessor.fleet.reports.applied", "{report}", "Reports the sink applied");
        _duplicates = _meter.CreateCounter<long>("lessor.fleet.reports.duplicates", "{report}", "Reports the sink had already applied");
        _deadLettered = _meter.CreateCounter<long>("lessor.fleet.reports.dead_lettered", "{report}", "Reports published to the dead-letter subject");
        _batches = _meter.CreateCounter<long>("lessor.fleet.batches", "{batch}", "Batches applied and acknowledged");
        _applyMs = _meter.CreateHistogram<double>("lessor.fleet.apply.duration", "ms", "Time the sink took to apply a batch");
        _meter.CreateObservableGauge("lessor.fleet.consumer.lag", () => Interlocked.Read(ref _lag), "{report}", "Reports in the stream not yet delivered to the consumer (num_pending)");
    }

    /// <summary>A snapshot for the status endpoint.</summary>
    public sealed record Status(
        bool Enabled, string? Url, string? Stream, string? Consumer, string? DeadLetterSubject, bool Connected,
        long Consumed, long Applied, long Duplicates, long DeadLettered, long Batches, long Lag,
        double ApplyMsMean, double ApplyMsMax, long Errors, string? LastError, DateTime? LastErrorAt, DateTime? LastBatchAt);

    public Status Snapshot()
    {
        lock (_gate)
        {
            return new Status(_options is not null, _options?.Url, _options?.Stream, _options?.Durable, _options?.DeadLetterSubject, _connected,
                _nConsumed, _nApplied, _nDuplicates, _nDead, _nBatches, _lag,
                _nApplies == 0 ? 0 : Math.Round(_applyMsTotal / _nApplies, 3), Math.Round(_applyMsMax, 3),
                _nErrors, _lastError, _lastErrorAt, _lastBatchAt);
        }
    }

    internal void Configure(NatsIngestOptions options)
    {
        lock (_gate) _options = options;
    }

    internal void Connected(bool connected)
    {
        lock (_gate) _connected = connected;
    }

    internal void Consumed(int n)
    {
        _consumed.Add(n);
        lock (_gate) _nConsumed += n;
    }

    internal void ApplyTime(TimeSpan elapsed)
    {
        var ms = elapsed.TotalMilliseconds;
        _applyMs.Record(ms);
        lock (_gate)
        {
            _applyMsTotal += ms;
            _nApplies++;
            _applyMsMax = Math.Max(_applyMsMax, ms);
        }
    }

    internal void Lag(long pending) => Interlocked.Exchange(ref _lag, pending);

    internal void Batch(int applied, int duplicates, int dead, long pending)
    {
        _applied.Add(applied);
        _duplicates.Add(duplicates);
        _deadLettered.Add(dead);
        _batches.Add(1);
        Interlocked.Exchange(ref _lag, pending);
        lock (_gate)
        {
            _nApplied += applied;
            _nDuplicates += duplicates;
            _nDead += dead;
            _nBatches++;
            _lastBatchAt = _clock.GetUtcNow().UtcDateTime;
        }
    }

    internal void Error(string message)
    {
        lock (_gate)
        {
            _nErrors++;
            _lastError = message;
            _lastErrorAt = _clock.GetUtcNow().UtcDateTime;
        }
    }

    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}
