using Lessor.Core.Fleet;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Fleet;

/// <summary>The rule table and the hysteresis of docs/fleet.md, report by report.</summary>
public class NodeHealthTests
{
    private static readonly DateTime T0 = Utc.Date(2027, 3, 1);
    private readonly HealthRules _rules = HealthRules.Default;
    private long _seq;

    private HealthReport Report(int seconds, double temperature = 60, long nvlink = 0, long ecc = 0, params HealthEvent[] events) =>
        new("n1", ++_seq, T0.AddSeconds(seconds), [new GpuReading(0, temperature, 700, 0.9, nvlink, ecc)], events);

    private static HealthEvent Xid(int code) => new(HealthEventKind.Xid, 0, code, null, null);

    private static HealthEvent Dcgm(DcgmLevel level) => new(HealthEventKind.Dcgm, null, null, level, "health watch");

    [Theory]
    [InlineData(48, NodeState.Failed)]
    [InlineData(79, NodeState.Failed)]
    [InlineData(95, NodeState.Failed)]
    [InlineData(64, NodeState.Failed)]
    [InlineData(119, NodeState.Failed)]
    [InlineData(120, NodeState.Failed)]
    [InlineData(63, NodeState.Degraded)]
    [InlineData(94, NodeState.Degraded)]
    [InlineData(74, NodeState.Degraded)]
    [InlineData(13, NodeState.InService)]
    [InlineData(31, NodeState.InService)]
    public void Given_an_in_service_node_When_an_xid_arrives_Then_the_rule_table_decides_its_state(int code, NodeState expected)
    {
        var node = new NodeHealth("n1", NodeState.InService, T0);
        var t = node.Apply(Report(10, events: Xid(code)), _rules);
        Assert.Equal(expected, node.State);
        Assert.Equal(expected != NodeState.InService, t is not null);
        if (t is not null) Assert.Contains($"xid {code}", t.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_dcgm_levels_temperatures_and_counters_When_applied_Then_each_maps_as_documented()
    {
        var warn = new NodeHealth("n1", NodeState.InService, T0);
        warn.Apply(Report(10, events: Dcgm(DcgmLevel.Warn)), _rules);
        Assert.Equal(NodeState.Degraded, warn.State);

        var fail = new NodeHealth("n1", NodeState.InService, T0);
        fail.Apply(Report(20, events: Dcgm(DcgmLevel.Fail)), _rules);
        Assert.Equal(NodeState.Failed, fail.State);

        var hot = new NodeHealth("n1", NodeState.InService, T0);
        hot.Apply(Report(30, temperature: 94.9), _rules);
        Assert.Equal(NodeState.InService, hot.State);
        hot.Apply(Report(40, temperature: 95), _rules);
        Assert.Equal(NodeState.Degraded, hot.State);

        // Counters: the first report sets the baseline; +99 NVLink errors is below the threshold, +100 degrades.
        var link = new NodeHealth("n1", NodeState.InService, T0);
        link.Apply(Report(50, nvlink: 5_000), _rules);
        link.Apply(Report(60, nvlink: 5_099), _rules);
        Assert.Equal(NodeState.InService, link.State);
        link.Apply(Report(70, nvlink: 5_199), _rules);
        Assert.Equal(NodeState.Degraded, link.State);

        // A counter that falls is a driver reload: new baseline, no signal; then a rise in double-bit ECC fails.
        var ecc = new NodeHealth("n1", NodeState.InService, T0);
        ecc.Apply(Report(80, ecc: 7), _rules);
        ecc.Apply(Report(90, ecc: 0), _rules);
        Assert.Equal(NodeState.InService, ecc.State);
        ecc.Apply(Report(100, ecc: 1), _rules);
        Assert.Equal(NodeState.Failed, ecc.State);
    }

    [Fact]
    public void Given_a_degraded_node_When_clean_reports_arrive_Then_it_returns_only_after_six_clean_reports_and_fifteen_quiet_minutes()
    {
        var node = new NodeHealth("n1", NodeState.InService, T0);
        node.Apply(Report(0, events: Xid(74)), _rules);
        Assert.Equal(NodeState.Degraded, node.State);
        // Six clean reports within a minute: the count is met but not the quiet period.
        for (var s = 10; s <= 60; s += 10) Assert.Null(node.Apply(Report(s), _rules));
        Assert.Equal(NodeState.Degraded, node.State);
        // Clean reports every minute until 14:50 quiet: still degraded; at 15:00 it returns.
        for (var s = 120; s < 900; s += 60) Assert.Null(node.Apply(Report(s), _rules));
        Assert.Equal(NodeState.Degraded, node.State);
        var t = node.Apply(Report(900), _rules);
        Assert.NotNull(t);
        Assert.Equal(NodeState.InService, node.State);
        Assert.Equal(T0.AddSeconds(900), node.Since);
    }

    [Fact]
    public void Given_a_node_flapping_between_warning_and_clean_When_reports_alternate_Then_the_state_does_not_flap_and_the_third_entry_fails_it()
    {
        var node = new NodeHealth("n1", NodeState.InService, T0);
        var transitions = new List<NodeTransition>();
        // A warning every 10 minutes with clean reports between: stays degraded (never 15 quiet minutes), one transition.
        for (var s = 0; s < 3_600; s += 10)
            if (node.Apply(s % 600 == 0 ? Report(s, events: Dcgm(DcgmLevel.Warn)) : Report(s), _rules) is { } t) transitions.Add(t);
        Assert.Single(transitions);
        Assert.Equal(NodeState.Degraded, node.State);

        // Quiet for 15 minutes: back in service (entry 1 was at 0). Two more entries within 24 h: the third fails it.
        for (var s = 3_600; s <= 3_000 + 900 + 600; s += 10) if (node.Apply(Report(s), _rules) is { } t) transitions.Add(t);
        Assert.Equal(NodeState.InService, node.State);
        node.Apply(Report(10_000, events: Xid(94)), _rules);
        Assert.Equal(NodeState.Degraded, node.State);
        for (var s = 10_010; s <= 11_000; s += 10) node.Apply(Report(s), _rules);
        Assert.Equal(NodeState.InService, node.State);
        var last = node.Apply(Report(20_000, events: Xid(94)), _rules);
        Assert.Equal(NodeState.Failed, node.State);
        Assert.StartsWith("flapping: degraded 3 times", last!.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_failed_node_When_clean_reports_arrive_Then_it_stays_failed_until_an_operator_repairs_it()
    {
        var node = new NodeHealth("n1", NodeState.InService, T0);
        node.Apply(Report(0, events: Xid(79)), _rules);
        for (var s = 10; s < 3_600; s += 10) Assert.Null(node.Apply(Report(s), _rules));
        Assert.Equal(NodeState.Failed, node.State);
        Assert.NotNull(node.Act(NodeAction.ReturnToService, T0.AddHours(2)).Refusal);
        Assert.Equal(NodeState.InRepair, node.Act(NodeAction.StartRepair, T0.AddHours(2)).Transition!.To);
        Assert.Null(node.Apply(Report(7_300, events: Xid(79)), _rules));
        Assert.Equal(NodeState.InRepair, node.State);
        Assert.Equal(NodeState.InService, node.Act(NodeAction.ReturnToService, T0.AddHours(3)).Transition!.To);
        Assert.Equal(1 + 359 + 1, node.Applied); // reports at 0, 10..3,590 and 7,300
    }

    [Fact]
    public void Given_a_retired_node_When_anything_happens_Then_it_never_returns()
    {
        var node = new NodeHealth("n1", NodeState.Failed, T0);
        Assert.Equal(NodeState.Retired, node.Act(NodeAction.Retire, T0.AddHours(1), "scrapped").Transition!.To);
        foreach (var a in Enum.GetValues<NodeAction>())
        {
            var (t, refusal) = node.Act(a, T0.AddHours(2));
            Assert.Null(t);
            Assert.Equal($"cannot {FleetText.Name(a)} a node that is retired", refusal);
        }
        Assert.Null(node.Apply(Report(9_000), _rules));
        Assert.Equal(NodeState.Retired, node.State);
    }

    [Fact]
    public void Given_a_node_in_burn_in_When_its_gate_passes_or_a_failing_signal_arrives_Then_it_enters_service_or_fails()
    {
        var pass = new NodeHealth("n1", NodeState.BurnIn, T0);
        pass.Apply(Report(10, events: Xid(74)), _rules);
        Assert.Equal(NodeState.BurnIn, pass.State);
        Assert.Equal(NodeState.InService, pass.Act(NodeAction.BurnInPass, T0.AddDays(1)).Transition!.To);

        var fail = new NodeHealth("n1", NodeState.BurnIn, T0);
        fail.Apply(Report(20, events: Xid(48)), _rules);
        Assert.Equal(NodeState.Failed, fail.State);
        Assert.NotNull(fail.Act(NodeAction.BurnInPass, T0.AddDays(1)).Refusal);
    }
}
