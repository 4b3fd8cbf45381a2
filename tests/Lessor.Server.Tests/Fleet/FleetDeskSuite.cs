using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Server.Fleet;
using Lessor.Server.Tests.Desk;
using Lessor.Storage.Store;

namespace Lessor.Server.Tests.Fleet;

/// <summary>A clock a test moves.</summary>
internal sealed class MovingClock(DateTime now) : TimeProvider
{
    public DateTime Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => new(Now, TimeSpan.Zero);
}

/// <summary>
/// The fleet desk over a real store (SmallBook, plus zeta's 72 GPUs at $2.00 on units 9..1 of fabric a1 all of 2027,
/// SLA 99.9% / 10% / cap 50%): a1's unit 0 is the spare pool (80 GPUs: ceil(1.5 x 80 / 50,700 x 137.5) = 1 node).
/// Run on SQLite and PostgreSQL.
/// </summary>
public abstract class FleetDeskSuite(StoreFactory stores)
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTime March10 = Utc.Date(2027, 3, 10);
    private static readonly LineRef Line = new(new ContractId("zeta-1"), new LineId("l1"));

    private static Scenario Book() => SmallBook.Build() with
    {
        Contracts =
        [
            new Contract
            {
                Id = Line.Contract, Customer = new CustomerId("zeta"), SignedOn = Utc.Date(2026, 11, 1), Currency = Currency.Usd,
                Sla = new SlaTerms(0.999m, 0.10m, 0.50m),
                Lines =
                [
                    new ContractLine
                    {
                        Id = Line.Line, Platform = new PlatformId("h100-hgx"), Gpus = new GpuCount(72), Period = new Period(SmallBook.Y2027, SmallBook.Y2028),
                        PricePerGpuHour = Money.Usd(2.00m), Locality = Locality.Fabric, Pinned = [new PlacedBlock(new FabricId("a1"), 9)],
                    },
                ],
            },
        ],
    };

    private async Task<(LessorStore Store, DealDesk Deals, FleetDesk Fleet, MovingClock Clock)> OpenAsync()
    {
        var location = await stores.CreateAsync();
        var store = await LessorStore.OpenAsync(location, None);
        await store.ImportAsync(Book(), None);
        var clock = new MovingClock(Utc.Date(2027, 3, 1));
        var deals = await DealDesk.OpenAsync(store, clock, None);
        var fleet = await FleetDesk.OpenAsync(deals, store, clock, null, None);
        return (store, deals, fleet, clock);
    }

    private static HealthReport Report(string node, long seq, DateTime at, int? xid = null) =>
        new(node, seq, at, [new GpuReading(0, 60, 700, 0.9, 0, 0)], xid is { } code ? [new HealthEvent(HealthEventKind.Xid, 0, code, null, null)] : []);

    [Fact]
    public async Task Given_a_new_store_When_the_desk_opens_Then_lines_take_the_top_units_and_the_spare_pool_the_next()
    {
        var (store, _, fleet, _) = await OpenAsync();
        await using var _ = store;
        Assert.Equal("serving", fleet.View("a1-u00009-t00")!.Role);
        Assert.Equal("serving", fleet.View("a1-u00001-t00")!.Role);
        Assert.Equal("spare", fleet.View("a1-u00000-t00")!.Role);
        Assert.Equal("zeta-1", fleet.View("a1-u00001-t00")!.Contract);
        var a1 = fleet.Spares().Single(s => s.Fabric == "a1");
        Assert.Equal((1, 1, 1), (a1.PolicyNodes, a1.Pool, a1.Left));
        Assert.Equal(10 + 6 + 4 + 8, (await store.ReadFleetAsync(None)).Nodes.Count); // accepted units of a1, a2 (two deliveries), b1: one node each
    }

    [Fact]
    public async Task Given_a_serving_node_that_falls_off_the_bus_When_reported_Then_the_spare_takes_over_in_the_same_transaction()
    {
        var (store, deals, fleet, clock) = await OpenAsync();
        await using var _ = store;
        clock.Now = March10.AddMinutes(1);
        var outcomes = await fleet.ApplyAsync([Report("a1-u00009-t00", 1, March10, 79)], None);
        Assert.Equal(IngestOutcome.Applied, Assert.Single(outcomes));
        Assert.Equal("failed", fleet.View("a1-u00009-t00")!.State);
        Assert.Equal("serving", fleet.View("a1-u00000-t00")!.Role);

        // What is stored is what the desk decided: a desk opened afresh sees the same.
        var reopened = await FleetDesk.OpenAsync(deals, store, clock, null, None);
        Assert.Equal(("failed", "spare"), (reopened.View("a1-u00009-t00")!.State, reopened.View("a1-u00009-t00")!.Role));
        Assert.Equal(("serving", "zeta-1"), (reopened.View("a1-u00000-t00")!.Role, reopened.View("a1-u00000-t00")!.Contract));
        var swap = Assert.Single(await store.ListSwapsAsync(0, 10, None));
        Assert.Equal(new SwapDecision(Line, "a1-u00009-t00", "a1-u00000-t00", March10, "xid 79 on gpu 0: GPU has fallen off the bus"), swap.Swap);
        Assert.Equal(clock.Now, swap.DecidedAt);
        Assert.Empty(reopened.AtRisk());
    }

    [Fact]
    public async Task Given_the_same_report_twice_and_again_after_a_restart_When_applied_Then_it_counts_once()
    {
        var (store, deals, fleet, clock) = await OpenAsync();
        await using var _ = store;
        clock.Now = March10;
        var first = await fleet.ApplyAsync([Report("a1-u00005-t00", 1, March10), Report("a1-u00005-t00", 1, March10), Report("a1-u00005-t00", 2, March10.AddSeconds(10))], None);
        Assert.Equal([IngestStatus.Applied, IngestStatus.Duplicate, IngestStatus.Applied], first.Select(o => o.Status));
        var again = await fleet.ApplyAsync([Report("a1-u00005-t00", 2, March10.AddSeconds(10))], None);
        Assert.Equal(IngestStatus.Duplicate, Assert.Single(again).Status);

        // A consumer restart: a new desk from the store redelivered the same messages.
        var restarted = await FleetDesk.OpenAsync(deals, store, clock, null, None);
        var redelivered = await restarted.ApplyAsync([Report("a1-u00005-t00", 1, March10), Report("a1-u00005-t00", 2, March10.AddSeconds(10))], None);
        Assert.All(redelivered, o => Assert.Equal(IngestStatus.Duplicate, o.Status));
        Assert.Equal((2L, 2L), (restarted.View("a1-u00005-t00")!.LastSeq, restarted.View("a1-u00005-t00")!.ReportsApplied));
    }

    [Fact]
    public async Task Given_unknown_and_future_reports_in_a_batch_When_applied_Then_they_are_refused_with_field_and_reason_and_the_rest_applies()
    {
        var (store, _, fleet, clock) = await OpenAsync();
        await using var _ = store;
        clock.Now = March10;
        var outcomes = await fleet.ApplyAsync(
            [Report("zz-u00001-t00", 1, March10), Report("a1-u00004-t00", 1, March10.AddMinutes(6)), Report("a1-u00004-t00", 2, March10.AddMinutes(5))], None);
        Assert.Equal(new IngestOutcome(IngestStatus.UnknownNode, "node", "no node has serial 'zz-u00001-t00'"), outcomes[0]);
        Assert.Equal((IngestStatus.FromTheFuture, "at"), (outcomes[1].Status, outcomes[1].Field));
        Assert.Contains("plus the allowed skew of 300 s", outcomes[1].Reason, StringComparison.Ordinal);
        Assert.Equal(IngestStatus.Applied, outcomes[2].Status);
        Assert.Equal(2L, fleet.View("a1-u00004-t00")!.LastSeq);
    }

    [Fact]
    public async Task Given_no_spare_left_When_a_second_serving_node_fails_Then_the_line_is_short_at_once_until_the_node_returns()
    {
        var (store, _, fleet, clock) = await OpenAsync();
        await using var _ = store;
        clock.Now = March10.AddHours(2);
        await fleet.ApplyAsync([Report("a1-u00009-t00", 1, March10, 79), Report("a1-u00008-t00", 1, March10.AddHours(1), 48)], None);
        var shortNow = Assert.Single(fleet.AtRisk());
        Assert.Equal(("zeta-1", "l1", "zeta", "Zeta Labs", 8, March10.AddHours(1)), (shortNow.Contract, shortNow.Line, shortNow.Customer, shortNow.CustomerName, shortNow.GpusShort, shortNow.Since));
        Assert.Equal(["a1-u00008-t00"], shortNow.Nodes);
        Assert.Equal(0, fleet.Spares().Single(s => s.Fabric == "a1").Left);

        var refused = await fleet.ActAsync("a1-u00008-t00", NodeAction.ReturnToService, null, null, None);
        Assert.Equal(("action", "cannot return_to_service a node that is failed"), (refused.Field, refused.Error));
        await fleet.ActAsync("a1-u00008-t00", NodeAction.StartRepair, March10.AddHours(2), "reseat", None);
        clock.Now = March10.AddHours(11);
        var back = await fleet.ActAsync("a1-u00008-t00", NodeAction.ReturnToService, March10.AddHours(11), null, None);
        Assert.Null(back.Error);
        Assert.Equal("a1-u00008-t00", Assert.Single(back.Swaps).Spare);
        Assert.Empty(fleet.AtRisk());
    }

    [Fact]
    public async Task Given_a_month_with_a_short_line_When_credits_run_twice_Then_one_credit_lands_on_the_next_invoice_and_invoices_reconcile()
    {
        var (store, deals, fleet, clock) = await OpenAsync();
        await using var _ = store;
        await ShortLineOnMarch10Async(fleet, clock);

        // March: 72 GPUs x 44,640 min = 3,214,080 GPU-minutes; charge 72 x 744 h x $2.00 = $107,136.
        // Down: u9 until its swap took effect, 8 x 15 min = 120; u8 short 10 h, 8 x 600 = 4,800; 4,920 in all.
        // Availability 1 - 4,920 / 3,214,080 = 0.9984692...: 0.000531 below 99.9%, one step: 10% = $10,713.60.
        var march = new YearMonth(2027, 3);
        // While March runs it is measured to now (March 10 11:00: 9 days 11 h = 13,620 min x 72 GPUs = 980,640), and
        // both outages are over by then.
        var soFar = Assert.Single(await fleet.SlaAsync(march, null, None));
        Assert.Equal((980_640m, 4_920m), (soFar.CommittedGpuMinutes, soFar.DownGpuMinutes));
        Assert.Null((await fleet.RunCreditsAsync(march, None)).Items); // March is not over

        clock.Now = Utc.Date(2027, 4, 2);
        var sla = Assert.Single(await fleet.SlaAsync(march, null, None));
        Assert.Equal((3_214_080m, 4_920m), (sla.CommittedGpuMinutes, sla.DownGpuMinutes));
        Assert.Equal(0.9984692m, Math.Round(sla.Availability, 7));
        Assert.Equal(Money.Usd(107_136m), sla.Charge);
        Assert.Equal(Money.Usd(10_713.60m), sla.Credit);
        Assert.Equal([("a1-u00009-t00", 15m), ("a1-u00008-t00", 600m)], sla.Evidence.Select(e => (e.Node, e.Minutes)));

        var first = (await fleet.RunCreditsAsync(march, None)).Items!;
        var second = (await fleet.RunCreditsAsync(march, None)).Items!;
        Assert.True(Assert.Single(first).Written);
        Assert.False(Assert.Single(second).Written);
        var credit = Assert.Single(await store.ListCreditsAsync(march.Next, None));
        Assert.Equal((Money.Usd(10_713.60m), new ContractId("zeta-1")), (credit.Amount, credit.Contract));

        // April's invoice carries it as a credit line: charges (recognized, 72 x 720 h x $2.00) - credits = total.
        var invoice = Assert.Single(InvoiceRun.ForMonth(deals.FinanceBook(), march.Next, await store.ListCreditsAsync(march.Next, None)));
        Assert.Equal(Money.Usd(103_680m), invoice.Charges);
        Assert.Equal(Money.Usd(10_713.60m), invoice.Credits);
        Assert.Equal(Money.Usd(103_680m - 10_713.60m), invoice.Total);
        Assert.Contains(invoice.Lines, l => l.Kind == InvoiceLineKind.Credit && l.Amount == Money.Usd(-10_713.60m));
    }

    [Fact]
    public async Task Given_a_month_with_a_short_line_When_credits_are_counted_as_of_before_and_after_the_run_Then_written_only_from_the_run_on_and_accrued_before()
    {
        var (store, _, fleet, clock) = await OpenAsync();
        await using var _ = store;
        // As in the credit run test above: zeta-1 earns $10,713.60 for March 2027.
        await ShortLineOnMarch10Async(fleet, clock);
        var (jan, feb, march, april) = (new YearMonth(2027, 1), new YearMonth(2027, 2), new YearMonth(2027, 3), new YearMonth(2027, 4));
        clock.Now = Utc.Date(2027, 4, 2);

        // As of April 1: March is over and not credited, so measured: accrued. January and February earn nothing.
        var (before, measured) = await fleet.CreditsAsOfAsync(Utc.Date(2027, 4, 1), jan, april, None);
        Assert.Equal([jan, feb, march], measured);
        var accrued = Assert.Single(before);
        Assert.Equal((march, "zeta", Money.Usd(10_713.60m), (DateTime?)null, (YearMonth?)null), (accrued.Month, accrued.Customer.Value, accrued.Amount, accrued.WrittenAt, accrued.InvoiceMonth));

        Assert.True(Assert.Single((await fleet.RunCreditsAsync(march, None)).Items!).Written);
        var (after, measuredAfter) = await fleet.CreditsAsOfAsync(Utc.Date(2027, 4, 2), jan, april, None);
        Assert.Equal([jan, feb], measuredAfter);
        var written = Assert.Single(after);
        Assert.Equal((march, "zeta", Money.Usd(10_713.60m), (DateTime?)Utc.Date(2027, 4, 2), (YearMonth?)april),
            (written.Month, written.Customer.Value, written.Amount, written.WrittenAt, written.InvoiceMonth));
        var summary = SlaCreditSummary.Of(Utc.Date(2027, 4, 2), Currency.Usd, jan, april, after, measuredAfter);
        Assert.Equal((Money.Usd(10_713.60m), Money.Usd(0m)), (summary.Written, summary.Accrued));

        // As of April 1 again, once the run has written (on April 2): the written credit is not counted yet, March is accrued.
        var (again, measuredAgain) = await fleet.CreditsAsOfAsync(Utc.Date(2027, 4, 1), jan, april, None);
        Assert.Equal([jan, feb, march], measuredAgain);
        var asOfApril1 = SlaCreditSummary.Of(Utc.Date(2027, 4, 1), Currency.Usd, jan, april, again, measuredAgain);
        Assert.Equal((Money.Usd(0m), Money.Usd(10_713.60m)), (asOfApril1.Written, asOfApril1.Accrued));
        Assert.Equal([("zeta", march, 0m, 10_713.60m)], asOfApril1.Rows.Select(r => (r.Customer, r.Month, r.Written.Amount, r.Accrued.Amount)));
    }

    /// <summary>
    /// The March 10 events both credit tests start from: a1-u00009-t00 reports Xid 79 at midnight, a1-u00008-t00 Xid 48 an
    /// hour later; a1-u00008-t00 goes to repair at 02:00 and returns to service at 11:00.
    /// </summary>
    private static async Task ShortLineOnMarch10Async(FleetDesk fleet, MovingClock clock)
    {
        clock.Now = March10.AddHours(2);
        await fleet.ApplyAsync([Report("a1-u00009-t00", 1, March10, 79), Report("a1-u00008-t00", 1, March10.AddHours(1), 48)], None);
        await fleet.ActAsync("a1-u00008-t00", NodeAction.StartRepair, March10.AddHours(2), null, None);
        clock.Now = March10.AddHours(11);
        await fleet.ActAsync("a1-u00008-t00", NodeAction.ReturnToService, March10.AddHours(11), null, None);
    }
}

/// <summary>The fleet desk suite on the embedded SQLite store.</summary>
public sealed class FleetDeskOnSqlite() : FleetDeskSuite(new StoreFactory.Sqlite());

/// <summary>The fleet desk suite on a real PostgreSQL server.</summary>
public sealed class FleetDeskOnPostgres() : FleetDeskSuite(new StoreFactory.Postgres());
