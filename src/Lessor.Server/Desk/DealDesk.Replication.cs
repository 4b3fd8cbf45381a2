using System.Runtime.CompilerServices;
using Lessor.Core.Claims;
using Lessor.Core.Contracts;
using Lessor.Core.Finance;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Server.Desk;

// The desk's replication side (docs/change-feed.md): where its book stands against the store, and the catch-up that
// applies other servers' writes from the change feed instead of rebuilding.
public sealed partial class DealDesk
{
    /// <summary>The store revision this desk's book reflects (every write up to it, none after).</summary>
    public long Revision => Volatile.Read(ref _revision);

    /// <summary>The highest store revision this desk has seen the store report (at least <see cref="Revision"/>).</summary>
    public long StoreRevision => Math.Max(Volatile.Read(ref _storeRevision), Revision);

    /// <summary>Revisions written by others that this desk has seen but not yet applied (0 when current as far as it knows).</summary>
    public long Lag => StoreRevision - Revision;

    /// <summary>Times the book was rebuilt from the store after start (the feed did not cover the gap, or an import); a lost race costs none.</summary>
    public long FullRebuilds => Interlocked.Read(ref _fullRebuilds);

    /// <summary>Catch-ups that found the store moved (by the feed or by a rebuild).</summary>
    public long CatchUps => Interlocked.Read(ref _catchUps);

    /// <summary>The last catch-up that found the store moved: when, how long it took, and whether the feed covered it; null before the first.</summary>
    public CatchUpRecord? LastCatchUp => Volatile.Read(ref _lastCatchUp);

    /// <summary>When the store last answered this desk (open, a catch-up, a revision check).</summary>
    public DateTimeOffset LastContact => new(Volatile.Read(ref _lastContactTicks), TimeSpan.Zero);

    /// <summary>True when the desk's last attempt to reach the store failed (cut off, or the store is down).</summary>
    public bool LastContactFailed => Volatile.Read(ref _lastContactFailed);

    /// <summary>
    /// Brings the desk up to the store now (waits for a write in progress): the background loop calls it on a wake-up or
    /// a poll, and a request that asks for a revision the desk has not reached. A failure to reach the store is
    /// recorded (<see cref="LastContactFailed"/>) and thrown.
    /// </summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _writer.WaitAsync(ct);
        try
        {
            await CatchUpAsync(ct);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Records that the store answered (a revision check outside the writer) with <paramref name="storeRevision"/>.</summary>
    public void StoreAnswered(long storeRevision) => Touch(storeRevision);

    /// <summary>Records that the store did not answer (a failed or timed-out check): writes are refused until it does.</summary>
    public void StoreFailed() => Volatile.Write(ref _lastContactFailed, true);

    /// <summary>Notes a store revision heard of without reading the store (a PostgreSQL notification).</summary>
    public void Heard(long storeRevision) => InterlockedMax(ref _storeRevision, storeRevision);

    /// <summary>
    /// Brings the desk up to the store when another writer moved its revision since this desk last wrote or read: the
    /// changes since are applied from the store's change feed (the contracts and deliveries they name, re-read); only
    /// when the feed no longer covers the gap, or a change is an import, is the book rebuilt (counted in
    /// <see cref="FullRebuilds"/>). Call under the writer.
    /// </summary>
    private async Task CatchUpAsync(CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        StoreChanges changes;
        try
        {
            changes = await _store.ChangesSinceAsync(_revision, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Volatile.Write(ref _lastContactFailed, true);
            throw;
        }
        Touch(changes.Revision);
        if (changes.None) return;
        if (changes.Covered)
        {
            Apply(changes);
        }
        else
        {
            var (scenario, ledger, revision) = await LoadAsync(_store, ct);
            lock (_ledgerGate)
            {
                _ledger = ledger;
                _revision = revision;
                Volatile.Write(ref _scenario, scenario);
                IndexIds(scenario);
            }
            Interlocked.Increment(ref _fullRebuilds);
            Touch(revision);
        }
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        Interlocked.Increment(ref _catchUps);
        Volatile.Write(ref _lastCatchUp, new CatchUpRecord(_clock.GetUtcNow(), elapsed, changes.Covered));
        Replication.Metrics.CatchUp(elapsed, changes.Covered);
    }

    /// <summary>Applies the changes read from the feed to the ledger, the book and its indexes, under the ledger lock.</summary>
    private void Apply(StoreChanges changes)
    {
        lock (_ledgerGate)
        {
            var s = Scenario;
            var deliveries = s.Deliveries;
            if (changes.Deliveries.Count > 0)
            {
                var changed = changes.Deliveries.ToDictionary(d => d.Id);
                foreach (var d in changes.Deliveries) _ledger.SetDelivery(d);
                deliveries = s.Deliveries.Select(d => changed.GetValueOrDefault(d.Id, d)).ToList();
            }
            IReadOnlyList<Contract> contracts = s.Contracts;
            if (changes.Contracts.Count > 0)
            {
                var replaced = new Dictionary<ContractId, Contract>();
                var added = new List<Contract>();
                foreach (var c in changes.Contracts)
                {
                    if (_contractIds.Contains(c.Id)) replaced[c.Id] = c;
                    else added.Add(c);
                    _ledger.ReplaceContract(c);
                }
                if (replaced.Count > 0) contracts = contracts.Select(c => replaced.GetValueOrDefault(c.Id, c)).ToList();
                if (added.Count > 0) contracts = GrowingList<Contract>.From(contracts).Append(added);
                foreach (var c in added) IndexAdded(c);
            }
            _revision = changes.Revision;
            Volatile.Write(ref _scenario, s with { Deliveries = deliveries, Contracts = contracts });
        }
    }

    /// <summary>Records a successful round trip to the store and the revision it reported.</summary>
    private void Touch(long storeRevision)
    {
        Volatile.Write(ref _lastContactTicks, _clock.GetUtcNow().UtcTicks);
        Volatile.Write(ref _lastContactFailed, false);
        InterlockedMax(ref _storeRevision, storeRevision);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }

    private static async Task<(Scenario, CapacityLedger, long)> LoadAsync(LessorStore store, CancellationToken ct)
    {
        var (scenario, revision) = await store.ExportWithRevisionAsync(ct);
        var build = CapacityLedger.Build(scenario);
        return (scenario, build.Ledger, revision);
    }
}
