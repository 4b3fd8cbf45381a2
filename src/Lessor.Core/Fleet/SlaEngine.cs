using Lessor.Core.Finance;
using Lessor.Core.Model;

namespace Lessor.Core.Fleet;

/// <summary>A maintenance window on one node serving the contract, announced at <see cref="AnnouncedAt"/>.</summary>
public sealed record SlaMaintenance(string Node, int Gpus, Period Period, DateTime AnnouncedAt);

/// <summary>Evidence: one node's GPU-minutes down (or degraded) in the month and what caused them.</summary>
public sealed record SlaEvidence(string Node, LineRef Line, int Gpus, decimal Minutes, bool Degraded, bool CountedDown, string Cause, DateTime Start, DateTime End);

/// <summary>
/// A contract's month (docs/fleet.md): committed GPU-minutes on delivered GPUs less excluded maintenance, GPU-minutes
/// down, availability = 1 - down / committed, and the credit the SLA terms give on the month's charge.
/// </summary>
public sealed record SlaMonth(
    ContractId Contract,
    CustomerId Customer,
    YearMonth Month,
    decimal CommittedGpuMinutes,
    decimal ExcludedGpuMinutes,
    decimal DownGpuMinutes,
    decimal DegradedGpuMinutes,
    decimal Availability,
    decimal Target,
    decimal CreditFraction,
    Money Charge,
    Money Credit,
    IReadOnlyList<SlaEvidence> Evidence);

/// <summary>Availability and credits per contract and month. Pure and deterministic.</summary>
public static class SlaEngine
{
    /// <summary>
    /// The month of <paramref name="contract"/>: <paramref name="coveredGpuMinutes"/> are its committed lines' GPU-minutes
    /// on delivered GPUs in the month; <paramref name="outages"/> the lost GPU-time of nodes serving its lines;
    /// <paramref name="maintenance"/> windows on those nodes; <paramref name="charge"/> its recognized revenue of the month.
    /// <paramref name="measured"/> is the part of the month counted (the month so far while it runs: an outage still open
    /// counts to its end, not the month's); the whole month when null. Covered minutes and charge must be of the same part.
    /// </summary>
    public static SlaMonth Month(
        Contract contract, YearMonth month, decimal coveredGpuMinutes, IEnumerable<Outage> outages, IEnumerable<SlaMaintenance> maintenance, Money charge,
        Period? measured = null)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(outages);
        ArgumentNullException.ThrowIfNull(maintenance);
        ArgumentOutOfRangeException.ThrowIfNegative(coveredGpuMinutes);
        var sla = contract.Sla;
        var notice = TimeSpan.FromDays(sla?.MaintenanceNoticeDays ?? SlaTerms.DefaultMaintenanceNoticeDays);
        var degradedDown = sla?.Degraded == DegradedPolicy.Unavailable;
        var range = measured ?? month.Period;
        if (range.Start < month.Start || range.End > month.End)
            throw new ArgumentOutOfRangeException(nameof(measured), $"The measured part {range} is not inside {month}.");

        // Per node: excluded windows (announced in time) and late ones (counted down).
        var excluded = new Dictionary<string, List<Period>>(StringComparer.Ordinal);
        var late = new Dictionary<string, List<(Period P, int Gpus)>>(StringComparer.Ordinal);
        decimal excludedMinutes = 0;
        foreach (var m in maintenance)
        {
            if (m.Period.Intersect(range) is not { } p) continue;
            if (m.Period.Start - m.AnnouncedAt >= notice)
            {
                Add(excluded, m.Node, p);
                excludedMinutes += m.Gpus * Minutes(p);
            }
            else
            {
                if (!late.TryGetValue(m.Node, out var l)) late[m.Node] = l = [];
                l.Add((p, m.Gpus));
            }
        }
        foreach (var list in excluded.Values) Merge(list);

        var evidence = new List<SlaEvidence>();
        var downByNode = new Dictionary<string, (int Gpus, List<Period> Periods)>(StringComparer.Ordinal);
        decimal degradedMinutes = 0;
        foreach (var o in outages.OrderBy(o => o.Id))
        {
            if (o.Line.Contract != contract.Id) continue;
            var end = o.End ?? range.End;
            if (end <= o.Start || new Period(o.Start, end).Intersect(range) is not { } p) continue;
            var kept = Subtract(p, excluded.GetValueOrDefault(o.Node));
            var minutes = kept.Sum(Minutes);
            if (minutes <= 0) continue;
            var down = !o.Degraded || degradedDown;
            if (o.Degraded) degradedMinutes += o.Gpus * minutes;
            evidence.Add(new SlaEvidence(o.Node, o.Line, o.Gpus, minutes, o.Degraded, down, o.Cause, p.Start, p.End));
            if (!down) continue;
            if (!downByNode.TryGetValue(o.Node, out var d)) downByNode[o.Node] = d = (o.Gpus, []);
            d.Periods.AddRange(kept);
        }
        foreach (var (node, windows) in late)
        {
            foreach (var (p, gpus) in windows)
            {
                var kept = Subtract(p, excluded.GetValueOrDefault(node));
                if (kept.Count == 0) continue;
                evidence.Add(new SlaEvidence(node, default, gpus, kept.Sum(Minutes), false, true, "maintenance announced with less than the contract's notice", p.Start, p.End));
                if (!downByNode.TryGetValue(node, out var d)) downByNode[node] = d = (gpus, []);
                d.Periods.AddRange(kept);
            }
        }
        decimal downMinutes = 0;
        foreach (var (gpus, periods) in downByNode.Values)
        {
            Merge(periods);
            downMinutes += gpus * periods.Sum(Minutes);
        }

        var committed = Math.Max(0, coveredGpuMinutes - excludedMinutes);
        downMinutes = Math.Min(downMinutes, committed);
        var availability = committed == 0 ? 1m : 1m - downMinutes / committed;
        var fraction = sla is null ? 0m : CreditFraction(sla, availability);
        var credit = (charge * fraction).RoundToCents();
        return new SlaMonth(contract.Id, contract.Customer, month, committed, excludedMinutes, downMinutes, degradedMinutes, availability,
            sla?.AvailabilityTarget ?? 0m, fraction, charge, credit, evidence);
    }

    /// <summary>The fraction of the month's charge owed at <paramref name="availability"/> (docs/fleet.md), at most the cap.</summary>
    public static decimal CreditFraction(SlaTerms sla, decimal availability)
    {
        ArgumentNullException.ThrowIfNull(sla);
        decimal fraction = 0;
        if (sla.Tiers.Count > 0)
        {
            foreach (var t in sla.Tiers)
                if (availability < t.Below) fraction = Math.Max(fraction, t.CreditFraction);
        }
        else if (availability < sla.AvailabilityTarget)
        {
            var step = 1m - sla.AvailabilityTarget;
            fraction = step <= 0 ? sla.CreditCapFraction : sla.CreditFraction * Math.Ceiling((sla.AvailabilityTarget - availability) / step);
        }
        return Math.Min(fraction, sla.CreditCapFraction);
    }

    /// <summary>GPU-minutes a line's coverage steps (each holding until the next) give inside <paramref name="range"/>.</summary>
    public static decimal CoveredGpuMinutes(IReadOnlyList<CoverageStep> steps, Period range)
    {
        ArgumentNullException.ThrowIfNull(steps);
        decimal total = 0;
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i].Gpus.Value <= 0) continue;
            var start = steps[i].From > range.Start ? steps[i].From : range.Start;
            var end = i + 1 < steps.Count && steps[i + 1].From < range.End ? steps[i + 1].From : range.End;
            if (end > start) total += steps[i].Gpus.Value * Minutes(new Period(start, end));
        }
        return total;
    }

    /// <summary>Minutes in a period, exact (fractions of a minute kept).</summary>
    public static decimal Minutes(Period p) => (decimal)(p.End - p.Start).Ticks / TimeSpan.TicksPerMinute;

    private static void Add(Dictionary<string, List<Period>> map, string node, Period p)
    {
        if (!map.TryGetValue(node, out var l)) map[node] = l = [];
        l.Add(p);
    }

    /// <summary>Sorts and unites overlapping periods in place.</summary>
    private static void Merge(List<Period> periods)
    {
        if (periods.Count < 2) return;
        periods.Sort((a, b) => a.Start.CompareTo(b.Start));
        var k = 0;
        for (var i = 1; i < periods.Count; i++)
        {
            if (periods[i].Start <= periods[k].End)
            {
                if (periods[i].End > periods[k].End) periods[k] = new Period(periods[k].Start, periods[i].End);
            }
            else periods[++k] = periods[i];
        }
        periods.RemoveRange(k + 1, periods.Count - k - 1);
    }

    /// <summary><paramref name="p"/> less the (merged, sorted) <paramref name="holes"/>.</summary>
    private static List<Period> Subtract(Period p, List<Period>? holes)
    {
        var result = new List<Period>();
        var start = p.Start;
        foreach (var h in holes ?? [])
        {
            if (h.End <= start) continue;
            if (h.Start >= p.End) break;
            if (h.Start > start) result.Add(new Period(start, h.Start));
            if (h.End > start) start = h.End;
            if (start >= p.End) break;
        }
        if (start < p.End) result.Add(new Period(start, p.End));
        return result;
    }
}
