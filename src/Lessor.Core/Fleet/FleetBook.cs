using Lessor.Core.Model;

namespace Lessor.Core.Fleet;

/// <summary>What a node does: serves a line, waits in its fabric's spare pool, or is free (claims may take it).</summary>
public enum NodeRole
{
    Free,
    Spare,
    Serving,
}

/// <summary>A node as the fleet starts with it.</summary>
public sealed record FleetNodeSpec(string Serial, FabricId Fabric, int Unit, int Tray, int Gpus, bool RackScale, NodeState State, DateTime Since)
{
    public NodeRole Role { get; init; } = NodeRole.Free;
    public LineRef? Line { get; init; }
    public long LastSeq { get; init; }
    public long Applied { get; init; }
}

/// <summary>
/// A swap decided when a node serving <see cref="Line"/> stopped serving: <see cref="Spare"/> took its place at
/// <see cref="At"/>, or, when null, none was left and the line is short.
/// </summary>
public sealed record SwapDecision(LineRef Line, string Failed, string? Spare, DateTime At, string Cause);

/// <summary>
/// GPU-time a line lost to one node: down (the node stopped serving and was not yet replaced) or degraded (it served,
/// degraded). <see cref="End"/> is null while it lasts. Evidence for the SLA: node, minutes and cause.
/// </summary>
public sealed record Outage(long Id, LineRef Line, string Node, int Gpus, bool Degraded, DateTime Start, DateTime? End, string Cause);

/// <summary>What one report or action changed: transitions, swaps, outages opened or closed (the closed ones with their end).</summary>
public sealed class FleetChange
{
    public List<NodeTransition> Transitions { get; } = [];
    public List<SwapDecision> Swaps { get; } = [];
    public List<Outage> Outages { get; } = [];

    public bool IsEmpty => Transitions.Count == 0 && Swaps.Count == 0 && Outages.Count == 0;
}

/// <summary>
/// The fleet in memory (docs/fleet.md): each node's state machine, its role, the lines it serves, swaps to spares of the
/// same fabric (same unit for rack-scale platforms) and the outages that feed availability. Single-threaded and
/// deterministic: the desk serializes callers; instants come from reports and actions.
/// </summary>
public sealed partial class FleetBook
{
    private readonly FleetNodeSpec[] _specs;
    private readonly NodeHealth[] _health;
    private readonly NodeRole[] _role;
    private readonly LineRef?[] _line;
    private readonly long[] _openOutage;
    private readonly Dictionary<string, int> _bySerial;
    private readonly Dictionary<FabricId, SortedSet<int>> _spares = [];
    private readonly Dictionary<FabricId, List<long>> _short = [];
    private readonly Dictionary<long, Outage> _open = [];
    private long _nextOutage;

    public FleetBook(IReadOnlyList<FleetNodeSpec> nodes, TimeSpan swapTime, long nextOutageId = 1, IEnumerable<Outage>? openOutages = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentOutOfRangeException.ThrowIfLessThan(swapTime, TimeSpan.Zero);
        SwapTime = swapTime;
        _specs = [.. nodes.OrderBy(n => n.Serial, StringComparer.Ordinal)];
        _health = new NodeHealth[_specs.Length];
        _role = new NodeRole[_specs.Length];
        _line = new LineRef?[_specs.Length];
        _openOutage = new long[_specs.Length];
        _bySerial = new Dictionary<string, int>(_specs.Length, StringComparer.Ordinal);
        for (var i = 0; i < _specs.Length; i++)
        {
            var s = _specs[i];
            if (!_bySerial.TryAdd(s.Serial, i)) throw new ArgumentException($"Duplicate node serial '{s.Serial}'.", nameof(nodes));
            _health[i] = new NodeHealth(s.Serial, s.State, s.Since, s.LastSeq, s.Applied);
            _role[i] = s.Role;
            _line[i] = s.Role == NodeRole.Serving ? s.Line ?? throw new ArgumentException($"Serving node '{s.Serial}' has no line.", nameof(nodes)) : null;
            if (s.Role == NodeRole.Spare) Spares(s.Fabric).Add(i);
        }
        _nextOutage = nextOutageId;
        foreach (var o in openOutages ?? [])
        {
            _open[o.Id] = o;
            var i = _bySerial[o.Node];
            if (!o.Degraded && _role[i] != NodeRole.Serving) Shorts(_specs[i].Fabric).Add(o.Id);
            else _openOutage[i] = o.Id;
            _nextOutage = Math.Max(_nextOutage, o.Id + 1);
        }
    }

    /// <summary>Time a spare needs to take over a failed node's work: the line is short until the swap plus this.</summary>
    public TimeSpan SwapTime { get; }

    public int Count => _specs.Length;

    public long NextOutageId => _nextOutage;

    public bool Contains(string serial) => _bySerial.ContainsKey(serial);

    public FleetNodeSpec Spec(string serial) => _specs[_bySerial[serial]];

    public NodeHealth Health(string serial) => _health[_bySerial[serial]];

    public NodeRole Role(string serial) => _role[_bySerial[serial]];

    public LineRef? LineOf(string serial) => _line[_bySerial[serial]];

    public IEnumerable<string> Serials => _specs.Select(s => s.Serial);

    /// <summary>Outages not yet ended (down ones without a replacement are what makes a line short now).</summary>
    public IEnumerable<Outage> OpenOutages => _open.Values.OrderBy(o => o.Id);

    /// <summary>Healthy spares left in a fabric's pool.</summary>
    public int SparesLeft(FabricId fabric) => _spares.TryGetValue(fabric, out var s) ? s.Count(i => _health[i].State == NodeState.InService) : 0;

    /// <summary>Nodes in a fabric's pool, healthy or not.</summary>
    public int SparePool(FabricId fabric) => _spares.TryGetValue(fabric, out var s) ? s.Count : 0;

    /// <summary>
    /// Assigns a fabric's nodes from the top unit down: each line's units (in the order given), then
    /// <paramref name="spareUnits"/> units of spares; the rest are free. Only for a fabric whose nodes are all free.
    /// </summary>
    public void Assign(FabricId fabric, IReadOnlyList<(LineRef Line, int Units)> lines, int spareUnits)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var units = _specs.Select((s, i) => (s, i)).Where(x => x.s.Fabric == fabric).GroupBy(x => x.s.Unit).OrderByDescending(g => g.Key).ToList();
        if (units.Any(g => g.Any(x => _role[x.i] != NodeRole.Free))) throw new InvalidOperationException($"Fabric {fabric} is already assigned.");
        var k = 0;
        foreach (var (line, count) in lines)
        {
            for (var u = 0; u < count && k < units.Count; u++, k++)
            {
                foreach (var (_, i) in units[k])
                {
                    _role[i] = NodeRole.Serving;
                    _line[i] = line;
                }
            }
        }
        for (var u = 0; u < spareUnits && k < units.Count; u++, k++)
        {
            foreach (var (_, i) in units[k])
            {
                _role[i] = NodeRole.Spare;
                Spares(fabric).Add(i);
            }
        }
    }

    /// <summary>
    /// Assigns the serving nodes that are not serving now (assigned while failed or in burn-in): each is swapped like a
    /// failure at <paramref name="at"/>. Returns what changed.
    /// </summary>
    public FleetChange Settle(DateTime at)
    {
        var change = new FleetChange();
        for (var i = 0; i < _specs.Length; i++)
            if (_role[i] == NodeRole.Serving && !FleetText.Serves(_health[i].State)) StopServing(i, at, $"not serving at assignment: {FleetText.Name(_health[i].State)}", change);
        return change;
    }

    /// <summary>Applies one report to its node (a known serial, a sequence above the node's last). Returns what changed.</summary>
    public FleetChange Apply(HealthReport report, HealthRules rules)
    {
        ArgumentNullException.ThrowIfNull(report);
        var i = _bySerial[report.Node];
        var change = new FleetChange();
        var t = _health[i].Apply(report, rules);
        if (t is not null) Follow(i, t, change);
        return change;
    }

    /// <summary>An operator's action on a node; a refusal (the state does not allow it) changes nothing.</summary>
    public (FleetChange Change, string? Refusal) Act(string serial, NodeAction action, DateTime at, string? note = null)
    {
        var i = _bySerial[serial];
        var change = new FleetChange();
        var (t, refusal) = _health[i].Act(action, at, note);
        if (t is not null) Follow(i, t, change);
        return (change, refusal);
    }

    private void Follow(int i, NodeTransition t, FleetChange change)
    {
        change.Transitions.Add(t);
        var serves = FleetText.Serves(t.To);
        if (_role[i] == NodeRole.Serving)
        {
            if (_openOutage[i] != 0 && (t.From == NodeState.Degraded || !serves))
                Close(i, t.At, change);
            if (!serves) StopServing(i, t.At, t.Cause, change);
            else if (t.To == NodeState.Degraded) Open(i, _line[i]!.Value, degraded: true, t.At, t.Cause, change);
        }
        else if (t.To == NodeState.InService && _role[i] == NodeRole.Spare) FillShort(i, t.At, change);
        if (t.To == NodeState.Retired && _role[i] == NodeRole.Spare)
        {
            Spares(_specs[i].Fabric).Remove(i);
            _role[i] = NodeRole.Free;
        }
    }

    private void StopServing(int i, DateTime at, string cause, FleetChange change)
    {
        var line = _line[i]!.Value;
        var fabric = _specs[i].Fabric;
        var id = Open(i, line, degraded: false, at, cause, change);
        _openOutage[i] = 0;
        _role[i] = NodeRole.Spare;
        _line[i] = null;
        Spares(fabric).Add(i);
        var spare = -1;
        foreach (var j in Spares(fabric))
        {
            if (j == i || _health[j].State != NodeState.InService) continue;
            if (_specs[i].RackScale && _specs[j].Unit != _specs[i].Unit) continue;
            spare = j;
            break;
        }
        if (spare < 0)
        {
            Shorts(fabric).Add(id);
            change.Swaps.Add(new SwapDecision(line, _specs[i].Serial, null, at, cause));
            return;
        }
        Serve(spare, line);
        change.Swaps.Add(new SwapDecision(line, _specs[i].Serial, _specs[spare].Serial, at, cause));
        End(id, at + SwapTime, change);
    }

    /// <summary>A healthy pool node takes the oldest shortfall it can fill (same unit for rack-scale platforms).</summary>
    private void FillShort(int i, DateTime at, FleetChange change)
    {
        if (!_short.TryGetValue(_specs[i].Fabric, out var shorts)) return;
        for (var k = 0; k < shorts.Count; k++)
        {
            var o = _open[shorts[k]];
            var failed = _bySerial[o.Node];
            if (_specs[i].RackScale && _specs[failed].Unit != _specs[i].Unit) continue;
            shorts.RemoveAt(k);
            Serve(i, o.Line);
            change.Swaps.Add(new SwapDecision(o.Line, o.Node, _specs[i].Serial, at, "spare available"));
            End(o.Id, at, change);
            return;
        }
    }

    private void Serve(int j, LineRef line)
    {
        Spares(_specs[j].Fabric).Remove(j);
        _role[j] = NodeRole.Serving;
        _line[j] = line;
        if (_health[j].State == NodeState.Degraded) throw new InvalidOperationException("Only healthy spares serve.");
    }

    private long Open(int i, LineRef line, bool degraded, DateTime at, string cause, FleetChange change)
    {
        var o = new Outage(_nextOutage++, line, _specs[i].Serial, _specs[i].Gpus, degraded, at, null, cause);
        _open[o.Id] = o;
        _openOutage[i] = o.Id;
        change.Outages.Add(o);
        return o.Id;
    }

    private void Close(int i, DateTime at, FleetChange change)
    {
        End(_openOutage[i], at, change);
        _openOutage[i] = 0;
    }

    private void End(long id, DateTime at, FleetChange change)
    {
        var o = _open[id];
        _open.Remove(id);
        var ended = o with { End = at > o.Start ? at : o.Start };
        var k = change.Outages.FindIndex(x => x.Id == id);
        if (k >= 0) change.Outages[k] = ended;
        else change.Outages.Add(ended);
    }

    private SortedSet<int> Spares(FabricId fabric)
    {
        if (!_spares.TryGetValue(fabric, out var s)) _spares[fabric] = s = [];
        return s;
    }

    private List<long> Shorts(FabricId fabric)
    {
        if (!_short.TryGetValue(fabric, out var s)) _short[fabric] = s = [];
        return s;
    }
}
