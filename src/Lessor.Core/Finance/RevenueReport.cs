using Lessor.Core.Model;

namespace Lessor.Core.Finance;

/// <summary>Revenue of one key (a customer, platform, site or region) per month of a report.</summary>
public sealed record RevenueRow(string Key, IReadOnlyList<Money> Months, Money Total);

/// <summary>Revenue per calendar month by one dimension, months inclusive of both ends, rows ordered by key.</summary>
public sealed record RevenueTable(FinanceDimension Dimension, IReadOnlyList<YearMonth> Months, IReadOnlyList<RevenueRow> Rows, IReadOnlyList<Money> MonthTotals, Money Total);

/// <summary>
/// Recognized revenue per month by customer, platform, site or region (cancellation fees go with the contract's first line).
/// Amounts are in cents by the invoices' rule: each row's cumulative revenue since the start of the book is rounded
/// (half away from zero) at every month end and a month is the difference, so a customer's months equal its invoice
/// charges to the cent, rows and columns add up exactly, and totals are the sums of what is shown.
/// </summary>
public static class RevenueReport
{
    public static RevenueTable By(Scenario scenario, ICoverageSource coverage, FinanceDimension dimension, YearMonth from, YearMonth to) =>
        By(FinanceBook.Build(scenario, coverage), dimension, from, to);

    public static RevenueTable By(FinanceBook book, FinanceDimension dimension, YearMonth from, YearMonth to)
    {
        if (to < from) throw new ArgumentException($"Report ends ({to}) before it starts ({from}).", nameof(to));
        var currency = book.Scenario.Currency;
        foreach (var c in book.Scenario.Contracts)
            if (c.Currency != currency)
                throw new InvalidOperationException($"Contract '{c.Id}' is in {c.Currency}, the scenario reports in {currency}.");

        var months = new YearMonth[YearMonth.MonthsBetween(from, to) + 1];
        var bounds = new long[months.Length + 1];
        for (var j = 0; j < months.Length; j++)
        {
            months[j] = from.AddMonths(j);
            bounds[j] = Minutes.Of(months[j].Start);
        }
        bounds[^1] = Minutes.Of(to.End);

        var keyCount = book.KeyCount(dimension);
        // Month-major so that one month's row of key totals is what the book spreads a line's amount into.
        var grid = new decimal[months.Length][];
        for (var j = 0; j < months.Length; j++) grid[j] = new decimal[keyCount];
        var used = new bool[keyCount];
        // What each key recognized before the first month, so that cumulative rounding starts where the invoices' does.
        var before = new decimal[keyCount];
        var beforeUsed = new bool[keyCount];
        var lines = book.Lines;
        for (var i = 0; i < lines.Length; i++)
        {
            var segs = lines[i].Segments;
            if (segs.Count > 0 && segs[0].StartMinute < bounds[0]) book.SpreadIn(dimension, i, long.MinValue, bounds[0], before, beforeUsed);
            if (segs.Count == 0 || segs[0].StartMinute >= bounds[^1] || segs[^1].EndMinute <= bounds[0]) continue;
            for (var j = 0; j < months.Length; j++) book.SpreadIn(dimension, i, bounds[j], bounds[j + 1], grid[j], used);
        }
        for (var c = 0; c < book.Contracts.Count; c++)
        {
            var cs = book.Contracts[c];
            if (cs.FeeAmount != 0m && cs.FeeMinute < bounds[0])
            {
                var first0 = book.ContractFirstLine[c];
                if (first0 >= 0) book.Spread(dimension, first0, cs.FeeAmount, before, beforeUsed);
                else
                {
                    var key0 = dimension == FinanceDimension.Customer
                        ? book.ContractCustomerKey[c]
                        : book.Key(dimension, dimension == FinanceDimension.Platform ? FinanceBook.AnyPlatform : FinanceBook.Unplaced);
                    before[key0] += cs.FeeAmount;
                }
            }
            if (cs.FeeAmount == 0m || cs.FeeMinute < bounds[0] || cs.FeeMinute >= bounds[^1]) continue;
            var j = Array.BinarySearch(bounds, cs.FeeMinute);
            if (j < 0) j = ~j - 1;
            var first = book.ContractFirstLine[c];
            if (first >= 0)
            {
                book.Spread(dimension, first, cs.FeeAmount, grid[j], used);
                continue;
            }
            var key = dimension == FinanceDimension.Customer
                ? book.ContractCustomerKey[c]
                : book.Key(dimension, dimension == FinanceDimension.Platform ? FinanceBook.AnyPlatform : FinanceBook.Unplaced);
            grid[j][key] += cs.FeeAmount;
            used[key] = true;
        }

        var rows = new List<RevenueRow>();
        var monthTotals = new decimal[months.Length];
        var total = 0m;
        for (var k = 0; k < keyCount; k++)
        {
            if (!used[k]) continue;
            var values = new Money[months.Length];
            var rowTotal = 0m;
            var cumulative = before[k];
            var shown = Cents(cumulative);
            for (var j = 0; j < months.Length; j++)
            {
                cumulative += grid[j][k];
                var through = Cents(cumulative);
                var month = through - shown;
                shown = through;
                values[j] = new Money(month, currency);
                rowTotal += month;
                monthTotals[j] += month;
            }
            total += rowTotal;
            rows.Add(new RevenueRow(book.KeyName(dimension, k), values, new Money(rowTotal, currency)));
        }
        rows.Sort((x, y) => string.CompareOrdinal(x.Key, y.Key));
        var totals = new Money[months.Length];
        for (var j = 0; j < months.Length; j++) totals[j] = new Money(monthTotals[j], currency);
        return new RevenueTable(dimension, months, rows, totals, new Money(total, currency));
    }

    /// <summary>The one rounding rule of money in reports and invoices: to cents, half away from zero.</summary>
    internal static decimal Cents(decimal amount) => Math.Round(amount, 2, MidpointRounding.AwayFromZero);
}
