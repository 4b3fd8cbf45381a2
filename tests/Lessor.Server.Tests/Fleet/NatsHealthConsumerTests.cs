using System.Diagnostics;
using Lessor.Core.Fleet;
using Lessor.Server.Fleet;
using Lessor.Storage.Store;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Lessor.Server.Tests.Fleet;

/// <summary>
/// The JetStream consumer against a real nats-server (scripts/test.sh starts one and names it in LESSOR_TEST_NATS; the
/// tests fail, never skip, without it) and a small durable sink. Each test has its own stream and subjects.
/// </summary>
public sealed class NatsHealthConsumerTests : IAsyncLifetime
{
    private static readonly DateTime T0 = new(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc);
    private readonly string _id = Guid.NewGuid().ToString("N")[..12];
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), $"lessor-sink-{Guid.NewGuid():N}.db");
    private NatsConnection _nats = null!;
    private NatsJSContext _js = null!;
    private NatsIngestOptions _options = null!;

    /// <summary>The test server's URL; fails the test when scripts/test.sh did not start one.</summary>
    public static string Url()
    {
        var url = Environment.GetEnvironmentVariable("LESSOR_TEST_NATS");
        Assert.False(string.IsNullOrEmpty(url),
            "LESSOR_TEST_NATS is not set: run the tests with scripts/test.sh, which starts a throwaway nats-server (scripts/nats.sh).");
        return url!;
    }

    public async Task InitializeAsync()
    {
        _options = new NatsIngestOptions
        {
            Url = Url(),
            Stream = $"T_{_id}",
            Subjects = $"t{_id}.health.>",
            DeadLetterSubject = $"t{_id}.health.dead",
            Durable = "lessor-test",
            BatchSize = 50,
            AckWait = TimeSpan.FromSeconds(2),
            FetchWait = TimeSpan.FromSeconds(1.1),
            MaxBytes = 64L << 20,
        };
        _nats = new NatsConnection(new NatsOpts { Url = _options.Url });
        await _nats.ConnectAsync();
        _js = new NatsJSContext(_nats);
        await NatsHealthConsumer.EnsureStreamAsync(_js, _options, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        try { await _js.DeleteStreamAsync(_options.Stream); }
        catch (NatsJSApiException) { }
        await _nats.DisposeAsync();
        foreach (var f in new[] { _dbPath, _dbPath + "-wal", _dbPath + "-shm" }) File.Delete(f);
    }

    private static HealthReport Report(string node, long seq, int gpus = 8) =>
        new(node, seq, T0.AddSeconds(10 * seq),
            Enumerable.Range(0, gpus).Select(g => new GpuReading(g, 60 + g, 650, 0.9, 0, 0)).ToArray(), []);

    private async Task PublishAsync(HealthReport report, string site = "atl1") =>
        await PublishRawAsync(HealthReportJson.Write(report), site);

    private async Task PublishRawAsync(byte[] body, string site = "atl1")
    {
        var ack = await _js.PublishAsync($"t{_id}.health.{site}", body);
        ack.EnsureSuccess();
    }

    private NatsHealthConsumer Consumer(IHealthSink sink, FleetIngestMetrics metrics) =>
        new(_options, sink, metrics, NullLogger<NatsHealthConsumer>.Instance);

    private static async Task WaitUntil(Func<bool> done, string what, FleetIngestMetrics metrics, int seconds = 60)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(seconds), $"timed out after {seconds} s waiting until {what}: {metrics.Snapshot()}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Every_published_report_is_applied_once()
    {
        const int nodes = 40, perNode = 10;
        for (var s = 1; s <= perNode; s++)
            for (var n = 0; n < nodes; n++)
                await PublishAsync(Report($"node-{n:D3}", s), site: n % 2 == 0 ? "atl1" : "dfw2");

        using var sink = new SqliteTestSink(_dbPath);
        using var metrics = new FleetIngestMetrics(TimeProvider.System);
        using var consumer = Consumer(sink, metrics);
        await consumer.StartAsync(CancellationToken.None);
        await WaitUntil(() => metrics.Snapshot().Applied >= nodes * perNode, "all reports are applied", metrics);
        await consumer.StopAsync(CancellationToken.None);

        var (rows, distinct, readings) = sink.Counts();
        Assert.Equal(nodes * perNode, rows);
        Assert.Equal(rows, distinct);
        Assert.Equal(nodes * perNode * 8, readings);
        var status = metrics.Snapshot();
        Assert.True(status.Enabled);
        Assert.Equal(nodes * perNode, status.Consumed);
        Assert.Equal(nodes * perNode, status.Applied);
        Assert.Equal(0, status.Duplicates);
        Assert.Equal(0, status.DeadLettered);
        Assert.Equal(0, status.Lag);
        Assert.True(status.Batches >= nodes * perNode / _options.BatchSize);
    }

    [Fact]
    public async Task The_same_report_twice_is_applied_once_and_answered_duplicate()
    {
        var report = Report("node-a", 1);
        await PublishAsync(report);
        await PublishAsync(report);
        await PublishAsync(Report("node-a", 2));

        using var sink = new SqliteTestSink(_dbPath);
        using var metrics = new FleetIngestMetrics(TimeProvider.System);
        using var consumer = Consumer(sink, metrics);
        await consumer.StartAsync(CancellationToken.None);
        await WaitUntil(() => metrics.Snapshot().Consumed >= 3 && metrics.Snapshot().Batches >= 1 && metrics.Snapshot().Lag == 0
            && metrics.Snapshot().Applied + metrics.Snapshot().Duplicates >= 3, "three reports are answered", metrics);
        await consumer.StopAsync(CancellationToken.None);

        Assert.Equal((2L, 2L, 16L), sink.Counts());
        Assert.Equal(2, metrics.Snapshot().Applied);
        Assert.Equal(1, metrics.Snapshot().Duplicates);
        Assert.Equal(0, metrics.Snapshot().DeadLettered);
    }

    [Fact]
    public async Task A_malformed_or_refused_report_goes_to_the_dead_letter_subject_with_its_reason_and_the_consumer_goes_on()
    {
        await PublishAsync(Report("node-a", 1));
        await PublishRawAsync("{\"node\": \"node-a\", \"seq\": 0}"u8.ToArray());
        await PublishRawAsync("not json"u8.ToArray(), site: "dfw2");
        await PublishAsync(Report("node-x", 1));
        await PublishAsync(Report("node-a", 2));

        using var sink = new SqliteTestSink(_dbPath, new HashSet<string> { "node-a" });
        using var metrics = new FleetIngestMetrics(TimeProvider.System);
        using var consumer = Consumer(sink, metrics);
        await consumer.StartAsync(CancellationToken.None);
        await WaitUntil(() => metrics.Snapshot().Applied >= 2 && metrics.Snapshot().DeadLettered >= 3, "two are applied and three dead-lettered", metrics);
        await consumer.StopAsync(CancellationToken.None);

        Assert.Equal((2L, 2L, 16L), sink.Counts());
        Assert.Equal(3, metrics.Snapshot().DeadLettered);

        // Read the dead letters back from the stream, in order, with their headers.
        var reader = await _js.CreateOrUpdateConsumerAsync(_options.Stream, new ConsumerConfig($"dead-{_id}")
        {
            FilterSubject = _options.DeadLetterSubject,
            AckPolicy = ConsumerConfigAckPolicy.None,
        });
        var dead = new List<INatsJSMsg<byte[]>>();
        await foreach (var m in reader.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 10, Expires = TimeSpan.FromSeconds(1) }))
            dead.Add(m);
        Assert.Equal(3, dead.Count);

        Assert.Equal("malformed", (string?)dead[0].Headers![NatsHealthConsumer.StatusHeader]);
        Assert.Equal("seq", (string?)dead[0].Headers![NatsHealthConsumer.FieldHeader]);
        Assert.Contains("whole number from 1", (string?)dead[0].Headers![NatsHealthConsumer.ReasonHeader], StringComparison.Ordinal);
        Assert.Equal($"t{_id}.health.atl1", (string?)dead[0].Headers![NatsHealthConsumer.SubjectHeader]);
        Assert.Equal("{\"node\": \"node-a\", \"seq\": 0}"u8.ToArray(), dead[0].Data);

        Assert.Equal("malformed", (string?)dead[1].Headers![NatsHealthConsumer.StatusHeader]);
        Assert.Equal("(body)", (string?)dead[1].Headers![NatsHealthConsumer.FieldHeader]);
        Assert.Contains("is not JSON", (string?)dead[1].Headers![NatsHealthConsumer.ReasonHeader], StringComparison.Ordinal);
        Assert.Equal($"t{_id}.health.dfw2", (string?)dead[1].Headers![NatsHealthConsumer.SubjectHeader]);
        Assert.Equal("3", (string?)dead[1].Headers![NatsHealthConsumer.SequenceHeader]);

        Assert.Equal("unknown_node", (string?)dead[2].Headers![NatsHealthConsumer.StatusHeader]);
        Assert.Contains("node-x", (string?)dead[2].Headers![NatsHealthConsumer.ReasonHeader], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crash_after_apply_and_before_the_ack_redelivers_and_the_sink_answers_duplicate()
    {
        for (var n = 0; n < 30; n++) await PublishAsync(Report($"node-{n:D2}", 1));

        using var sink = new SqliteTestSink(_dbPath);
        var crashes = 0;
        // The first batch is made durable, then the sink fails before the consumer could acknowledge it.
        sink.AfterCommit = applied =>
        {
            if (Interlocked.Increment(ref crashes) == 1) throw new IOException("lost the store after commit");
        };
        using var metrics = new FleetIngestMetrics(TimeProvider.System);
        using var consumer = Consumer(sink, metrics);
        await consumer.StartAsync(CancellationToken.None);
        await WaitUntil(() => metrics.Snapshot().Duplicates >= 30, "the retried batch is answered duplicate", metrics);
        await consumer.StopAsync(CancellationToken.None);

        Assert.Equal((30L, 30L, 240L), sink.Counts());
        Assert.Equal(0, metrics.Snapshot().Applied);
        Assert.Equal(30, metrics.Snapshot().Duplicates);
        Assert.Equal(1, metrics.Snapshot().Errors);
    }

    [Fact]
    public async Task A_consumer_restart_mid_stream_loses_nothing_and_applies_nothing_twice()
    {
        const int nodes = 50, perNode = 20, total = nodes * perNode;
        var publisher = Task.Run(async () =>
        {
            for (var s = 1; s <= perNode; s++)
                for (var n = 0; n < nodes; n++)
                    await PublishAsync(Report($"node-{n:D3}", s));
        });

        using var sink = new SqliteTestSink(_dbPath);
        using var first = new FleetIngestMetrics(TimeProvider.System);
        var consumer = Consumer(sink, first);
        await consumer.StartAsync(CancellationToken.None);
        await WaitUntil(() => first.Snapshot().Applied >= total / 4, "a quarter is applied", first);
        // Stop in the middle of the stream: the batch in flight may be applied and not acknowledged.
        await consumer.StopAsync(CancellationToken.None);
        consumer.Dispose();
        var appliedBefore = first.Snapshot().Applied;
        Assert.True(appliedBefore < total, "the first consumer was stopped before the end of the stream");

        using var second = new FleetIngestMetrics(TimeProvider.System);
        using var again = Consumer(sink, second);
        await again.StartAsync(CancellationToken.None);
        await publisher;
        await WaitUntil(() => sink.Counts().Rows >= total && second.Snapshot().Lag == 0, "every report is applied", second);
        await again.StopAsync(CancellationToken.None);

        var (rows, distinct, readings) = sink.Counts();
        Assert.Equal(total, rows);
        Assert.Equal(total, distinct);
        Assert.Equal(total * 8L, readings);
    }

    [Fact]
    public async Task A_consumer_under_the_fleet_lease_runs_only_while_its_replica_holds_the_lease_and_resumes_at_the_ack_floor_when_it_holds_it_again()
    {
        var leaseDb = Path.Combine(Path.GetTempPath(), $"lessor-lease-{Guid.NewGuid():N}.db");
        try
        {
            await using var store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(leaseDb), CancellationToken.None);
            var other = new FleetLease(store, new FleetLeaseOptions { Holder = "other" }, standalone: false);
            var mine = new FleetLease(store, new FleetLeaseOptions { Holder = "mine" }, standalone: false);
            Assert.Equal(1L, await other.RenewAsync(CancellationToken.None));
            Assert.Null(await mine.RenewAsync(CancellationToken.None));
            await PublishAsync(Report("node-a", 1));

            using var sink = new SqliteTestSink(_dbPath);
            using var metrics = new FleetIngestMetrics(TimeProvider.System);
            using var consumer = new NatsHealthConsumer(_options, sink, metrics, NullLogger<NatsHealthConsumer>.Instance, mine);
            await consumer.StartAsync(CancellationToken.None);
            // Another replica holds the lease: this consumer has not made the durable (it would steal it) nor consumed.
            Assert.Equal(404, await ConsumerLookupErrorAsync());
            Assert.Equal((false, 0L), (metrics.Snapshot().Connected, metrics.Snapshot().Consumed));

            // The other replica lets go; this one takes the lease: the consumer starts.
            await other.ReleaseAsync(CancellationToken.None);
            Assert.Equal(2L, await mine.RenewAsync(CancellationToken.None));
            await WaitUntil(() => metrics.Snapshot().Applied == 1, "the first report is applied", metrics);

            // Lost: the consumer stops and closes its connection; a report published meanwhile waits in the stream.
            await mine.ReleaseAsync(CancellationToken.None);
            await WaitUntil(() => !metrics.Snapshot().Connected, "the consumer stops", metrics);
            await PublishAsync(Report("node-a", 2));
            Assert.Equal(1L, metrics.Snapshot().Applied);

            // Held again (nobody took it: the same epoch): it resumes at the ack floor and applies the second one, once.
            Assert.Equal(2L, await mine.RenewAsync(CancellationToken.None));
            await WaitUntil(() => metrics.Snapshot().Applied == 2, "the second report is applied", metrics);
            await consumer.StopAsync(CancellationToken.None);
            Assert.Equal((2L, 2L, 16L), sink.Counts());
        }
        finally
        {
            foreach (var f in new[] { leaseDb, leaseDb + "-wal", leaseDb + "-shm" }) File.Delete(f);
        }
    }

    /// <summary>
    /// The JetStream error code of looking the durable up (404: not there), or null when it exists. A lookup the server did
    /// not answer in time (a loaded machine) is asked again.
    /// </summary>
    private async Task<int?> ConsumerLookupErrorAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _js.GetConsumerAsync(_options.Stream, _options.Durable);
                return null;
            }
            catch (NatsJSApiException e)
            {
                return e.Error.Code;
            }
            catch (NatsJSApiNoResponseException) when (attempt < 10)
            {
                await Task.Delay(200);
            }
        }
    }
}
