using System.Globalization;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Server.Tests.Desk.Sequences;

/// <summary>One stretch a line commits: its terms (GPUs, price, pinned blocks) over [Start, End).</summary>
internal sealed record RefSegment(LineRef Line, PlatformId Platform, DateTime Start, DateTime End, int Gpus, decimal Price, IReadOnlyList<PlacedBlock> Pinned)
{
    public bool Covers(DateTime t) => Start <= t && t < End;

    public decimal Minutes => (decimal)(End - Start).Ticks / TimeSpan.TicksPerMinute;

    public decimal Value => Gpus * Minutes * Price / 60m;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Line} {Gpus} GPUs [{Start:yyyy-MM-ddTHH:mm}, {End:yyyy-MM-ddTHH:mm}) pinned {(Pinned.Count == 0 ? "-" : string.Join("+", Pinned.Select(b => $"{b.Fabric}:{b.Units}")))}");
}

/// <summary>
/// The book's commitments and supply computed straight from the stored scenario, written apart from the product's
/// LineSegments, ledger and finance code so that it can check them: a line commits each amendment's Before snapshot
/// until that amendment's effective date (from the previous one's), then its current terms, everything cut at the
/// contract's cancellation. Supply is the units of deliveries accepted by an instant.
/// </summary>
internal static class BookReference
{
    public static List<RefSegment> Segments(Scenario s)
    {
        var result = new List<RefSegment>();
        foreach (var c in s.Contracts)
        {
            if (c.Kind == ContractKind.Backstop) continue;
            var cut = c.Cancellation?.EffectiveOn;
            foreach (var line in c.Lines)
            {
                if (!line.IsCommitted) continue;
                var lineRef = new LineRef(c.Id, line.Id);
                DateTime? from = null;
                foreach (var a in c.Amendments.Where(a => a.Line == line.Id && a.Before is not null).OrderBy(a => a.Sequence))
                {
                    var b = a.Before!;
                    Add(result, lineRef, b, from ?? b.Period.Start, Earlier(a.EffectiveOn, b.Period.End), cut);
                    from = a.EffectiveOn;
                }
                Add(result, lineRef, line, from is { } f && f > line.Period.Start ? f : line.Period.Start, line.Period.End, cut);
            }
        }
        return result;
    }

    private static void Add(List<RefSegment> into, LineRef line, ContractLine terms, DateTime start, DateTime end, DateTime? cut)
    {
        if (cut is { } x && x < end) end = x;
        if (start < end && terms.Gpus.Value > 0)
            into.Add(new RefSegment(line, terms.Platform, start, end, terms.Gpus.Value, terms.PricePerGpuHour.Amount, terms.Pinned));
    }

    private static DateTime Earlier(DateTime a, DateTime b) => a < b ? a : b;

    /// <summary>Pairs of one line's segments that overlap in time: the line would hold its GPUs twice there.</summary>
    public static IEnumerable<string> DoubleCounted(List<RefSegment> segments)
    {
        foreach (var group in segments.GroupBy(x => x.Line))
        {
            var list = group.OrderBy(x => x.Start).ToList();
            for (var i = 1; i < list.Count; i++)
            {
                for (var j = 0; j < i; j++)
                {
                    if (list[j].End > list[i].Start)
                        yield return $"line {group.Key} is committed twice over [{list[i].Start:yyyy-MM-ddTHH:mm}, {Earlier(list[j].End, list[i].End):yyyy-MM-ddTHH:mm}): {list[j]} and {list[i]}";
                }
            }
        }
    }

    /// <summary>Units of a fabric accepted by <paramref name="t"/>, each delivery counted from the date given for it.</summary>
    public static int Supply(Scenario s, FabricId fabric, DateTime t, Func<Delivery, DateTime> date) =>
        s.Deliveries.Where(d => d.Fabric == fabric && date(d) <= t).Sum(d => d.Units);

    /// <summary>Every instant where a commitment or the supply may change: checking there checks every minute.</summary>
    public static SortedSet<DateTime> Breakpoints(Scenario s, List<RefSegment> segments, Func<Delivery, DateTime> earliest)
    {
        var set = new SortedSet<DateTime>();
        foreach (var x in segments)
        {
            set.Add(x.Start);
            set.Add(x.End);
        }
        foreach (var d in s.Deliveries)
        {
            set.Add(d.AcceptanceDate);
            set.Add(earliest(d));
        }
        return set;
    }

    /// <summary>The contract's TCV by the reference: every committed stretch's GPU-hours at its price, plus the cancellation fee.</summary>
    public static decimal Tcv(Contract c, List<RefSegment> segments) =>
        segments.Where(x => x.Line.Contract == c.Id).Sum(x => x.Value) + (c.Cancellation?.Fee.Amount ?? 0m);

    /// <summary>What a fully covered contract has recognized before <paramref name="t"/>: its stretches pro rata, the fee once its instant passed.</summary>
    public static decimal RecognizedBefore(Contract c, List<RefSegment> segments, DateTime t)
    {
        var sum = c.Cancellation is { } x && x.EffectiveOn < t ? x.Fee.Amount : 0m;
        foreach (var seg in segments.Where(x => x.Line.Contract == c.Id))
        {
            if (t <= seg.Start) continue;
            if (t >= seg.End) sum += seg.Value;
            else sum += seg.Gpus * ((decimal)(t - seg.Start).Ticks / TimeSpan.TicksPerMinute) * seg.Price / 60m;
        }
        return sum;
    }

    public static bool SameCents(decimal a, decimal b) => Math.Abs(a - b) < 0.005m;
}
