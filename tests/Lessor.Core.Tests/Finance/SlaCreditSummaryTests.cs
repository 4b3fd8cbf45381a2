using Lessor.Core.Finance;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Finance;

public sealed class SlaCreditSummaryTests
{
    private static readonly YearMonth Jan = new(2027, 1);
    private static readonly YearMonth Feb = new(2027, 2);
    private static readonly YearMonth Mar = new(2027, 3);

    private static SlaCreditEntry Written(string contract, string customer, YearMonth month, decimal amount, DateTime at) =>
        new(new ContractId(contract), new CustomerId(customer), month, Money.Usd(amount), at, month.Next);

    private static SlaCreditEntry Accrued(string contract, string customer, YearMonth month, decimal amount) =>
        new(new ContractId(contract), new CustomerId(customer), month, Money.Usd(amount), null, null);

    [Fact]
    public void Given_written_and_accrued_credits_When_summed_as_of_an_instant_Then_rows_are_by_month_and_customer_and_a_credit_written_later_is_left_out()
    {
        var asOf = Utc.Date(2027, 3, 15);
        var entries = new[]
        {
            Written("a-1", "acme", Jan, 100.005m, Utc.Date(2027, 2, 2)),
            Written("a-2", "acme", Jan, 50m, Utc.Date(2027, 2, 2)),
            Written("b-1", "beta", Jan, 10m, asOf), // written at the as-of instant: counts
            Written("b-1", "beta", Feb, 20m, Utc.Date(2027, 3, 16)), // written after as-of: not yet on the books
            Accrued("b-2", "beta", Feb, 7.25m),
            Written("a-1", "acme", new YearMonth(2026, 12), 999m, Utc.Date(2027, 1, 2)), // before the months reported
        };

        var s = SlaCreditSummary.Of(asOf, Currency.Usd, Jan, Mar, entries, [Feb]);

        Assert.Equal(
            [("acme", Jan, 150.01m, 2, 0m, 0), ("beta", Jan, 10m, 1, 0m, 0), ("beta", Feb, 0m, 0, 7.25m, 1)],
            s.Rows.Select(r => (r.Customer, r.Month, r.Written.Amount, r.WrittenContracts, r.Accrued.Amount, r.AccruedContracts)));
        Assert.Equal([(Jan, 160.01m, 0m), (Feb, 0m, 7.25m), (Mar, 0m, 0m)], s.ByMonth.Select(m => (m.Month, m.Written.Amount, m.Accrued.Amount)));
        Assert.Equal([("acme", 150.01m, 0m), ("beta", 10m, 7.25m)], s.ByCustomer.Select(c => (c.Customer, c.Written.Amount, c.Accrued.Amount)));
        Assert.Equal((Money.Usd(160.01m), Money.Usd(7.25m)), (s.Written, s.Accrued));
        Assert.Equal([Feb], s.AccruedMonths);
    }

    [Fact]
    public void Given_a_credit_in_another_currency_When_summed_Then_it_is_a_bug_not_a_silent_mix()
    {
        var entry = new SlaCreditEntry(new ContractId("e-1"), new CustomerId("euro"), Jan, new Money(5m, new Currency("EUR")), Utc.Date(2027, 2, 1), Feb);
        var e = Assert.Throws<InvalidOperationException>(() => SlaCreditSummary.Of(Utc.Date(2027, 3, 1), Currency.Usd, Jan, Mar, [entry], []));
        Assert.Contains("e-1", e.Message, StringComparison.Ordinal);
    }
}
