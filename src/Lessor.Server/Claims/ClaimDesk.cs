using Lessor.Core.Claims;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Store;

namespace Lessor.Server.Claims;

/// <summary>What a client asks of the claim desk: nodes of a platform, how close together, for whom, with a retry key scoped to the caller.</summary>
public sealed record ClaimAsk(PlatformId Platform, int Nodes, ClaimScope Scope, CustomerId Customer, IdempotencyKey? IdempotencyKey = null);

/// <summary>
/// The outcome of a claim: the claim as stored, or the field at fault and why (nothing stored then).
/// <paramref name="KeyMismatch"/>: the caller's key was first used with another request (the first claim is not shown).
/// </summary>
public sealed record ClaimOutcome(Claim? Claim, string? Field, string? Error, bool Replayed, bool KeyMismatch = false)
{
    public bool Granted => Claim is not null;

    /// <summary>The first claim made with <paramref name="earlier"/> when <paramref name="key"/> came with the same request, else a mismatch.</summary>
    public static ClaimOutcome Replay(Claim first, IdempotencyKey earlier, IdempotencyKey key)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(key);
        return earlier.RequestSha256 == key.RequestSha256
            ? new ClaimOutcome(first, null, null, Replayed: true)
            : new ClaimOutcome(null, Access.Idempotency.Header, Access.Idempotency.MismatchMessage(key), false, KeyMismatch: true);
    }
}

/// <summary>How a release ended.</summary>
public enum ReleaseOutcome
{
    Released,

    /// <summary>The claim exists but was released before: a retried release changes nothing.</summary>
    AlreadyReleased,
    NotFound,
}

/// <summary>
/// On-demand node claims over the store: the node pool lives in memory, every claim and release is written through
/// the store in one transaction, and the pool is rebuilt when another writer moved the store (reserved capacity) or
/// the claims. Concurrent requests are written in groups (one transaction per group): the leader of a group writes
/// what has queued while the previous group was being written, so the store's commit cost is shared.
/// Reserved commitments always win: only accepted units that no reserved line holds over [now, now + guard) are claimable.
/// </summary>
public sealed class ClaimDesk
{
    private const int MaxAttempts = 20;
    private readonly LessorStore _store;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _guard;
    private readonly Book _book;
    private readonly Lock _gate = new();
    private readonly Lock _queueGate = new();
    private List<Pending> _queue = [];
    private bool _draining;
    private State _state;
    private long _writes;
    private long _written;

    private sealed class State(Scenario scenario, long storeRevision)
    {
        public Scenario Scenario { get; } = scenario;
        public long StoreRevision { get; } = storeRevision;
        public HashSet<CustomerId> Customers { get; } = scenario.Customers.Select(c => c.Id).ToHashSet();
        public NodePool Pool { get; set; } = null!;
        // By caller and key: the same key of two callers is two keys.
        public Dictionary<(string Scope, string Key), (ClaimId Claim, IdempotencyKey Key)> Keys { get; set; } = [];
        public Dictionary<ClaimId, (string Scope, string Key)> KeyOf { get; set; } = [];
        public long ClaimsRevision { get; set; }
        public DateTime ClaimableAt { get; set; }
    }

    private abstract class Pending
    {
        public abstract void Fail(Exception e);
    }

    private sealed class PendingClaim(ClaimAsk ask) : Pending
    {
        public ClaimAsk Ask { get; } = ask;
        public TaskCompletionSource<ClaimOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ClaimOutcome? Outcome { get; set; }
        public override void Fail(Exception e) => Done.TrySetException(e);
    }

    private sealed class PendingRefresh : Pending
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override void Fail(Exception e) => Done.TrySetException(e);
    }

    private sealed class PendingRelease(ClaimId id) : Pending
    {
        public ClaimId Id { get; } = id;
        public TaskCompletionSource<ReleaseOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Claim? Released { get; set; }
        public override void Fail(Exception e) => Done.TrySetException(e);
    }

    /// <summary>
    /// Where the reserved book comes from: the claim desk's own export and ledger (a desk on its own: the CLI, tools), or
    /// the deal desk's (the server), so the process builds the book once.
    /// </summary>
    private abstract class Book
    {
        /// <summary>The book at the store's current revision, with the units claimable at <paramref name="now"/>.</summary>
        public abstract Task<ClaimableBook> LoadAsync(DateTime now, CancellationToken ct);

        /// <summary>The units claimable at <paramref name="now"/> in the book at <paramref name="revision"/>, or null if that book is not at hand now.</summary>
        public abstract IReadOnlyDictionary<FabricId, int>? Claimable(long revision, DateTime now);
    }

    private sealed class OwnBook(LessorStore store, TimeSpan guard) : Book
    {
        // Read and replaced by the writer loop only (one at a time), so no lock of its own.
        private (long Revision, Scenario Scenario, CapacityLedger Ledger)? _built;

        public override async Task<ClaimableBook> LoadAsync(DateTime now, CancellationToken ct)
        {
            var (scenario, revision) = await store.ExportWithRevisionAsync(ct);
            var ledger = CapacityLedger.Build(scenario).Ledger;
            _built = (revision, scenario, ledger);
            return new ClaimableBook(scenario, revision, ClaimableUnits.Compute(scenario, ledger, now, guard));
        }

        public override IReadOnlyDictionary<FabricId, int>? Claimable(long revision, DateTime now) =>
            _built is { } b && b.Revision == revision ? ClaimableUnits.Compute(b.Scenario, b.Ledger, now, guard) : null;
    }

    private sealed class DeskBook(DealDesk desk) : Book
    {
        public override Task<ClaimableBook> LoadAsync(DateTime now, CancellationToken ct) => desk.ClaimableBookAsync(now, ct);

        public override IReadOnlyDictionary<FabricId, int>? Claimable(long revision, DateTime now) => desk.ClaimableUnitsAt(revision, now);
    }

    private ClaimDesk(LessorStore store, TimeProvider clock, TimeSpan guard, Book book, State state)
    {
        _store = store;
        _clock = clock;
        _guard = guard;
        _book = book;
        _state = state;
    }

    /// <summary>Loads the book and the claims held now; <paramref name="guard"/> is how far ahead reserved lines are honoured (default 1 day).</summary>
    public static async Task<ClaimDesk> OpenAsync(LessorStore store, TimeProvider clock, CancellationToken ct, TimeSpan? guard = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clock);
        var g = guard ?? DealDesk.DefaultClaimGuard;
        var book = new OwnBook(store, g);
        var state = await LoadAsync(store, book, clock, ct);
        return new ClaimDesk(store, clock, g, book, state);
    }

    /// <summary>
    /// A claim desk that works from the deal desk's book (same store revision, its guard window) instead of exporting and
    /// building its own ledger: one build at server start and one per store change. The desks keep their own locks.
    /// </summary>
    public static async Task<ClaimDesk> OpenAsync(DealDesk desk, LessorStore store, TimeProvider clock, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(desk);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clock);
        var book = new DeskBook(desk);
        var state = await LoadAsync(store, book, clock, ct);
        return new ClaimDesk(store, clock, desk.ClaimGuard, book, state);
    }

    /// <summary>Store transactions committed and the claims and releases they carried: how well concurrent requests group.</summary>
    public (long Transactions, long Operations) WriteStats => (Interlocked.Read(ref _writes), Interlocked.Read(ref _written));

    /// <summary>The claims held now, of one customer or all, ordered by id.</summary>
    public IReadOnlyList<Claim> List(CustomerId? customer = null)
    {
        lock (_gate) return _state.Pool.List(customer);
    }

    /// <summary>A claim held now, or null.</summary>
    public Claim? Get(ClaimId id)
    {
        lock (_gate) return _state.Pool.Get(id);
    }

    /// <summary>Free claimable nodes of a platform as this desk sees them.</summary>
    public int FreeNodes(PlatformId platform)
    {
        lock (_gate) return _state.Pool.FreeNodes(platform);
    }

    /// <summary>Claims whose nodes a reserved line has taken since they were made (reserved wins; these must move).</summary>
    public IReadOnlyList<Claim> Displaced()
    {
        lock (_gate) return _state.Pool.Displaced();
    }

    /// <summary>Holds nodes for a customer now, best fit, written through the store; a retried key returns the first claim.</summary>
    public async Task<ClaimOutcome> ClaimAsync(ClaimAsk ask, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ask);
        var pending = new PendingClaim(ask);
        await RunAsync(pending, pending.Done.Task, ct);
        return await pending.Done.Task;
    }

    /// <summary>
    /// Brings the pool up to the store when another server claimed or released (docs/change-feed.md): one read of both
    /// revisions; when the claims moved the held claims are read again (and, when the book moved too, the deal desk's
    /// book is taken up first, caught up from the change feed). Runs in turn with claim writes; the replica loop calls it.
    /// </summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var pending = new PendingRefresh();
        await RunAsync(pending, pending.Done.Task, ct);
        await pending.Done.Task;
    }

    /// <summary>The claims revision the pool reflects.</summary>
    public long ClaimsRevision
    {
        get
        {
            lock (_gate) return _state.ClaimsRevision;
        }
    }

    /// <summary>Frees a claim's nodes, written through the store.</summary>
    public async Task<ReleaseOutcome> ReleaseAsync(ClaimId id, CancellationToken ct)
    {
        var pending = new PendingRelease(id);
        await RunAsync(pending, pending.Done.Task, ct);
        var outcome = await pending.Done.Task;
        if (outcome != ReleaseOutcome.NotFound) return outcome;
        // Not held here: a retried release of a claim released before is answered as such.
        return await _store.FindClaimAsync(id, ct) is { ReleasedAt: not null } ? ReleaseOutcome.AlreadyReleased : ReleaseOutcome.NotFound;
    }

    // One writer loop at a time drains the queue: whatever queued while a group was being written forms the next
    // group. Callers only wait for their own request, so a finished request never queues again for the writer.
    private async Task RunAsync(Pending pending, Task done, CancellationToken ct)
    {
        bool start;
        lock (_queueGate)
        {
            _queue.Add(pending);
            start = !_draining;
            _draining = true;
        }
        if (start) _ = Task.Run(DrainAsync, CancellationToken.None);
        ServerTelemetry.DeskWaiting.Add(1, ServerTelemetry.ClaimDesk);
        try
        {
            await done.WaitAsync(ct);
        }
        finally
        {
            ServerTelemetry.DeskWaiting.Add(-1, ServerTelemetry.ClaimDesk);
        }
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_queueGate)
            {
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return;
                }
                batch = _queue;
                _queue = [];
            }
            try
            {
                // The group serves many callers: one caller's cancellation must not abandon the others' writes.
                await WriteBatchAsync(batch, CancellationToken.None);
            }
            catch (Exception e)
            {
                foreach (var p in batch) p.Fail(e);
            }
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch, CancellationToken ct)
    {
        if (batch.Any(p => p is PendingRefresh))
        {
            var refreshes = batch.OfType<PendingRefresh>().ToList();
            try
            {
                await CatchUpAsync(ct);
                foreach (var r in refreshes) r.Done.TrySetResult();
            }
            catch (Exception e)
            {
                foreach (var r in refreshes) r.Fail(e);
            }
            batch = [.. batch.Where(p => p is not PendingRefresh)];
            if (batch.Count == 0) return;
        }
        for (var attempt = 1; ; attempt++)
        {
            var now = _clock.GetUtcNow().UtcDateTime;
            var added = new List<StoredClaim>();
            var released = new List<ClaimId>();
            State state;
            lock (_gate)
            {
                state = _state;
                RefreshClaimable(state, now);
                foreach (var p in batch) Apply(state, p, now, added, released);
            }
            if (added.Count == 0 && released.Count == 0)
            {
                Complete(batch);
                return;
            }
            ClaimWriteResult result;
            try
            {
                result = await _store.WriteClaimsAsync(new ClaimWrite(added, released, now), state.StoreRevision, state.ClaimsRevision, ct);
            }
            catch
            {
                lock (_gate) Undo(state, batch);
                throw;
            }
            if (result.Status == ClaimWriteStatus.Written)
            {
                Interlocked.Increment(ref _writes);
                Interlocked.Add(ref _written, added.Count + released.Count);
                lock (_gate)
                {
                    state.ClaimsRevision = result.ClaimsRevision;
                    foreach (var a in added)
                    {
                        if (a.IdempotencyKey is { } key)
                        {
                            state.Keys[(key.Scope, key.Key)] = (a.Claim.Id, key);
                            state.KeyOf[a.Claim.Id] = (key.Scope, key.Key);
                        }
                    }
                    foreach (var p in batch)
                    {
                        if (p is PendingRelease { Released: { } r }) RemoveKey(state, r.Id);
                    }
                }
                Complete(batch);
                return;
            }
            lock (_gate) Undo(state, batch);
            if (attempt == MaxAttempts)
            {
                foreach (var p in batch)
                {
                    if (p is PendingClaim c) c.Done.TrySetResult(new ClaimOutcome(null, "store", "the store kept changing under this claim; try again.", false));
                    else if (p is PendingRelease r) r.Done.TrySetException(new InvalidOperationException("The store kept changing under this release; try again."));
                }
                return;
            }
            var fresh = result.Status == ClaimWriteStatus.StoreMoved
                ? await LoadAsync(_store, _book, _clock, ct)
                : await ReloadClaimsAsync(state, ct);
            lock (_gate) _state = fresh;
            // A conflicting key may name a claim released since: answer those requests from the store.
            if (result.Status == ClaimWriteStatus.Conflict) await ReplayReleasedKeysAsync(batch, fresh, ct);
        }
    }

    private static void Apply(State state, Pending p, DateTime now, List<StoredClaim> added, List<ClaimId> released)
    {
        switch (p)
        {
            case PendingClaim c:
                c.Outcome = null;
                if (c.Done.Task.IsCompleted) return;
                var ask = c.Ask;
                if (ask.IdempotencyKey is { } key && state.Keys.TryGetValue((key.Scope, key.Key), out var earlier) && state.Pool.Get(earlier.Claim) is { } first)
                {
                    c.Outcome = ClaimOutcome.Replay(first, earlier.Key, key);
                    return;
                }
                if (!state.Customers.Contains(ask.Customer))
                {
                    c.Outcome = new ClaimOutcome(null, "customer", $"no customer '{ask.Customer}'.", false);
                    return;
                }
                // Time-ordered (UUID v7: milliseconds first, then 74 random bits): a group's new ids append at the right edge of
                // the id indexes, so each durable commit writes fewer pages than scattered random ids did.
                var id = new ClaimId($"cl-{Guid.CreateVersion7(now):N}");
                var result = state.Pool.Claim(new ClaimRequest(id, ask.Platform, ask.Nodes, ask.Scope, ask.Customer));
                if (!result.Granted)
                {
                    c.Outcome = new ClaimOutcome(null, result.Field, result.Reason, false);
                    return;
                }
                // Two requests of one group with the same key of the same caller: the second replays the first (or is refused
                // when it asks something else).
                if (ask.IdempotencyKey is { } k)
                {
                    var twin = added.FindIndex(a => a.IdempotencyKey is { } other && other.SameKey(k));
                    if (twin >= 0)
                    {
                        state.Pool.Release(id);
                        c.Outcome = ClaimOutcome.Replay(added[twin].Claim, added[twin].IdempotencyKey!, k);
                        return;
                    }
                }
                added.Add(new StoredClaim(result.Claim!, ask.IdempotencyKey, now));
                c.Outcome = new ClaimOutcome(result.Claim, null, null, false);
                return;
            case PendingRelease r:
                r.Released = null;
                if (r.Done.Task.IsCompleted) return;
                var claim = state.Pool.Get(r.Id);
                if (claim is null) return;
                state.Pool.Release(r.Id);
                r.Released = claim;
                released.Add(r.Id);
                return;
        }
    }

    private static void Undo(State state, List<Pending> batch)
    {
        for (var i = batch.Count - 1; i >= 0; i--)
        {
            switch (batch[i])
            {
                case PendingClaim { Outcome: { Granted: true, Replayed: false } o }:
                    state.Pool.Release(o.Claim!.Id);
                    break;
                case PendingRelease { Released: { } claim }:
                    state.Pool.Hold(claim);
                    break;
            }
        }
    }

    private static void Complete(List<Pending> batch)
    {
        foreach (var p in batch)
        {
            if (p is PendingClaim c && c.Outcome is { } o) c.Done.TrySetResult(o);
            else if (p is PendingRelease r) r.Done.TrySetResult(r.Released is null ? ReleaseOutcome.NotFound : ReleaseOutcome.Released);
        }
    }

    private async Task ReplayReleasedKeysAsync(List<Pending> batch, State state, CancellationToken ct)
    {
        foreach (var p in batch)
        {
            if (p is not PendingClaim { Ask.IdempotencyKey: { } key } c || state.Keys.ContainsKey((key.Scope, key.Key))) continue;
            if (await _store.FindClaimByKeyAsync(key, ct) is { IdempotencyKey: { } earlier } stored) c.Done.TrySetResult(ClaimOutcome.Replay(stored.Claim, earlier, key));
        }
    }

    // A released claim's key is answered from the store from now on (FindClaimByKeyAsync after the key conflict).
    private static void RemoveKey(State state, ClaimId id)
    {
        if (state.KeyOf.Remove(id, out var key)) state.Keys.Remove(key);
    }

    // Deliveries get accepted and reserved lines start as time passes: recompute at most once a minute (the ledger's grain).
    // When the book is not at hand (the deal desk is writing), keep the ranges and try again at the next write.
    private void RefreshClaimable(State state, DateTime now)
    {
        if (now < state.ClaimableAt.AddMinutes(1) && now >= state.ClaimableAt) return;
        if (_book.Claimable(state.StoreRevision, now) is not { } claimable) return;
        foreach (var f in state.Scenario.Fabrics) state.Pool.SetClaimableUnits(f.Id, claimable.GetValueOrDefault(f.Id));
        state.ClaimableAt = now;
    }

    private async Task CatchUpAsync(CancellationToken ct)
    {
        var (claimsRevision, storeRevision) = await _store.ClaimRevisionsAsync(ct);
        State state;
        lock (_gate) state = _state;
        // Only other servers' claims and releases are brought in here. A change of the reserved book alone is taken up as
        // before, at this desk's next claim write (StoreMoved) and by the once-a-minute claimable refresh: recomputing the
        // claimable units of a large book on every sign anywhere would cost every server that much per sign.
        if (claimsRevision == state.ClaimsRevision) return;
        var fresh = storeRevision != state.StoreRevision ? await LoadAsync(_store, _book, _clock, ct) : await ReloadClaimsAsync(state, ct);
        lock (_gate) _state = fresh;
    }

    private static async Task<State> LoadAsync(LessorStore store, Book book, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var loaded = await book.LoadAsync(now, ct);
        return await FillAsync(store, new State(loaded.Scenario, loaded.Revision), loaded.Claimable, now, ct);
    }

    private async Task<State> ReloadClaimsAsync(State old, CancellationToken ct)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        IReadOnlyDictionary<FabricId, int> claimable;
        var at = now;
        if (_book.Claimable(old.StoreRevision, now) is { } fresh) claimable = fresh;
        else
        {
            // Same book, not at hand now: the ranges the pool already has, and when they were computed.
            claimable = old.Scenario.Fabrics.ToDictionary(f => f.Id, f => old.Pool.ClaimableUnits(f.Id));
            at = old.ClaimableAt;
        }
        return await FillAsync(_store, new State(old.Scenario, old.StoreRevision), claimable, at, ct);
    }

    private static async Task<State> FillAsync(LessorStore store, State state, IReadOnlyDictionary<FabricId, int> claimable, DateTime claimableAt, CancellationToken ct)
    {
        var snapshot = await store.ReadClaimsAsync(ct);
        var pool = new NodePool(state.Scenario.Platforms, state.Scenario.Fabrics, claimable);
        var keys = new Dictionary<(string Scope, string Key), (ClaimId Claim, IdempotencyKey Key)>();
        var keyOf = new Dictionary<ClaimId, (string Scope, string Key)>();
        foreach (var stored in snapshot.Claims)
        {
            if (pool.Hold(stored.Claim) is { } error) throw new InvalidDataException($"The stored claims disagree with the fleet: {error}");
            if (stored.IdempotencyKey is { } key)
            {
                keys[(key.Scope, key.Key)] = (stored.Claim.Id, key);
                keyOf[stored.Claim.Id] = (key.Scope, key.Key);
            }
        }
        state.Pool = pool;
        state.Keys = keys;
        state.KeyOf = keyOf;
        state.ClaimsRevision = snapshot.ClaimsRevision;
        state.ClaimableAt = claimableAt;
        return state;
    }
}
