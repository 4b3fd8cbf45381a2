using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Core.Claims;

/// <summary>
/// On-demand nodes of a fleet, now: which are claimable (accepted units not held by reserved commitments) and which
/// claims hold them. Claims pick best fit (the fabric or scale-up domain with the fewest free nodes that still fits)
/// so large free regions stay whole. Dense arrays and integer indices throughout; not thread-safe (callers serialize).
/// </summary>
public sealed class NodePool
{
    private readonly Dictionary<PlatformId, int> _platformIndex = [];
    private readonly PlatformId[] _platformIds;
    private readonly int[] _platformNodesPerUnit;
    private readonly int[][] _platformFabrics;

    private readonly Dictionary<FabricId, int> _fabricIndex = [];
    private readonly FabricId[] _fabricIds;
    private readonly int[] _fabricPlatform;
    private readonly int[] _fabricMaxUnits;
    private readonly int[] _fabricUnitBase;
    private readonly int[] _fabricNodeBase;
    private readonly int[] _fabricHistBase;

    // Units [0, _limit[f]) of fabric f may be handed out; the rest are not accepted yet or held by reserved lines.
    private readonly int[] _limit;

    // Free nodes on claimable units, per fabric: the figure best fit compares.
    private readonly int[] _freeNodes;

    // Per fabric, for k = 0..nodesPerUnit: how many claimable units have exactly k free nodes (domain best fit).
    private readonly int[] _hist;

    // Per unit (fabric's unit base + unit): free nodes, whether or not the unit is claimable.
    private readonly int[] _unitFree;

    // Per node (fabric's node base + unit * nodesPerUnit + tray): holding claim's slot + 1, or 0 when free.
    private readonly int[] _owner;

    private readonly List<Slot?> _slots = [];
    private readonly Stack<int> _freeSlots = new();
    private readonly Dictionary<ClaimId, int> _claimSlot = [];
    private readonly int[] _pick;
    private int _held;

    private sealed record Slot(Claim Claim, int Fabric, int[] Nodes);

    /// <summary>
    /// A pool over the fleet's fabrics. <paramref name="claimableUnits"/> gives each fabric's units that may be handed
    /// out now (a fabric left out has none); counts are clamped to [0, MaxUnits].
    /// </summary>
    public NodePool(IReadOnlyList<Platform> platforms, IReadOnlyList<Fabric> fabrics, IReadOnlyDictionary<FabricId, int> claimableUnits)
    {
        ArgumentNullException.ThrowIfNull(platforms);
        ArgumentNullException.ThrowIfNull(fabrics);
        ArgumentNullException.ThrowIfNull(claimableUnits);
        _platformIds = new PlatformId[platforms.Count];
        _platformNodesPerUnit = new int[platforms.Count];
        for (var p = 0; p < platforms.Count; p++)
        {
            if (!_platformIndex.TryAdd(platforms[p].Id, p)) throw new ArgumentException($"Duplicate platform '{platforms[p].Id}'.", nameof(platforms));
            _platformIds[p] = platforms[p].Id;
            _platformNodesPerUnit[p] = NodeShape.NodesPerUnit(platforms[p]);
        }

        var ordered = fabrics.OrderBy(f => f.Id.Value, StringComparer.Ordinal).ToArray();
        var n = ordered.Length;
        _fabricIds = new FabricId[n];
        _fabricPlatform = new int[n];
        _fabricMaxUnits = new int[n];
        _fabricUnitBase = new int[n];
        _fabricNodeBase = new int[n];
        _fabricHistBase = new int[n];
        _limit = new int[n];
        _freeNodes = new int[n];
        int units = 0, nodes = 0, hist = 0, largest = 0;
        var perPlatform = new List<int>[platforms.Count];
        for (var p = 0; p < perPlatform.Length; p++) perPlatform[p] = [];
        for (var f = 0; f < n; f++)
        {
            var fabric = ordered[f];
            if (!_fabricIndex.TryAdd(fabric.Id, f)) throw new ArgumentException($"Duplicate fabric '{fabric.Id}'.", nameof(fabrics));
            if (!_platformIndex.TryGetValue(fabric.Platform, out var p)) throw new ArgumentException($"Fabric '{fabric.Id}' has unknown platform '{fabric.Platform}'.", nameof(fabrics));
            if (fabric.MaxUnits < 0) throw new ArgumentException($"Fabric '{fabric.Id}' has negative max units.", nameof(fabrics));
            var npu = _platformNodesPerUnit[p];
            _fabricIds[f] = fabric.Id;
            _fabricPlatform[f] = p;
            _fabricMaxUnits[f] = fabric.MaxUnits;
            _fabricUnitBase[f] = units;
            _fabricNodeBase[f] = nodes;
            _fabricHistBase[f] = hist;
            units = checked(units + fabric.MaxUnits);
            nodes = checked(nodes + fabric.MaxUnits * npu);
            hist += npu + 1;
            largest = Math.Max(largest, fabric.MaxUnits * npu);
            perPlatform[p].Add(f);
        }
        _platformFabrics = perPlatform.Select(l => l.ToArray()).ToArray();
        _hist = new int[hist];
        _unitFree = new int[units];
        _owner = new int[nodes];
        _pick = new int[Math.Max(1, largest)];
        for (var f = 0; f < n; f++)
        {
            var npu = NodesPerUnit(f);
            for (var u = 0; u < _fabricMaxUnits[f]; u++) _unitFree[_fabricUnitBase[f] + u] = npu;
            _limit[f] = claimableUnits.TryGetValue(_fabricIds[f], out var c) ? Math.Clamp(c, 0, _fabricMaxUnits[f]) : 0;
            Recount(f);
        }
    }

    /// <summary>Nodes currently held by claims.</summary>
    public int HeldNodes => _held;

    /// <summary>Nodes per unit of a platform in this pool.</summary>
    public int NodesPerUnit(PlatformId platform) => _platformNodesPerUnit[_platformIndex[platform]];

    /// <summary>Free nodes on claimable units of a fabric.</summary>
    public int FreeNodes(FabricId fabric) => _freeNodes[_fabricIndex[fabric]];

    /// <summary>Free nodes on claimable units over all fabrics of a platform (0 for a platform the pool does not know).</summary>
    public int FreeNodes(PlatformId platform)
    {
        if (!_platformIndex.TryGetValue(platform, out var p)) return 0;
        var total = 0;
        foreach (var f in _platformFabrics[p]) total += _freeNodes[f];
        return total;
    }

    /// <summary>Units of a fabric that may be handed out now.</summary>
    public int ClaimableUnits(FabricId fabric) => _limit[_fabricIndex[fabric]];

    /// <summary>The claim holding a node, if any.</summary>
    public ClaimId? HolderOf(NodeId node)
    {
        var index = NodeIndex(node);
        return index >= 0 && _owner[index] != 0 ? _slots[_owner[index] - 1]!.Claim.Id : null;
    }

    /// <summary>A claim by id, or null.</summary>
    public Claim? Get(ClaimId id) => _claimSlot.TryGetValue(id, out var s) ? _slots[s]!.Claim : null;

    /// <summary>Claims of one customer (or all), ordered by id.</summary>
    public IReadOnlyList<Claim> List(CustomerId? customer = null)
    {
        var list = new List<Claim>();
        foreach (var slot in _slots)
        {
            if (slot is not null && (customer is null || slot.Claim.Customer == customer.Value)) list.Add(slot.Claim);
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Id.Value, b.Id.Value));
        return list;
    }

    /// <summary>
    /// Claims holding nodes on units that are no longer claimable (a reserved line or a slipped delivery took them):
    /// reserved commitments win, so these are the claims to move or end.
    /// </summary>
    public IReadOnlyList<Claim> Displaced()
    {
        var list = new List<Claim>();
        foreach (var slot in _slots)
        {
            if (slot is null) continue;
            var npu = NodesPerUnit(slot.Fabric);
            foreach (var node in slot.Nodes)
            {
                if ((node - _fabricNodeBase[slot.Fabric]) / npu >= _limit[slot.Fabric])
                {
                    list.Add(slot.Claim);
                    break;
                }
            }
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Id.Value, b.Id.Value));
        return list;
    }

    /// <summary>Changes how many units of a fabric may be handed out (after deliveries or reserved lines changed).</summary>
    public void SetClaimableUnits(FabricId fabric, int units)
    {
        var f = _fabricIndex[fabric];
        _limit[f] = Math.Clamp(units, 0, _fabricMaxUnits[f]);
        Recount(f);
    }

    /// <summary>Holds nodes for a request, best fit; on refusal nothing changes and the reason names the field.</summary>
    public ClaimResult Claim(ClaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_claimSlot.ContainsKey(request.Id)) return Refused("id", $"claim '{request.Id}' already exists.");
        if (!_platformIndex.TryGetValue(request.Platform, out var p)) return Refused("platform", $"no platform '{request.Platform}' in the fleet.");
        if (request.Nodes <= 0) return Refused("nodes", $"{request.Nodes} must be positive.");
        var npu = _platformNodesPerUnit[p];
        int fabric, picked;
        if (request.Scope == ClaimScope.Fabric)
        {
            fabric = BestFabric(p, request.Nodes);
            if (fabric < 0) return Refused("nodes", NoFabricReason(p, request.Nodes));
            picked = PickInFabric(fabric, request.Nodes);
        }
        else
        {
            if (request.Nodes > npu)
                return Refused("nodes", string.Create(CultureInfo.InvariantCulture, $"a scale-up domain of {request.Platform} holds {npu} nodes; {request.Nodes} asked."));
            var (f, k) = BestDomain(p, request.Nodes);
            if (f < 0) return Refused("nodes", NoDomainReason(p, request.Nodes));
            fabric = f;
            picked = PickInDomain(fabric, k, request.Nodes);
        }
        var nodes = _pick.AsSpan(0, picked).ToArray();
        var ids = new NodeId[picked];
        for (var i = 0; i < picked; i++) ids[i] = ToNodeId(fabric, nodes[i]);
        var claim = new Claim(request.Id, request.Customer, request.Platform, request.Scope, ids);
        Attach(claim, fabric, nodes);
        return new ClaimResult(claim, null, null);
    }

    /// <summary>
    /// Holds exactly the nodes of a claim made before (loading from the store): refused, with nothing changed, when a
    /// node is unknown or already held. Units need not be claimable: a reserved line may have taken them since.
    /// </summary>
    public string? Hold(Claim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (_claimSlot.ContainsKey(claim.Id)) return $"claim '{claim.Id}' is already held.";
        if (claim.Nodes.Count == 0) return $"claim '{claim.Id}' holds no nodes.";
        if (!_fabricIndex.TryGetValue(claim.Nodes[0].Fabric, out var fabric)) return $"claim '{claim.Id}': unknown fabric '{claim.Nodes[0].Fabric}'.";
        var nodes = new int[claim.Nodes.Count];
        for (var i = 0; i < nodes.Length; i++)
        {
            var index = claim.Nodes[i].Fabric == _fabricIds[fabric] ? NodeIndex(claim.Nodes[i]) : -1;
            if (index < 0) return $"claim '{claim.Id}': node {claim.Nodes[i]} is not in fabric {_fabricIds[fabric]}.";
            if (_owner[index] != 0 || Array.IndexOf(nodes, index, 0, i) >= 0) return $"claim '{claim.Id}': node {claim.Nodes[i]} is already held.";
            nodes[i] = index;
        }
        Attach(claim, fabric, nodes);
        return null;
    }

    /// <summary>Frees a claim's nodes; false when no such claim is held.</summary>
    public bool Release(ClaimId id)
    {
        if (!_claimSlot.Remove(id, out var s)) return false;
        var slot = _slots[s]!;
        foreach (var node in slot.Nodes) Give(slot.Fabric, node);
        _slots[s] = null;
        _freeSlots.Push(s);
        return true;
    }

    private void Attach(Claim claim, int fabric, int[] nodes)
    {
        int s;
        if (_freeSlots.Count > 0)
        {
            s = _freeSlots.Pop();
            _slots[s] = new Slot(claim, fabric, nodes);
        }
        else
        {
            s = _slots.Count;
            _slots.Add(new Slot(claim, fabric, nodes));
        }
        _claimSlot[claim.Id] = s;
        foreach (var node in nodes) Take(fabric, node, s + 1);
    }

    private int BestFabric(int p, int wanted)
    {
        var best = -1;
        var bestFree = int.MaxValue;
        foreach (var f in _platformFabrics[p])
        {
            var free = _freeNodes[f];
            if (free >= wanted && free < bestFree)
            {
                best = f;
                bestFree = free;
            }
        }
        return best;
    }

    // Fewest free nodes in the domain first, then the fabric with the fewest free nodes: both keep big regions whole.
    private (int Fabric, int FreeInUnit) BestDomain(int p, int wanted)
    {
        int best = -1, bestK = int.MaxValue, bestFree = int.MaxValue;
        foreach (var f in _platformFabrics[p])
        {
            var hb = _fabricHistBase[f];
            var npu = NodesPerUnit(f);
            for (var k = wanted; k <= npu && k <= bestK; k++)
            {
                if (_hist[hb + k] == 0) continue;
                if (k < bestK || _freeNodes[f] < bestFree)
                {
                    best = f;
                    bestK = k;
                    bestFree = _freeNodes[f];
                }
                break;
            }
        }
        return (best, bestK);
    }

    // Fills partly used domains first (fewest free nodes first), whole ones last.
    private int PickInFabric(int f, int wanted)
    {
        var npu = NodesPerUnit(f);
        var hb = _fabricHistBase[f];
        var unitBase = _fabricUnitBase[f];
        var nodeBase = _fabricNodeBase[f];
        var limit = _limit[f];
        var got = 0;
        for (var k = 1; k <= npu && got < wanted; k++)
        {
            var unitsLeft = _hist[hb + k];
            for (var u = 0; u < limit && unitsLeft > 0 && got < wanted; u++)
            {
                if (_unitFree[unitBase + u] != k) continue;
                unitsLeft--;
                var first = nodeBase + u * npu;
                for (var t = 0; t < npu && got < wanted; t++)
                {
                    if (_owner[first + t] == 0) _pick[got++] = first + t;
                }
            }
        }
        return got;
    }

    private int PickInDomain(int f, int freeInUnit, int wanted)
    {
        var npu = NodesPerUnit(f);
        var unitBase = _fabricUnitBase[f];
        var limit = _limit[f];
        for (var u = 0; u < limit; u++)
        {
            if (_unitFree[unitBase + u] != freeInUnit) continue;
            var first = _fabricNodeBase[f] + u * npu;
            var got = 0;
            for (var t = 0; t < npu && got < wanted; t++)
            {
                if (_owner[first + t] == 0) _pick[got++] = first + t;
            }
            return got;
        }
        throw new InvalidOperationException("Domain counts disagree with the unit table.");
    }

    private void Take(int f, int node, int owner)
    {
        if (_owner[node] != 0) throw new InvalidOperationException($"Node {ToNodeId(f, node)} is already held.");
        _owner[node] = owner;
        _held++;
        var npu = NodesPerUnit(f);
        var u = (node - _fabricNodeBase[f]) / npu;
        var k = _unitFree[_fabricUnitBase[f] + u]--;
        if (u < _limit[f])
        {
            _freeNodes[f]--;
            _hist[_fabricHistBase[f] + k]--;
            _hist[_fabricHistBase[f] + k - 1]++;
        }
    }

    private void Give(int f, int node)
    {
        _owner[node] = 0;
        _held--;
        var npu = NodesPerUnit(f);
        var u = (node - _fabricNodeBase[f]) / npu;
        var k = _unitFree[_fabricUnitBase[f] + u]++;
        if (u < _limit[f])
        {
            _freeNodes[f]++;
            _hist[_fabricHistBase[f] + k]--;
            _hist[_fabricHistBase[f] + k + 1]++;
        }
    }

    private void Recount(int f)
    {
        var npu = NodesPerUnit(f);
        var hb = _fabricHistBase[f];
        Array.Clear(_hist, hb, npu + 1);
        var free = 0;
        for (var u = 0; u < _limit[f]; u++)
        {
            var k = _unitFree[_fabricUnitBase[f] + u];
            free += k;
            _hist[hb + k]++;
        }
        _freeNodes[f] = free;
    }

    private int NodesPerUnit(int f) => _platformNodesPerUnit[_fabricPlatform[f]];

    private NodeId ToNodeId(int f, int node)
    {
        var npu = NodesPerUnit(f);
        var offset = node - _fabricNodeBase[f];
        return new NodeId(_fabricIds[f], offset / npu, offset % npu);
    }

    private int NodeIndex(NodeId node)
    {
        if (!_fabricIndex.TryGetValue(node.Fabric, out var f)) return -1;
        var npu = NodesPerUnit(f);
        if (node.Unit < 0 || node.Unit >= _fabricMaxUnits[f] || node.Tray < 0 || node.Tray >= npu) return -1;
        return _fabricNodeBase[f] + node.Unit * npu + node.Tray;
    }

    private string NoFabricReason(int p, int wanted)
    {
        int total = 0, most = 0;
        foreach (var f in _platformFabrics[p])
        {
            total += _freeNodes[f];
            most = Math.Max(most, _freeNodes[f]);
        }
        return total >= wanted
            ? string.Create(CultureInfo.InvariantCulture, $"no fabric of {_platformIds[p]} has {wanted} free nodes together; the most in one fabric is {most} ({total} free in all).")
            : string.Create(CultureInfo.InvariantCulture, $"{total} nodes of {_platformIds[p]} are free now; {wanted} asked.");
    }

    private string NoDomainReason(int p, int wanted)
    {
        var most = 0;
        foreach (var f in _platformFabrics[p])
        {
            var hb = _fabricHistBase[f];
            for (var k = NodesPerUnit(f); k > most; k--)
            {
                if (_hist[hb + k] > 0)
                {
                    most = k;
                    break;
                }
            }
        }
        return string.Create(CultureInfo.InvariantCulture, $"no scale-up domain of {_platformIds[p]} has {wanted} free nodes; the most in one is {most}.");
    }

    private static ClaimResult Refused(string field, string reason) => new(null, field, reason);
}
