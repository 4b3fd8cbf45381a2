using Lessor.Core.Model;

namespace Lessor.Core.Contracts;

/// <summary>
/// A stretch of a line's life with constant terms. A line amended at T is committed as its <c>Before</c>
/// snapshot until T and as amended from T (amendments change only the future); a cancellation cuts every
/// segment at its effective date.
/// </summary>
public sealed record LineSegment(LineRef Line, PlatformId Platform, Period Period, GpuCount Gpus, Money PricePerGpuHour, IReadOnlyList<PlacedBlock> Pinned)
{
    public Money Value => PricePerGpuHour * (Gpus.Value * Period.Hours);
}

/// <summary>Turns a contract's lines and amendment history into the segments that engines commit and bill.</summary>
public static class LineSegments
{
    /// <summary>Committed segments of every committed line of the contract, in line order.</summary>
    public static IReadOnlyList<LineSegment> Of(Contract contract)
    {
        var result = new List<LineSegment>();
        if (contract.Kind == ContractKind.Backstop) return result;
        foreach (var line in contract.Lines)
        {
            if (line.IsCommitted) result.AddRange(Of(contract, line));
        }
        return result;
    }

    /// <summary>Segments of one line, whether or not it is committed (callers decide).</summary>
    public static IReadOnlyList<LineSegment> Of(Contract contract, ContractLine line)
    {
        var lineRef = new LineRef(contract.Id, line.Id);
        var cut = contract.Cancellation?.EffectiveOn ?? DateTime.MaxValue;
        var result = new List<LineSegment>();
        DateTime? from = null;
        foreach (var a in contract.Amendments)
        {
            if (a.Line != line.Id || a.Before is null) continue;
            var start = from ?? a.Before.Period.Start;
            Add(result, lineRef, a.Before, start, Min(a.EffectiveOn, a.Before.Period.End), cut);
            from = a.EffectiveOn;
        }
        Add(result, lineRef, line, from is { } f && f > line.Period.Start ? f : line.Period.Start, line.Period.End, cut);
        return result;
    }

    private static void Add(List<LineSegment> into, LineRef lineRef, ContractLine terms, DateTime start, DateTime end, DateTime cut)
    {
        if (cut < end) end = cut;
        if (start >= end || terms.Gpus.Value == 0) return;
        into.Add(new LineSegment(lineRef, terms.Platform, new Period(start, end), terms.Gpus, terms.PricePerGpuHour, terms.Pinned));
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
}
