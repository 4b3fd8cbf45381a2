using Lessor.Core.Fleet;
using Lessor.Core.Risk;

namespace Lessor.Core.Tests.Fleet;

/// <summary>The agent's fleet simulator: seeded and deterministic, with DOMAIN.md's failure rate and cause mix.</summary>
public sealed class HealthSimulationTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static HealthSimulation Fleet(int nodes, ulong seed, int gpus = 8) =>
        new(Enumerable.Range(0, nodes).Select(i => new SimulatedNode($"n{i:D6}", gpus)).ToArray(), new FailureModel(), seed, T0, TimeSpan.FromSeconds(10));

    [Fact]
    public void The_same_seed_gives_the_same_failures_and_reports()
    {
        var a = Fleet(2000, 7);
        var b = Fleet(2000, 7);
        var until = T0.AddDays(30);
        Assert.Equal(a.FailuresUntil(until), b.FailuresUntil(until));
        Assert.NotEmpty(a.FailuresUntil(until));
        var f = a.FailuresUntil(until)[0];
        var tick = (long)Math.Ceiling((f.At - T0) / TimeSpan.FromSeconds(10));
        Assert.Equal(HealthReportText(a.Report(f.Node, tick, 5)), HealthReportText(b.Report(f.Node, tick, 5)));
        // Any report can be produced again, in any order.
        Assert.Equal(HealthReportText(a.Report(3, 100, 101)), HealthReportText(Fleet(2000, 7).Report(3, 100, 101)));
    }

    [Fact]
    public void Another_seed_gives_other_failures()
    {
        var until = T0.AddDays(30);
        Assert.NotEqual(Fleet(2000, 7).FailuresUntil(until).Select(f => (f.Node, f.At)), Fleet(2000, 8).FailuresUntil(until).Select(f => (f.Node, f.At)));
    }

    [Fact]
    public void Over_a_long_run_the_rate_and_the_cause_mix_are_those_of_the_model()
    {
        // 125,000 nodes x 8 GPUs = 1,000,000 GPUs for 200 days: expected failures = 1e6 x 4800 h / 50,700 = 94,675.
        var sim = Fleet(125_000, 42);
        var hours = 200 * 24.0;
        var failures = sim.FailuresUntil(T0.AddHours(hours));
        // A node down cannot fail again: one failure per 50,700 GPU-hours in service. A Poisson count, within 4 sd.
        var end = T0.AddHours(hours);
        var downGpuHours = failures.Sum(f => ((f.RepairedAt < end ? f.RepairedAt : end) - f.At).TotalHours * 8);
        var expected = (1_000_000 * hours - downGpuHours) / 50_700;
        Assert.InRange(failures.Count, expected - 4 * Math.Sqrt(expected), expected + 4 * Math.Sqrt(expected));
        Assert.InRange(failures.Count, 0.95 * 1_000_000 * hours / 50_700, 1_000_000 * hours / 50_700);
        foreach (var cause in FailureModel.DefaultCauses)
        {
            var share = failures.Count(f => f.Cause == cause.Name) / (double)failures.Count;
            var sd = Math.Sqrt(cause.Share * (1 - cause.Share) / failures.Count);
            Assert.InRange(share, cause.Share - 5 * sd, cause.Share + 5 * sd);
        }
        Assert.Equal(failures.OrderBy(f => f.At).ToList(), failures);
        Assert.All(failures, f => Assert.True(f.RepairedAt > f.At));
    }

    [Fact]
    public void A_failing_node_shows_its_cause_signals_then_fails_each_tick_until_repaired_then_passes()
    {
        var sim = Fleet(5000, 3);
        var f = sim.FailuresUntil(T0.AddDays(60)).First(x => x.Cause == "hbm" && (x.RepairedAt - x.At) > TimeSpan.FromMinutes(1));
        var first = (long)Math.Ceiling((f.At - T0) / sim.Interval);
        if (sim.At(first) == f.At) first++;
        var before = sim.Report(f.Node, first - 1, 1);
        Assert.DoesNotContain(before.Events, e => e.Kind == HealthEventKind.Xid);

        var report = sim.Report(f.Node, first, 2);
        Assert.Equal([48, 63], report.Events.Where(e => e.Kind == HealthEventKind.Xid).Select(e => e.Code!.Value));
        Assert.All(report.Events, e => Assert.Equal(f.Gpu, e.Gpu));
        Assert.Equal(1, report.Gpus[f.Gpu!.Value].EccDoubleBit);
        Assert.All(report.Gpus, g => Assert.Equal(0, g.Utilization));

        var during = sim.Report(f.Node, first + 1, 3);
        var fail = Assert.Single(during.Events);
        Assert.Equal(DcgmLevel.Fail, fail.Level);

        var after = (long)Math.Ceiling((f.RepairedAt - T0) / sim.Interval);
        var back = sim.Report(f.Node, after, 4);
        Assert.Equal(DcgmLevel.Pass, Assert.Single(back.Events).Level);
        Assert.All(back.Gpus, g => Assert.True(g.Utilization >= 0.85));
        Assert.Equal(0, back.Gpus[f.Gpu!.Value].EccDoubleBit);
    }

    [Theory]
    [InlineData("gpu", 79)]
    [InlineData("software", 119)]
    [InlineData("network", 74)]
    public void Each_gpu_cause_maps_to_its_xid(string cause, int xid)
    {
        var signals = HealthSimulation.Signals(cause, 5);
        Assert.Equal(xid, signals.First(e => e.Kind == HealthEventKind.Xid).Code);
        Assert.Contains(signals, e => e.Kind == HealthEventKind.Dcgm && e.Level == DcgmLevel.Fail && e.Gpu == 5);
    }

    [Fact]
    public void Node_causes_carry_no_xid()
    {
        Assert.Equal(DcgmLevel.Warn, Assert.Single(HealthSimulation.Signals("host_maintenance", null)).Level);
        Assert.Equal(DcgmLevel.Fail, Assert.Single(HealthSimulation.Signals("other", null)).Level);
    }

    private static string HealthReportText(HealthReport r) =>
        $"{r.Node} {r.Seq} {r.At:O} " + string.Join(";", r.Gpus) + " | " + string.Join(";", r.Events);
}
