using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Core.Finance;

/// <summary>What an invoice line is for.</summary>
public enum InvoiceLineKind
{
    /// <summary>Capacity of a contract line at one price: GPU-hours x rate.</summary>
    Charge,

    /// <summary>A cancellation fee falling in the month.</summary>
    CancellationFee,

    /// <summary>Prepayment drawn down against the month's charges (negative).</summary>
    PrepaymentDrawdown,

    /// <summary>A credit (SLA or correction) applied to this invoice (negative).</summary>
    Credit,
}

/// <summary>One line of an invoice; amounts are in cents, GPU-hours and rate exact.</summary>
public sealed record InvoiceLine(InvoiceLineKind Kind, ContractId? Contract, LineId? Line, string Description, decimal? GpuHours, Money? Rate, Money Amount);

/// <summary>
/// A monthly invoice of one customer in one currency. Charges add to the month's recognized revenue to the cent
/// (cumulatively); the total due is charges less prepayment drawdown less credits, and may be negative (a credit balance).
/// </summary>
public sealed record Invoice(
    string Number,
    CustomerId Customer,
    string CustomerName,
    YearMonth Month,
    Currency Currency,
    DateTime IssuedOn,
    IReadOnlyList<InvoiceLine> Lines,
    Money Charges,
    Money PrepaymentApplied,
    Money Credits,
    Money Total);

/// <summary>A credit owed to a customer, applied to its invoice of <see cref="Month"/>. Amount is positive.</summary>
public sealed record Credit(CustomerId Customer, YearMonth Month, Money Amount, string Reason)
{
    public ContractId? Contract { get; init; }
}

/// <summary>
/// Monthly invoicing: stateless and deterministic, so re-running a month yields identical invoices. Prepayment left at
/// the start of a month is recomputed from the contract's charges in the months before.
/// </summary>
public static class InvoiceRun
{
    public static IReadOnlyList<Invoice> ForMonth(Scenario scenario, ICoverageSource coverage, YearMonth month, IReadOnlyList<Credit> credits) =>
        ForMonth(FinanceBook.Build(scenario, coverage), month, credits);

    public static IReadOnlyList<Invoice> ForMonth(FinanceBook book, YearMonth month, IReadOnlyList<Credit> credits)
    {
        var scenario = book.Scenario;
        var names = new Dictionary<CustomerId, string>(scenario.Customers.Count);
        foreach (var c in scenario.Customers) names[c.Id] = c.Name;

        var groups = Groups(book);
        var creditsBy = new Dictionary<(CustomerId, Currency), List<Credit>>();
        foreach (var cr in credits)
        {
            if (cr.Month != month) continue;
            if (!creditsBy.TryGetValue((cr.Customer, cr.Amount.Currency), out var list))
                creditsBy[(cr.Customer, cr.Amount.Currency)] = list = [];
            list.Add(cr);
            if (!groups.ContainsKey((cr.Customer, cr.Amount.Currency))) groups[(cr.Customer, cr.Amount.Currency)] = [];
        }

        var keys = new List<(CustomerId Customer, Currency Currency)>(groups.Keys);
        keys.Sort((x, y) =>
        {
            var c = string.CompareOrdinal(x.Customer.Value, y.Customer.Value);
            return c != 0 ? c : string.CompareOrdinal(x.Currency.Code, y.Currency.Code);
        });

        var invoices = new List<Invoice>(keys.Count);
        foreach (var key in keys)
        {
            var contracts = groups[key];
            creditsBy.TryGetValue(key, out var groupCredits);
            var invoice = One(book, key.Customer, key.Currency, names.GetValueOrDefault(key.Customer, key.Customer.Value), contracts, month, groupCredits);
            if (invoice is not null) invoices.Add(invoice);
        }
        return invoices;
    }

    private static Invoice? One(FinanceBook book, CustomerId customer, Currency currency, string name, List<int> contracts, YearMonth month, List<Credit>? credits)
    {
        var items = Allocate(book, contracts, month);
        var lines = new List<InvoiceLine>(items.Count + 2);
        var charges = 0m;
        foreach (var it in items)
        {
            charges += it.Cents;
            lines.Add(it.Line with { Amount = new Money(it.Cents, currency) });
        }

        var drawn = 0m;
        Dictionary<int, decimal>? drawnBefore = null;
        foreach (var c in contracts)
        {
            var prepayment = book.Contracts[c].Contract.Prepayment;
            if (prepayment is not { Amount: > 0m } p) continue;
            var thisMonth = ContractCharges(items, c);
            if (thisMonth <= 0m) continue;
            drawnBefore ??= DrawnBefore(book, contracts, month);
            var left = p.Amount - drawnBefore.GetValueOrDefault(c);
            var draw = Math.Min(left, thisMonth);
            if (draw <= 0m) continue;
            drawn += draw;
            var id = book.Contracts[c].Contract.Id;
            lines.Add(new InvoiceLine(InvoiceLineKind.PrepaymentDrawdown, id, null,
                string.Create(CultureInfo.InvariantCulture, $"Prepayment drawdown {id} ({left - draw:#,0.00} {currency.Code} left)"), null, null, new Money(-draw, currency)));
        }

        var credited = 0m;
        if (credits is not null)
        {
            foreach (var cr in credits)
            {
                var amount = cr.Amount.RoundToCents().Amount;
                credited += amount;
                lines.Add(new InvoiceLine(InvoiceLineKind.Credit, cr.Contract, null, cr.Reason, null, null, new Money(-amount, currency)));
            }
        }
        if (lines.Count == 0) return null;

        var suffix = currency == book.Scenario.Currency ? "" : "-" + currency.Code;
        return new Invoice($"INV-{month}-{customer.Value}{suffix}", customer, name, month, currency, month.End, lines,
            new Money(charges, currency), new Money(drawn, currency), new Money(credited, currency),
            new Money(charges - drawn - credited, currency));
    }

    private static decimal ContractCharges(List<Item> items, int contract)
    {
        var sum = 0m;
        foreach (var it in items)
            if (it.ContractIndex == contract) sum += it.Cents;
        return sum;
    }

    /// <summary>
    /// Prepayment each prepaid contract of the customer drew in all months before this one, by replaying those
    /// months' charges: the drawdown state is a function of the contracts, so no invoice state is stored.
    /// </summary>
    private static Dictionary<int, decimal> DrawnBefore(FinanceBook book, List<int> contracts, YearMonth month)
    {
        var drawn = new Dictionary<int, decimal>();
        var open = 0;
        foreach (var c in contracts)
        {
            if (book.Contracts[c].Contract.Prepayment is not { Amount: > 0m }) continue;
            drawn[c] = 0m;
            open++;
        }
        var first = FirstActivity(book, contracts);
        if (first is not { } m0) return drawn;
        for (var m = m0; m < month && open > 0; m = m.Next)
        {
            var items = Allocate(book, contracts, m);
            foreach (var c in contracts)
            {
                if (!drawn.TryGetValue(c, out var before)) continue;
                var prepayment = book.Contracts[c].Contract.Prepayment!.Value.Amount;
                if (before >= prepayment) continue;
                var after = Math.Min(prepayment, before + ContractCharges(items, c));
                drawn[c] = after;
                if (after >= prepayment) open--; // exhausted: later months need not be replayed for it
            }
        }
        return drawn;
    }

    private static YearMonth? FirstActivity(FinanceBook book, List<int> contracts)
    {
        var first = long.MaxValue;
        foreach (var c in contracts)
        {
            var cs = book.Contracts[c];
            if (cs.FeeAmount != 0m) first = Math.Min(first, cs.FeeMinute);
            foreach (var l in cs.Lines)
                if (l.Segments.Count > 0) first = Math.Min(first, l.Segments[0].StartMinute);
        }
        return first == long.MaxValue ? null : YearMonth.Of(Utc.FromMinute(first));
    }

    /// <summary>A charge with its exact amount and the cents it was given.</summary>
    private sealed class Item(int contractIndex, InvoiceLine line, decimal exact)
    {
        public int ContractIndex { get; } = contractIndex;
        public InvoiceLine Line { get; } = line;
        public decimal Exact { get; } = exact;
        public decimal Cents { get; set; }
    }

    /// <summary>
    /// The month's charges of a customer's contracts in cents. The month's total is the difference of the customer's
    /// cumulative revenue rounded at both month ends, so months add up to the recognized revenue to the cent; the
    /// cents are spread by largest remainder, ties to the earlier line.
    /// </summary>
    private static List<Item> Allocate(FinanceBook book, List<int> contracts, YearMonth month)
    {
        var a = Minutes.Of(month.Start);
        var b = Minutes.Of(month.End);
        var items = new List<Item>();
        var before = 0m;
        var through = 0m;
        foreach (var c in contracts)
        {
            var cs = book.Contracts[c];
            var contractId = cs.Contract.Id;
            foreach (var line in cs.Lines)
            {
                before += line.AmountBefore(a);
                through += line.AmountBefore(b);
                AddCharges(items, c, contractId, line, a, b);
            }
            if (cs.FeeAmount != 0m)
            {
                if (cs.FeeMinute < a) before += cs.FeeAmount;
                if (cs.FeeMinute < b) through += cs.FeeAmount;
                if (a <= cs.FeeMinute && cs.FeeMinute < b)
                    items.Add(new Item(c, new InvoiceLine(InvoiceLineKind.CancellationFee, contractId, null,
                        $"Cancellation fee {contractId}", null, null, default), cs.FeeAmount));
            }
        }
        if (items.Count == 0) return items;

        var target = Round(through) - Round(before);
        var floored = 0m;
        foreach (var it in items)
        {
            it.Cents = Math.Floor(it.Exact * 100m) / 100m;
            floored += it.Cents;
        }
        var k = (long)((target - floored) * 100m);
        if (k == 0) return items;
        var order = new int[items.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (x, y) =>
        {
            var c = (items[y].Exact - items[y].Cents).CompareTo(items[x].Exact - items[x].Cents);
            return c != 0 ? c : x.CompareTo(y);
        });
        if (k > 0)
            for (long i = 0; i < k; i++) items[order[i % order.Length]].Cents += 0.01m;
        else
            for (long i = 0; i < -k; i++) items[order[order.Length - 1 - i % order.Length]].Cents -= 0.01m;
        return items;
    }

    private static decimal Round(decimal x) => RevenueReport.Cents(x);

    /// <summary>One charge per price the line had during the month (a reprice mid-month gives two).</summary>
    private static void AddCharges(List<Item> items, int contractIndex, ContractId contract, LineSchedule line, long a, long b)
    {
        var segs = line.Segments;
        var firstItem = items.Count;
        for (var i = 0; i < segs.Count; i++)
        {
            var s = segs[i];
            if (s.StartMinute >= b) break;
            if (s.EndMinute <= a) continue;
            var amount = s.AmountBefore(b) - s.AmountBefore(a);
            var gpuHours = (s.GpuMinutesBefore(b) - s.GpuMinutesBefore(a)) / 60m;
            var at = -1;
            for (var j = firstItem; j < items.Count; j++)
                if (items[j].Line.Rate!.Value.Amount == s.PricePerGpuHour) at = j;
            if (at >= 0)
            {
                var old = items[at];
                items[at] = new Item(contractIndex, old.Line with { GpuHours = old.Line.GpuHours + gpuHours }, old.Exact + amount);
                continue;
            }
            var platform = line.Current?.Platform.Value;
            var description = platform is null ? $"{line.Line}" : $"{line.Line} {platform}";
            items.Add(new Item(contractIndex, new InvoiceLine(InvoiceLineKind.Charge, contract, line.Line.Line, description, gpuHours,
                new Money(s.PricePerGpuHour, line.Currency), default), amount));
        }
    }

    /// <summary>Contracts of each customer and currency, in scenario order.</summary>
    private static Dictionary<(CustomerId, Currency), List<int>> Groups(FinanceBook book)
    {
        var groups = new Dictionary<(CustomerId, Currency), List<int>>();
        for (var c = 0; c < book.Contracts.Count; c++)
        {
            var contract = book.Contracts[c].Contract;
            var key = (contract.Customer, contract.Currency);
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
            list.Add(c);
        }
        return groups;
    }
}
