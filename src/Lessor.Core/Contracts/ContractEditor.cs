using Lessor.Core.Model;

namespace Lessor.Core.Contracts;

/// <summary>Why an amendment or cancellation was refused; the message names the field and the reason.</summary>
public sealed record EditRejected(string Field, string Message);

/// <summary>The contract after an edit, or why the edit was refused.</summary>
public sealed record EditResult(Contract? Contract, EditRejected? Rejected)
{
    public bool Ok => Contract is not null;
    public static EditResult Done(Contract c) => new(c, null);
    public static EditResult No(string field, string message) => new(null, new EditRejected(field, message));
}

/// <summary>
/// Amends and cancels contracts as pure functions: each returns a new contract with the change appended to its
/// history. Only the future changes: the line as it stood before the effective date is kept as the amendment's
/// Before snapshot, which <see cref="LineSegments"/> commits until that date.
/// </summary>
public static class ContractEditor
{
    /// <summary>Sets the line's GPUs from <paramref name="effectiveOn"/> (grow or shrink), with the placement for the new size.</summary>
    public static EditResult Resize(Contract c, LineId lineId, GpuCount gpus, DateTime effectiveOn, IReadOnlyList<PlacedBlock> pinned, string? note = null)
    {
        if (Find(c, lineId, effectiveOn) is { Rejected: { } r }) return new EditResult(null, r);
        var line = c.Lines.First(l => l.Id == lineId);
        if (gpus == line.Gpus) return EditResult.No("gpus", $"the line already has {gpus} GPUs.");
        var kind = gpus > line.Gpus ? AmendmentKind.Grow : AmendmentKind.Shrink;
        var after = line with { Gpus = gpus, Pinned = pinned };
        return EditResult.Done(Append(c, kind, effectiveOn, line, after, note));
    }

    /// <summary>Moves the line's end later from <paramref name="effectiveOn"/>; the blocks stay where they are.</summary>
    public static EditResult Extend(Contract c, LineId lineId, DateTime newEnd, DateTime effectiveOn, string? note = null)
    {
        if (Find(c, lineId, effectiveOn) is { Rejected: { } r }) return new EditResult(null, r);
        var line = c.Lines.First(l => l.Id == lineId);
        if (newEnd <= line.Period.End)
            return EditResult.No("end", $"{newEnd:yyyy-MM-dd} is not after the line's current end {line.Period.End:yyyy-MM-dd}.");
        var after = line with { Period = new Period(line.Period.Start, newEnd) };
        return EditResult.Done(Append(c, AmendmentKind.Extend, effectiveOn, line, after, note));
    }

    /// <summary>Exercises an option line on <paramref name="on"/>, optionally under a later contract.</summary>
    public static EditResult Exercise(Contract c, LineId lineId, DateTime on, ContractId? under, IReadOnlyList<PlacedBlock> pinned, string? note = null)
    {
        var line = c.Lines.FirstOrDefault(l => l.Id == lineId);
        if (line is null) return EditResult.No("line", $"contract {c.Id} has no line '{lineId}'.");
        if (line.Option is null) return EditResult.No("line", $"line {lineId} of {c.Id} is firm, not an option.");
        if (line.Option.IsExercised) return EditResult.No("line", $"the option {lineId} of {c.Id} was already exercised on {line.Option.ExercisedOn:yyyy-MM-dd}.");
        if (on > line.Option.ExerciseBy) return EditResult.No("on", $"{on:yyyy-MM-dd} is after the option's exercise deadline {line.Option.ExerciseBy:yyyy-MM-dd}.");
        var after = line with { Option = line.Option with { ExercisedOn = on, ExercisedUnder = under }, Pinned = pinned };
        var lines = c.Lines.Select(l => l.Id == lineId ? after : l).ToList();
        // An exercise changes no past segment: the option committed nothing before, so no Before snapshot is kept.
        var amendment = new Amendment { Sequence = c.Amendments.Count + 1, EffectiveOn = on, Kind = AmendmentKind.Exercise, Line = lineId, After = after, Note = note };
        return EditResult.Done(c with { Lines = lines, Amendments = [.. c.Amendments, amendment] });
    }

    /// <summary>Ends the whole contract from <paramref name="effectiveOn"/>; the fee follows its cancellation terms.</summary>
    public static EditResult Cancel(Contract c, DateTime effectiveOn, string? reason)
    {
        if (c.Cancellation is not null) return EditResult.No("contract", $"{c.Id} was already cancelled from {c.Cancellation.EffectiveOn:yyyy-MM-dd}.");
        if (effectiveOn < c.SignedOn) return EditResult.No("effective", $"{effectiveOn:yyyy-MM-dd} is before the contract was signed ({c.SignedOn:yyyy-MM-dd}).");
        var remaining = Money.Zero(c.Currency);
        foreach (var s in LineSegments.Of(c))
        {
            if (s.Period.End <= effectiveOn) continue;
            var start = s.Period.Start > effectiveOn ? s.Period.Start : effectiveOn;
            remaining += s.PricePerGpuHour * (s.Gpus.Value * new Period(start, s.Period.End).Hours);
        }
        var fee = (remaining * (c.CancellationTerms?.FeeFraction ?? 1m)).RoundToCents();
        var amendment = new Amendment { Sequence = c.Amendments.Count + 1, EffectiveOn = effectiveOn, Kind = AmendmentKind.Cancel, Note = reason };
        return EditResult.Done(c with { Cancellation = new Cancellation(effectiveOn, fee, reason), Amendments = [.. c.Amendments, amendment] });
    }

    private static EditResult? Find(Contract c, LineId lineId, DateTime effectiveOn)
    {
        if (c.Cancellation is not null) return EditResult.No("contract", $"{c.Id} is cancelled from {c.Cancellation.EffectiveOn:yyyy-MM-dd}.");
        var line = c.Lines.FirstOrDefault(l => l.Id == lineId);
        if (line is null) return EditResult.No("line", $"contract {c.Id} has no line '{lineId}'.");
        if (!line.IsCommitted) return EditResult.No("line", $"line {lineId} of {c.Id} is an unexercised option; exercise it first.");
        if (effectiveOn < line.Period.Start || effectiveOn >= line.Period.End)
            return EditResult.No("effective", $"{effectiveOn:yyyy-MM-dd} is not inside the line's term {line.Period}; amendments change only the future of a running or future line.");
        // Amendments apply in date order: one dated before the line's latest amendment would rewrite terms that a later
        // change already replaced (and count the line twice from its date), so it is refused rather than re-ordered.
        if (LatestAmendment(c, lineId) is { } latest && effectiveOn < latest)
            return EditResult.No("effective", $"{effectiveOn:yyyy-MM-dd} is before the line's latest amendment, effective {latest:yyyy-MM-dd}; amendments of a line apply in date order.");
        return null;
    }

    /// <summary>The effective date of the latest amendment of a line (grow, shrink, extend or exercise), or null.</summary>
    public static DateTime? LatestAmendment(Contract c, LineId lineId)
    {
        DateTime? latest = null;
        foreach (var a in c.Amendments)
            if (a.Line == lineId && (latest is null || a.EffectiveOn > latest)) latest = a.EffectiveOn;
        return latest;
    }

    private static Contract Append(Contract c, AmendmentKind kind, DateTime effectiveOn, ContractLine before, ContractLine after, string? note)
    {
        var lines = c.Lines.Select(l => l.Id == before.Id ? after : l).ToList();
        var amendment = new Amendment { Sequence = c.Amendments.Count + 1, EffectiveOn = effectiveOn, Kind = kind, Line = before.Id, Before = before, After = after, Note = note };
        return c with { Lines = lines, Amendments = [.. c.Amendments, amendment] };
    }
}
