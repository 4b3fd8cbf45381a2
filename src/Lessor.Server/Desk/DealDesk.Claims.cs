using System.Runtime.CompilerServices;
using Lessor.Core.Claims;
using Lessor.Core.Contracts;
using Lessor.Core.Finance;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Server.Desk;

// The desk's side facing on-demand claims (docs/claims.md): the units claims may use now, capped below the fleet's lines
// and spares, and the guard a write takes when it touches the claim window.
public sealed partial class DealDesk
{
    /// <summary>
    /// The book at the store's current revision and the units claimable at <paramref name="now"/>, for the claim desk:
    /// it works from this desk's ledger instead of exporting and building its own. Catches up with the store first; waits
    /// for a write in progress (the store moved under the caller, so it needs what that write leaves).
    /// </summary>
    public async Task<ClaimableBook> ClaimableBookAsync(DateTime now, CancellationToken ct)
    {
        await EnterWriterAsync(ct);
        try
        {
            await CatchUpAsync(ct);
            lock (_ledgerGate) return new ClaimableBook(Scenario, _revision, CapClaims(ClaimableUnits.Compute(Scenario, _ledger, now, ClaimGuard), _claimCeiling));
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// The units claimable at <paramref name="now"/> if this desk is still at <paramref name="revision"/> and no write is
    /// in progress (its ledger may then hold a line not yet stored); null otherwise, and the caller keeps what it has.
    /// Never waits for a write: a claim must not queue behind a sign.
    /// </summary>
    public IReadOnlyDictionary<FabricId, int>? ClaimableUnitsAt(long revision, DateTime now)
    {
        if (_writer.CurrentCount == 0) return null;
        lock (_ledgerGate)
        {
            if (_revision != revision || _writer.CurrentCount == 0) return null;
            return CapClaims(ClaimableUnits.Compute(Scenario, _ledger, now, ClaimGuard), _claimCeiling);
        }
    }

    // Per fabric, the lowest unit the fleet holds for committed lines or as spares (FleetDesk publishes it): on-demand
    // claims take units from 0 up, so keeping them below it means a claim never takes a spare or a serving node.
    private volatile IReadOnlyDictionary<FabricId, int>? _claimCeiling;

    /// <summary>
    /// Sets, per fabric, the first unit on-demand claims may not take (the fleet desk's lowest unit with a node that
    /// serves a line or waits as a spare); fabrics left out are not capped. Takes effect at the next claimable count.
    /// </summary>
    public void SetClaimCeiling(IReadOnlyDictionary<FabricId, int> ceiling)
    {
        ArgumentNullException.ThrowIfNull(ceiling);
        _claimCeiling = ceiling;
    }

    private static Dictionary<FabricId, int> CapClaims(Dictionary<FabricId, int> claimable, IReadOnlyDictionary<FabricId, int>? ceiling)
    {
        if (ceiling is null) return claimable;
        foreach (var (fabric, cap) in ceiling)
        {
            if (claimable.TryGetValue(fabric, out var units) && units > cap) claimable[fabric] = Math.Max(0, cap);
        }
        return claimable;
    }

    /// <summary>True when a period overlaps the claim guard window as of now.</summary>
    private bool Touches(Period period) => ClaimableUnits.Window(_clock.GetUtcNow().UtcDateTime, ClaimGuard).Overlaps(period);

    /// <summary>
    /// The claims held now, when a write is about to take units inside the guard window (null otherwise): their
    /// extents come from the store, so claims of every process count.
    /// </summary>
    private async Task<ClaimWindow?> ClaimGuardAsync(bool touchesWindow, CancellationToken ct)
    {
        if (!touchesWindow) return null;
        var now = _clock.GetUtcNow().UtcDateTime;
        var extents = await _store.ClaimExtentsAsync(ct);
        return new ClaimWindow(now, ClaimGuard, extents, _claimCeiling);
    }

    /// <summary>
    /// Claims in the guard window during one write attempt: the hold that keeps the fit off claimed units, and the fence
    /// the store checks at commit against claims made since (the claimable units of each fabric the write shrank).
    /// </summary>
    private sealed class ClaimWindow(DateTime now, TimeSpan guard, IReadOnlyDictionary<FabricId, int> extents, IReadOnlyDictionary<FabricId, int>? ceiling)
    {
        private Dictionary<FabricId, int>? _before;

        public Period Window { get; } = ClaimableUnits.Window(now, guard);

        /// <summary>Takes the claimed units out of the ledger's free counts over the window; call under the ledger lock.</summary>
        public UnitHold Hold(CapacityLedger ledger, Scenario scenario)
        {
            _before = CapClaims(ClaimableUnits.Compute(scenario, ledger, now, guard), ceiling);
            return ledger.HoldUnits(ClaimableUnits.Holds(scenario, ledger, now, guard, extents), Window);
        }

        /// <summary>After the write (hold released): the fabrics whose claimable units it shrank, each with what is left; null when none.</summary>
        public ClaimFence? Fence(CapacityLedger ledger, Scenario scenario, IEnumerable<FabricId> touched)
        {
            var after = CapClaims(ClaimableUnits.Compute(scenario, ledger, now, guard), ceiling);
            var fence = new Dictionary<FabricId, int>();
            foreach (var fabric in touched)
            {
                var left = after.GetValueOrDefault(fabric);
                if (left < _before!.GetValueOrDefault(fabric)) fence[fabric] = left;
            }
            return fence.Count > 0 ? new ClaimFence(fence) : null;
        }
    }
}
