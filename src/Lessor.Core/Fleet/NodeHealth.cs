namespace Lessor.Core.Fleet;

/// <summary>
/// One node's state machine (docs/fleet.md): health reports move it among burn-in, in service, degraded and failed by
/// <see cref="HealthRules"/> with hysteresis; operator actions do the rest. Deterministic: instants come from the reports
/// and the actions. Sequence checks (duplicates) are the caller's: <see cref="Apply"/> takes reports in order.
/// </summary>
public sealed class NodeHealth
{
    private long[] _nvlink = [];
    private long[] _ecc = [];
    private readonly List<DateTime> _degradedEntries = [];
    private int _clean;
    private DateTime _lastBad;

    public NodeHealth(string serial, NodeState state, DateTime since, long lastSeq = 0, long applied = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(serial);
        if (since.Kind != DateTimeKind.Utc) throw new ArgumentException("Instant must be UTC.", nameof(since));
        Serial = serial;
        State = state;
        Since = since;
        LastSeq = lastSeq;
        Applied = applied;
        _lastBad = since;
    }

    public string Serial { get; }
    public NodeState State { get; private set; }

    /// <summary>When the node entered <see cref="State"/>.</summary>
    public DateTime Since { get; private set; }

    /// <summary>The highest sequence applied: a report at or below it is a duplicate.</summary>
    public long LastSeq { get; private set; }

    /// <summary>Reports applied (duplicates not counted).</summary>
    public long Applied { get; private set; }

    /// <summary>Applies one report (its sequence above <see cref="LastSeq"/>); returns the transition it caused, if any.</summary>
    public NodeTransition? Apply(HealthReport report, HealthRules rules)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(rules);
        if (report.Seq <= LastSeq) throw new InvalidOperationException($"Report {report.Seq} of {Serial} is at or below {LastSeq}: a duplicate.");
        LastSeq = report.Seq;
        Applied++;
        var width = 0;
        foreach (var g in report.Gpus) width = Math.Max(width, g.Gpu + 1);
        if (width > _nvlink.Length)
        {
            var old = _nvlink.Length;
            Array.Resize(ref _nvlink, width);
            Array.Resize(ref _ecc, width);
            Array.Fill(_nvlink, -1, old, width - old);
            Array.Fill(_ecc, -1, old, width - old);
        }
        var verdict = rules.Classify(report, _nvlink, _ecc);
        var at = report.At > Since ? report.At : Since;
        switch (State)
        {
            case NodeState.BurnIn when verdict.Severity == Severity.Fail:
                return Move(NodeState.Failed, at, verdict.Reason);
            case NodeState.InService when verdict.Severity == Severity.Fail:
            case NodeState.Degraded when verdict.Severity == Severity.Fail:
                return Move(NodeState.Failed, at, verdict.Reason);
            case NodeState.InService when verdict.Severity == Severity.Degrade:
                _degradedEntries.RemoveAll(t => t <= at - rules.FlapWindow);
                _degradedEntries.Add(at);
                _clean = 0;
                _lastBad = at;
                if (_degradedEntries.Count >= rules.FlapsToFail)
                    return Move(NodeState.Failed, at, $"flapping: degraded {_degradedEntries.Count} times within {rules.FlapWindow.TotalHours:0.#} h; last: {verdict.Reason}");
                return Move(NodeState.Degraded, at, verdict.Reason);
            case NodeState.Degraded when verdict.Severity == Severity.Degrade:
                _clean = 0;
                _lastBad = at;
                return null;
            case NodeState.Degraded:
                _clean++;
                if (_clean >= rules.CleanReportsToRecover && at - _lastBad >= rules.QuietPeriod)
                    return Move(NodeState.InService, at, $"recovered: {_clean} clean reports and {(at - _lastBad).TotalMinutes:0} min quiet");
                return null;
            default:
                return null;
        }
    }

    /// <summary>An operator's action (or the burn-in gate's result); refused with a reason when the state does not allow it.</summary>
    public (NodeTransition? Transition, string? Refusal) Act(NodeAction action, DateTime at, string? note = null)
    {
        if (at.Kind != DateTimeKind.Utc) throw new ArgumentException("Instant must be UTC.", nameof(at));
        NodeState? to = (action, State) switch
        {
            (_, NodeState.Retired) => null,
            (NodeAction.StartRepair, NodeState.Failed or NodeState.Degraded) => NodeState.InRepair,
            (NodeAction.Rma, NodeState.Failed or NodeState.InRepair) => NodeState.Rma,
            (NodeAction.ReturnToService, NodeState.InRepair or NodeState.Rma) => NodeState.InService,
            (NodeAction.Retire, _) => NodeState.Retired,
            (NodeAction.BurnInPass, NodeState.BurnIn) => NodeState.InService,
            (NodeAction.BurnInFail, NodeState.BurnIn) => NodeState.Failed,
            _ => null,
        };
        if (to is not { } target)
            return (null, $"cannot {FleetText.Name(action)} a node that is {FleetText.Name(State)}");
        var cause = FleetText.Name(action) + (string.IsNullOrWhiteSpace(note) ? "" : ": " + note);
        if (target == NodeState.InService)
        {
            _clean = 0;
            _degradedEntries.Clear();
        }
        return (Move(target, at > Since ? at : Since, cause), null);
    }

    private NodeTransition Move(NodeState to, DateTime at, string cause)
    {
        var t = new NodeTransition(Serial, State, to, at, cause);
        State = to;
        Since = at;
        return t;
    }
}
