using Lessor.Core.Contracts;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Server.Desk;

/// <summary>
/// What an amendment would change, without writing: the contract value before and after, the line's GPUs and end,
/// and where its future would sit; or, when refused, the field at fault and the reason (as the amendment would say).
/// </summary>
public sealed record AmendPreview(
    bool Possible, string? Field, string? Error, IReadOnlyList<BindingConstraint> Constraints,
    Money TcvBefore, Money? TcvAfter, int GpusBefore, int GpusAfter, DateTime EndBefore, DateTime EndAfter,
    IReadOnlyList<PlacedBlock> PlacementAfter)
{
    /// <summary>TCV after minus before; null when refused.</summary>
    public Money? TcvChange => TcvAfter is { } after ? after - TcvBefore : null;
}

/// <summary>What a cancellation would change, without writing: the value before and after, the fee, and the GPUs it frees.</summary>
public sealed record CancelPreview(bool Possible, string? Field, string? Error, Money TcvBefore, Money? TcvAfter, Money? Fee, int GpusFreed, DateTime Effective)
{
    /// <summary>TCV after minus before (the fee included in after); null when refused.</summary>
    public Money? TcvChange => TcvAfter is { } after ? after - TcvBefore : null;
}

public sealed partial class DealDesk
{
    /// <summary>
    /// Previews <see cref="AmendAsync"/>: the same checks and the same ledger write, undone before returning. Claims
    /// are not held here, so an amendment a fresh claim blocks can still be refused when applied.
    /// </summary>
    public AmendPreview PreviewAmend(ContractId contractId, LineId lineId, DateTime effective, GpuCount? gpus, DateTime? end)
    {
        var contract = Scenario.Contracts.FirstOrDefault(c => c.Id == contractId)
            ?? throw new ArgumentException($"no contract '{contractId}'.", nameof(contractId));
        var tcv = contract.Value.RoundToCents();
        var line = contract.Lines.FirstOrDefault(l => l.Id == lineId);
        if (line is null) return Refused("line", $"contract {contractId} has no line '{lineId}'.", 0, default);
        var newGpus = gpus ?? line.Gpus;
        var newEnd = end ?? line.Period.End;
        AmendPreview Refused(string field, string error, int g, DateTime e, IReadOnlyList<BindingConstraint>? constraints = null) =>
            new(false, field, error, constraints ?? [], tcv, null, g, g, e, e, []);

        // The checks AmendAsync makes before touching the ledger, in its order and words.
        if (newGpus == line.Gpus && newEnd == line.Period.End)
        {
            return gpus is not null
                ? Refused("gpus", $"line {lineId} of {contractId} already has {line.Gpus.Value:N0} GPUs.", line.Gpus.Value, line.Period.End)
                : Refused(end is not null ? "end" : "gpus", end is not null
                    ? $"line {lineId} of {contractId} already ends on {line.Period.End:yyyy-MM-dd}."
                    : "give the new GPUs, the new end, or both.", line.Gpus.Value, line.Period.End);
        }
        if (newEnd > line.Period.Start && Limits.LineValueProblem(newGpus.Value, new Period(line.Period.Start, newEnd), line.PricePerGpuHour.Amount) is { } big)
            return Refused(gpus is not null ? "gpus" : "end", big + ".", line.Gpus.Value, line.Period.End);
        if (line.BlockSize is { } block && newGpus < block)
            return Refused("gpus", $"{newGpus.Value:N0} GPUs is less than one block of the line ({block.Value:N0} GPUs); a line keeps at least one whole block.", line.Gpus.Value, line.Period.End);
        if (ContractEditor.LatestAmendment(contract, lineId) is { } latest && effective < latest)
            return Refused("effective", $"{effective:yyyy-MM-dd} is before the line's latest amendment, effective {latest:yyyy-MM-dd}; amendments of a line apply in date order.", line.Gpus.Value, line.Period.End);

        var lineRef = new LineRef(contractId, lineId);
        IReadOnlyList<PlacedBlock> placement;
        lock (_ledgerGate)
        {
            var write = _ledger.AmendLine(lineRef, effective, newGpus, newEnd);
            if (!write.Applied) return Refused("gpus", write.Error ?? "the ledger refused the change.", line.Gpus.Value, line.Period.End, write.Constraints);
            placement = FuturePlacement(lineRef, newEnd);
            _ledger.Release(write.Token!);
        }
        var edited = newGpus != line.Gpus
            ? ContractEditor.Resize(contract, lineId, newGpus, effective, placement)
            : ContractEditor.Extend(contract, lineId, newEnd, effective);
        if (edited is { Ok: true } && newGpus != line.Gpus && newEnd != line.Period.End)
            edited = ContractEditor.Extend(edited.Contract!, lineId, newEnd, effective);
        if (!edited.Ok) return Refused(edited.Rejected!.Field, edited.Rejected.Message, line.Gpus.Value, line.Period.End);
        return new AmendPreview(true, null, null, [], tcv, edited.Contract!.Value.RoundToCents(),
            line.Gpus.Value, newGpus.Value, line.Period.End, newEnd, placement);
    }

    /// <summary>Previews <see cref="CancelAsync"/>: the contract's terms applied to a copy; nothing changes.</summary>
    public CancelPreview PreviewCancel(ContractId contractId, DateTime effective, string? reason)
    {
        var contract = Scenario.Contracts.FirstOrDefault(c => c.Id == contractId)
            ?? throw new ArgumentException($"no contract '{contractId}'.", nameof(contractId));
        var tcv = contract.Value.RoundToCents();
        var edited = ContractEditor.Cancel(contract, effective, reason);
        if (!edited.Ok) return new CancelPreview(false, edited.Rejected!.Field, edited.Rejected.Message, tcv, null, null, 0, effective);
        // The GPUs in force at the effective instant (or at a line's later start) that the cancellation releases.
        var freed = contract.CommittedLines.Where(l => l.Period.End > effective).Sum(l => l.Gpus.Value);
        return new CancelPreview(true, null, null, tcv, edited.Contract!.Value.RoundToCents(), edited.Contract.Cancellation!.Fee, freed, effective);
    }
}
