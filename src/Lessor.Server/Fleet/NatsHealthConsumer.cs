using System.Diagnostics;
using Lessor.Core.Fleet;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Lessor.Server.Fleet;

/// <summary>Where and how the server consumes health reports from NATS JetStream (docs/nats.md).</summary>
public sealed record NatsIngestOptions
{
    /// <summary>The NATS server, e.g. <c>nats://127.0.0.1:4222</c>.</summary>
    public required string Url { get; init; }

    public string Stream { get; init; } = "LESSOR_HEALTH";

    /// <summary>Every site's subject <c>lessor.health.&lt;site&gt;</c>, and the dead letters.</summary>
    public string Subjects { get; init; } = "lessor.health.>";

    /// <summary>Refused reports are published here (in the same stream: NATS refuses a second stream on an overlapping subject).</summary>
    public string DeadLetterSubject { get; init; } = "lessor.health.dead";

    /// <summary>The durable pull consumer's name: one per deployment, shared by the server's restarts.</summary>
    public string Durable { get; init; } = "lessor-fleet";

    /// <summary>Reports fetched and applied together; the consumer's max_ack_pending is twice this (one batch applied while the next is fetched).</summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>How long a fetch waits for a full batch before handing over what it has (JetStream wants more than 1 s).</summary>
    public TimeSpan FetchWait { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Unacknowledged reports come back after this long: after a crash, the stall before the batch in flight is redelivered.</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reports older than this leave the stream.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The stream's size cap on disk; the oldest reports go first when it is reached.</summary>
    public long MaxBytes { get; init; } = 16L << 30;
}

/// <summary>
/// Consumes health reports from the JetStream stream <c>LESSOR_HEALTH</c> through a durable pull consumer and hands them,
/// a batch at a time and in stream order, to the <see cref="IHealthSink"/>; a batch is acknowledged (one cumulative ack,
/// ack policy "all", of its last report) only after <see cref="IHealthSink.ApplyAsync"/> completed durably, so a crash
/// between apply and ack redelivers it and the sink answers Duplicate: at-least-once delivery, applied exactly once.
/// </summary>
/// <remarks>
/// The sink treats a report at or below a node's last applied sequence as a duplicate, so reports must reach it in
/// order: a redelivered report that arrived after a later one of its node would be lost. The consumer therefore starts
/// (and restarts, after a crash or a lost connection) at its ack floor, so whatever was left unacknowledged comes back
/// first, and applies batches one after another in the order they were fetched; the next batch is fetched while one is
/// applied (max_ack_pending is two batches), which keeps the sink busy without reordering anything. A report held past
/// the ack wait may be delivered again later: by then its first delivery was applied, and the copy is a duplicate.
/// A failing sink is retried with backoff on the same batch (keeping it in progress on the server).
/// Malformed reports and those the sink refuses are published to the dead-letter subject with the reason in headers
/// (<see cref="ReasonHeader"/> and the others), counted, and acknowledged: the consumer never stops on a bad message.
/// </remarks>
public sealed partial class NatsHealthConsumer : BackgroundService
{
    /// <summary>Header of a dead letter: the status (malformed, unknown_node, from_the_future).</summary>
    public const string StatusHeader = "Lessor-Dead-Status";

    /// <summary>Header of a dead letter: the field at fault, when one is.</summary>
    public const string FieldHeader = "Lessor-Dead-Field";

    /// <summary>Header of a dead letter: the reason, in words.</summary>
    public const string ReasonHeader = "Lessor-Dead-Reason";

    /// <summary>Header of a dead letter: the subject the report came on.</summary>
    public const string SubjectHeader = "Lessor-Dead-Subject";

    /// <summary>Header of a dead letter: the report's stream sequence.</summary>
    public const string SequenceHeader = "Lessor-Dead-Stream-Seq";

    private readonly NatsIngestOptions _options;
    private readonly IHealthSink _sink;
    private readonly FleetIngestMetrics _metrics;
    private readonly ILogger _logger;
    private readonly FleetLease? _lease;

    /// <param name="lease">
    /// The server's fleet lease: the consumer runs only while this process holds it (one consumer per store and durable),
    /// starting when it is taken and stopping, its connection closed, when it is lost. Null: always (a consumer on its own).
    /// </param>
    public NatsHealthConsumer(NatsIngestOptions options, IHealthSink sink, FleetIngestMetrics metrics, ILogger<NatsHealthConsumer> logger, FleetLease? lease = null)
    {
        _lease = lease;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.FetchWait, TimeSpan.FromSeconds(1));
        _options = options;
        _sink = sink;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The stream's configuration: file storage, limits retention (dead letters stay for inspection), old reports discarded first.</summary>
    public static StreamConfig StreamConfig(NatsIngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new StreamConfig(options.Stream, [options.Subjects])
        {
            Storage = StreamConfigStorage.File,
            Retention = StreamConfigRetention.Limits,
            Discard = StreamConfigDiscard.Old,
            MaxAge = options.MaxAge,
            MaxBytes = options.MaxBytes,
            MaxMsgSize = 1 << 20,
            DuplicateWindow = TimeSpan.FromMinutes(2),
        };
    }

    /// <summary>Creates the stream, or brings an existing one to <see cref="StreamConfig"/>.</summary>
    public static async Task EnsureStreamAsync(INatsJSContext js, NatsIngestOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(js);
        await js.CreateOrUpdateStreamAsync(StreamConfig(options), ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _metrics.Configure(_options);
        if (_lease is null)
        {
            await ConsumeAsync(stoppingToken);
            return;
        }
        // ResumeAsync deletes and recreates the durable: two consumers of one durable would steal it from each other.
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationToken tenure;
            try
            {
                tenure = await _lease.WaitHeldAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            using var held = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, tenure);
            LogLeaseHeld(_logger, _lease.Holder);
            await ConsumeAsync(held.Token);
            if (!stoppingToken.IsCancellationRequested) LogLeaseEnded(_logger, _lease.Holder);
        }
    }

    // Consumes until stoppingToken (the server stopping, or the fleet lease's tenure ending) is cancelled.
    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var nats = new NatsConnection(new NatsOpts { Url = _options.Url, Name = "lessor-fleet-consumer" });
                await nats.ConnectAsync();
                var js = new NatsJSContext(nats);
                await EnsureStreamAsync(js, _options, stoppingToken);
                var consumer = await ResumeAsync(js, stoppingToken);
                _metrics.Connected(true);
                LogConsuming(_logger, _options.Stream, _options.Durable, _options.Url);
                // One batch is applied while the next is fetched; batches are applied in the order fetched.
                var next = FetchAsync(consumer, stoppingToken);
                try
                {
                    while (!stoppingToken.IsCancellationRequested)
                    {
                        var batch = await next;
                        next = FetchAsync(consumer, stoppingToken);
                        await ConsumeBatchAsync(js, batch, stoppingToken);
                        backoff = TimeSpan.FromMilliseconds(100);
                    }
                }
                finally
                {
                    // A fetch left running when the loop stopped ends with the connection; its reports were not
                    // acknowledged and come again at the next start. Observe its fault so it is not reported unobserved.
                    _ = next.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Transient: the server restarting, a lost connection, a timeout (or anything else: the consumer must
                // not stop). Unacknowledged reports come back; start again after a growing pause.
                _metrics.Connected(false);
                _metrics.Error(e.Message);
                LogTransient(_logger, backoff.TotalMilliseconds, e);
                try { await Task.Delay(backoff, stoppingToken); }
                catch (OperationCanceledException) { break; }
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
            }
        }
        _metrics.Connected(false);
    }

    /// <summary>
    /// The durable consumer, resumed at its ack floor: whatever a previous run left unacknowledged (the batch in
    /// flight at a crash, or reports delivered to a fetch that was still waiting) is delivered again, in stream order,
    /// before anything newer. Redelivery after the ack wait would instead let newer reports of the same node overtake
    /// it, and the sink would answer those old ones Duplicate: lost. One consuming process per durable.
    /// </summary>
    private async Task<INatsJSConsumer> ResumeAsync(INatsJSContext js, CancellationToken ct)
    {
        ulong? start = null;
        try
        {
            var existing = await js.GetConsumerAsync(_options.Stream, _options.Durable, ct);
            // Recreated, not updated: JetStream does not change a consumer's start, and the options may have changed.
            start = existing.Info.AckFloor.StreamSeq + 1;
            await js.DeleteConsumerAsync(_options.Stream, _options.Durable, ct);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            // No consumer yet: start at the beginning of the stream.
        }
        var config = new ConsumerConfig(_options.Durable)
        {
            AckPolicy = ConsumerConfigAckPolicy.All,
            AckWait = _options.AckWait,
            MaxAckPending = 2 * _options.BatchSize,
            FilterSubject = _options.Subjects,
        };
        if (start is { } seq)
        {
            config.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
            config.OptStartSeq = seq;
            LogResumed(_logger, seq);
        }
        return await js.CreateOrUpdateConsumerAsync(_options.Stream, config, ct);
    }

    /// <summary>
    /// The next batch: whatever is waiting, up to the batch size, at once; when nothing is, the first report to arrive
    /// (waiting at most <see cref="NatsIngestOptions.FetchWait"/>) with whatever came with it. A pull request for a full
    /// batch would hold a lone failure report until the batch filled or the wait ran out (1.5 s on a quiet stream).
    /// </summary>
    private async Task<List<INatsJSMsg<byte[]>>> FetchAsync(INatsJSConsumer consumer, CancellationToken ct)
    {
        var messages = new List<INatsJSMsg<byte[]>>(_options.BatchSize);
        await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = _options.BatchSize }, cancellationToken: ct))
            messages.Add(msg);
        if (messages.Count > 0) return messages;
        await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = _options.FetchWait }, cancellationToken: ct))
            messages.Add(msg);
        if (messages.Count == 0 || _options.BatchSize == 1) return messages;
        await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = _options.BatchSize - 1 }, cancellationToken: ct))
            messages.Add(msg);
        return messages;
    }

    private async Task ConsumeBatchAsync(INatsJSContext js, List<INatsJSMsg<byte[]>> messages, CancellationToken ct)
    {
        if (messages.Count == 0)
        {
            _metrics.Lag(0);
            return;
        }

        // Parse; dead letters already in the stream (our own) are acknowledged and left alone.
        var reports = new List<HealthReport>(messages.Count);
        var reportMsgs = new List<int>(messages.Count);
        var dead = new List<(int Index, IngestOutcome Outcome)>();
        var consumed = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var msg = messages[i];
            if (msg.Subject == _options.DeadLetterSubject) continue;
            consumed++;
            if (HealthReportJson.TryParse(msg.Data ?? [], out var report, out var field, out var reason))
            {
                reports.Add(report!);
                reportMsgs.Add(i);
            }
            else
            {
                dead.Add((i, new IngestOutcome(IngestStatus.Malformed, field, reason)));
            }
        }
        _metrics.Consumed(consumed);

        var applied = 0;
        var duplicates = 0;
        if (reports.Count > 0)
        {
            var outcomes = await ApplyWithRetryAsync(reports, messages, ct);
            if (outcomes.Count != reports.Count)
                throw new InvalidOperationException($"The health sink answered {outcomes.Count} outcomes for {reports.Count} reports.");
            for (var k = 0; k < outcomes.Count; k++)
            {
                var o = outcomes[k];
                if (o.Status == IngestStatus.Applied) applied++;
                else if (o.Status == IngestStatus.Duplicate) duplicates++;
                else dead.Add((reportMsgs[k], o));
            }
        }

        foreach (var (index, outcome) in dead)
            await DeadLetterAsync(js, messages[index], outcome, ct);

        // Ack policy "all": the last report's ack acknowledges the whole batch (and anything before it).
        await messages[^1].AckAsync(cancellationToken: ct);

        var last = messages[^1].Metadata;
        _metrics.Batch(applied, duplicates, dead.Count, last is { } m ? (long)m.NumPending : 0);
    }

    private async Task<IReadOnlyList<IngestOutcome>> ApplyWithRetryAsync(List<HealthReport> reports, List<INatsJSMsg<byte[]>> messages, CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var outcomes = await _sink.ApplyAsync(reports, ct);
                _metrics.ApplyTime(Stopwatch.GetElapsedTime(started));
                return outcomes;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // The sink could not make the batch durable (a store hiccup): keep the batch, in order, and try again;
                // tell the server it is still in progress so it is not redelivered meanwhile.
                _metrics.Error(e.Message);
                LogSinkFailed(_logger, reports.Count, backoff.TotalMilliseconds, e);
                await Task.Delay(backoff, ct);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
                foreach (var msg in messages)
                    await msg.AckProgressAsync(cancellationToken: ct);
            }
        }
    }

    private async Task DeadLetterAsync(INatsJSContext js, INatsJSMsg<byte[]> msg, IngestOutcome outcome, CancellationToken ct)
    {
        var status = StatusName(outcome.Status);
        var headers = new NatsHeaders
        {
            [StatusHeader] = status,
            [ReasonHeader] = OneLine(outcome.Reason ?? status),
            [SubjectHeader] = msg.Subject,
        };
        if (outcome.Field is { } field) headers[FieldHeader] = OneLine(field);
        if (msg.Metadata is { } meta) headers[SequenceHeader] = meta.Sequence.Stream.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ack = await js.PublishAsync(_options.DeadLetterSubject, msg.Data ?? [], headers: headers, cancellationToken: ct);
        ack.EnsureSuccess();
        LogDeadLetter(_logger, msg.Subject, status, outcome.Field ?? "", outcome.Reason ?? "");
    }

    /// <summary>The wire name of a refusal, as in docs/fleet-events.md.</summary>
    public static string StatusName(IngestStatus status) => status switch
    {
        IngestStatus.Applied => "applied",
        IngestStatus.Duplicate => "duplicate",
        IngestStatus.Malformed => "malformed",
        IngestStatus.UnknownNode => "unknown_node",
        IngestStatus.FromTheFuture => "from_the_future",
        _ => status.ToString().ToLowerInvariant(),
    };

    // Header values may not hold line breaks.
    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Consuming health reports from stream {Stream} (durable {Durable}) on {Url}")]
    private static partial void LogConsuming(ILogger logger, string stream, string durable, string url);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "NATS error in the health consumer; connecting again in {Ms} ms")]
    private static partial void LogTransient(ILogger logger, double ms, Exception exception);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "The health sink failed on a batch of {Count}; retrying the same batch in {Ms} ms")]
    private static partial void LogSinkFailed(ILogger logger, int count, double ms, Exception exception);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Information, Message = "Resumed the health consumer at stream sequence {Seq}: reports left unacknowledged come again, in order")]
    private static partial void LogResumed(ILogger logger, ulong seq);

    [LoggerMessage(EventId = 1406, Level = LogLevel.Information, Message = "This replica ({Holder}) holds the fleet lease: starting the health consumer")]
    private static partial void LogLeaseHeld(ILogger logger, string holder);

    [LoggerMessage(EventId = 1407, Level = LogLevel.Warning, Message = "This replica ({Holder}) no longer holds the fleet lease: the health consumer stopped and closed its connection")]
    private static partial void LogLeaseEnded(ILogger logger, string holder);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Debug, Message = "Dead letter from {Subject}: {Status} {Field} {Reason}")]
    private static partial void LogDeadLetter(ILogger logger, string subject, string status, string field, string reason);
}
