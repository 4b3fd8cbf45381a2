using System.Globalization;
using Lessor.Core.Claims;
using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Model;
using Lessor.Core.Risk;
using Lessor.Server.Desk;
using Lessor.Storage.Store;

namespace Lessor.Server.Fleet;

/// <summary>The fleet desk's settings: the clock skew reports may have, swap time, rules and the spare safety factor.</summary>
public sealed record FleetOptions
{
    /// <summary>A report later than the clock plus this is refused (<see cref="IngestStatus.FromTheFuture"/>).</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan SwapTime { get; init; } = TimeSpan.FromMinutes(15);
    public HealthRules Rules { get; init; } = HealthRules.Default;
    public double SpareSafetyFactor { get; init; } = 1.5;
}

/// <summary>A node as the API shows it.</summary>
public sealed record NodeView(string Serial, string Fabric, int Unit, int Tray, int Gpus, string Delivery, string State, DateTime Since, long LastSeq, long ReportsApplied, string Role, string? Contract, string? Line);

/// <summary>A fabric's spare pool: the policy's size, nodes in the pool, healthy ones left, spares now serving, swaps so far.</summary>
public sealed record SparePoolView(string Fabric, int GpusInService, int PolicyNodes, int Pool, int Left, int Short);

/// <summary>A line short now: GPUs missing since when, the customer to call and the nodes it lost.</summary>
public sealed record LineShort(string Contract, string Line, string Customer, string CustomerName, int GpusShort, DateTime Since, IReadOnlyList<string> Nodes);

/// <summary>The outcome of an operator action: the node after it, or the reason it was refused.</summary>
public sealed record ActionOutcome(NodeView? Node, IReadOnlyList<SwapDecision> Swaps, string? Field, string? Error);

/// <summary>A written (or already written) SLA month of one contract.</summary>
public sealed record CreditRunItem(string Contract, string Customer, decimal Availability, Money Credit, string? CreditId, bool Written);

/// <summary>
/// The fleet's one write path (docs/fleet.md): applies health reports (from NATS and HTTP alike, as the
/// <see cref="IHealthSink"/>) and operator actions to the in-memory <see cref="FleetBook"/> in order, and commits each
/// batch in one store transaction: node rows (state, high-water sequence, readings counted), transitions, swap decisions
/// and outages. Writers are serialized; a failed commit reloads the book from the store, so memory never runs ahead.
/// One writer per store: every write holds the fleet lease (<see cref="FleetLease"/>) and is fenced by its epoch; a desk
/// that does not hold it refuses writes (<see cref="FleetLeaderElsewhereException"/>), and one that takes it over reloads
/// the book from the store first (docs/deploy.md, "The fleet lease").
/// </summary>
public sealed partial class FleetDesk : IHealthSink
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly DealDesk _deals;
    private readonly LessorStore _store;
    private readonly TimeProvider _clock;
    private readonly FleetLease _lease;
    private long? _bookEpoch; // the lease epoch the book is current for: another epoch means another holder may have written
    private bool _letGo;
    private (long Epoch, long Writes)? _followed;
    private FleetBook _book;
    private Dictionary<string, DeliveryId> _deliveries;
    private long _nextId;

    private FleetDesk(DealDesk deals, LessorStore store, TimeProvider clock, FleetOptions options, FleetLease lease, StoredFleet snapshot)
    {
        _deals = deals;
        _store = store;
        _clock = clock;
        _lease = lease;
        Options = options;
        (_book, _deliveries, _nextId) = Load(snapshot, options);
        PublishClaimCeiling();
    }

    /// <summary>
    /// Tells the deal desk, per fabric, the lowest unit with a node that serves a line or waits as a spare, so on-demand
    /// claims (units from 0 up) never take one. Roles leave "free" only at assignment, so this runs when the book is
    /// loaded, after each reassignment and after operator actions, burn-in and replays, not per health batch.
    /// </summary>
    private void PublishClaimCeiling()
    {
        var ceiling = new Dictionary<FabricId, int>();
        foreach (var serial in _book.Serials)
        {
            if (_book.Role(serial) == NodeRole.Free) continue;
            var spec = _book.Spec(serial);
            ceiling[spec.Fabric] = ceiling.TryGetValue(spec.Fabric, out var low) ? Math.Min(low, spec.Unit) : spec.Unit;
        }
        _deals.SetClaimCeiling(ceiling);
    }

    public FleetOptions Options { get; }

    /// <summary>Opens the desk with a <see cref="FleetLease.Standalone"/> lease: taken for each write and let go after it (the CLI, tests).</summary>
    public static Task<FleetDesk> OpenAsync(DealDesk deals, LessorStore store, TimeProvider clock, FleetOptions? options, CancellationToken ct) =>
        OpenAsync(deals, store, clock, options, null, ct);

    /// <summary>
    /// Opens the desk on the store's fleet, writing under <paramref name="lease"/> (a server's, renewed by
    /// <see cref="FleetLeaseKeeper"/>; null: a standalone one). When this process holds the lease, a store without nodes
    /// gets them from the book's accepted and delivered units (delivered ones in burn-in), with the committed lines placed
    /// now on the top units of each fabric and the spare pool below them (docs/fleet.md), written in one transaction;
    /// otherwise the book is what the holder has written so far.
    /// </summary>
    public static async Task<FleetDesk> OpenAsync(DealDesk deals, LessorStore store, TimeProvider clock, FleetOptions? options, FleetLease? lease, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(deals);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clock);
        options ??= new FleetOptions();
        lease ??= FleetLease.Standalone(store);
        var desk = new FleetDesk(deals, store, clock, options, lease, new StoredFleet([], new Dictionary<string, DeliveryId>(), [], 1));
        await desk._gate.WaitAsync(ct);
        try
        {
            var epoch = lease.IsStandalone ? await lease.RenewAsync(ct) : lease.Epoch;
            desk._letGo = lease.IsStandalone && epoch is not null;
            if (epoch is { } e)
            {
                await desk.ReloadAsync(e, ct);
                // Roles follow the placement now: lines that started, ended or changed while no desk was open (docs/fleet.md).
                var registered = await desk.RegisterArrivalsAsync(ct);
                await desk.ReassignLockedAsync([], new HashSet<string>(StringComparer.Ordinal), registered.Fabrics, registered.Count, ct);
            }
            else
            {
                // Another replica holds the lease: its writes so far, read before the book, so following starts from here.
                var seen = await store.ReadLeaseAsync(FleetLease.Name, ct);
                desk.LoadBook(await store.ReadFleetAsync(ct));
                if (seen is not null) desk._followed = (seen.Epoch, seen.Writes);
            }
        }
        finally
        {
            await desk.LetGoAsync();
            desk._gate.Release();
        }
        return desk;
    }

    private void LoadBook(StoredFleet snapshot)
    {
        (_book, _deliveries, _nextId) = Load(snapshot, Options);
        PublishClaimCeiling();
    }

    /// <summary>
    /// Under the gate, holding the lease at <paramref name="epoch"/>: the book from the store (another holder may have
    /// written since this desk last did); a store without nodes gets them first, and the new book is settled.
    /// </summary>
    private async Task ReloadAsync(long epoch, CancellationToken ct)
    {
        var snapshot = await _store.ReadFleetAsync(ct);
        _bookEpoch = null;
        if (snapshot.Nodes.Count == 0)
        {
            var now = _clock.GetUtcNow().UtcDateTime;
            var (specs, deliveries) = Initial(_deals, Options, now);
            if (specs.Count > 0)
            {
                _bookEpoch = epoch;
                try
                {
                    await _store.RegisterNodesAsync([.. specs.Select(s => (s, deliveries[s.Serial]))], await FenceAsync(ct), ct);
                }
                catch
                {
                    _bookEpoch = null;
                    throw;
                }
                LoadBook(await _store.ReadFleetAsync(ct));
                await CommitAsync([_book.Settle(now)], new HashSet<string>(StringComparer.Ordinal), now, ct);
                return;
            }
        }
        LoadBook(snapshot);
        _bookEpoch = epoch;
    }

    /// <summary>
    /// Under the gate, before a write: the lease's epoch (a standalone lease is taken now), the book reloaded when the
    /// epoch is not the one it was current for. Refuses with <see cref="FleetLeaderElsewhereException"/> when another
    /// replica holds the lease; nothing has changed then.
    /// </summary>
    private async Task HoldAsync(CancellationToken ct)
    {
        var epoch = _lease.IsStandalone ? await _lease.RenewAsync(ct) : _lease.Epoch;
        _letGo = _lease.IsStandalone && epoch is not null;
        if (epoch is not { } e) throw new FleetLeaderElsewhereException(_lease.Holder, _lease.Elsewhere);
        if (e != _bookEpoch) await ReloadAsync(e, ct);
    }

    /// <summary>
    /// Under the gate, the fence of a write at the book's epoch. A lease past half its ttl by this process's clock (a long
    /// replay, or the first registration of a large fleet before the keeper runs) is renewed first; if it came back at
    /// another epoch, or not at all, the write is refused: the book may be behind another holder's writes.
    /// </summary>
    private async Task<LeaseFence> FenceAsync(CancellationToken ct)
    {
        var epoch = _bookEpoch ?? throw new InvalidOperationException("A fleet write outside HoldAsync.");
        if (_lease.Remaining < _lease.Ttl / 2 && await _lease.RenewAsync(ct) != epoch)
        {
            _bookEpoch = null;
            throw new FleetLeaderElsewhereException(_lease.Holder, _lease.Elsewhere);
        }
        return _lease.Fence(epoch);
    }

    /// <summary>After a write, under the gate: a standalone lease is let go, so another process may write next.</summary>
    private async Task LetGoAsync()
    {
        if (!_letGo) return;
        _letGo = false;
        await _lease.ReleaseAsync(CancellationToken.None);
    }

    /// <summary>When this replica last reloaded its book from another holder's writes (null: never), for readiness.</summary>
    public DateTimeOffset? FollowedAt { get; private set; }

    /// <summary>
    /// On a replica that does not hold the lease: reloads the book when the fleet moved since the last reload (the lease's
    /// epoch or its count of fenced writes, <paramref name="seen"/>, read before the book). Returns whether it reloaded.
    /// </summary>
    public async Task<bool> FollowAsync(LeaseState seen, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(seen);
        if (_followed == (seen.Epoch, seen.Writes)) return false;
        await _gate.WaitAsync(ct);
        try
        {
            if (_lease.Held) return false;
            LoadBook(await _store.ReadFleetAsync(ct));
            _bookEpoch = null;
            _followed = (seen.Epoch, seen.Writes);
            FollowedAt = _clock.GetUtcNow();
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static (FleetBook, Dictionary<string, DeliveryId>, long) Load(StoredFleet snapshot, FleetOptions options) =>
        (new FleetBook(snapshot.Nodes, options.SwapTime, snapshot.NextId, snapshot.OpenOutages), new Dictionary<string, DeliveryId>(snapshot.Deliveries, StringComparer.Ordinal), snapshot.NextId);

    private static (List<FleetNodeSpec> Specs, Dictionary<string, DeliveryId> Deliveries) Initial(DealDesk deals, FleetOptions options, DateTime now)
    {
        var scenario = deals.Scenario;
        var platforms = scenario.Platforms.ToDictionary(p => p.Id);
        var fabrics = scenario.Fabrics.ToDictionary(f => f.Id);
        var status = scenario.Deliveries.ToDictionary(d => d.Id, d => d.Status);
        var nodes = NodeInventory.Nodes(scenario, new HashSet<DeliveryStatus> { DeliveryStatus.Accepted, DeliveryStatus.Delivered });
        var deliveries = nodes.ToDictionary(n => n.Serial, n => n.Delivery, StringComparer.Ordinal);
        var accepted = nodes.Where(n => status[n.Delivery] == DeliveryStatus.Accepted).Select(n => Spec(n, platforms, NodeState.InService)).ToList();
        var burnIn = nodes.Where(n => status[n.Delivery] != DeliveryStatus.Accepted).Select(n => Spec(n, platforms, NodeState.BurnIn)).ToList();
        var book = new FleetBook(accepted, options.SwapTime);
        var placement = deals.PlacementAt(now);
        var policy = SparePoolPolicy.From(scenario.Uncertainty?.Failures ?? new FailureModel(), options.SpareSafetyFactor);
        foreach (var group in accepted.GroupBy(n => n.Fabric))
        {
            var platform = platforms[fabrics[group.Key].Platform];
            var units = group.Select(n => n.Unit).Distinct().Count();
            var lines = placement.Where(p => p.Fabric == group.Key).Select(p => (p.Line, p.Units)).ToList();
            var serving = Math.Min(units, lines.Sum(l => l.Units));
            var spares = Math.Min(units - serving, policy.Units((long)units * platform.GpusPerUnit, group.First().Gpus, NodeShape.NodesPerUnit(platform)));
            book.Assign(group.Key, lines, spares);
        }
        var specs = accepted.Select(n => n with { Role = book.Role(n.Serial), Line = book.LineOf(n.Serial) }).Concat(burnIn).ToList();
        return (specs, deliveries);
    }

    private static FleetNodeSpec Spec(FleetNode n, Dictionary<PlatformId, Platform> platforms, NodeState state) =>
        new(n.Serial, n.Id.Fabric, n.Id.Unit, n.Id.Tray, n.Gpus, NodeShape.NodesPerUnit(platforms[n.Platform]) > 1, state, n.ArrivesOn);

    /// <inheritdoc />
    public async Task<IReadOnlyList<IngestOutcome>> ApplyAsync(IReadOnlyList<HealthReport> reports, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var outcomes = new IngestOutcome[reports.Count];
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await HoldAsync(cancellationToken);
            var now = _clock.GetUtcNow().UtcDateTime;
            var latest = now + Options.ClockSkew;
            var changes = new List<FleetChange>();
            var touched = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < reports.Count; i++)
            {
                var r = reports[i];
                if (r is null || string.IsNullOrEmpty(r.Node))
                    outcomes[i] = new IngestOutcome(IngestStatus.Malformed, "node", "a report needs the node's serial");
                else if (!_book.Contains(r.Node))
                    outcomes[i] = new IngestOutcome(IngestStatus.UnknownNode, "node", $"no node has serial '{r.Node}'");
                else if (r.At.ToUniversalTime() > latest)
                    outcomes[i] = new IngestOutcome(IngestStatus.FromTheFuture, "at",
                        $"{r.At.ToUniversalTime():O} is later than the receiver's clock {now:O} plus the allowed skew of {Options.ClockSkew.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
                else if (r.Seq <= _book.Health(r.Node).LastSeq)
                    outcomes[i] = IngestOutcome.Duplicate;
                else
                {
                    changes.Add(_book.Apply(r with { At = r.At.ToUniversalTime() }, Options.Rules));
                    touched.Add(r.Node);
                    outcomes[i] = IngestOutcome.Applied;
                }
            }
            if (touched.Count > 0) await CommitAsync(changes, touched, now, cancellationToken);
            return outcomes;
        }
        finally
        {
            await LetGoAsync();
            _gate.Release();
        }
    }

    /// <summary>An operator's action on a node at <paramref name="at"/> (now when null).</summary>
    public async Task<ActionOutcome> ActAsync(string serial, NodeAction action, DateTime? at, string? note, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await HoldAsync(ct);
            if (!_book.Contains(serial)) return new ActionOutcome(null, [], "serial", $"no node has serial '{serial}'");
            var now = _clock.GetUtcNow().UtcDateTime;
            var when = at ?? now;
            if (when > now + Options.ClockSkew) return new ActionOutcome(null, [], "at", $"{when:O} is in the future");
            var (change, refusal) = _book.Act(serial, action, when, note);
            if (refusal is not null) return new ActionOutcome(View(serial), [], "action", refusal);
            await CommitAsync([change], new HashSet<string>(StringComparer.Ordinal) { serial }, now, ct);
            PublishClaimCeiling();
            return new ActionOutcome(View(serial), change.Swaps, null, null);
        }
        finally
        {
            await LetGoAsync();
            _gate.Release();
        }
    }

    /// <summary>What a replay did: failures applied, failures skipped (the node was out already), actions applied or refused.</summary>
    public sealed record ReplayOutcome(int Failures, int Skipped, int Actions, int Refused);

    /// <summary>
    /// Replays simulated steps (<see cref="FleetSimulator"/>) in order, each at its own instant (a failure becomes the node's
    /// next report, an operator step its action), through the same state machine and swaps as live reports, and commits
    /// them in one store transaction. A failure of a node that is not serving is skipped, as is an action its state refuses.
    /// </summary>
    public async Task<ReplayOutcome> ReplayAsync(IReadOnlyList<SimulatedStep> steps, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(steps);
        await _gate.WaitAsync(ct);
        try
        {
            await HoldAsync(ct);
            int failures = 0, skipped = 0, actions = 0, refused = 0;
            var changes = new List<FleetChange>();
            var touched = new HashSet<string>(StringComparer.Ordinal);
            foreach (var step in steps)
            {
                if (!_book.Contains(step.Node)) throw new ArgumentException($"No node has serial '{step.Node}'.", nameof(steps));
                var health = _book.Health(step.Node);
                if (step.Kind == SimulatedKind.Failure)
                {
                    if (!FleetText.Serves(health.State))
                    {
                        skipped++;
                        continue;
                    }
                    changes.Add(_book.Apply(new HealthReport(step.Node, health.LastSeq + 1, step.At, [], [step.Event!]), Options.Rules));
                    failures++;
                }
                else
                {
                    var action = step.Kind switch
                    {
                        SimulatedKind.StartRepair => NodeAction.StartRepair,
                        SimulatedKind.Rma => NodeAction.Rma,
                        _ => NodeAction.ReturnToService,
                    };
                    var (change, refusal) = _book.Act(step.Node, action, step.At, $"simulated {step.Cause}");
                    if (refusal is not null)
                    {
                        refused++;
                        continue;
                    }
                    changes.Add(change);
                    actions++;
                }
                touched.Add(step.Node);
            }
            if (touched.Count > 0) await CommitAsync(changes, touched, _clock.GetUtcNow().UtcDateTime, ct);
            PublishClaimCeiling();
            return new ReplayOutcome(failures, skipped, actions, refused);
        }
        finally
        {
            await LetGoAsync();
            _gate.Release();
        }
    }

    /// <summary>
    /// The burn-in gate of a delivery: passed, its nodes enter service and the delivery is accepted through the deal
    /// desk (accepted supply from then on); failed, its nodes fail. The result is kept as evidence; a delivery has one.
    /// </summary>
    public async Task<(string? Field, string? Error)> BurnInAsync(DeliveryId delivery, bool passed, string evidence, CancellationToken ct)
    {
        // Under the gate and the lease from the start: a replica that does not hold it accepts no delivery.
        await _gate.WaitAsync(ct);
        try
        {
            await HoldAsync(ct);
            var scenario = _deals.Scenario;
            var d = scenario.Deliveries.FirstOrDefault(x => x.Id == delivery);
            if (d is null) return ("delivery", $"no delivery '{delivery}'");
            if (d.Status != DeliveryStatus.Delivered) return ("delivery", $"delivery '{delivery}' is {d.Status.ToString().ToLowerInvariant()}; burn-in runs on delivered units");
            var now = _clock.GetUtcNow().UtcDateTime;
            if (await _store.FindBurnInAsync(delivery, ct) is { } earlier)
                return ("delivery", $"delivery '{delivery}' already has a burn-in result ({(earlier.Passed ? "passed" : "failed")} at {earlier.At:O})");
            if (passed)
            {
                var accepted = await _deals.AcceptDeliveryAsync(delivery, now, ct);
                if (!accepted.Applied) return ("delivery", accepted.Error);
            }
            await _store.RecordBurnInAsync(new BurnInResult(delivery, passed, now, evidence), await FenceAsync(ct), ct);
            var registered = await RegisterArrivalsAsync(ct);
            var changes = new List<FleetChange>();
            var touched = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (serial, of) in _deliveries)
            {
                if (of != delivery || _book.Health(serial).State != NodeState.BurnIn) continue;
                changes.Add(_book.Act(serial, passed ? NodeAction.BurnInPass : NodeAction.BurnInFail, now, evidence).Change);
                touched.Add(serial);
            }
            // The gate's result and the roles it makes possible (nodes in service take lines and spares) in one transaction.
            registered.Fabrics.UnionWith(FabricsOf(delivery));
            await ReassignLockedAsync(changes, touched, registered.Fabrics, registered.Count, ct);
            return (null, null);
        }
        finally
        {
            await LetGoAsync();
            _gate.Release();
        }
    }

    /// <summary>Announces maintenance on a fabric's nodes (all when <paramref name="nodes"/> is empty), announced now.</summary>
    public async Task<(MaintenanceWindow? Window, string? Field, string? Error)> AnnounceMaintenanceAsync(
        string id, FabricId fabric, IReadOnlyList<string> nodes, Period period, string reason, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await HoldAsync(ct);
            if (!_deals.Scenario.Fabrics.Any(f => f.Id == fabric)) return (null, "fabric", $"no fabric '{fabric}'");
            foreach (var n in nodes)
                if (!_book.Contains(n) || _book.Spec(n).Fabric != fabric) return (null, "nodes", $"'{n}' is not a node of fabric '{fabric}'");
            var now = _clock.GetUtcNow().UtcDateTime;
            if (period.Start < now) return (null, "start", $"maintenance starts {period.Start:O}, before now ({now:O})");
            var window = new MaintenanceWindow(id, fabric, nodes, period, now, reason);
            return await _store.AddMaintenanceAsync(window, await FenceAsync(ct), ct) ? (window, null, null) : (null, "id", $"maintenance '{id}' already exists");
        }
        finally
        {
            await LetGoAsync();
            _gate.Release();
        }
    }

    private async Task CommitAsync(List<FleetChange> changes, HashSet<string> touched, DateTime now, CancellationToken ct)
    {
        var transitions = new List<(long, NodeTransition)>();
        var swaps = new List<(long, SwapDecision)>();
        var outages = new Dictionary<long, Outage>();
        foreach (var c in changes)
        {
            foreach (var t in c.Transitions) transitions.Add((_nextId++, t));
            foreach (var s in c.Swaps)
            {
                swaps.Add((_nextId++, s));
                touched.Add(s.Failed);
                if (s.Spare is { } spare) touched.Add(spare);
            }
            foreach (var o in c.Outages) outages[o.Id] = o;
            foreach (var t in c.Transitions) touched.Add(t.Node);
        }
        _nextId = Math.Max(_nextId, _book.NextOutageId);
        var rows = touched.Order(StringComparer.Ordinal).Select(s =>
        {
            var h = _book.Health(s);
            return new FleetNodeRow(s, h.State, h.Since, h.LastSeq, h.Applied, _book.Role(s), _book.LineOf(s));
        }).ToList();
        try
        {
            await _store.WriteFleetAsync(new FleetWrite(rows, transitions, swaps, [.. outages.Values.OrderBy(o => o.Id)], now), await FenceAsync(ct), ct);
        }
        catch (Exception e)
        {
            // Lost the lease (another replica may be writing): this one stops writing until it holds it again.
            if (e is LeaseLostException lost)
            {
                _lease.Lost(lost.Current);
                _bookEpoch = null;
            }
            // Memory ran ahead of a store that did not take the batch: start again from what is stored.
            (_book, _deliveries, _nextId) = Load(await _store.ReadFleetAsync(CancellationToken.None), Options);
            PublishClaimCeiling();
            throw;
        }
    }

    /// <summary>A node as the API shows it, or null.</summary>
    public NodeView? View(string serial)
    {
        if (!_book.Contains(serial)) return null;
        var s = _book.Spec(serial);
        var h = _book.Health(serial);
        var line = _book.LineOf(serial);
        return new NodeView(serial, s.Fabric.Value, s.Unit, s.Tray, s.Gpus, _deliveries.TryGetValue(serial, out var d) ? d.Value : "", FleetText.Name(h.State), h.Since,
            h.LastSeq, h.Applied, _book.Role(serial).ToString().ToLowerInvariant(), line?.Contract.Value, line?.Line.Value);
    }

    /// <summary>Nodes in serial order, filtered by fabric, state and role.</summary>
    public IReadOnlyList<NodeView> Nodes(FabricId? fabric, NodeState? state, NodeRole? role)
    {
        var list = new List<NodeView>();
        foreach (var serial in _book.Serials)
        {
            if (fabric is { } f && _book.Spec(serial).Fabric != f) continue;
            if (state is { } st && _book.Health(serial).State != st) continue;
            if (role is { } r && _book.Role(serial) != r) continue;
            list.Add(View(serial)!);
        }
        return list;
    }

    /// <summary>Per fabric: the spare policy's size, the pool, healthy spares left and lines short there now.</summary>
    public IReadOnlyList<SparePoolView> Spares()
    {
        var scenario = _deals.Scenario;
        var policy = SparePoolPolicy.From(scenario.Uncertainty?.Failures ?? new FailureModel(), Options.SpareSafetyFactor);
        var shortBy = _book.OpenOutages.Where(o => !o.Degraded).GroupBy(o => _book.Spec(o.Node).Fabric).ToDictionary(g => g.Key, g => g.Count());
        return [.. _book.Serials.GroupBy(s => _book.Spec(s).Fabric).OrderBy(g => g.Key.Value, StringComparer.Ordinal).Select(g =>
        {
            var gpus = g.Where(s => FleetText.Serves(_book.Health(s).State)).Sum(s => _book.Spec(s).Gpus);
            return new SparePoolView(g.Key.Value, gpus, policy.Nodes(gpus, _book.Spec(g.First()).Gpus), _book.SparePool(g.Key), _book.SparesLeft(g.Key), shortBy.GetValueOrDefault(g.Key));
        })];
    }

    /// <summary>Lines short now (a node down and no spare took its place), with the customer to call; longest first.</summary>
    public IReadOnlyList<LineShort> AtRisk()
    {
        var scenario = _deals.Scenario;
        var contracts = scenario.Contracts.ToDictionary(c => c.Id);
        var names = scenario.Customers.ToDictionary(c => c.Id, c => c.Name);
        return [.. _book.OpenOutages.Where(o => !o.Degraded && _book.Role(o.Node) != NodeRole.Serving).GroupBy(o => o.Line).Select(g =>
        {
            var customer = contracts.TryGetValue(g.Key.Contract, out var c) ? c.Customer : new CustomerId("");
            return new LineShort(g.Key.Contract.Value, g.Key.Line.Value, customer.Value, names.GetValueOrDefault(customer, customer.Value ?? ""),
                g.Sum(o => o.Gpus), g.Min(o => o.Start), [.. g.Select(o => o.Node)]);
        }).OrderBy(l => l.Since).ThenBy(l => l.Contract, StringComparer.Ordinal)];
    }

    /// <summary>Availability and credit per contract with an SLA for <paramref name="month"/> (of one customer, or all).</summary>
    public async Task<IReadOnlyList<SlaMonth>> SlaAsync(YearMonth month, CustomerId? customer, CancellationToken ct)
    {
        var scenario = _deals.Scenario;
        var coverage = _deals.Coverage();
        var finance = _deals.FinanceBook();
        // A month still running is measured to now (whole minutes): an outage still open counts to now, not to the month's end.
        var now = _clock.GetUtcNow().UtcDateTime;
        now = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        if (now <= month.Start) return [];
        var range = now < month.End ? new Period(month.Start, now) : month.Period;
        var outages = await _store.ListOutagesAsync(range, ct);
        var windows = await _store.ListMaintenanceAsync(range, ct);
        var byContract = outages.GroupBy(o => o.Line.Contract).ToDictionary(g => g.Key, g => g.ToList());
        var result = new List<SlaMonth>();
        foreach (var schedule in finance.Contracts)
        {
            var contract = schedule.Contract;
            if (contract.Sla is null || (customer is { } cu && contract.Customer != cu)) continue;
            decimal covered = 0;
            var lines = new HashSet<LineRef>();
            foreach (var line in contract.CommittedLines)
            {
                var key = new LineRef(contract.Id, line.Id);
                lines.Add(key);
                if (coverage.Coverage(key) is { } steps) covered += SlaEngine.CoveredGpuMinutes(steps, range);
                else if (line.Period.Intersect(range) is { } p) covered += line.Gpus.Value * SlaEngine.Minutes(p);
            }
            if (covered == 0) continue;
            var charge = schedule.RevenueBefore(range.End) - schedule.RevenueBefore(range.Start);
            var maintenance = Maintenance(windows, lines);
            result.Add(SlaEngine.Month(contract, month, covered, byContract.GetValueOrDefault(contract.Id) ?? [], maintenance, charge, range));
        }
        return result;
    }

    /// <summary>The maintenance windows' nodes that serve the given lines now, as the SLA engine takes them.</summary>
    private List<SlaMaintenance> Maintenance(IReadOnlyList<MaintenanceWindow> windows, HashSet<LineRef> lines)
    {
        var result = new List<SlaMaintenance>();
        foreach (var w in windows)
        {
            var nodes = w.Nodes.Count > 0 ? w.Nodes : _book.Serials.Where(s => _book.Spec(s).Fabric == w.Fabric);
            foreach (var n in nodes)
                if (_book.Contains(n) && _book.LineOf(n) is { } line && lines.Contains(line))
                    result.Add(new SlaMaintenance(n, _book.Spec(n).Gpus, w.Period, w.AnnouncedAt));
        }
        return result;
    }

    /// <summary>
    /// The SLA credits of the months <paramref name="from"/> to <paramref name="to"/> as finance counts them at
    /// <paramref name="asOf"/>: every credit the credit run wrote (with when, so the caller can leave out those written
    /// later), and, for each month over by <paramref name="asOf"/> (and by now) whose credit run had not happened by
    /// <paramref name="asOf"/>, the credits <see cref="SlaAsync"/> measures for it (accrued, not written), of contracts
    /// signed by <paramref name="asOf"/>. Returns the months it measured: in a month-by-month routine that is the last
    /// month or none, so the cost is one <see cref="SlaAsync"/> at most.
    /// </summary>
    public async Task<(IReadOnlyList<SlaCreditEntry> Entries, IReadOnlyList<YearMonth> AccruedMonths)> CreditsAsOfAsync(
        DateTime asOf, YearMonth from, YearMonth to, CancellationToken ct)
    {
        var entries = new List<SlaCreditEntry>();
        var ranBy = new HashSet<YearMonth>();
        foreach (var stored in await _store.ListSlaCreditsAsync(from, to, ct))
        {
            if (stored.WrittenAt <= asOf) ranBy.Add(stored.Month);
            if (stored.Credit is { } c) entries.Add(new SlaCreditEntry(stored.Contract, c.Customer, stored.Month, c.Amount, stored.WrittenAt, c.Month));
        }
        var now = _clock.GetUtcNow().UtcDateTime;
        var signedLater = _deals.Scenario.Contracts.Where(c => c.SignedOn > asOf).Select(c => c.Id).ToHashSet();
        var measured = new List<YearMonth>();
        for (var m = from; m.CompareTo(to) <= 0 && m.End <= asOf && m.End <= now; m = m.Next)
        {
            if (ranBy.Contains(m)) continue;
            measured.Add(m);
            foreach (var sla in await SlaAsync(m, null, ct))
                if (sla.Credit.Amount > 0 && !signedLater.Contains(sla.Contract))
                    entries.Add(new SlaCreditEntry(sla.Contract, sla.Customer, m, sla.Credit, null, null));
        }
        return (entries, measured);
    }

    /// <summary>
    /// Writes the month's SLA results and credits, once per (contract, month): a credit lands on the invoice of the next
    /// month as a credit line, with its evidence. A month not over yet is refused. A rerun writes nothing new.
    /// </summary>
    public async Task<(IReadOnlyList<CreditRunItem>? Items, string? Error)> RunCreditsAsync(YearMonth month, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await HoldAsync(ct);
            return await RunCreditsHeldAsync(month, ct);
        }
        finally
        {
            await LetGoAsync();
            _gate.Release();
        }
    }

    private async Task<(IReadOnlyList<CreditRunItem>? Items, string? Error)> RunCreditsHeldAsync(YearMonth month, CancellationToken ct)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        if (month.End > now) return (null, $"{month} is not over yet (it ends {month.End:O})");
        // Credits land on the next invoice not issued yet (issued invoices never change).
        var lands = month.Next;
        while ((await _store.IssuedInvoicesAsync(lands, ct)).Count > 0) lands = lands.Next;
        var items = new List<CreditRunItem>();
        foreach (var m in await SlaAsync(month, null, ct))
        {
            var id = $"sla-{m.Contract}-{month}";
            Credit? credit = m.Credit.Amount > 0
                ? new Credit(m.Customer, lands, m.Credit,
                    string.Create(CultureInfo.InvariantCulture, $"SLA credit {month}: availability {m.Availability:P3} below {m.Target:P2}"))
                { Contract = m.Contract }
                : null;
            var written = await _store.WriteSlaMonthAsync(m, id, credit, now, await FenceAsync(ct), ct);
            items.Add(new CreditRunItem(m.Contract.Value, m.Customer.Value, m.Availability, m.Credit, credit is null ? null : id, written));
        }
        return (items, null);
    }
}
