using Lessor.Core.Model;

namespace Lessor.Core.Fleet;

/// <summary>A committed line's units on one fabric at an instant: what the ledger places there.</summary>
public readonly record struct PlacedLine(FabricId Fabric, LineRef Line, int Units);

/// <summary>Why a reassignment changed a node's role.</summary>
public enum RoleReason
{
    /// <summary>Assigned to a line that held no unit of the fabric before.</summary>
    LineStarts,

    /// <summary>Assigned to a line that holds more units of the fabric than before.</summary>
    LineGrows,

    /// <summary>Released: the line is no longer placed on the fabric (ended, cancelled or moved).</summary>
    LineEnded,

    /// <summary>Released: the line holds fewer units of the fabric than before.</summary>
    LineShrank,

    /// <summary>A healthy node took the place of a line's node that is down (the line was short).</summary>
    FillsShort,

    /// <summary>Assigned while not serving (failed, in repair, RMA, retired): it holds the line's place and the line is short.</summary>
    HoldsShort,

    /// <summary>Into the spare pool: the pool was below the policy.</summary>
    PoolTopUp,

    /// <summary>Out of the spare pool: the pool was above the policy.</summary>
    PoolTrim,
}

/// <summary>One reason a node's role changed, with the line it concerns.</summary>
public readonly record struct RoleStep(RoleReason Reason, LineRef? Line);

/// <summary>A node's role before and after one reassignment, and the steps that led there (in order).</summary>
public sealed record RoleChange(string Node, NodeRole FromRole, LineRef? FromLine, NodeRole ToRole, LineRef? ToLine, IReadOnlyList<RoleStep> Steps)
{
    /// <summary>
    /// The change as an event's cause, e.g. "assigned to C-123/L1 (line starts)" or "released from C-9/l1 (line ended); to
    /// the spare pool (below policy)". <paramref name="ended"/> may say why a line left the fabric ("contract cancelled").
    /// </summary>
    public string Cause(Func<LineRef, string>? ended = null) => string.Join("; ", Steps.Select(s => s.Reason switch
    {
        RoleReason.LineStarts => $"assigned to {s.Line} (line starts)",
        RoleReason.LineGrows => $"assigned to {s.Line} (line grows)",
        RoleReason.LineEnded => $"released from {s.Line} ({ended?.Invoke(s.Line!.Value) ?? "line ended"})",
        RoleReason.LineShrank => $"released from {s.Line} (line shrank)",
        RoleReason.FillsShort => $"assigned to {s.Line} (fills its shortfall)",
        RoleReason.HoldsShort => $"holds a place of {s.Line} while not serving (line short)",
        RoleReason.PoolTopUp => "to the spare pool (below policy)",
        RoleReason.PoolTrim => "out of the spare pool (above policy)",
        _ => throw new ArgumentOutOfRangeException(nameof(ended), s.Reason, null),
    }));
}

/// <summary>Units of a line placed on a fabric that no node can take: the fabric has no accepted node left (a late delivery, not an SLA matter).</summary>
public sealed record Unfilled(FabricId Fabric, LineRef Line, int Units);

/// <summary>What a reassignment did: role changes (net, per node), outages opened and closed, swaps, and units left unfilled.</summary>
public sealed class Reassignment
{
    public FleetChange Change { get; } = new();
    public List<RoleChange> Roles { get; } = [];
    public List<Unfilled> Unfilled { get; } = [];

    public bool IsEmpty => Change.IsEmpty && Roles.Count == 0;
}

// Reassignment over time (docs/fleet.md, "Assignment over time"): roles follow the placement at an instant with the
// fewest changes. A unit is the atom (an HGX node, or a rack-scale unit's trays together), so rack-scale lines keep whole racks.
public sealed partial class FleetBook
{
    private Dictionary<FabricId, int[]>? _fabricNodes;

    private Dictionary<FabricId, int[]> FabricNodes() =>
        _fabricNodes ??= Enumerable.Range(0, _specs.Length).GroupBy(i => _specs[i].Fabric).ToDictionary(g => g.Key, g => g.ToArray());

    /// <summary>The fabrics the fleet has nodes in.</summary>
    public IEnumerable<FabricId> Fabrics => FabricNodes().Keys;

    /// <summary>Open down outages that make a line short now (no node took the failed one's place), oldest first.</summary>
    public IEnumerable<Outage> Shortfalls => _short.Values.SelectMany(s => s).Select(id => _open[id]).OrderBy(o => o.Id);

    /// <summary>
    /// Brings roles in line with <paramref name="placement"/> (committed lines' units per fabric at <paramref name="at"/>) with the
    /// fewest changes: a node serving a line still placed on its fabric keeps serving it while the line holds no more units
    /// there than placed; a line that ended or shrank releases units (its places held by down nodes first, then its units
    /// with the fewest healthy serving nodes, lowest unit first), closing their outages at <paramref name="at"/>; a line
    /// short of a failed HGX node takes a healthy free node, then a healthy spare; a line that started or grew takes whole
    /// units: healthy free ones (highest first), healthy spares, then units with nodes down (those hold its places and the
    /// line is short, an outage each), never units in burn-in. Last, each fabric's pool is brought to the policy's size
    /// (capped by the units left): trimmed of unhealthy then low units, topped up with healthy then high free units.
    /// Only the fabrics in <paramref name="only"/> when given. Deterministic (fabrics, lines and units in order).
    /// </summary>
    public Reassignment Reassign(DateTime at, IReadOnlyList<PlacedLine> placement, SparePoolPolicy policy, IReadOnlySet<FabricId>? only = null)
    {
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(policy);
        var result = new Reassignment();
        var nodes = FabricNodes();
        var demand = new Dictionary<FabricId, List<(LineRef Line, int Units)>>();
        foreach (var p in placement)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(p.Units, nameof(placement));
            if (!demand.TryGetValue(p.Fabric, out var list)) demand[p.Fabric] = list = [];
            var k = list.FindIndex(x => x.Line == p.Line);
            if (k >= 0) list[k] = (p.Line, list[k].Units + p.Units);
            else list.Add((p.Line, p.Units));
        }
        var touched = new Dictionary<int, (NodeRole Role, LineRef? Line, List<RoleStep> Steps)>();
        foreach (var fabric in nodes.Keys.Union(demand.Keys).OrderBy(f => f.Value, StringComparer.Ordinal))
        {
            if (only is not null && !only.Contains(fabric)) continue;
            var lines = demand.GetValueOrDefault(fabric) ?? [];
            if (!nodes.TryGetValue(fabric, out var members))
            {
                foreach (var (line, units) in lines)
                    if (units > 0) result.Unfilled.Add(new Unfilled(fabric, line, units));
                continue;
            }
            new FabricPass(this, fabric, members, at, result, touched).Run(lines, policy);
        }
        foreach (var (i, (role, line, steps)) in touched.OrderBy(x => x.Key))
            if (_role[i] != role || _line[i] != line) result.Roles.Add(new RoleChange(_specs[i].Serial, role, line, _role[i], _line[i], steps));
        return result;
    }

    /// <summary>One fabric's reassignment: its units, the places each line holds, and the changes made to the book.</summary>
    private sealed class FabricPass
    {
        private readonly FleetBook _b;
        private readonly FabricId _fabric;
        private readonly int[] _members;
        private readonly DateTime _at;
        private readonly Reassignment _result;
        private readonly Dictionary<int, (NodeRole Role, LineRef? Line, List<RoleStep> Steps)> _touched;
        private readonly bool _rack;
        private readonly SortedDictionary<int, List<int>> _units = [];
        private readonly SortedDictionary<LineRef, List<Place>> _held = new(LineOrder.Instance);
        private readonly HashSet<int> _owned = [];

        /// <summary>A place a line holds: a unit's serving nodes, and the shortfalls (down outages) of its nodes that are not serving.</summary>
        private sealed class Place(int unit)
        {
            public int Unit { get; set; } = unit;
            public List<int> Serving { get; } = [];
            public List<long> Shorts { get; } = [];
            public List<int> Carriers { get; } = [];
        }

        public FabricPass(FleetBook book, FabricId fabric, int[] members, DateTime at, Reassignment result, Dictionary<int, (NodeRole, LineRef?, List<RoleStep>)> touched)
        {
            _b = book;
            _fabric = fabric;
            _members = members;
            _at = at;
            _result = result;
            _touched = touched;
            foreach (var i in members)
            {
                var unit = book._specs[i].Unit;
                if (!_units.TryGetValue(unit, out var list)) _units[unit] = list = [];
                list.Add(i);
                _rack |= book._specs[i].RackScale;
            }
            var rackPlaces = new Dictionary<(LineRef, int), Place>();
            Place PlaceOf(LineRef line, int unit)
            {
                if (_rack && rackPlaces.TryGetValue((line, unit), out var existing)) return existing;
                var p = new Place(unit);
                if (_rack) rackPlaces[(line, unit)] = p;
                Held(line).Add(p);
                return p;
            }
            foreach (var i in members)
                if (book._role[i] == NodeRole.Serving) PlaceOf(book._line[i]!.Value, book._specs[i].Unit).Serving.Add(i);
            if (book._short.TryGetValue(fabric, out var shorts))
            {
                foreach (var id in shorts)
                {
                    var o = book._open[id];
                    var carrier = book._bySerial[o.Node];
                    var p = PlaceOf(o.Line, book._specs[carrier].Unit);
                    p.Shorts.Add(id);
                    if (book._role[carrier] != NodeRole.Serving) p.Carriers.Add(carrier);
                }
            }
        }

        public void Run(List<(LineRef Line, int Units)> demand, SparePoolPolicy policy)
        {
            var want = demand.ToDictionary(d => d.Line, d => d.Units);
            Release(want);
            Owned();
            var candidates = Candidates();
            var next = 0;
            if (!_rack && next < candidates.Count)
            {
                FillShorts(candidates, ref next);
                // The failed nodes whose places were filled hold nothing now: they may take a growing line's place.
                Owned();
                candidates = Candidates();
                next = 0;
            }
            Grow(demand, candidates, ref next);
            Pool(policy);
        }

        private List<Place> Held(LineRef line)
        {
            if (!_held.TryGetValue(line, out var list)) _held[line] = list = [];
            return list;
        }

        private void Owned()
        {
            _owned.Clear();
            foreach (var places in _held.Values)
                foreach (var p in places)
                    if (p.Serving.Count > 0 || p.Carriers.Count > 0) _owned.Add(p.Unit);
        }

        private int Healthy(Place p) => p.Serving.Count(i => _b._health[i].State == NodeState.InService);

        private void Release(Dictionary<LineRef, int> want)
        {
            foreach (var (line, places) in _held)
            {
                var keep = want.GetValueOrDefault(line);
                if (places.Count <= keep) continue;
                var reason = keep == 0 ? RoleReason.LineEnded : RoleReason.LineShrank;
                var release = places.OrderBy(Healthy).ThenBy(p => p.Unit).ThenBy(p => p.Shorts.Count > 0 ? p.Shorts[0] : 0).Take(places.Count - keep).ToList();
                foreach (var p in release)
                {
                    foreach (var id in p.Shorts) EndShort(id);
                    foreach (var i in p.Serving)
                    {
                        if (_b._openOutage[i] != 0) _b.Close(i, _at, _result.Change);
                        SetRole(i, NodeRole.Free, null, new RoleStep(reason, line));
                    }
                    // A rack-scale unit leaves whole: its down trays too. A failed HGX node stays where its swap put it (the pool).
                    if (_rack)
                        foreach (var c in p.Carriers)
                            SetRole(c, NodeRole.Free, null, new RoleStep(reason, line));
                    places.Remove(p);
                }
            }
        }

        /// <summary>Units no line holds, none in burn-in, best first: healthy free, healthy spare, with nodes down (most serving first), all retired.</summary>
        private List<(int Unit, int Class)> Candidates()
        {
            var list = new List<(int Unit, int Class, int Serving, int Spare)>();
            foreach (var (unit, nodes) in _units)
            {
                if (_owned.Contains(unit) || nodes.Any(i => _b._health[i].State == NodeState.BurnIn)) continue;
                var healthy = nodes.Count(i => _b._health[i].State == NodeState.InService);
                var alive = nodes.Count(i => _b._health[i].State != NodeState.Retired);
                var serving = nodes.Count(i => FleetText.Serves(_b._health[i].State));
                var spare = nodes.Any(i => _b._role[i] == NodeRole.Spare) ? 1 : 0;
                var cls = alive == 0 ? 3 : healthy == nodes.Count ? spare : 2;
                list.Add((unit, cls, serving, spare));
            }
            return [.. list.OrderBy(c => c.Class).ThenByDescending(c => c.Serving).ThenBy(c => c.Spare).ThenByDescending(c => c.Unit).Select(c => (c.Unit, c.Class))];
        }

        /// <summary>HGX lines short of a failed node take a healthy free node, then a healthy spare, oldest shortfall first.</summary>
        private void FillShorts(List<(int Unit, int Class)> candidates, ref int next)
        {
            var shorts = _held.SelectMany(h => h.Value.Where(p => p.Serving.Count == 0 && p.Shorts.Count > 0).Select(p => (Line: h.Key, Place: p)))
                .OrderBy(x => x.Place.Shorts[0]).ToList();
            foreach (var (line, p) in shorts)
            {
                if (next >= candidates.Count || candidates[next].Class > 1) return;
                var unit = candidates[next++].Unit;
                var j = _units[unit][0];
                var o = _b._open[p.Shorts[0]];
                foreach (var id in p.Shorts) EndShort(id);
                p.Shorts.Clear();
                p.Carriers.Clear();
                p.Unit = unit;
                SetRole(j, NodeRole.Serving, line, new RoleStep(RoleReason.FillsShort, line));
                p.Serving.Add(j);
                _owned.Add(unit);
                _result.Change.Swaps.Add(new SwapDecision(line, o.Node, _b._specs[j].Serial, _at, "reassignment: a healthy node took the place"));
            }
        }

        private void Grow(List<(LineRef Line, int Units)> demand, List<(int Unit, int Class)> candidates, ref int next)
        {
            foreach (var (line, units) in demand)
            {
                var places = Held(line);
                var reason = places.Count == 0 ? RoleReason.LineStarts : RoleReason.LineGrows;
                while (places.Count < units)
                {
                    if (next >= candidates.Count)
                    {
                        _result.Unfilled.Add(new Unfilled(_fabric, line, units - places.Count));
                        break;
                    }
                    var unit = candidates[next++].Unit;
                    var p = new Place(unit);
                    places.Add(p);
                    _owned.Add(unit);
                    foreach (var i in _units[unit])
                    {
                        var state = _b._health[i].State;
                        if (FleetText.Serves(state))
                        {
                            SetRole(i, NodeRole.Serving, line, new RoleStep(reason, line));
                            p.Serving.Add(i);
                            if (state == NodeState.Degraded) _b.Open(i, line, degraded: true, _at, "degraded when assigned", _result.Change);
                            continue;
                        }
                        // Down when the line takes its unit: it holds the line's place (in the pool, as a swapped-out node
                        // does) and the line is short until it is back; a retired node never is.
                        SetRole(i, state == NodeState.Retired ? NodeRole.Free : NodeRole.Spare, null, new RoleStep(RoleReason.HoldsShort, line));
                        var id = _b.Open(i, line, degraded: false, _at, $"{FleetText.Name(state)} when assigned", _result.Change);
                        _b._openOutage[i] = 0;
                        _b.Shorts(_fabric).Add(id);
                        p.Shorts.Add(id);
                        p.Carriers.Add(i);
                    }
                }
            }
        }

        private void Pool(SparePoolPolicy policy)
        {
            Owned();
            var eligible = new List<(int Unit, List<int> Nodes, int Healthy, bool Spare)>();
            long gpus = 0;
            var perUnit = 1;
            foreach (var (unit, nodes) in _units)
            {
                perUnit = Math.Max(perUnit, nodes.Count);
                foreach (var i in nodes)
                    if (_b._health[i].State is not (NodeState.BurnIn or NodeState.Retired)) gpus += _b._specs[i].Gpus;
                if (_owned.Contains(unit) || nodes.Any(i => _b._health[i].State == NodeState.BurnIn) || nodes.All(i => _b._health[i].State == NodeState.Retired)) continue;
                eligible.Add((unit, nodes, nodes.Count(i => _b._health[i].State == NodeState.InService), nodes.Any(i => _b._role[i] == NodeRole.Spare)));
            }
            var target = Math.Min(policy.Units(gpus, _b._specs[_members[0]].Gpus, perUnit), eligible.Count);
            var pool = eligible.Where(e => e.Spare).ToList();
            if (pool.Count > target)
            {
                foreach (var e in pool.OrderByDescending(e => e.Nodes.Count - e.Healthy).ThenBy(e => e.Unit).Take(pool.Count - target))
                    foreach (var i in e.Nodes)
                        if (_b._role[i] == NodeRole.Spare) SetRole(i, NodeRole.Free, null, new RoleStep(RoleReason.PoolTrim, null));
            }
            else if (pool.Count < target)
            {
                foreach (var e in eligible.Where(e => !e.Spare).OrderByDescending(e => e.Healthy == e.Nodes.Count).ThenByDescending(e => e.Healthy).ThenByDescending(e => e.Unit).Take(target - pool.Count))
                    foreach (var i in e.Nodes)
                        if (_b._health[i].State != NodeState.Retired) SetRole(i, NodeRole.Spare, null, new RoleStep(RoleReason.PoolTopUp, null));
            }
        }

        private void EndShort(long id)
        {
            _b.Shorts(_fabric).Remove(id);
            _b.End(id, _at, _result.Change);
        }

        private void SetRole(int i, NodeRole role, LineRef? line, RoleStep step)
        {
            if (!_touched.TryGetValue(i, out var before)) _touched[i] = before = (_b._role[i], _b._line[i], new List<RoleStep>());
            before.Steps.Add(step);
            if (_b._role[i] == NodeRole.Spare) _b.Spares(_fabric).Remove(i);
            _b._role[i] = role;
            _b._line[i] = line;
            if (role == NodeRole.Spare) _b.Spares(_fabric).Add(i);
        }
    }

    /// <summary>Lines in contract, then line order (ordinal): the order a pass visits them in.</summary>
    private sealed class LineOrder : IComparer<LineRef>
    {
        public static readonly LineOrder Instance = new();

        public int Compare(LineRef x, LineRef y)
        {
            var c = string.CompareOrdinal(x.Contract.Value, y.Contract.Value);
            return c != 0 ? c : string.CompareOrdinal(x.Line.Value, y.Line.Value);
        }
    }
}
