using System.Diagnostics;
using System.Globalization;
using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Generation;
using Lessor.Core.Model;
using Lessor.Core.Risk;
using Lessor.Server.Desk;
using Lessor.Server.Fleet;
using Lessor.Storage.Store;

namespace Lessor.Bench.Fleet;

/// <summary>
/// `Lessor.Bench fleet [--gpus N] [--failures N]`: on the generated book (`lessor scenario generate --gpus 1000000 --seed 7`)
/// in a fresh SQLite store, with a simulated month (FleetSimulator, seed 7) replayed through the fleet desk: availability
/// and credits of every contract for the month, cold (first call) and warm (median of 5), goal under 10 s; and the time
/// from a failure report to its swap decided and stored (FleetDesk.ApplyAsync of one report), p50/p99 over many failures,
/// against the same call with a duplicate report (read, refuse, no write) as the baseline.
/// </summary>
internal static class FleetBench
{
    private sealed class SetClock(DateTime now) : TimeProvider
    {
        public DateTime Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => new(Now, TimeSpan.Zero);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var gpus = Arg(args, "--gpus") ?? 1_000_000;
        var failures = Arg(args, "--failures") ?? 500;
        var month = new YearMonth(2027, 6);
        var book = ScenarioGenerator.Generate(new() { Gpus = gpus, Seed = 7 });
        var name = $"generated {gpus:N0} GPUs (seed 7), {month} simulated (seed 7)";
        var path = Path.Combine(Path.GetTempPath(), $"lessor-fleet-bench-{Guid.NewGuid():N}.db");
        try
        {
            var setup = Stopwatch.StartNew();
            await using var store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(path), CancellationToken.None);
            await store.ImportAsync(book, CancellationToken.None);
            var clock = new SetClock(month.Start);
            var deals = await DealDesk.OpenAsync(store, clock, CancellationToken.None);
            // Held for the whole run, as a server holds it (renewed by its keeper): each write pays the fence, not a take and a release.
            var lease = new FleetLease(store, new FleetLeaseOptions { Ttl = TimeSpan.FromHours(6) }, standalone: false);
            if (await lease.RenewAsync(CancellationToken.None) is null) throw new InvalidOperationException("The fresh store's fleet lease is held by another process.");
            var fleet = await FleetDesk.OpenAsync(deals, store, clock, null, lease, CancellationToken.None);
            var nodes = fleet.Nodes(null, null, null);
            var steps = FleetSimulator.Month([.. nodes.Where(n => n.State == "in_service").Select(n => (n.Serial, n.Gpus))], month, new FailureModel(), 7);
            clock.Now = month.End;
            var replay = await fleet.ReplayAsync(steps, CancellationToken.None);
            setup.Stop();
            Console.WriteLine($"setup: {nodes.Count:N0} nodes, {replay.Failures:N0} failures replayed, {setup.Elapsed.TotalSeconds:0.0} s");

            // Availability and credits for the month, every contract with an SLA.
            var times = new List<double>();
            var cpu0 = Results.ProcessCpu();
            IReadOnlyList<SlaMonth> result = [];
            for (var i = 0; i < 6; i++)
            {
                var w = Stopwatch.StartNew();
                result = await fleet.SlaAsync(month, null, CancellationToken.None);
                times.Add(w.Elapsed.TotalMilliseconds);
            }
            var cpu = (Results.ProcessCpu() - cpu0).TotalMilliseconds;
            var withSla = deals.Scenario.Contracts.Count(c => c.Sla is not null);
            Results.Require("SLA months computed", result.Count, result.Count > 0 ? result.Count : 1);
            var warm = times.Skip(1).Order().ToList();
            var credited = result.Count(m => m.Credit.Amount > 0);
            Results.Record(new BenchFigure("fleet", "sla.month.cold_ms", "availability and credit of every contract with an SLA for one month (outages and maintenance read from the store, coverage and charges from the desk): the first call",
                name, "ms", times[0])
            {
                Attempted = result.Count, Succeeded = result.Count, WallMs = times[0], Target = "< 10 s", Met = times[0] < 10_000,
                Extra = new Dictionary<string, double> { ["contracts_credited"] = credited, ["contracts_with_sla"] = withSla, ["failures"] = replay.Failures },
            });
            Results.Record(new BenchFigure("fleet", "sla.month.warm_ms", "the same, median of 5 calls after the first", name, "ms", warm[warm.Count / 2])
            {
                Attempted = 5, Succeeded = 5, WallMs = warm.Sum(), CpuMs = cpu, Target = "< 10 s", Met = warm[warm.Count / 2] < 10_000,
            });

            // From a failure report to the swap decided and stored: serving nodes of fabrics with a spare left.
            var withSpare = fleet.Spares().Where(s => s.Left > 0).Select(s => s.Fabric).ToHashSet(StringComparer.Ordinal);
            var serving = fleet.Nodes(null, NodeState.InService, NodeRole.Serving).Where(n => withSpare.Contains(n.Fabric)).Take(failures).ToList();
            var latency = new List<double>();
            var baseline = new List<double>();
            var swapped = 0;
            clock.Now = month.End.AddHours(1);
            var at = month.End;
            foreach (var n in serving)
            {
                at = at.AddSeconds(1);
                var view = fleet.View(n.Serial)!;
                var report = new HealthReport(n.Serial, view.LastSeq + 1, at, [], [new HealthEvent(HealthEventKind.Xid, 0, 79, null, null)]);
                var w = Stopwatch.StartNew();
                var outcome = await fleet.ApplyAsync([report], CancellationToken.None);
                latency.Add(w.Elapsed.TotalMilliseconds);
                if (outcome[0].Status == IngestStatus.Applied && fleet.View(n.Serial)!.Role != "serving") swapped++;
                var b = Stopwatch.StartNew();
                await fleet.ApplyAsync([report], CancellationToken.None);
                baseline.Add(b.Elapsed.TotalMilliseconds);
            }
            Results.Require("failures swapped", swapped, serving.Count);
            latency.Sort();
            baseline.Sort();
            var p50 = latency[latency.Count / 2];
            Results.Record(new BenchFigure("fleet", "swap.report_to_stored_ms.p50", "one failure report through FleetDesk.ApplyAsync: rule, swap decision, one SQLite transaction (node rows, transition, swap, outage) committed",
                name, "ms", p50)
            {
                Attempted = serving.Count, Succeeded = swapped, WallMs = latency.Sum(), Target = "p99 < 1 s", Met = latency[(int)(latency.Count * 0.99)] < 1000,
                Baseline = baseline[baseline.Count / 2], BaselineMeasures = "the same report again (a duplicate: checked and refused, nothing written)",
                Extra = new Dictionary<string, double> { ["p99_ms"] = latency[(int)(latency.Count * 0.99)], ["max_ms"] = latency[^1], ["ratio_to_baseline"] = p50 / baseline[baseline.Count / 2] },
            });

            // Reassignment a month on (docs/fleet.md, "Assignment over time"): the lines that started, ended or changed during
            // the month take and release nodes, one pass and one transaction, as FleetAssignmentLoop runs it; the baseline is
            // the pass again at the same instant (placement compared, nothing to change).
            clock.Now = month.End.AddMonths(1);
            var pass = Stopwatch.StartNew();
            var reassigned = await fleet.ReassignAsync(CancellationToken.None);
            var passMs = pass.Elapsed.TotalMilliseconds;
            var again = Stopwatch.StartNew();
            var idle = await fleet.ReassignAsync(CancellationToken.None);
            var againMs = again.Elapsed.TotalMilliseconds;
            Results.Require("roles changed a month on", reassigned.Changes.Count, 1);
            Results.Require("nothing left for a second pass", idle.Changes.Count == 0 ? 1 : 0, 1);
            Results.Record(new BenchFigure("fleet", "assign.month_on_ms", "one reassignment a month after the last: placement now, role changes of every fabric whose placement moved, one SQLite transaction (node rows, events, outages)",
                name, "ms", passMs)
            {
                Attempted = 1, Succeeded = 1, WallMs = passMs, Baseline = againMs, BaselineMeasures = "the same pass again at the same instant (nothing changes, nothing written)",
                Extra = new Dictionary<string, double> { ["role_changes"] = reassigned.Changes.Count, ["unfilled_lines"] = reassigned.Unfilled.Count },
            });

            // The sink's ceiling apart from the wire: batches of 1,000 agent-shaped reports (JSON bytes made beforehand, as
            // the consumer receives them) parsed and applied, one transaction each; the baseline is the same batches again
            // (parsed, every report a duplicate: nothing written).
            await SinkThroughputAsync(fleet, clock, name, Arg(args, "--batches") ?? 60);
            return 0;
        }
        finally
        {
            foreach (var f in new[] { path, path + "-wal", path + "-shm" }) File.Delete(f);
        }
    }

    private static async Task SinkThroughputAsync(FleetDesk fleet, SetClock clock, string name, int batches)
    {
        const int batchSize = 1000;
        var nodes = fleet.Nodes(null, NodeState.InService, null).Select(n => (n.Serial, n.Gpus, n.LastSeq)).ToList();
        var start = clock.Now.AddMinutes(1);
        var sim = new HealthSimulation([.. nodes.Select(n => new SimulatedNode(n.Serial, n.Gpus))], new FailureModel(), 11, start, TimeSpan.FromSeconds(10));
        var wire = new List<byte[][]>(batches);
        var next = 0;
        for (var b = 0; b < batches; b++)
        {
            var batch = new byte[batchSize][];
            for (var k = 0; k < batchSize; k++, next++)
            {
                var node = next % nodes.Count;
                var tick = next / nodes.Count;
                batch[k] = Lessor.Server.Fleet.HealthReportJson.Write(sim.Report(node, tick, nodes[node].LastSeq + 1 + tick));
            }
            wire.Add(batch);
        }
        clock.Now = sim.At(next / nodes.Count + 1);

        async Task<(List<double> Ms, long Applied)> Pass()
        {
            var ms = new List<double>(batches);
            long applied = 0;
            foreach (var batch in wire)
            {
                var w = Stopwatch.StartNew();
                var reports = new List<HealthReport>(batch.Length);
                foreach (var bytes in batch)
                {
                    if (!Lessor.Server.Fleet.HealthReportJson.TryParse(bytes, out var r, out var field, out var reason))
                        throw new BenchmarkInvalidException($"a simulated report did not parse: {field}: {reason}");
                    reports.Add(r!);
                }
                var outcomes = await fleet.ApplyAsync(reports, CancellationToken.None);
                ms.Add(w.Elapsed.TotalMilliseconds);
                applied += outcomes.Count(o => o.Status == IngestStatus.Applied);
            }
            return (ms, applied);
        }

        var cpu0 = Results.ProcessCpu();
        var (times, applied) = await Pass();
        var cpu = (Results.ProcessCpu() - cpu0).TotalMilliseconds;
        var (again, appliedAgain) = await Pass();
        Results.Require("reports applied by the sink", applied, (long)batches * batchSize);
        Results.Require("reports applied twice", appliedAgain, 0);
        var sorted = times.Order().ToList();
        var baseline = again.Order().ToList();
        var median = sorted[sorted.Count / 2];
        Results.Record(new BenchFigure("fleet", "sink.batch_1000_ms", "a batch of 1,000 agent-shaped reports (JSON) parsed and applied by the fleet desk in one SQLite transaction: the consumer's work apart from NATS",
            name, "ms", median)
        {
            Attempted = (long)batches * batchSize, Succeeded = applied, WallMs = times.Sum(), CpuMs = cpu,
            Baseline = baseline[baseline.Count / 2], BaselineMeasures = "the same batches again (parsed, every report a duplicate: nothing written)",
            Extra = new Dictionary<string, double>
            {
                ["reports_per_s"] = Math.Round(applied / (times.Sum() / 1000)),
                ["p99_ms"] = sorted[(int)(sorted.Count * 0.99)],
                ["ratio_to_baseline"] = median / baseline[baseline.Count / 2],
            },
        });
        Console.WriteLine($"sink: {applied:N0} reports in {batches} batches, median {median:F1} ms per 1,000 (duplicates {baseline[baseline.Count / 2]:F1} ms), {applied / (times.Sum() / 1000):N0} reports/s");
    }

    private static int? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : null;
    }
}
