using Lessor.Core.Fleet;
using Lessor.Core.Model;
using Lessor.Core.Risk;

namespace Lessor.Server.Fleet;

/// <summary>What one reassignment did: its instant, the nodes whose role changed, units no node could take, nodes registered.</summary>
public sealed record AssignmentOutcome(DateTime At, IReadOnlyList<RoleChange> Changes, IReadOnlyList<Unfilled> Unfilled, int NodesRegistered);

// Assignment over time (docs/fleet.md): roles follow the deal desk's placement as lines are signed, amended, cancelled,
// start and end, and as deliveries are accepted. The hook is the deal desk's revision (every write and every catch-up
// with another server's write moves it) plus the next instant the placement changes; FleetAssignmentLoop checks both
// each second, opening the desk and the burn-in gate run it directly.
public sealed partial class FleetDesk
{
    private static readonly HashSet<DeliveryStatus> Arrived = [DeliveryStatus.Accepted, DeliveryStatus.Delivered];

    // The deal desk's revision and the placement (per fabric) the last reassignment followed, and the next instant the
    // placement changes; written under the gate, read by AssignmentDue from the loop.
    private long _assignedRevision = long.MinValue;
    private long _nextChangeTicks = DateTime.MinValue.Ticks;
    private Dictionary<FabricId, List<(LineRef Line, int Units)>>? _placed;
    private readonly HashSet<DeliveryId> _registered = [];

    /// <summary>True when this desk may write the fleet now: it holds the lease, or it takes one per write (standalone).</summary>
    public bool MayWrite => _lease.IsStandalone || _lease.Held;

    /// <summary>True when the book changed since the last reassignment or the placement changes at or before <paramref name="now"/>.</summary>
    public bool AssignmentDue(DateTime now) =>
        _deals.Revision != Interlocked.Read(ref _assignedRevision) || now.Ticks >= Interlocked.Read(ref _nextChangeTicks);

    /// <summary>
    /// Reassigns nodes to the committed lines placed now (docs/fleet.md): registers the nodes of deliveries accepted or
    /// delivered since (in service, or in burn-in), then applies the fewest role changes and commits them in one store
    /// transaction with their events (transitions whose cause names the change) and outages.
    /// </summary>
    /// <remarks>
    /// Only the lease's holder writes (a standalone desk takes the lease for the pass): elsewhere this refuses with
    /// <see cref="FleetLeaderElsewhereException"/>, and <see cref="FleetAssignmentLoop"/> skips replicas without the lease.
    /// </remarks>
    public async Task<AssignmentOutcome> ReassignAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await HoldAsync(ct);
            var registered = await RegisterArrivalsAsync(ct);
            return await ReassignLockedAsync([], new HashSet<string>(StringComparer.Ordinal), registered.Fabrics, registered.Count, ct);
        }
        finally
        {
            await LetGoAsync();
            _gate.Release();
        }
    }

    /// <summary>
    /// Stores the nodes of accepted or delivered deliveries the fleet does not have yet (a delivery accepted after the fleet
    /// was opened, here or by another server) and reloads the book with them. Call under the gate, before any change in memory.
    /// </summary>
    private async Task<(int Count, HashSet<FabricId> Fabrics)> RegisterArrivalsAsync(CancellationToken ct)
    {
        var scenario = _deals.Scenario;
        var fabrics = new HashSet<FabricId>();
        if (scenario.Deliveries.All(d => !Arrived.Contains(d.Status) || _registered.Contains(d.Id))) return (0, fabrics);
        var status = scenario.Deliveries.ToDictionary(d => d.Id, d => d.Status);
        var platforms = scenario.Platforms.ToDictionary(p => p.Id);
        var fresh = new List<(FleetNodeSpec, DeliveryId)>();
        foreach (var n in NodeInventory.Nodes(scenario, Arrived))
        {
            // A serial already stored stays as it is (it may be another delivery's unit when dates moved the numbering).
            if (_registered.Contains(n.Delivery) || _book.Contains(n.Serial)) continue;
            fresh.Add((Spec(n, platforms, status[n.Delivery] == DeliveryStatus.Accepted ? NodeState.InService : NodeState.BurnIn), n.Delivery));
            fabrics.Add(n.Id.Fabric);
        }
        var added = fresh.Count > 0 ? await _store.RegisterNodesAsync(fresh, await FenceAsync(ct), ct) : 0;
        if (added > 0) (_book, _deliveries, _nextId) = Load(await _store.ReadFleetAsync(ct), Options);
        foreach (var d in scenario.Deliveries)
            if (Arrived.Contains(d.Status)) _registered.Add(d.Id);
        return (added, fabrics);
    }

    /// <summary>
    /// Reassigns after <paramref name="changes"/> (made in memory under the gate, not yet stored) and commits them all in one
    /// transaction. Only the fabrics whose placement moved since the last pass, and <paramref name="fabrics"/>, are reassigned
    /// (all of them at the first pass).
    /// </summary>
    private async Task<AssignmentOutcome> ReassignLockedAsync(List<FleetChange> changes, HashSet<string> touched, IReadOnlySet<FabricId> fabrics, int registered, CancellationToken ct)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        // Read before the placement: a write landing in between moves the revision again and the next check runs once more.
        var revision = _deals.Revision;
        var (placement, nextChange) = _deals.PlacementWithNextChange(now);
        var placed = new Dictionary<FabricId, List<(LineRef Line, int Units)>>();
        foreach (var (line, fabric, units) in placement)
        {
            if (!placed.TryGetValue(fabric, out var list)) placed[fabric] = list = [];
            list.Add((line, units));
        }
        HashSet<FabricId>? only = null;
        if (_placed is { } before)
        {
            only = [.. fabrics];
            foreach (var f in placed.Keys.Union(before.Keys))
                if (!placed.TryGetValue(f, out var a) || !before.TryGetValue(f, out var b) || !a.SequenceEqual(b)) only.Add(f);
        }
        var result = _book.Reassign(now, [.. placement.Select(p => new PlacedLine(p.Fabric, p.Line, p.Units))], Policy(), only);
        changes.Add(result.Change);
        if (result.Roles.Count > 0)
        {
            var ended = EndedBecause(now);
            var roles = new FleetChange();
            foreach (var r in result.Roles)
            {
                var state = _book.Health(r.Node).State;
                roles.Transitions.Add(new NodeTransition(r.Node, state, state, now, r.Cause(ended)));
            }
            changes.Add(roles);
        }
        if (touched.Count > 0 || changes.Any(c => !c.IsEmpty))
        {
            try
            {
                await CommitAsync(changes, touched, now, ct);
            }
            catch
            {
                // The book was reloaded from the store: the next pass looks at every fabric again.
                _placed = null;
                throw;
            }
        }
        PublishClaimCeiling();
        _placed = placed;
        Interlocked.Exchange(ref _assignedRevision, revision);
        Interlocked.Exchange(ref _nextChangeTicks, (nextChange ?? DateTime.MaxValue).Ticks);
        return new AssignmentOutcome(now, result.Roles, result.Unfilled, registered);
    }

    private SparePoolPolicy Policy() =>
        SparePoolPolicy.From(_deals.Scenario.Uncertainty?.Failures ?? new FailureModel(), Options.SpareSafetyFactor);

    /// <summary>Why a line left a fabric, for the events: its contract was cancelled, it moved, or it ended.</summary>
    private Func<LineRef, string> EndedBecause(DateTime now)
    {
        var contracts = _deals.Scenario.Contracts.ToDictionary(c => c.Id);
        return line =>
        {
            if (!contracts.TryGetValue(line.Contract, out var c)) return "line ended";
            if (c.Cancellation is { } x && x.EffectiveOn <= now) return "contract cancelled";
            var l = c.Lines.FirstOrDefault(l => l.Id == line.Line);
            return l is not null && l.Period.Contains(now) ? "line moved" : "line ended";
        };
    }

    /// <summary>The fabrics of a delivery's nodes.</summary>
    private HashSet<FabricId> FabricsOf(DeliveryId delivery) =>
        [.. _deliveries.Where(d => d.Value == delivery).Select(d => _book.Spec(d.Key).Fabric)];
}
