using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Server.Desk;

// Re-placement through the desk: proposals and checks on its ledger, and the writes that move lines not yet started.
public sealed partial class DealDesk
{
    /// <summary>Proposes moves of lines not started at <paramref name="asOf"/> that free the most contiguous capacity (nothing changes).</summary>
    public ReplacementPlan ProposeReplacement(DateTime asOf, Period window, int minDealGpus, int? maxMoves)
    {
        lock (_ledgerGate) return _ledger.ProposeReplacement(asOf, window, minDealGpus, maxMoves);
    }

    /// <summary>Checks a deal letting lines not started at <paramref name="asOf"/> move when it does not fit as placed (nothing changes).</summary>
    public RepackFit CheckWithReplacement(DealRequest deal, DateTime asOf, int? maxMoves)
    {
        lock (_ledgerGate) return _ledger.CheckWithReplacement(deal, asOf, maxMoves);
    }

    /// <summary>
    /// Applies reviewed moves: all or nothing, refused when a line has started, sits elsewhere than the move says, or
    /// would break its rules. Each moved line's new blocks are stored as its pinned placement.
    /// </summary>
    public Task<MoveOutcome> ApplyMovesAsync(IReadOnlyList<LineMove> moves, DateTime asOf, CancellationToken ct) =>
        WriteWithRetryAsync<MoveOutcome>(async () =>
        {
            if (moves.Count == 0) return new MoveOutcome(moves, null);
            // A moved line that starts inside the claim guard window must leave claimed units alone, as a sign must.
            var periods = moves.Select(m => Scenario.Contracts.FirstOrDefault(c => c.Id == m.Line.Contract)?.Lines.FirstOrDefault(l => l.Id == m.Line.Line)?.Period);
            var guard = await ClaimGuardAsync(periods.Any(p => p is { } period && Touches(period)), ct);
            WriteResult write;
            ClaimFence? fence = null;
            lock (_ledgerGate)
            {
                var hold = guard?.Hold(_ledger, Scenario);
                try
                {
                    write = _ledger.ApplyMoves(moves, asOf);
                }
                finally
                {
                    hold?.Release();
                }
                if (write.Applied && guard is not null) fence = guard.Fence(_ledger, Scenario, moves.SelectMany(m => m.To).Select(b => b.Fabric).Distinct());
            }
            if (!write.Applied) return new MoveOutcome([], write.Error);
            var changed = WithMovedPins(moves);
            ContractWriteResult written;
            try
            {
                written = await _store.ReplaceContractsAsync(changed, _revision, fence, ct);
            }
            catch
            {
                Undo([write.Token!]);
                throw;
            }
            if (!written.Written)
            {
                Undo([write.Token!]);
                return null;
            }
            var revision = written.Revision;
            _revision = revision;
            Publish(changed, null);
            return new MoveOutcome(moves, null);
        }, new MoveOutcome([], "the store kept changing (or claims took the units) under these moves; try again."), ct);

    /// <summary>
    /// Signs a deal, moving lines not started at <paramref name="asOf"/> when it fits only that way (at most
    /// <paramref name="maxMoves"/>): the moved lines' new blocks and the new contract are stored in one transaction, so
    /// nobody can take the room between the moves and the sign. Idempotency keys replay as for <see cref="SignAsync"/>.
    /// </summary>
    public Task<MovedSignOutcome> SignWithMovesAsync(SignRequest request, DateTime asOf, int? maxMoves, CancellationToken ct) =>
        WriteWithRetryAsync<MovedSignOutcome>(async () =>
        {
            if (request.IdempotencyKey is { } key && await _store.FindIdempotentContractAsync(key, ct) is { } earlier)
                return new MovedSignOutcome(SignOutcome.Replay(await _store.GetContractAsync(earlier.Contract, ct), earlier, key), []);
            if (Scenario.Customers.All(c => c.Id != request.Deal.Customer))
                return new MovedSignOutcome(new SignOutcome(null, null, $"customer: no customer '{request.Deal.Customer}'.", false), []);
            var id = request.ContractId ?? NextContractId(request.Deal.Customer, []);
            if (Scenario.Contracts.Any(c => c.Id == id)) return new MovedSignOutcome(new SignOutcome(null, null, $"contract: '{id}' already exists.", false), []);

            // Moved lines may start inside the claim guard window even when the deal does not: always hold claims out.
            var guard = await ClaimGuardAsync(true, ct);
            RepackFit repack;
            var tokens = new List<CommitToken>();
            string? error = null;
            ClaimFence? fence;
            lock (_ledgerGate)
            {
                var hold = guard?.Hold(_ledger, Scenario);
                try
                {
                    repack = _ledger.CheckWithReplacement(request.Deal, asOf, maxMoves);
                    if (repack.Fit.Fits)
                    {
                        var moved = _ledger.ApplyMoves(repack.Moves, asOf);
                        if (moved.Applied)
                        {
                            tokens.Add(moved.Token!);
                            var signed = _ledger.Commit(id, repack.Fit.Placements);
                            if (signed.Applied) tokens.Add(signed.Token!);
                            else error = signed.Error;
                        }
                        else error = moved.Error;
                    }
                }
                finally
                {
                    hold?.Release();
                }
                if (error is not null)
                {
                    for (var i = tokens.Count - 1; i >= 0; i--) _ledger.Release(tokens[i]);
                    tokens.Clear();
                }
                var touched = repack.Moves.SelectMany(m => m.To).Concat(repack.Fit.Placements.SelectMany(pl => pl.Blocks)).Select(b => b.Fabric).Distinct();
                fence = tokens.Count > 0 ? guard?.Fence(_ledger, Scenario, touched) : null;
            }
            if (!repack.Fit.Fits) return new MovedSignOutcome(new SignOutcome(null, repack.Fit, repack.Fit.Constraints[0].Reason, false), []);
            if (error is not null) return new MovedSignOutcome(new SignOutcome(null, repack.Fit, error, false), []);

            var contract = ToContract(request, id, repack.Fit);
            var changed = WithMovedPins(repack.Moves);
            ContractWriteResult written;
            try
            {
                written = await _store.WriteBookChangeAsync(changed, (contract, request.IdempotencyKey), _revision, fence, ct);
            }
            catch
            {
                Undo(tokens);
                throw;
            }
            if (!written.Written)
            {
                Undo(tokens);
                return null;
            }
            _revision = written.Revision;
            Publish(changed, contract);
            return new MovedSignOutcome(new SignOutcome(contract, repack.Fit, null, false), repack.Moves);
        }, new MovedSignOutcome(new SignOutcome(null, null, "the store kept changing (or claims took the units) under this sign; try again.", false), []), ct);

    /// <summary>The book after a write that replaced some contracts and perhaps added one.</summary>
    private void Publish(IReadOnlyList<Contract> replaced, Contract? added)
    {
        var s = Scenario;
        var byId = replaced.ToDictionary(c => c.Id);
        List<Contract> contracts = [.. s.Contracts.Select(c => byId.GetValueOrDefault(c.Id, c))];
        if (added is not null) contracts.Add(added);
        Volatile.Write(ref _scenario, s with { Contracts = contracts });
        if (added is not null) IndexAdded(added);
    }

    /// <summary>The contracts whose lines the moves touch, each moved line pinned where it goes.</summary>
    private List<Contract> WithMovedPins(IReadOnlyList<LineMove> moves)
    {
        var byContract = moves.GroupBy(m => m.Line.Contract).ToDictionary(g => g.Key, g => g.ToDictionary(m => m.Line.Line, m => m.To));
        return [.. Scenario.Contracts.Where(c => byContract.ContainsKey(c.Id)).Select(c => c with
        {
            Lines = [.. c.Lines.Select(l => byContract[c.Id].TryGetValue(l.Id, out var to) ? l with { Pinned = to } : l)],
        })];
    }
}
