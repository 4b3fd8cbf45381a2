using Lessor.Core.Model;

namespace Lessor.Core.Finance;

/// <summary>
/// One contract-month's SLA credit as finance counts it: <see cref="Month"/> is the month of service whose availability
/// earned it. Written credits carry when the credit run wrote them and the invoice month they land on; an accrued credit
/// (earned by a month that is over, not written by the as-of date) has neither.
/// </summary>
public sealed record SlaCreditEntry(ContractId Contract, CustomerId Customer, YearMonth Month, Money Amount, DateTime? WrittenAt, YearMonth? InvoiceMonth);

/// <summary>A customer's SLA credits for one month of service: written by the as-of date, and accrued but not written.</summary>
public sealed record SlaCreditRow(string Customer, YearMonth Month, Money Written, int WrittenContracts, Money Accrued, int AccruedContracts);

/// <summary>One month's SLA credits over all customers.</summary>
public sealed record SlaCreditMonth(YearMonth Month, Money Written, Money Accrued);

/// <summary>One customer's SLA credits over the months reported.</summary>
public sealed record SlaCreditCustomer(string Customer, Money Written, Money Accrued);

/// <summary>
/// SLA credits by customer and month of service for the months <see cref="From"/> to <see cref="To"/>, as of an instant:
/// <see cref="Written"/> counts the credits the credit run wrote at or before the as-of instant (the ones on invoices),
/// <see cref="Accrued"/> what months over by then earned and the run had not written yet
/// (<see cref="AccruedMonths"/> names the months that were measured for it). Rows, customers and months are each rounded
/// to cents on their own; the totals are the sums of the rows.
/// </summary>
public sealed record SlaCreditSummary(
    YearMonth From,
    YearMonth To,
    IReadOnlyList<SlaCreditRow> Rows,
    IReadOnlyList<SlaCreditCustomer> ByCustomer,
    IReadOnlyList<SlaCreditMonth> ByMonth,
    Money Written,
    Money Accrued,
    IReadOnlyList<YearMonth> AccruedMonths)
{
    /// <summary>
    /// Sums <paramref name="entries"/> by customer and month of service. A written entry counts only when it was written
    /// at or before <paramref name="asOf"/> (a credit written later was not on the books then); entries outside the months
    /// reported are left out. Pure: the caller reads the store and measures the accrued months.
    /// </summary>
    public static SlaCreditSummary Of(DateTime asOf, Currency currency, YearMonth from, YearMonth to, IEnumerable<SlaCreditEntry> entries, IReadOnlyList<YearMonth> accruedMonths)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(accruedMonths);
        if (to.CompareTo(from) < 0) throw new ArgumentException($"{to} is before {from}.", nameof(to));
        var zero = Money.Zero(currency);
        var cells = new SortedDictionary<(YearMonth Month, string Customer), Cell>(CellOrder.Instance);
        foreach (var e in entries)
        {
            if (e.Month.CompareTo(from) < 0 || e.Month.CompareTo(to) > 0) continue;
            if (e.Amount.Currency != currency)
                throw new InvalidOperationException($"The SLA credit of contract '{e.Contract}' for {e.Month} is in {e.Amount.Currency}, the KPIs report in {currency}.");
            if (e.WrittenAt is { } at && at > asOf) continue;
            var key = (e.Month, e.Customer.Value);
            var cell = cells.TryGetValue(key, out var c) ? c : new Cell(zero, 0, zero, 0);
            cells[key] = e.WrittenAt is null
                ? cell with { Accrued = cell.Accrued + e.Amount, AccruedCount = cell.AccruedCount + 1 }
                : cell with { Written = cell.Written + e.Amount, WrittenCount = cell.WrittenCount + 1 };
        }

        var rows = cells.Select(kv => new SlaCreditRow(kv.Key.Customer, kv.Key.Month, kv.Value.Written.RoundToCents(), kv.Value.WrittenCount,
            kv.Value.Accrued.RoundToCents(), kv.Value.AccruedCount)).ToList();
        var byMonth = new List<SlaCreditMonth>();
        for (var m = from; m.CompareTo(to) <= 0; m = m.Next)
        {
            var month = m;
            var of = rows.Where(r => r.Month == month).ToList();
            byMonth.Add(new SlaCreditMonth(month, Sum(of.Select(r => r.Written), zero), Sum(of.Select(r => r.Accrued), zero)));
        }
        var byCustomer = rows.GroupBy(r => r.Customer, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SlaCreditCustomer(g.Key, Sum(g.Select(r => r.Written), zero), Sum(g.Select(r => r.Accrued), zero))).ToList();
        return new SlaCreditSummary(from, to, rows, byCustomer, byMonth, Sum(rows.Select(r => r.Written), zero), Sum(rows.Select(r => r.Accrued), zero),
            [.. accruedMonths.Where(m => m.CompareTo(from) >= 0 && m.CompareTo(to) <= 0).Order()]);
    }

    private readonly record struct Cell(Money Written, int WrittenCount, Money Accrued, int AccruedCount);

    private static Money Sum(IEnumerable<Money> amounts, Money zero)
    {
        var total = zero;
        foreach (var a in amounts) total += a;
        return total;
    }

    /// <summary>Month first, then customer id by ordinal: the order finance reads a month's table in.</summary>
    private sealed class CellOrder : IComparer<(YearMonth Month, string Customer)>
    {
        public static readonly CellOrder Instance = new();

        public int Compare((YearMonth Month, string Customer) x, (YearMonth Month, string Customer) y)
        {
            var byMonth = x.Month.CompareTo(y.Month);
            return byMonth != 0 ? byMonth : string.CompareOrdinal(x.Customer, y.Customer);
        }
    }
}
