using System.Runtime.CompilerServices;
using Lessor.Core.Claims;
using Lessor.Core.Contracts;
using Lessor.Core.Finance;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Server.Desk;

/// <summary>The outcome of applying reviewed moves: the moves applied, or the reason nothing changed.</summary>
public sealed record MoveOutcome(IReadOnlyList<LineMove> Moves, string? Error)
{
    public bool Applied => Error is null;
}

/// <summary>A sign that may move lines not yet started: the sign's outcome and the moves it made (none when it fit as placed).</summary>
public sealed record MovedSignOutcome(SignOutcome Sign, IReadOnlyList<LineMove> Moves);

/// <summary>
/// The outcome of signing: the contract as stored, or why nothing was signed. <paramref name="KeyMismatch"/>: the caller's
/// idempotency key was first used with another request (nothing was signed; the first contract is not shown).
/// </summary>
public sealed record SignOutcome(Contract? Contract, FitResult? Fit, string? Error, bool Replayed, bool KeyMismatch = false)
{
    public bool Signed => Contract is not null;

    /// <summary>The answer to a key of this caller first used with another request.</summary>
    public static SignOutcome Mismatch(IdempotencyKey key) => new(null, null, Access.Idempotency.MismatchMessage(key), false, KeyMismatch: true);

    /// <summary>The answer to a key this caller used before: the first contract when the request is the same, else a mismatch.</summary>
    public static SignOutcome Replay(Contract? first, IdempotentContract earlier, IdempotencyKey key)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(key);
        return earlier.Key.RequestSha256 == key.RequestSha256 ? new SignOutcome(first, null, null, Replayed: true) : Mismatch(key);
    }
}

/// <summary>The outcome of an amendment or cancellation: the contract as stored, or why nothing changed.</summary>
public sealed record EditOutcome(Contract? Contract, string? Field, string? Error, IReadOnlyList<BindingConstraint> Constraints)
{
    public bool Applied => Contract is not null;
}

/// <summary>A delivery moved to a new date: the lines it leaves uncovered and the revenue that moves with it.</summary>
public sealed record SlipOutcome(Delivery? Delivery, IReadOnlyList<UncoveredLine> Uncovered, RevenueMovement? Revenue, string? Error, bool Recorded = false)
{
    /// <summary>True only when the slip was stored; a preview (what-if) answers false even when it would apply.</summary>
    public bool Applied => Recorded && Delivery is not null && Error is null;

    /// <summary>True when the slip is possible: stored, or a preview that would apply.</summary>
    public bool Possible => Delivery is not null && Error is null;
}

/// <summary>The book at one store revision and the units on-demand claims may use at an instant (see <see cref="DealDesk.ClaimableBookAsync"/>).</summary>
public sealed record ClaimableBook(Scenario Scenario, long Revision, IReadOnlyDictionary<FabricId, int> Claimable);

/// <summary>A catch-up that found the store moved: when it ended, how long it took, and whether the change feed covered it (else a rebuild).</summary>
public sealed record CatchUpRecord(DateTimeOffset At, TimeSpan Took, bool FromFeed);

/// <summary>What a sign asks for: the deal, the contract's identity, and a client key (scoped to the caller) that makes retries safe.</summary>
public sealed record SignRequest(DealRequest Deal, ContractId? ContractId, DateTime SignedOn, IdempotencyKey? IdempotencyKey, string? Title = null, Money? Prepayment = null, LateDeliveryRule LateDelivery = LateDeliveryRule.Extend);

/// <summary>
/// The deal desk over the store: answers fit / earliest / largest / impact from the in-memory ledger and writes
/// signs, amendments and cancellations through one transactional path. The ledger is rebuilt from the store at
/// open and whenever another writer (another process) moved the store's revision; a write commits only if the
/// revision it checked against is still current, so concurrent writers can never oversell a fabric.
/// A line that holds units inside the claim guard window [now, now + guard) leaves the units on-demand claims hold
/// alone (they are taken out of the fit, and the store write is fenced against claims made meanwhile); a line that
/// starts later may take them (reserved wins; the claims are then displaced before the line starts).
/// </summary>
public sealed partial class DealDesk
{
    private const int MaxAttempts = 5;
    private readonly LessorStore _store;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly Lock _queueGate = new();
    private readonly Lock _bookGate = new();
    private FinanceBook? _book;
    private Scenario? _bookOf;
    private CoverageSnapshot? _coverage;

    // Contract ids, customers and contracts per customer of the book, for the sign path's checks (a scan of 21,873
    // contracts per sign was a third of a sign's CPU on the 1,000,000-GPU book). Read and written under the writer.
    private HashSet<ContractId> _contractIds = [];
    private HashSet<CustomerId> _customerIds = [];
    private Dictionary<CustomerId, int> _contractsPerCustomer = [];
    private readonly List<PendingSign> _queue = [];
    private readonly Lock _ledgerGate = new();
    private CapacityLedger _ledger;
    private Scenario _scenario;
    private long _revision;

    // Replication (docs/change-feed.md): what catch-ups did and when the store last answered.
    private long _fullRebuilds;
    private long _catchUps;
    private long _storeRevision;
    private long _lastContactTicks;
    private bool _lastContactFailed;
    private CatchUpRecord? _lastCatchUp;

    private DealDesk(LessorStore store, TimeProvider clock, TimeSpan guard, Scenario scenario, CapacityLedger ledger, long revision)
    {
        _store = store;
        _clock = clock;
        ClaimGuard = guard;
        _scenario = scenario;
        _ledger = ledger;
        _revision = revision;
        IndexIds(scenario);
    }

    private void IndexAdded(Contract added)
    {
        _contractIds.Add(added.Id);
        _contractsPerCustomer[added.Customer] = _contractsPerCustomer.GetValueOrDefault(added.Customer) + 1;
    }

    private void IndexIds(Scenario scenario)
    {
        _contractIds = new HashSet<ContractId>(scenario.Contracts.Count);
        _contractsPerCustomer = [];
        foreach (var c in scenario.Contracts)
        {
            _contractIds.Add(c.Id);
            _contractsPerCustomer[c.Customer] = _contractsPerCustomer.GetValueOrDefault(c.Customer) + 1;
        }
        _customerIds = [.. scenario.Customers.Select(c => c.Id)];
    }

    /// <summary>Loads the book from the store and builds the ledger; the system clock and a one-day claim guard window.</summary>
    public static Task<DealDesk> OpenAsync(LessorStore store, CancellationToken ct) => OpenAsync(store, TimeProvider.System, ct);

    /// <summary>
    /// Loads the book from the store and builds the ledger. <paramref name="clock"/> says when "now" is for the claim
    /// guard window, which is <paramref name="guard"/> long (default one day, as the claim desk's).
    /// </summary>
    public static async Task<DealDesk> OpenAsync(LessorStore store, TimeProvider clock, CancellationToken ct, TimeSpan? guard = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clock);
        var g = guard ?? DefaultClaimGuard;
        if (g < TimeSpan.FromMinutes(1)) throw new ArgumentOutOfRangeException(nameof(guard), "The guard window must be at least a minute.");
        var (scenario, ledger, revision) = await LoadAsync(store, ct);
        var desk = new DealDesk(store, clock, g, scenario, ledger, revision);
        desk.Touch(revision);
        Replication.Metrics.Register(desk);
        return desk;
    }

    /// <summary>How far ahead on-demand claims are guaranteed against new reserved lines unless told otherwise.</summary>
    public static readonly TimeSpan DefaultClaimGuard = TimeSpan.FromDays(1);

    /// <summary>How far ahead from now claims are guaranteed: lines holding units in [now, now + guard) leave claimed units alone.</summary>
    public TimeSpan ClaimGuard { get; }

    // Takes the one writer's place; a writer that has to wait is counted in lessor.desk.waiting until it gets in.
    private async Task EnterWriterAsync(CancellationToken ct)
    {
        if (_writer.Wait(0, CancellationToken.None)) return;
        ServerTelemetry.DeskWaiting.Add(1, ServerTelemetry.DealDesk);
        try
        {
            await _writer.WaitAsync(ct);
        }
        finally
        {
            ServerTelemetry.DeskWaiting.Add(-1, ServerTelemetry.DealDesk);
        }
    }

    /// <summary>The book as of the last write this desk saw.</summary>
    public Scenario Scenario => Volatile.Read(ref _scenario);

    public FitResult Check(DealRequest deal)
    {
        lock (_ledgerGate) return _ledger.Check(deal);
    }

    public EarliestResult Earliest(DealRequest deal, DateTime notBefore, DateTime horizonEnd)
    {
        lock (_ledgerGate) return _ledger.Earliest(deal, notBefore, horizonEnd);
    }

    public LargestResult Largest(DealRequest deal)
    {
        lock (_ledgerGate) return _ledger.Largest(deal);
    }

    public ImpactResult Impact(DealRequest deal)
    {
        lock (_ledgerGate) return _ledger.Impact(deal);
    }

    public IReadOnlyList<UncoveredLine> Uncovered()
    {
        lock (_ledgerGate) return _ledger.Uncovered();
    }

    /// <summary>
    /// Checks the deal and, when it fits, stores it as a new contract with its placement pinned. Concurrent signs are
    /// group-committed: whoever holds the writer takes every sign waiting and stores them in one transaction (one
    /// durable commit), each still checked against the ledger in arrival order and answered on its own.
    /// </summary>
    public async Task<SignOutcome> SignAsync(SignRequest request, CancellationToken ct)
    {
        var pending = new PendingSign(request);
        lock (_queueGate) _queue.Add(pending);
        await EnterWriterAsync(ct);
        try
        {
            if (!pending.Outcome.Task.IsCompleted)
            {
                List<PendingSign> batch;
                lock (_queueGate)
                {
                    batch = [.. _queue];
                    _queue.Clear();
                }
                try
                {
                    await SignBatchAsync(batch, ct);
                }
                catch (Exception e)
                {
                    foreach (var p in batch) p.Outcome.TrySetException(e);
                }
            }
        }
        finally
        {
            _writer.Release();
        }
        return await pending.Outcome.Task;
    }

    private sealed class PendingSign(SignRequest request)
    {
        public SignRequest Request { get; } = request;
        public TaskCompletionSource<SignOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task SignBatchAsync(List<PendingSign> batch, CancellationToken ct)
    {
        var claimsInTheWay = false;
        for (var attempt = 1; ; attempt++)
        {
            await CatchUpAsync(ct);
            var decided = new Dictionary<PendingSign, SignOutcome>();
            var writes = new List<(PendingSign Sign, Contract Contract, FitResult Fit)>();
            var tokens = new List<CommitToken>();
            // By caller and key: the same key of two callers is two keys. A key already in the store answers every request
            // of the batch that carries it (each compared with the stored request); otherwise the batch's first one does.
            var keysInBatch = new Dictionary<(string Scope, string Key), PendingSign>();
            var keysInStore = new Dictionary<(string Scope, string Key), (IdempotentContract Earlier, Contract? Contract)>();
            var idsInBatch = new HashSet<ContractId>();
            var candidates = new List<(PendingSign Sign, ContractId Id)>();
            foreach (var p in batch)
            {
                var request = p.Request;
                if (request.IdempotencyKey is { } key)
                {
                    if (keysInBatch.ContainsKey((key.Scope, key.Key))) continue; // answered with its twin's outcome below
                    keysInBatch[(key.Scope, key.Key)] = p;
                    if (await _store.FindIdempotentContractAsync(key, ct) is { } earlier)
                    {
                        var contract = await _store.GetContractAsync(earlier.Contract, ct);
                        keysInStore[(key.Scope, key.Key)] = (earlier, contract);
                        decided[p] = SignOutcome.Replay(contract, earlier, key);
                        continue;
                    }
                }
                if (!_customerIds.Contains(request.Deal.Customer))
                {
                    decided[p] = new SignOutcome(null, null, $"customer: no customer '{request.Deal.Customer}'.", false);
                    continue;
                }
                if (request.ContractId is { } named && !Slug.IsValid(named.Value))
                {
                    decided[p] = new SignOutcome(null, null, $"contract_id: not a valid id: {Slug.Rule}.", false);
                    continue;
                }
                if (ValueProblem(request.Deal) is { } tooBig)
                {
                    decided[p] = new SignOutcome(null, null, tooBig, false);
                    continue;
                }
                var id = request.ContractId ?? NextContractId(request.Deal.Customer, idsInBatch);
                if (_contractIds.Contains(id) || !idsInBatch.Add(id))
                {
                    decided[p] = new SignOutcome(null, null, $"contract: '{id}' already exists.", false);
                    continue;
                }
                candidates.Add((p, id));
            }

            var guard = await ClaimGuardAsync(candidates.Any(c => c.Sign.Request.Deal.Lines.Any(l => Touches(l.Period))), ct);
            ClaimFence? fence;
            lock (_ledgerGate)
            {
                var hold = guard?.Hold(_ledger, Scenario);
                try
                {
                    foreach (var (p, id) in candidates)
                    {
                        var fit = _ledger.Check(p.Request.Deal);
                        var write = fit.Fits ? _ledger.Commit(id, fit.Placements) : new WriteResult(null, fit.Constraints, fit.Constraints[0].Reason);
                        if (!write.Applied)
                        {
                            decided[p] = new SignOutcome(null, fit, write.Error, false);
                            continue;
                        }
                        tokens.Add(write.Token!);
                        writes.Add((p, ToContract(p.Request, id, fit), fit));
                    }
                }
                finally
                {
                    hold?.Release();
                }
                fence = guard?.Fence(_ledger, Scenario, writes.SelectMany(w => w.Fit.Placements)
                    .Where(pl => guard.Window.Overlaps(pl.Spec.Period)).SelectMany(pl => pl.Blocks).Select(b => b.Fabric));
            }

            if (writes.Count > 0)
            {
                ContractWriteResult written;
                try
                {
                    written = await _store.WriteContractsAsync(writes.Select(w => (w.Contract, w.Sign.Request.IdempotencyKey)).ToList(), _revision, fence, ct);
                }
                catch
                {
                    Undo(tokens);
                    throw;
                }
                if (!written.Written)
                {
                    Undo(tokens);
                    claimsInTheWay = written.Status == ContractWriteStatus.ClaimsInTheWay;
                    if (attempt < MaxAttempts) continue;
                    var error = claimsInTheWay
                        ? "on-demand claims made meanwhile hold the units this deal needs inside the claim guard window; try again."
                        : "the store kept changing under this sign; try again.";
                    foreach (var w in writes) decided[w.Sign] = new SignOutcome(null, w.Fit, error, false);
                }
                else
                {
                    _revision = written.Revision;
                    var s = Scenario;
                    Volatile.Write(ref _scenario, s with { Contracts = GrowingList<Contract>.From(s.Contracts).Append(writes.Select(w => w.Contract)) });
                    foreach (var w in writes) IndexAdded(w.Contract);
                    foreach (var w in writes) decided[w.Sign] = new SignOutcome(w.Contract, w.Fit, null, false);
                }
            }

            foreach (var p in batch)
            {
                if (decided.TryGetValue(p, out var outcome)) p.Outcome.TrySetResult(outcome);
                else
                {
                    // A second sign with the same key in the same batch: the first one's contract, as a replay, when it
                    // asked the same; another request with that key is refused as it would be after the first commits.
                    var key = p.Request.IdempotencyKey!;
                    var first = keysInBatch[(key.Scope, key.Key)];
                    var twin = decided[first];
                    if (keysInStore.TryGetValue((key.Scope, key.Key), out var stored)) p.Outcome.TrySetResult(SignOutcome.Replay(stored.Contract, stored.Earlier, key));
                    else if (first.Request.IdempotencyKey!.RequestSha256 != key.RequestSha256) p.Outcome.TrySetResult(SignOutcome.Mismatch(key));
                    else p.Outcome.TrySetResult(twin.Signed ? twin with { Replayed = true } : twin);
                }
            }
            return;
        }
    }

    /// <summary>Why a deal's line is too large to value (price or GPUs x hours x price past <see cref="Limits"/>), or null.</summary>
    private string? ValueProblem(DealRequest deal)
    {
        for (var i = 0; i < deal.Lines.Count; i++)
        {
            var l = deal.Lines[i];
            var price = l.PricePerGpuHour?.Amount ?? Scenario.Platforms.FirstOrDefault(p => p.Id == l.Platform)?.Prices.Reserved.Amount ?? 0m;
            if (Limits.LineValueProblem(l.Gpus.Value, l.Period, price) is { } problem)
                return $"lines[{i}].{(price > Limits.MaxPricePerGpuHour ? "price_per_gpu_hour" : "gpus")}: {problem}.";
        }
        return null;
    }

    /// <summary>Grows, shrinks or extends a line from a date on; only the future changes.</summary>
    public Task<EditOutcome> AmendAsync(ContractId contractId, LineId lineId, DateTime effective, GpuCount? gpus, DateTime? end, CancellationToken ct) =>
        WriteWithRetryAsync<EditOutcome>(async () =>
        {
            var contract = Scenario.Contracts.FirstOrDefault(c => c.Id == contractId);
            if (contract is null) return new EditOutcome(null, "contract", $"no contract '{contractId}'.", []);
            var line = contract.Lines.FirstOrDefault(l => l.Id == lineId);
            if (line is null) return new EditOutcome(null, "line", $"contract {contractId} has no line '{lineId}'.", []);
            var newGpus = gpus ?? line.Gpus;
            var newEnd = end ?? line.Period.End;
            if (newGpus == line.Gpus && newEnd == line.Period.End)
            {
                return gpus is not null
                    ? new EditOutcome(null, "gpus", $"line {lineId} of {contractId} already has {line.Gpus.Value:N0} GPUs.", [])
                    : new EditOutcome(null, end is not null ? "end" : "gpus", end is not null
                        ? $"line {lineId} of {contractId} already ends on {line.Period.End:yyyy-MM-dd}."
                        : "give the new GPUs, the new end, or both.", []);
            }
            if (newEnd > line.Period.Start && Limits.LineValueProblem(newGpus.Value, new Period(line.Period.Start, newEnd), line.PricePerGpuHour.Amount) is { } big)
                return new EditOutcome(null, gpus is not null ? "gpus" : "end", big + ".", []);
            if (line.BlockSize is { } block && newGpus < block)
                return new EditOutcome(null, "gpus", $"{newGpus.Value:N0} GPUs is less than one block of the line ({block.Value:N0} GPUs); a line keeps at least one whole block.", []);
            if (ContractEditor.LatestAmendment(contract, lineId) is { } latest && effective < latest)
                return new EditOutcome(null, "effective", $"{effective:yyyy-MM-dd} is before the line's latest amendment, effective {latest:yyyy-MM-dd}; amendments of a line apply in date order.", []);

            var guard = await ClaimGuardAsync(effective < newEnd && Touches(new Period(effective, newEnd)), ct);
            WriteResult write;
            IReadOnlyList<PlacedBlock> placement;
            ClaimFence? fence = null;
            var lineRef = new LineRef(contractId, lineId);
            lock (_ledgerGate)
            {
                // A line the ledger placed itself (no pinned blocks) keeps, as its history, the blocks it held until now:
                // a rebuild must commit the past exactly where it was, not re-place it at the new size.
                if (line.Pinned.Count == 0 && CurrentPlacement(lineRef) is { Count: > 0 } held)
                {
                    line = line with { Pinned = held };
                    contract = contract with { Lines = contract.Lines.Select(l => l.Id == lineId ? line : l).ToList() };
                }
                var hold = guard?.Hold(_ledger, Scenario);
                try
                {
                    write = _ledger.AmendLine(lineRef, effective, newGpus, newEnd);
                }
                finally
                {
                    hold?.Release();
                }
                placement = write.Applied ? FuturePlacement(lineRef, newEnd) : [];
                if (write.Applied && guard is not null)
                    fence = guard.Fence(_ledger, Scenario, _ledger.PlacementOf(lineRef).Where(p => guard.Window.Overlaps(p.Period)).Select(p => p.Fabric));
            }
            if (!write.Applied) return new EditOutcome(null, "gpus", write.Error, write.Constraints);

            var edited = newGpus != line.Gpus
                ? ContractEditor.Resize(contract, lineId, newGpus, effective, placement)
                : ContractEditor.Extend(contract, lineId, newEnd, effective);
            if (edited is { Ok: true } && newGpus != line.Gpus && newEnd != line.Period.End)
                edited = ContractEditor.Extend(edited.Contract!, lineId, newEnd, effective);
            if (!edited.Ok)
            {
                lock (_ledgerGate) _ledger.Release(write.Token!);
                return new EditOutcome(null, edited.Rejected!.Field, edited.Rejected.Message, []);
            }
            return await TryWriteAsync(edited.Contract!, isNew: false, null, [write.Token!], fence, ct) ? new EditOutcome(edited.Contract, null, null, []) : null;
        }, new EditOutcome(null, "contract", "the store kept changing (or claims took the units) under this amendment; try again.", []), ct);

    /// <summary>Cancels a contract from a date on: the future is freed and the fee recorded per its terms.</summary>
    public Task<EditOutcome> CancelAsync(ContractId contractId, DateTime effective, string? reason, CancellationToken ct) =>
        WriteWithRetryAsync<EditOutcome>(async () =>
        {
            var contract = Scenario.Contracts.FirstOrDefault(c => c.Id == contractId);
            if (contract is null) return new EditOutcome(null, "contract", $"no contract '{contractId}'.", []);
            var edited = ContractEditor.Cancel(contract, effective, reason);
            if (!edited.Ok) return new EditOutcome(null, edited.Rejected!.Field, edited.Rejected.Message, []);

            var tokens = new List<CommitToken>();
            lock (_ledgerGate)
            {
                foreach (var line in contract.CommittedLines)
                {
                    var w = _ledger.CancelLine(new LineRef(contractId, line.Id), effective);
                    if (w.Applied) tokens.Add(w.Token!);
                }
            }
            return await TryWriteAsync(edited.Contract!, isNew: false, null, tokens, null, ct) ? new EditOutcome(edited.Contract, null, null, []) : null;
        }, new EditOutcome(null, "contract", "the store kept changing under this cancellation; try again.", []), ct);

    /// <summary>
    /// Runs one write under the writer lock. Each attempt first catches up with the store; an attempt answers null when
    /// another writer moved the store before its commit (its ledger change already undone), and is decided again.
    /// </summary>
    private async Task<T> WriteWithRetryAsync<T>(Func<Task<T?>> attempt, T exhausted, CancellationToken ct) where T : class
    {
        await EnterWriterAsync(ct);
        try
        {
            for (var i = 0; i < MaxAttempts; i++)
            {
                await CatchUpAsync(ct);
                if (await attempt() is { } decided) return decided;
            }
            return exhausted;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// What a delivery slip to <paramref name="acceptance"/> would do, without writing: the lines left uncovered and
    /// the revenue moved by quarter (the ledger change is undone before returning).
    /// </summary>
    public SlipOutcome PreviewSlip(DeliveryId id, DateTime acceptance)
    {
        var (slipped, error) = Slipped(id, acceptance);
        if (slipped is null) return new SlipOutcome(null, [], null, error);
        lock (_ledgerGate)
        {
            var before = CoverageLocked(Volatile.Read(ref _coverage));
            var change = _ledger.ApplyDeliveryChange(slipped);
            var after = CoverageLocked(before);
            _ledger.Release(change.Token);
            return new SlipOutcome(slipped, change.Uncovered,
                DeliveryRisk.RevenueMoved(Scenario, CoverageSource.FromMap(before.Map), CoverageSource.FromMap(after.Map)), null);
        }
    }

    /// <summary>
    /// Moves a delivery's acceptance date (a slip, or an earlier date within the site's power): commitments stay where
    /// they are, and the outcome names every line now uncovered and the revenue that moves.
    /// </summary>
    public Task<SlipOutcome> SlipDeliveryAsync(DeliveryId id, DateTime acceptance, CancellationToken ct) =>
        WriteWithRetryAsync<SlipOutcome>(async () =>
        {
            var preview = PreviewSlip(id, acceptance);
            if (preview.Delivery is null) return preview;
            CommitToken token;
            lock (_ledgerGate) token = _ledger.ApplyDeliveryChange(preview.Delivery).Token;
            long? revision;
            try
            {
                revision = await _store.WriteDeliveryAsync(preview.Delivery, _revision, ct);
            }
            catch
            {
                Undo([token]);
                throw;
            }
            if (revision is not { } r)
            {
                Undo([token]);
                return null;
            }
            _revision = r;
            var s = Scenario;
            Volatile.Write(ref _scenario, s with { Deliveries = s.Deliveries.Select(d => d.Id == id ? preview.Delivery : d).ToList() });
            return preview with { Recorded = true };
        }, new SlipOutcome(null, [], null, "the store kept changing under this change; try again."), ct);

    /// <summary>Where the committed lines sit at <paramref name="at"/>: units per (line, fabric), lines in contract then line order.</summary>
    public IReadOnlyList<(LineRef Line, FabricId Fabric, int Units)> PlacementAt(DateTime at)
    {
        var s = Scenario;
        var result = new List<(LineRef, FabricId, int)>();
        lock (_ledgerGate)
        {
            foreach (var c in s.Contracts.OrderBy(c => c.Id.Value, StringComparer.Ordinal))
            {
                foreach (var l in c.CommittedLines.OrderBy(l => l.Id.Value, StringComparer.Ordinal))
                {
                    var line = new LineRef(c.Id, l.Id);
                    foreach (var (fabric, units, period) in _ledger.PlacementOf(line))
                        if (period.Contains(at) && units > 0) result.Add((line, fabric, units));
                }
            }
        }
        return result;
    }

    /// <summary>
    /// Accepts a delivery (its burn-in passed, docs/fleet.md): from then on its units are accepted supply. Accepted after
    /// its due date, the acceptance moves to <paramref name="acceptedOn"/> like a slip (the ledger and the outcome say what
    /// that uncovers); on or before it, the date stays. A delivery already accepted is refused.
    /// </summary>
    public Task<SlipOutcome> AcceptDeliveryAsync(DeliveryId id, DateTime acceptedOn, CancellationToken ct) =>
        WriteWithRetryAsync<SlipOutcome>(async () =>
        {
            var s = Scenario;
            var delivery = s.Deliveries.FirstOrDefault(d => d.Id == id);
            if (delivery is null) return new SlipOutcome(null, [], null, $"delivery: no delivery '{id}'.");
            if (delivery.Status == DeliveryStatus.Accepted) return new SlipOutcome(null, [], null, $"delivery: {id} is already accepted.");
            var preview = acceptedOn > delivery.AcceptanceDate ? PreviewSlip(id, acceptedOn) : new SlipOutcome(delivery, [], null, null);
            if (preview.Delivery is null) return preview;
            var accepted = preview.Delivery with { Status = DeliveryStatus.Accepted };
            var tokens = new List<CommitToken>();
            if (accepted.AcceptanceDate != delivery.AcceptanceDate)
                lock (_ledgerGate) tokens.Add(_ledger.ApplyDeliveryChange(accepted).Token);
            long? revision;
            try
            {
                revision = await _store.WriteDeliveryAsync(accepted, _revision, ct);
            }
            catch
            {
                Undo(tokens);
                throw;
            }
            if (revision is not { } r)
            {
                Undo(tokens);
                return null;
            }
            _revision = r;
            Volatile.Write(ref _scenario, s with { Deliveries = s.Deliveries.Select(d => d.Id == id ? accepted : d).ToList() });
            return preview with { Delivery = accepted, Recorded = true };
        }, new SlipOutcome(null, [], null, "the store kept changing under this change; try again."), ct);

    /// <summary>The validator's findings on a book as it stands, computed once per book (a slip compares against them).</summary>
    private HashSet<(string Path, string Message)> KnownIssues(Scenario s)
    {
        var cached = Volatile.Read(ref _knownIssues);
        if (cached is not null && ReferenceEquals(cached.Value.Of, s)) return cached.Value.Issues;
        var issues = ScenarioValidator.Validate(s).Select(i => (i.Path, i.Message)).ToHashSet();
        Volatile.Write(ref _knownIssues, new StrongBox<(Scenario, HashSet<(string, string)>)>((s, issues)));
        return issues;
    }

    private StrongBox<(Scenario Of, HashSet<(string Path, string Message)> Issues)>? _knownIssues;

    private (Delivery? Slipped, string? Error) Slipped(DeliveryId id, DateTime acceptance)
    {
        var s = Scenario;
        var delivery = s.Deliveries.FirstOrDefault(d => d.Id == id);
        if (delivery is null) return (null, $"delivery: no delivery '{id}'.");
        if (acceptance == delivery.AcceptanceDate) return (null, $"to: {id} is already due on {acceptance:yyyy-MM-dd}.");
        var slipped = delivery with
        {
            AcceptanceDate = acceptance,
            OriginalAcceptanceDate = delivery.OriginalAcceptanceDate ?? delivery.AcceptanceDate,
        };
        // An earlier date may break the site's power envelope or the platform's availability: the validator knows. Only
        // what the new date itself breaks counts; a problem the book already had elsewhere never blocks this delivery.
        var known = KnownIssues(s);
        var issues = ScenarioValidator.Validate(s with { Deliveries = s.Deliveries.Select(d => d.Id == id ? slipped : d).ToList() })
            .Where(i => !known.Contains((i.Path, i.Message))).ToList();
        return issues.Count > 0 ? (null, $"to: {issues[0].Message}") : (slipped, null);
    }

    /// <summary>
    /// Writes the contract if the store is still at the revision the ledger reflects (and, with a fence, no claim made
    /// since holds units the write takes in the guard window). On a conflict (another process wrote first, or claims
    /// are in the way) or a failure, the ledger changes are undone, so memory never runs ahead of the store.
    /// </summary>
    private async Task<bool> TryWriteAsync(Contract contract, bool isNew, IdempotencyKey? idempotencyKey, IReadOnlyList<CommitToken> tokens, ClaimFence? fence, CancellationToken ct)
    {
        ContractWriteResult written;
        try
        {
            written = await _store.WriteContractAsync(contract, isNew, idempotencyKey, _revision, fence, ct);
        }
        catch
        {
            Undo(tokens);
            throw;
        }
        if (!written.Written)
        {
            Undo(tokens);
            return false;
        }
        _revision = written.Revision;
        var s = Scenario;
        IReadOnlyList<Contract> contracts = isNew ? GrowingList<Contract>.From(s.Contracts).Append(contract) : s.Contracts.Select(c => c.Id == contract.Id ? contract : c).ToList();
        Volatile.Write(ref _scenario, s with { Contracts = contracts });
        if (isNew) IndexAdded(contract);
        return true;
    }

    private void Undo(IReadOnlyList<CommitToken> tokens)
    {
        lock (_ledgerGate)
        {
            for (var i = tokens.Count - 1; i >= 0; i--) _ledger.Release(tokens[i]);
        }
    }

    /// <summary>The blocks a line holds in its last stretch (up to its current end), in placement order.</summary>
    private IReadOnlyList<PlacedBlock> CurrentPlacement(LineRef line)
    {
        var placement = _ledger.PlacementOf(line);
        if (placement.Count == 0) return [];
        var end = placement.Max(p => p.Period.End);
        return FuturePlacement(line, end);
    }

    private IReadOnlyList<PlacedBlock> FuturePlacement(LineRef line, DateTime end)
    {
        var blocks = new List<PlacedBlock>();
        foreach (var (fabric, units, period) in _ledger.PlacementOf(line))
        {
            if (period.End == end) blocks.Add(new PlacedBlock(fabric, units));
        }
        return blocks;
    }

    private ContractId NextContractId(CustomerId customer, HashSet<ContractId> alsoTaken)
    {
        for (var n = _contractsPerCustomer.GetValueOrDefault(customer) + 1; ; n++)
        {
            var id = new ContractId($"{customer.Value}-{n}");
            if (!_contractIds.Contains(id) && !alsoTaken.Contains(id)) return id;
        }
    }

    private Contract ToContract(SignRequest request, ContractId id, FitResult fit)
    {
        var s = Scenario;
        var lines = new List<ContractLine>(fit.Placements.Count);
        foreach (var p in fit.Placements)
        {
            var platform = s.Platforms.First(x => x.Id == p.Spec.Platform);
            lines.Add(new ContractLine
            {
                Id = p.Line,
                Platform = p.Spec.Platform,
                Gpus = p.Spec.Gpus,
                Period = p.Spec.Period,
                PricePerGpuHour = p.Spec.PricePerGpuHour ?? platform.Prices.Reserved,
                Locality = p.Spec.Locality,
                BlockSize = p.Spec.BlockSize,
                MinSites = p.Spec.MinSites,
                Pinned = p.Blocks,
            });
        }
        return new Contract
        {
            Id = id,
            Customer = request.Deal.Customer,
            SignedOn = request.SignedOn,
            Currency = s.Currency,
            Title = request.Title,
            Lines = lines,
            Prepayment = request.Prepayment,
            LateDelivery = request.LateDelivery,
        };
    }
}
