using Lessor.Core.Finance;
using Lessor.Core.Model;
using static Lessor.Core.Tests.Finance.FinanceFixtures;

namespace Lessor.Core.Tests.Finance;

public sealed class InvoiceRunTests
{
    private static Scenario Prepaid() => Scenario(Acme() with { Prepayment = Money.Usd(30_000m) }, Beta());

    [Fact]
    public void Given_a_prepayment_of_30000_When_invoicing_january_Then_the_drawdown_covers_the_whole_charge()
    {
        var invoices = InvoiceRun.ForMonth(Prepaid(), CoverageSource.Full, new YearMonth(2026, 1), []);

        var inv = Assert.Single(invoices);
        Assert.Equal("INV-2026-01-acme", inv.Number);
        Assert.Equal(Feb1, inv.IssuedOn);
        Assert.Equal(2, inv.Lines.Count);
        var charge = inv.Lines[0];
        Assert.Equal(InvoiceLineKind.Charge, charge.Kind);
        // 16 GPUs x 744 h = 11,904 GPU-hours at $2 = 23,808.
        Assert.Equal(11_904m, charge.GpuHours);
        Assert.Equal(Money.Usd(2m), charge.Rate);
        Assert.Equal(Money.Usd(23_808m), charge.Amount);
        Assert.Equal(Money.Usd(-23_808m), inv.Lines[1].Amount);
        Assert.Equal(Money.Usd(0m), inv.Total);
    }

    [Fact]
    public void Given_a_prepayment_and_a_credit_When_invoicing_february_Then_the_rest_of_the_prepayment_and_the_credit_are_lines()
    {
        var credit = new Credit(new CustomerId("acme"), new YearMonth(2026, 2), Money.Usd(100m), "SLA credit January (99.1% < 99.9%)");

        var invoices = InvoiceRun.ForMonth(Prepaid(), CoverageSource.Full, new YearMonth(2026, 2), [credit]);

        Assert.Equal(["INV-2026-02-acme", "INV-2026-02-beta"], invoices.Select(i => i.Number));
        var acme = invoices[0];
        // Charges 21,504; prepayment left 30,000 - 23,808 = 6,192 is drawn in full; credit 100.
        Assert.Equal(Money.Usd(21_504m), acme.Charges);
        Assert.Equal(Money.Usd(6_192m), acme.PrepaymentApplied);
        Assert.Equal(Money.Usd(100m), acme.Credits);
        // 21,504 - 6,192 - 100 = 15,212.
        Assert.Equal(Money.Usd(15_212m), acme.Total);
        Assert.Equal([InvoiceLineKind.Charge, InvoiceLineKind.PrepaymentDrawdown, InvoiceLineKind.Credit], acme.Lines.Select(l => l.Kind));
        Assert.Equal(Money.Usd(8_064m), invoices[1].Total);
    }

    [Fact]
    public void Given_the_prepayment_is_exhausted_When_invoicing_march_Then_no_drawdown_line_appears()
    {
        var inv = InvoiceRun.ForMonth(Prepaid(), CoverageSource.Full, new YearMonth(2026, 3), []).Single();

        Assert.Equal(Money.Usd(23_808m), inv.Total);
        Assert.DoesNotContain(inv.Lines, l => l.Kind == InvoiceLineKind.PrepaymentDrawdown);
    }

    [Fact]
    public void Given_a_mid_month_reprice_When_invoicing_Then_each_price_gets_its_own_line()
    {
        var line = AcmeLine(Money.Usd(3m));
        var contract = Acme(line) with
        {
            Amendments = [new Amendment { Sequence = 1, EffectiveOn = Utc.Date(2026, 2, 15), Kind = AmendmentKind.Reprice, Line = line.Id, Before = AcmeLine(), After = line }],
        };

        var inv = InvoiceRun.ForMonth(Scenario(contract), CoverageSource.Full, new YearMonth(2026, 2), []).Single();

        // 16 x 336 h = 5,376 GPU-hours at $2 (10,752) and at $3 (16,128).
        Assert.Equal([(5_376m, 2m, 10_752m), (5_376m, 3m, 16_128m)], inv.Lines.Select(l => (l.GpuHours!.Value, l.Rate!.Value.Amount, l.Amount.Amount)));
        Assert.Equal(Money.Usd(26_880m), inv.Total);
    }

    [Fact]
    public void Given_a_cancellation_fee_When_invoicing_its_month_Then_the_fee_is_its_own_line()
    {
        var contract = Acme() with { Cancellation = new Cancellation(Utc.Date(2026, 3, 10), Money.Usd(5_000m), "moved") };

        var inv = InvoiceRun.ForMonth(Scenario(contract), CoverageSource.Full, new YearMonth(2026, 3), []).Single();

        // 16 x 216 h (9 days) x 2 = 6,912 plus the 5,000 fee.
        Assert.Equal([InvoiceLineKind.Charge, InvoiceLineKind.CancellationFee], inv.Lines.Select(l => l.Kind));
        Assert.Equal(Money.Usd(11_912m), inv.Total);
    }

    [Fact]
    public void Given_thirds_of_a_cent_When_invoicing_Then_cents_are_allocated_by_largest_remainder_and_sum_to_the_rounded_total()
    {
        // Three lines of 1 GPU for 1 minute at $0.20/h: each earns 0.2/60 = 0.003333.. dollars; a month of 1 minute
        // totals 0.01 (rounded from 0.01) and the single cent goes to the first line (equal remainders, earlier wins).
        ContractLine Tiny(string id) => new()
        {
            Id = new LineId(id),
            Platform = H100.Id,
            Gpus = new GpuCount(1),
            Period = new Period(Jan1, Jan1.AddMinutes(1)),
            PricePerGpuHour = Money.Usd(0.2m),
        };

        var inv = InvoiceRun.ForMonth(Scenario(Acme(Tiny("a"), Tiny("b"), Tiny("c"))), CoverageSource.Full, new YearMonth(2026, 1), []).Single();

        Assert.Equal([0.01m, 0m, 0m], inv.Lines.Select(l => l.Amount.Amount));
        Assert.Equal(Money.Usd(0.01m), inv.Total);
    }

    [Fact]
    public void Given_an_invoice_When_rendered_as_csv_Then_fields_with_commas_and_quotes_are_quoted()
    {
        var credit = new Credit(new CustomerId("acme"), new YearMonth(2026, 1), Money.Usd(1.5m), "SLA, \"January\"");
        var invoices = InvoiceRun.ForMonth(Scenario(Acme()), CoverageSource.Full, new YearMonth(2026, 1), [credit]);

        var csv = InvoiceRenderer.ToCsv(invoices);

        Assert.Equal(
            "invoice,customer,month,currency,kind,contract,line,description,gpu_hours,rate,amount\n"
            + "INV-2026-01-acme,acme,2026-01,USD,charge,acme-1,l1,acme-1/l1 h100,11904,2,23808.00\n"
            + "INV-2026-01-acme,acme,2026-01,USD,credit,,,\"SLA, \"\"January\"\"\",,,-1.50\n",
            csv);
    }

    [Fact]
    public void Given_a_customer_name_with_markup_When_rendered_as_html_Then_it_is_escaped()
    {
        var inv = InvoiceRun.ForMonth(Scenario(Acme()), CoverageSource.Full, new YearMonth(2026, 1), []).Single();

        var html = InvoiceRenderer.ToHtml(inv);

        Assert.Contains("Customer: Acme &lt;AI&gt; &amp; Co (acme)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<AI>", html, StringComparison.Ordinal);
        Assert.Contains("<td colspan=\"5\">Total due (USD)</td><td class=\"n\">23,808.00</td>", html, StringComparison.Ordinal);
    }
}
