using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Core.Finance;

/// <summary>Revenue of one calendar quarter before and after a change in coverage; Moved = After - Before.</summary>
public sealed record QuarterRevenue(string Quarter, Period Period, Money Before, Money After, Money Moved);

/// <summary>
/// A contract whose quarterly revenue changed: how much left earlier quarters (Deferred), how much it will now never
/// recognize (Lost: coverage never catches up or a cancellation cuts the tail), and the first quarter touched.
/// </summary>
public sealed record ContractImpact(ContractId Contract, CustomerId Customer, string FirstQuarter, Money Deferred, Money Lost);

/// <summary>The revenue a coverage change moves, by quarter, and the contracts it touches.</summary>
public sealed record RevenueMovement(IReadOnlyList<QuarterRevenue> Quarters, IReadOnlyList<ContractImpact> Contracts, Money Deferred, Money Lost);

/// <summary>What a slipped (or accelerated) delivery does to revenue: the same book scheduled under two coverages.</summary>
public static class DeliveryRisk
{
    public static RevenueMovement RevenueMoved(Scenario baseline, ICoverageSource before, ICoverageSource after)
    {
        var currency = baseline.Currency;
        var quartersBefore = new SortedDictionary<int, decimal>();
        var quartersAfter = new SortedDictionary<int, decimal>();
        var impacts = new List<ContractImpact>();
        var deferredTotal = 0m;
        var lostTotal = 0m;
        foreach (var contract in baseline.Contracts)
        {
            if (contract.Currency != currency) continue; // reported in the scenario currency only
            var b = RevenueSchedule.ForContract(contract, before);
            var a = RevenueSchedule.ForContract(contract, after);
            var qb = ByQuarter(b);
            var qa = ByQuarter(a);
            Merge(quartersBefore, qb);
            Merge(quartersAfter, qa);

            var first = int.MaxValue;
            var deferred = 0m;
            foreach (var q in Union(qb, qa))
            {
                var diff = qa.GetValueOrDefault(q) - qb.GetValueOrDefault(q);
                if (Cents(diff) == 0m) continue;
                first = Math.Min(first, q);
                if (diff < 0m) deferred -= diff;
            }
            if (first == int.MaxValue) continue;
            var lost = b.ScheduledAmount - a.ScheduledAmount;
            deferredTotal += deferred;
            lostTotal += Math.Max(0m, lost);
            impacts.Add(new ContractImpact(contract.Id, contract.Customer, Label(first), new Money(deferred, currency), new Money(Math.Max(0m, lost), currency)));
        }

        var quarters = new List<QuarterRevenue>();
        foreach (var q in Union(quartersBefore, quartersAfter))
        {
            var vb = quartersBefore.GetValueOrDefault(q);
            var va = quartersAfter.GetValueOrDefault(q);
            if (Cents(va - vb) == 0m) continue;
            quarters.Add(new QuarterRevenue(Label(q), Span(q), new Money(vb, currency), new Money(va, currency), new Money(va - vb, currency)));
        }
        return new RevenueMovement(quarters, impacts, new Money(deferredTotal, currency), new Money(lostTotal, currency));
    }

    /// <summary>Quarter index year*4 + q (q = 0..3) to revenue, for one contract.</summary>
    private static SortedDictionary<int, decimal> ByQuarter(ContractSchedule schedule)
    {
        var result = new SortedDictionary<int, decimal>();
        foreach (var line in schedule.Lines)
        {
            if (line.Segments.Count == 0) continue;
            var q0 = Index(Utc.FromMinute(line.Segments[0].StartMinute));
            var q1 = Index(Utc.FromMinute(line.Segments[^1].EndMinute - 1));
            for (var q = q0; q <= q1; q++)
            {
                var p = Span(q);
                var amount = line.AmountIn(Minutes.Of(p.Start), Minutes.Of(p.End));
                if (amount != 0m) result[q] = result.GetValueOrDefault(q) + amount;
            }
        }
        if (schedule.FeeAmount != 0m)
        {
            var q = Index(Utc.FromMinute(schedule.FeeMinute));
            result[q] = result.GetValueOrDefault(q) + schedule.FeeAmount;
        }
        return result;
    }

    private static void Merge(SortedDictionary<int, decimal> into, SortedDictionary<int, decimal> from)
    {
        foreach (var (q, v) in from) into[q] = into.GetValueOrDefault(q) + v;
    }

    private static SortedSet<int> Union(SortedDictionary<int, decimal> x, SortedDictionary<int, decimal> y)
    {
        var set = new SortedSet<int>(x.Keys);
        set.UnionWith(y.Keys);
        return set;
    }

    private static decimal Cents(decimal x) => Math.Round(x, 2, MidpointRounding.AwayFromZero);
    private static int Index(DateTime t) => t.Year * 4 + (t.Month - 1) / 3;
    private static Period Span(int q) => new(Utc.Date(q / 4, q % 4 * 3 + 1, 1), Utc.Date(q / 4, q % 4 * 3 + 1, 1).AddMonths(3));
    private static string Label(int q) => string.Create(CultureInfo.InvariantCulture, $"{q / 4:D4}-Q{q % 4 + 1}");
}
