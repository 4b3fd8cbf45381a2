using Lessor.Core.Model;

namespace Lessor.Core.Finance;

/// <summary>
/// One stretch of recognized revenue: <see cref="Gpus"/> covered GPUs at a price over minutes [Start, End).
/// <see cref="Amount"/> and <see cref="GpuMinutes"/> are prorated linearly inside the stretch; the last stretch of a
/// deferred tail may be shorter than whole GPU-minutes, which is why GPU-minutes are stored, not derived.
/// </summary>
public readonly record struct RevenueSegment(long StartMinute, long EndMinute, int Gpus, decimal PricePerGpuHour, decimal Amount, decimal GpuMinutes)
{
    /// <summary>Share of the amount recognized before minute t (exact at both ends, so sums telescope).</summary>
    internal decimal AmountBefore(long t) =>
        t <= StartMinute ? 0m : t >= EndMinute ? Amount : Amount * (t - StartMinute) / (EndMinute - StartMinute);

    internal decimal GpuMinutesBefore(long t) =>
        t <= StartMinute ? 0m : t >= EndMinute ? GpuMinutes : GpuMinutes * (t - StartMinute) / (EndMinute - StartMinute);
}

/// <summary>A committed stretch of a line: GPUs at a price over minutes [Start, End), before coverage is applied.</summary>
public readonly record struct EntitlementPiece(long StartMinute, long EndMinute, int Gpus, decimal PricePerGpuHour)
{
    public decimal Value => Gpus * (EndMinute - StartMinute) * PricePerGpuHour / 60m;
}

/// <summary>
/// The revenue schedule of one contract line: what it commits (entitlement, whose value is its TCV) and when that
/// value is recognized given the ledger's coverage (segments). See docs/finance.md for the rules.
/// </summary>
public sealed class LineSchedule
{
    internal LineSchedule(LineRef line, ContractLine? current, Currency currency, EntitlementPiece[] pieces, RevenueSegment[] segments, long committedFromMinute)
    {
        Line = line;
        Current = current;
        Currency = currency;
        Pieces = pieces;
        Segments = segments;
        CommittedFromMinute = committedFromMinute;
        var value = 0m;
        foreach (var p in pieces) value += p.Value;
        CommittedValueAmount = value;
        var scheduled = 0m;
        foreach (var s in segments) scheduled += s.Amount;
        ScheduledAmount = scheduled;
    }

    public LineRef Line { get; }

    /// <summary>The line as it stands now, or null when an amendment removed it.</summary>
    public ContractLine? Current { get; }

    public Currency Currency { get; }
    public IReadOnlyList<EntitlementPiece> Pieces { get; }
    public IReadOnlyList<RevenueSegment> Segments { get; }

    /// <summary>Minute from which the line is in the book: its exercise for an option, the epoch's minimum otherwise.</summary>
    public long CommittedFromMinute { get; }

    internal decimal CommittedValueAmount { get; }
    internal decimal ScheduledAmount { get; }

    /// <summary>GPUs x hours x price over the committed pieces: the line's TCV.</summary>
    public Money CommittedValue => new(CommittedValueAmount, Currency);

    /// <summary>What the schedule will recognize in all; less than the TCV only when coverage never catches up or a cancellation cut the tail.</summary>
    public Money Scheduled => new(ScheduledAmount, Currency);

    public Money RevenueBefore(DateTime t) => new(AmountBefore(Minutes.Floor(t)), Currency);
    public Money RevenueIn(Period p) => new(AmountIn(Minutes.Floor(p.Start), Minutes.Floor(p.End)), Currency);

    /// <summary>Revenue per calendar month from the first to the last month with revenue (months with none in between included).</summary>
    public IReadOnlyList<MonthAmount> Monthly()
    {
        if (Segments.Count == 0) return [];
        var first = YearMonth.Of(Utc.FromMinute(Segments[0].StartMinute));
        var last = YearMonth.Of(Utc.FromMinute(Segments[^1].EndMinute - 1));
        var result = new List<MonthAmount>(YearMonth.MonthsBetween(first, last) + 1);
        for (var m = first; m <= last; m = m.Next)
            result.Add(new MonthAmount(m, new Money(AmountIn(Minutes.Of(m.Start), Minutes.Of(m.End)), Currency)));
        return result;
    }

    internal decimal AmountBefore(long t)
    {
        var sum = 0m;
        var segs = (RevenueSegment[])Segments;
        for (var i = 0; i < segs.Length; i++)
        {
            if (segs[i].StartMinute >= t) break;
            sum += segs[i].AmountBefore(t);
        }
        return sum;
    }

    internal decimal AmountIn(long a, long b)
    {
        var sum = 0m;
        var segs = (RevenueSegment[])Segments;
        for (var i = 0; i < segs.Length; i++)
        {
            ref readonly var s = ref segs[i];
            if (s.StartMinute >= b) break;
            if (s.EndMinute <= a) continue;
            sum += s.AmountBefore(b) - s.AmountBefore(a);
        }
        return sum;
    }

    internal decimal GpuMinutesIn(long a, long b)
    {
        var sum = 0m;
        var segs = (RevenueSegment[])Segments;
        for (var i = 0; i < segs.Length; i++)
        {
            ref readonly var s = ref segs[i];
            if (s.StartMinute >= b) break;
            if (s.EndMinute <= a) continue;
            sum += s.GpuMinutesBefore(b) - s.GpuMinutesBefore(a);
        }
        return sum;
    }
}

/// <summary>An amount of revenue in one calendar month.</summary>
public sealed record MonthAmount(YearMonth Month, Money Amount);

/// <summary>The schedules of a contract's lines plus its cancellation fee, recognized as one item at the cancellation instant.</summary>
public sealed class ContractSchedule
{
    internal ContractSchedule(Contract contract, LineSchedule[] lines)
    {
        Contract = contract;
        Lines = lines;
        if (contract.Cancellation is { } c)
        {
            FeeMinute = Minutes.Floor(c.EffectiveOn);
            FeeAmount = c.Fee.Amount;
        }
        var tcv = FeeAmount;
        var scheduled = FeeAmount;
        foreach (var l in lines)
        {
            tcv += l.CommittedValueAmount;
            scheduled += l.ScheduledAmount;
        }
        CommittedValueAmount = tcv;
        ScheduledAmount = scheduled;
    }

    public Contract Contract { get; }
    public IReadOnlyList<LineSchedule> Lines { get; }

    /// <summary>Minute of the cancellation fee; meaningful only when <see cref="Fee"/> is not zero.</summary>
    public long FeeMinute { get; }

    internal decimal FeeAmount { get; }
    internal decimal CommittedValueAmount { get; }
    internal decimal ScheduledAmount { get; }

    public Money Fee => new(FeeAmount, Contract.Currency);

    /// <summary>Committed line value plus the cancellation fee: the contract's TCV.</summary>
    public Money CommittedValue => new(CommittedValueAmount, Contract.Currency);

    public Money Scheduled => new(ScheduledAmount, Contract.Currency);

    /// <summary>Revenue recognized before t: line revenue plus the fee once its instant has passed.</summary>
    public Money RevenueBefore(DateTime t)
    {
        var m = Minutes.Floor(t);
        var sum = FeeAmount != 0m && FeeMinute < m ? FeeAmount : 0m;
        foreach (var l in Lines) sum += l.AmountBefore(m);
        return new(sum, Contract.Currency);
    }
}

/// <summary>Builds revenue schedules from contracts and ledger coverage.</summary>
public static class RevenueSchedule
{
    /// <summary>Schedules of every line id the contract has ever had (current lines first, then lines amendments removed).</summary>
    public static ContractSchedule ForContract(Contract contract, ICoverageSource coverage)
    {
        LineSchedule[] lines;
        if (contract.Amendments.Count == 0)
        {
            // No history: the current lines are all the lines there ever were (the common case, kept allocation-light).
            lines = new LineSchedule[contract.Lines.Count];
            for (var i = 0; i < lines.Length; i++) lines[i] = Schedule(contract, contract.Lines[i].Id, contract.Lines[i], coverage);
            return new ContractSchedule(contract, lines);
        }
        var ids = LineIds(contract);
        lines = new LineSchedule[ids.Count];
        for (var i = 0; i < ids.Count; i++) lines[i] = ForLine(contract, ids[i], coverage);
        return new ContractSchedule(contract, lines);
    }

    /// <summary>
    /// A take-or-pay contract's TCV without coverage: the committed pieces of every line id it has had, plus the
    /// cancellation fee. Equal to <see cref="ContractSchedule.CommittedValue"/> for any coverage.
    /// </summary>
    public static Money Tcv(Contract contract)
    {
        var total = contract.Cancellation?.Fee.Amount ?? 0m;
        foreach (var id in LineIds(contract)) total += LineTcv(contract, id).Amount;
        return new Money(total, contract.Currency);
    }

    /// <summary>What one line id commits over its whole history (every stretch, cut at a cancellation): its share of the TCV.</summary>
    public static Money LineTcv(Contract contract, LineId id)
    {
        var total = 0m;
        foreach (var p in Entitlement(contract, id, Current(contract, id), out _)) total += p.Value;
        return new Money(total, contract.Currency);
    }

    /// <summary>The line as it stands now, or null when an amendment removed it.</summary>
    private static ContractLine? Current(Contract contract, LineId id)
    {
        foreach (var l in contract.Lines)
            if (l.Id == id) return l;
        return null;
    }

    /// <summary>The schedule of one line id of a contract.</summary>
    public static LineSchedule ForLine(Contract contract, LineId id, ICoverageSource coverage)
    {
        var current = Current(contract, id);
        return Schedule(contract, id, current, coverage);
    }

    private static LineSchedule Schedule(Contract contract, LineId id, ContractLine? current, ICoverageSource coverage)
    {
        var lineRef = new LineRef(contract.Id, id);
        var pieces = Entitlement(contract, id, current, out var committedFrom);
        var steps = pieces.Length == 0 ? null : coverage.Coverage(lineRef);
        var cancelMinute = contract.Cancellation is { } c ? Minutes.Floor(c.EffectiveOn) : long.MaxValue;
        // A contract that forfeits late GPU-time recognizes nothing after the term: the tail stops where it starts.
        var tailUntil = contract.LateDelivery == LateDeliveryRule.Forfeit ? long.MinValue : cancelMinute;
        var segments = Recognize(pieces, steps, tailUntil);
        return new LineSchedule(lineRef, current, contract.Currency, pieces, segments, committedFrom);
    }

    internal static List<LineId> LineIds(Contract contract)
    {
        var ids = new List<LineId>(contract.Lines.Count);
        if (contract.Amendments.Count == 0)
        {
            // The common case: no history, so the current lines are all the lines there ever were.
            foreach (var l in contract.Lines) ids.Add(l.Id);
            return ids;
        }
        var seen = new HashSet<LineId>();
        foreach (var l in contract.Lines)
            if (seen.Add(l.Id)) ids.Add(l.Id);
        foreach (var a in contract.Amendments)
            if (a.Line is { } lid && seen.Add(lid)) ids.Add(lid);
        return ids;
    }

    /// <summary>
    /// The committed pieces of a line through its amendment history: each amendment's Before holds until its
    /// effective date, the current line after the last one. Options count from exercise; a cancellation clips all.
    /// </summary>
    internal static EntitlementPiece[] Entitlement(Contract contract, LineId id, ContractLine? current, out long committedFrom)
    {
        committedFrom = long.MaxValue;
        List<Amendment>? history = null;
        foreach (var a in contract.Amendments)
            if (a.Line == id) (history ??= []).Add(a);
        history?.Sort((x, y) => x.Sequence.CompareTo(y.Sequence));
        var count = history?.Count ?? 0;

        var cancel = contract.Cancellation is { } c ? Minutes.Floor(c.EffectiveOn) : long.MaxValue;
        var pieces = new List<EntitlementPiece>(count + 1);
        var from = long.MinValue;
        for (var i = 0; i <= count; i++)
        {
            var version = i < count ? history![i].Before : current;
            var until = i < count ? Minutes.Floor(history![i].EffectiveOn) : long.MaxValue;
            if (version is { IsCommitted: true })
            {
                var start = Math.Max(from, Minutes.Floor(version.Period.Start));
                var exercise = version.Option?.ExercisedOn is { } ex ? Minutes.Floor(ex) : long.MinValue;
                start = Math.Max(start, exercise);
                var end = Math.Min(Math.Min(until, Minutes.Floor(version.Period.End)), cancel);
                committedFrom = Math.Min(committedFrom, exercise);
                if (start < end && version.Gpus.Value > 0)
                    pieces.Add(new EntitlementPiece(start, end, version.Gpus.Value, version.PricePerGpuHour.Amount));
            }
            from = Math.Max(from, until);
        }
        return [.. pieces];
    }

    /// <summary>
    /// Recognizes each piece on min(covered, entitled) GPUs and defers the rest: deferred value is recognized after the
    /// last piece at its price on the GPUs then covered, until used up, never at or past <paramref name="tailUntil"/> (a
    /// cancellation; <see cref="long.MinValue"/> when the contract forfeits late GPU-time).
    /// </summary>
    internal static RevenueSegment[] Recognize(EntitlementPiece[] pieces, IReadOnlyList<CoverageStep>? steps, long tailUntil)
    {
        if (pieces.Length == 0) return [];
        if (steps is null)
        {
            // Fully covered: revenue is the entitlement itself, one segment per piece.
            var full = new RevenueSegment[pieces.Length];
            for (var i = 0; i < pieces.Length; i++)
            {
                var p = pieces[i];
                full[i] = new RevenueSegment(p.StartMinute, p.EndMinute, p.Gpus, p.PricePerGpuHour, p.Value, (decimal)p.Gpus * (p.EndMinute - p.StartMinute));
            }
            return full;
        }
        var segments = new List<RevenueSegment>(pieces.Length + 2);

        var (stepFrom, stepGpus) = Sorted(steps);
        // Deferred value is kept times 60 (GPU-minutes x price per hour) so that the tail's length divides exactly.
        var deferred60 = 0m;
        var k = -1; // index of the step in force at t; -1 before the first step (nothing covered)
        foreach (var p in pieces)
        {
            var t = p.StartMinute;
            while (t < p.EndMinute)
            {
                while (k + 1 < stepFrom.Length && stepFrom[k + 1] <= t) k++;
                var next = k + 1 < stepFrom.Length ? stepFrom[k + 1] : long.MaxValue;
                var u = Math.Min(p.EndMinute, next);
                var covered = Math.Min(k >= 0 ? stepGpus[k] : 0, p.Gpus);
                var minutes = u - t;
                if (covered > 0)
                    Add(segments, t, u, covered, p.PricePerGpuHour, covered * minutes * p.PricePerGpuHour / 60m, (decimal)covered * minutes);
                if (covered < p.Gpus)
                    deferred60 += (p.Gpus - covered) * minutes * p.PricePerGpuHour;
                t = u;
            }
        }

        var last = pieces[^1];
        var tt = last.EndMinute;
        var price = last.PricePerGpuHour;
        while (deferred60 > 0m && price > 0m && tt < tailUntil)
        {
            while (k + 1 < stepFrom.Length && stepFrom[k + 1] <= tt) k++;
            var next = k + 1 < stepFrom.Length ? stepFrom[k + 1] : long.MaxValue;
            var covered = Math.Min(k >= 0 ? stepGpus[k] : 0, last.Gpus);
            if (covered == 0)
            {
                if (next == long.MaxValue) break; // never covered again: the rest is not recognized
                tt = next;
                continue;
            }
            var needed = (long)Math.Ceiling(deferred60 / (covered * price));
            var stop = Math.Min(next, tailUntil);
            if (stop - tt >= needed)
            {
                Add(segments, tt, tt + needed, covered, price, deferred60 / 60m, deferred60 / price);
                deferred60 = 0m;
                break;
            }
            var raw = covered * (stop - tt) * price;
            Add(segments, tt, stop, covered, price, raw / 60m, (decimal)covered * (stop - tt));
            deferred60 -= raw;
            tt = stop;
        }
        return [.. segments];
    }

    private static void Add(List<RevenueSegment> segments, long s, long e, int gpus, decimal price, decimal amount, decimal gpuMinutes)
    {
        // Adjacent stretches with the same GPUs and price merge, keeping schedules short for the hot KPI loops.
        if (segments.Count > 0)
        {
            var prev = segments[^1];
            if (prev.EndMinute == s && prev.Gpus == gpus && prev.PricePerGpuHour == price && prev.GpuMinutes == (decimal)gpus * (prev.EndMinute - prev.StartMinute)
                && gpuMinutes == (decimal)gpus * (e - s))
            {
                segments[^1] = prev with { EndMinute = e, Amount = prev.Amount + amount, GpuMinutes = prev.GpuMinutes + gpuMinutes };
                return;
            }
        }
        segments.Add(new RevenueSegment(s, e, gpus, price, amount, gpuMinutes));
    }

    private static (long[] From, int[] Gpus) Sorted(IReadOnlyList<CoverageStep> steps)
    {
        var from = new long[steps.Count];
        var gpus = new int[steps.Count];
        var sorted = true;
        for (var i = 0; i < steps.Count; i++)
        {
            from[i] = Minutes.Floor(steps[i].From);
            gpus[i] = steps[i].Gpus.Value;
            if (i > 0 && from[i] < from[i - 1]) sorted = false;
        }
        if (!sorted) Array.Sort(from, gpus);
        return (from, gpus);
    }
}

/// <summary>UTC instants as whole minutes since <see cref="Utc.Epoch"/>, flooring any seconds.</summary>
internal static class Minutes
{
    public static long Floor(DateTime t)
    {
        if (t.Kind != DateTimeKind.Utc) throw new ArgumentException($"Instant {t:O} must be UTC.", nameof(t));
        var ticks = t.Ticks - Utc.Epoch.Ticks;
        return ticks >= 0 ? ticks / TimeSpan.TicksPerMinute : -((-ticks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute);
    }

    public static long Of(DateTime t) => Floor(t);
}
