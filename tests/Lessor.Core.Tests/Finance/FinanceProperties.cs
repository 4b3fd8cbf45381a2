using CsCheck;
using Lessor.Core.Finance;
using Lessor.Core.Model;
using static Lessor.Core.Tests.Finance.FinanceFixtures;

namespace Lessor.Core.Tests.Finance;

/// <summary>A generated line: sizes and offsets in minutes from 2026-01-01, odd minutes and 4-decimal prices on purpose.</summary>
internal sealed record LineSpec(int Gpus, int StartMinute, int LengthMinutes, decimal Price, int SlipMinutes, int EarlyGpus, int OptionKind);

/// <summary>A generated contract: its lines, an optional cancellation (minute, fee) and a prepayment.</summary>
internal sealed record ContractSpec(LineSpec[] Lines, int? CancelMinute, decimal Fee, decimal Prepayment);

/// <summary>Random books of contracts for the reconciliation properties.</summary>
internal static class FinanceGen
{
    public static readonly Gen<LineSpec> Line =
        Gen.Select(Gen.Int[1, 64], Gen.Int[0, 200_000], Gen.Int[1, 150_000], Gen.Int[1, 60_000], Gen.Int[0, 99])
            .Select(Gen.Int[0, 100], Gen.Int[0, 5], (t, early, option) => new LineSpec(
                t.Item1, t.Item2, t.Item3, t.Item4 / 10_000m,
                SlipMinutes: (int)((long)t.Item3 * t.Item5 / 100),
                EarlyGpus: t.Item1 * early / 100,
                OptionKind: option));

    public static readonly Gen<ContractSpec> Contract =
        Gen.Select(Line.Array[1, 4], Gen.Int[0, 9], Gen.Int[0, 400_000], Gen.Int[0, 500_000], Gen.Int[0, 3],
            (lines, cancelDie, cancelAt, fee, prepay) => new ContractSpec(
                lines,
                cancelDie < 3 ? cancelAt : null,
                fee / 100m,
                prepay == 0 ? 0m : lines.Sum(l => l.Gpus * l.LengthMinutes * l.Price / 60m) * prepay / 10m));

    public static readonly Gen<ContractSpec[]> Book = Contract.Array[1, 6];

    public static DateTime At(long minute) => Jan1.AddMinutes(minute);

    /// <summary>OptionKind 0: unexercised option; 1: exercised a third into the term; otherwise firm.</summary>
    public static ContractLine ToLine(LineSpec l, int index) => new()
    {
        Id = new LineId($"l{index}"),
        Platform = H100.Id,
        Gpus = new GpuCount(l.Gpus),
        Period = new Period(At(l.StartMinute), At(l.StartMinute + l.LengthMinutes)),
        PricePerGpuHour = Money.Usd(l.Price),
        Option = l.OptionKind switch
        {
            0 => new OptionTerms { ExerciseBy = At(l.StartMinute) },
            1 => new OptionTerms { ExerciseBy = At(l.StartMinute), ExercisedOn = At(l.StartMinute + l.LengthMinutes / 3) },
            _ => null,
        },
    };

    public static Contract ToContract(ContractSpec c, int index, bool withCancellation = true) => new()
    {
        Id = new ContractId($"c{index}"),
        Customer = new CustomerId($"cust{index % 3}"),
        SignedOn = Utc.Date(2025, 1, 1),
        Currency = Currency.Usd,
        Lines = [.. c.Lines.Select(ToLine)],
        Cancellation = withCancellation && c.CancelMinute is { } m ? new Cancellation(At(m), Money.Usd(c.Fee), "generated") : null,
        Prepayment = c.Prepayment > 0m ? Money.Usd(Math.Round(c.Prepayment, 2)) : null,
    };

    public static Scenario ToScenario(ContractSpec[] book, bool withCancellation = true) =>
        Scenario([.. book.Select((c, i) => ToContract(c, i, withCancellation))]) with
        {
            Customers = [.. Enumerable.Range(0, 3).Select(i => new Customer { Id = new CustomerId($"cust{i}"), Name = $"Customer {i}" })],
        };

    /// <summary>Coverage that starts at EarlyGpus and reaches the full line SlipMinutes into the term (always before term end).</summary>
    public static ICoverageSource Slipped(ContractSpec[] book)
    {
        var map = new Dictionary<LineRef, IReadOnlyList<CoverageStep>>();
        for (var c = 0; c < book.Length; c++)
            for (var i = 0; i < book[c].Lines.Length; i++)
            {
                var l = book[c].Lines[i];
                map[new LineRef(new ContractId($"c{c}"), new LineId($"l{i}"))] =
                [
                    new CoverageStep(At(l.StartMinute), new GpuCount(l.EarlyGpus)),
                    new CoverageStep(At(l.StartMinute + l.SlipMinutes), new GpuCount(l.Gpus)),
                ];
            }
        return CoverageSource.FromMap(map);
    }

    /// <summary>Equal to a nano-dollar: decimal division leaves noise in the 20th digit, far below any cent.</summary>
    public static void Near(decimal expected, decimal actual) =>
        Assert.True(Math.Abs(expected - actual) < 0.000_000_001m, $"expected {expected}, got {actual}");
}

public sealed class FinanceProperties
{
    private static readonly DateTime Far = Utc.Date(2040, 1, 1);

    [Fact]
    public void Given_any_book_When_split_at_any_instant_Then_recognized_plus_remaining_equals_the_schedule_and_tcv()
    {
        Gen.Select(FinanceGen.Book, Gen.Int[0, 500_000]).Sample((book, asOfMinute) =>
        {
            var scenario = FinanceGen.ToScenario(book, withCancellation: false);
            var coverage = FinanceGen.Slipped(book);
            var asOf = FinanceGen.At(asOfMinute);
            foreach (var contract in scenario.Contracts)
            {
                var s = RevenueSchedule.ForContract(contract, coverage);
                var recognized = s.RevenueBefore(asOf).Amount;
                var remaining = s.Lines.Sum(l => l.RevenueIn(new Period(asOf, Far)).Amount);
                FinanceGen.Near(s.Scheduled.Amount, recognized + remaining);
                // Coverage catches up before term end, so the whole TCV is recognized, slip or not.
                FinanceGen.Near(s.CommittedValue.Amount, s.Scheduled.Amount);
                // TCV from the model alone: firm lines at full value, exercised options from exercise, others nothing.
                var independent = 0m;
                foreach (var l in contract.Lines)
                {
                    if (l.Option is null) independent += l.Value.Amount;
                    else if (l.Option.ExercisedOn is { } ex)
                        independent += l.Gpus.Value * (decimal)(l.Period.End - ex).TotalMinutes * l.PricePerGpuHour.Amount / 60m;
                }
                FinanceGen.Near(independent, s.CommittedValue.Amount);
            }
        }, iter: 200);
    }

    [Fact]
    public void Given_any_slip_When_scheduling_Then_revenue_only_moves_later_and_the_total_is_kept()
    {
        Gen.Select(FinanceGen.Contract, Gen.Int[0, 500_000]).Sample((spec, tMinute) =>
        {
            var contract = FinanceGen.ToContract(spec, 0, withCancellation: false);
            var onTime = RevenueSchedule.ForContract(contract, CoverageSource.Full);
            var slipped = RevenueSchedule.ForContract(contract, FinanceGen.Slipped([spec]));
            var t = FinanceGen.At(tMinute);
            Assert.True(slipped.RevenueBefore(t).Amount <= onTime.RevenueBefore(t).Amount + 0.000_000_001m);
            FinanceGen.Near(onTime.Scheduled.Amount, slipped.Scheduled.Amount);
        }, iter: 300);
    }

    [Fact]
    public void Given_any_cancellation_When_scheduling_Then_nothing_but_the_fee_is_recognized_from_its_date()
    {
        FinanceGen.Contract.Where(c => c.CancelMinute is not null).Sample(spec =>
        {
            var contract = FinanceGen.ToContract(spec, 0);
            var s = RevenueSchedule.ForContract(contract, FinanceGen.Slipped([spec]));
            var cancel = contract.Cancellation!.EffectiveOn;
            foreach (var l in s.Lines) Assert.Equal(0m, l.RevenueIn(new Period(cancel, Far)).Amount);
            FinanceGen.Near(spec.Fee, (s.RevenueBefore(Far) - s.RevenueBefore(cancel)).Amount);
        }, iter: 200);
    }

    [Fact]
    public void Given_unexercised_options_When_reporting_kpis_Then_they_change_nothing()
    {
        Gen.Select(FinanceGen.Book, Gen.Int[0, 400_000]).Sample((book, asOfMinute) =>
        {
            var with = FinanceGen.ToScenario(book);
            var without = with with
            {
                Contracts = [.. with.Contracts.Select(c => c with { Lines = [.. c.Lines.Where(l => l.Option is null || l.Option.IsExercised)] })],
            };
            var asOf = FinanceGen.At(asOfMinute);
            var a = FinanceReport.Kpis(with, CoverageSource.Full, asOf, FinanceSettings.Default).Total;
            var b = FinanceReport.Kpis(without, CoverageSource.Full, asOf, FinanceSettings.Default).Total;
            Assert.Equal(b, a);
        }, iter: 100);
    }

    [Fact]
    public void Given_any_book_When_invoicing_every_month_Then_charges_less_credits_reconcile_to_recognized_revenue_to_the_cent()
    {
        Gen.Select(FinanceGen.Book, Gen.Int[0, 5_000].Array[3]).Sample((book, creditCents) =>
        {
            var scenario = FinanceGen.ToScenario(book);
            var coverage = FinanceGen.Slipped(book);
            var financeBook = FinanceBook.Build(scenario, coverage);
            var first = new YearMonth(2026, 1);
            var last = new YearMonth(2027, 3);
            var credits = creditCents.Select((c, i) => new Credit(new CustomerId($"cust{i}"), new YearMonth(2026, 2), Money.Usd(c / 100m), "SLA")).ToArray();

            var charged = new Dictionary<CustomerId, decimal>();
            var drawn = new Dictionary<ContractId, decimal>();
            var contractCharges = new Dictionary<ContractId, decimal>();
            for (var m = first; m <= last; m = m.Next)
            {
                var invoices = InvoiceRun.ForMonth(financeBook, m, credits);
                // Re-running a month is identical, to the rendered byte.
                Assert.Equal(InvoiceRenderer.ToCsv(invoices), InvoiceRenderer.ToCsv(InvoiceRun.ForMonth(financeBook, m, credits)));
                foreach (var inv in invoices)
                {
                    Assert.Equal(inv.Lines.Where(l => l.Kind is InvoiceLineKind.Charge or InvoiceLineKind.CancellationFee).Sum(l => l.Amount.Amount), inv.Charges.Amount);
                    Assert.Equal(inv.Charges.Amount - inv.PrepaymentApplied.Amount - inv.Credits.Amount, inv.Total.Amount);
                    Assert.All(inv.Lines, l => Assert.Equal(Math.Round(l.Amount.Amount, 2), l.Amount.Amount));
                    charged[inv.Customer] = charged.GetValueOrDefault(inv.Customer) + inv.Charges.Amount - inv.Credits.Amount;
                    foreach (var l in inv.Lines.Where(l => l.Kind is InvoiceLineKind.Charge or InvoiceLineKind.CancellationFee))
                        contractCharges[l.Contract!.Value] = contractCharges.GetValueOrDefault(l.Contract!.Value) + l.Amount.Amount;
                    foreach (var l in inv.Lines.Where(l => l.Kind == InvoiceLineKind.PrepaymentDrawdown))
                        drawn[l.Contract!.Value] = drawn.GetValueOrDefault(l.Contract!.Value) - l.Amount.Amount;
                }
            }

            foreach (var group in scenario.Contracts.GroupBy(c => c.Customer))
            {
                var recognized = group.Sum(c => RevenueSchedule.ForContract(c, coverage).RevenueBefore(last.End).Amount);
                var credited = credits.Where(c => c.Customer == group.Key).Sum(c => c.Amount.Amount);
                Assert.Equal(Math.Round(recognized, 2, MidpointRounding.AwayFromZero) - credited, charged.GetValueOrDefault(group.Key));
            }
            // Month after month the prepayment is drawn against the contract's charges until it is exhausted.
            foreach (var c in scenario.Contracts)
                Assert.Equal(Math.Min(c.Prepayment?.Amount ?? 0m, contractCharges.GetValueOrDefault(c.Id)), drawn.GetValueOrDefault(c.Id));
        }, iter: 40);
    }

    [Fact]
    public void Given_any_book_When_broken_down_Then_each_dimension_adds_up_to_the_total()
    {
        Gen.Select(FinanceGen.Book, Gen.Int[0, 400_000]).Sample((book, asOfMinute) =>
        {
            var k = FinanceReport.Kpis(FinanceGen.ToScenario(book), FinanceGen.Slipped(book), FinanceGen.At(asOfMinute), FinanceSettings.Default);
            foreach (var d in Enum.GetValues<FinanceDimension>())
            {
                var slices = k.By(d);
                FinanceGen.Near(k.Total.Tcv.Amount, slices.Sum(x => x.Tcv.Amount));
                FinanceGen.Near(k.Total.Recognized.Amount, slices.Sum(x => x.Recognized.Amount));
                FinanceGen.Near(k.Total.Backlog.Amount, slices.Sum(x => x.Backlog.Amount));
                FinanceGen.Near(k.Total.NextTwelveMonths.Amount, slices.Sum(x => x.NextTwelveMonths.Amount));
                FinanceGen.Near(k.Total.RunRate.Amount, slices.Sum(x => x.RunRate.Amount));
            }
        }, iter: 100);
    }

    [Fact]
    public void Given_any_book_When_reporting_revenue_by_customer_Then_each_month_is_in_cents_and_equals_that_months_invoice_charges()
    {
        // Issue 10: reports and invoices round by one rule (cumulative, to cents, half away from zero), so they reconcile exactly.
        Gen.Select(FinanceGen.Book, Gen.Int[0, 14]).Sample((book, firstMonth) =>
        {
            var scenario = FinanceGen.ToScenario(book);
            var coverage = FinanceGen.Slipped(book);
            var from = YearMonth.Of(FinanceGen.At(0)).AddMonths(firstMonth);
            var to = from.AddMonths(5);
            var table = RevenueReport.By(scenario, coverage, FinanceDimension.Customer, from, to);
            for (var j = 0; j < table.Months.Count; j++)
            {
                var invoices = InvoiceRun.ForMonth(scenario, coverage, table.Months[j], []);
                foreach (var row in table.Rows)
                {
                    Assert.Equal(decimal.Round(row.Months[j].Amount, 2), row.Months[j].Amount);
                    var charged = invoices.Where(i => i.Customer.Value == row.Key).Sum(i => i.Charges.Amount);
                    Assert.Equal(charged, row.Months[j].Amount);
                }
                Assert.Equal(table.Rows.Sum(r => r.Months[j].Amount), table.MonthTotals[j].Amount);
            }
            Assert.Equal(table.MonthTotals.Sum(m => m.Amount), table.Total.Amount);
        }, iter: 60);
    }

    [Fact]
    public void Given_any_book_When_kpis_Then_money_is_in_cents_and_tcv_is_recognized_plus_forfeited_plus_rpo_in_every_slice()
    {
        Gen.Select(FinanceGen.Book, Gen.Int[0, 400_000]).Sample((book, asOfMinute) =>
        {
            var k = FinanceReport.Kpis(FinanceGen.ToScenario(book), FinanceGen.Slipped(book), FinanceGen.At(asOfMinute), FinanceSettings.Default);
            foreach (var slice in new[] { k.Total }.Concat(k.ByCustomer).Concat(k.ByPlatform).Concat(k.BySite).Concat(k.ByRegion))
            {
                foreach (var m in new[] { slice.Tcv, slice.Recognized, slice.Forfeited, slice.Rpo, slice.Backlog, slice.NextTwelveMonths, slice.RunRate })
                    Assert.Equal(decimal.Round(m.Amount, 2), m.Amount);
                Assert.True(slice.Rpo.Amount >= 0m, $"{slice.Key}: RPO {slice.Rpo.Amount}");
            }
        }, iter: 100);
    }
}
