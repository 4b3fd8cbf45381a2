using System.Text.Json;
using Lessor.Core.Finance;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Store;

namespace Lessor.Server.Tests.Desk;

/// <summary>
/// Two desks (two servers' books) on one store, written in random interleavings, some steps on both at once so that one
/// loses the race: after every step each desk, caught up from the change feed, must equal a desk rebuilt from the store
/// from nothing (contracts, deliveries, ledger answers, uncovered lines, finance KPIs), and neither may have rebuilt.
/// Run on SQLite and on PostgreSQL (docs/change-feed.md).
/// </summary>
public abstract class ReplicaCatchUpSuite(StoreFactory stores)
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly PlatformId H100 = new("h100-hgx");
    private static readonly CustomerId[] Customers = [new("acme"), new("zeta")];
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    private static DealRequest Deal(CustomerId customer, int gpus, DateTime start, DateTime end, Locality locality = Locality.Any) =>
        new(customer, [new DealLine { Platform = H100, Gpus = new GpuCount(gpus), Period = new Period(start, end), Locality = locality }]);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Given_two_desks_on_one_store_When_both_write_in_random_interleavings_Then_each_catches_up_to_what_a_rebuild_gives_without_rebuilding(int seed)
    {
        var location = await stores.CreateAsync();
        await using var store = await LessorStore.OpenAsync(location, None);
        await store.ImportAsync(SmallBook.Build(), None);
        // Each desk on a store object of its own, as two processes would be.
        await using var otherStore = await LessorStore.OpenAsync(location, None);
        var desks = new[] { await DealDesk.OpenAsync(store, None), await DealDesk.OpenAsync(otherStore, None) };
        var random = new Random(seed);
        var signedOn = Utc.Date(2026, 6, 1);
        var slipped = false;

        for (var step = 0; step < 24; step++)
        {
            // One desk writes (it may be behind: it catches up before deciding), or both write at once (one loses the race).
            var both = random.Next(3) == 0;
            var ops = new List<Func<Task<string>>>();
            foreach (var desk in both ? desks : [desks[random.Next(2)]])
            {
                signedOn = signedOn.AddMinutes(1);
                ops.Add(Op(desk, random, signedOn, ref slipped));
            }
            var done = await Task.WhenAll(ops.Select(op => Task.Run(op)));

            foreach (var desk in desks) await desk.RefreshAsync(None);
            var rebuilt = await DealDesk.OpenAsync(store, None);
            var at = $"seed {seed}, step {step} ({string.Join("; ", done)})";
            foreach (var desk in desks)
            {
                Assert.Equal(await store.RevisionAsync(None), desk.Revision);
                AssertSameBook(rebuilt, desk, at);
                Assert.Equal(0, desk.FullRebuilds);
                Assert.Equal(0, desk.Lag);
            }
            // Capacity is never oversold: without a slip, every line is covered as the store has it.
            if (!slipped) Assert.Empty(rebuilt.Uncovered());
        }
        Assert.True(desks.All(d => d.CatchUps > 0), "neither desk ever caught up from the feed: the test did not exercise it");
    }

    [Fact]
    public async Task Given_a_desk_behind_a_gap_the_feed_no_longer_covers_When_it_catches_up_Then_it_rebuilds_once_and_counts_it()
    {
        var location = await stores.CreateAsync();
        await using var store = await LessorStore.OpenAsync(location, None);
        await store.ImportAsync(SmallBook.Build(), None);
        await using var otherStore = await LessorStore.OpenAsync(location, None);
        var behind = await DealDesk.OpenAsync(otherStore, None);
        var writer = await DealDesk.OpenAsync(store, None);
        var signed = await writer.SignAsync(new SignRequest(Deal(Customers[0], 16, SmallBook.Y2027, SmallBook.Y2028), null, Utc.Date(2026, 6, 1), null), None);
        Assert.True(signed.Signed, signed.Error);

        await store.CompactChangesAsync(0, None);
        await behind.RefreshAsync(None);

        Assert.Equal(1, behind.FullRebuilds);
        Assert.False(behind.LastCatchUp!.FromFeed);
        AssertSameBook(await DealDesk.OpenAsync(store, None), behind, "after the rebuild");
    }

    [Fact]
    public async Task Given_a_desk_that_loses_a_write_race_When_it_signs_Then_it_catches_up_from_the_feed_and_decides_again_without_a_rebuild()
    {
        var location = await stores.CreateAsync();
        await using var store = await LessorStore.OpenAsync(location, None);
        await store.ImportAsync(SmallBook.Build(), None);
        await using var otherStore = await LessorStore.OpenAsync(location, None);
        var first = await DealDesk.OpenAsync(store, None);
        var second = await DealDesk.OpenAsync(otherStore, None);
        var revision = second.Revision;

        // The whole of a1 (10 units) in 2027, from one desk; then the other, still at the old revision, asks for a fabric of
        // 10 units: it must learn of the first sign from the feed and refuse (no fabric has 10 free units left).
        Assert.True((await first.SignAsync(new SignRequest(Deal(Customers[0], 80, SmallBook.Y2027, SmallBook.Y2028, Locality.Fabric), null, Utc.Date(2026, 6, 1), null), None)).Signed);
        Assert.Equal(revision, second.Revision);
        var late = await second.SignAsync(new SignRequest(Deal(Customers[1], 80, SmallBook.Y2027, SmallBook.Y2028, Locality.Fabric), null, Utc.Date(2026, 6, 2), null), None);

        Assert.False(late.Signed);
        Assert.Equal(0, second.FullRebuilds);
        Assert.True(second.LastCatchUp!.FromFeed);
        Assert.Equal(revision + 1, second.Revision);
    }

    private static Func<Task<string>> Op(DealDesk desk, Random random, DateTime signedOn, ref bool slipped)
    {
        var book = desk.Scenario;
        var kind = random.Next(12);
        var month = random.Next(0, 24);
        var start = SmallBook.Y2027.AddMonths(month);
        var contracts = book.Contracts.Where(c => c.Cancellation is null).ToList();
        var asOf = Utc.Date(2026, 6, 1);
        if (kind == 10)
        {
            // A sign that may move lines not yet started to make room (a whole fabric's worth, so it often must).
            var deal = Deal(Customers[random.Next(2)], 8 * random.Next(6, 11), start, start.AddMonths(random.Next(1, 7)), Locality.Fabric);
            return async () =>
            {
                var moved = await desk.SignWithMovesAsync(new SignRequest(deal, null, signedOn, null), asOf, 4, None);
                return $"sign with moves {deal.Lines[0].Gpus.Value} -> {moved.Sign.Error ?? $"signed, {moved.Moves.Count} moves"}";
            };
        }
        if (kind == 11)
        {
            // Reviewed re-placement: the moves the desk proposes, applied.
            return async () =>
            {
                var plan = desk.ProposeReplacement(asOf, new Period(SmallBook.Y2027, SmallBook.Y2029), 16, 4);
                var applied = await desk.ApplyMovesAsync(plan.Moves, asOf, None);
                return $"apply {plan.Moves.Count} moves -> {applied.Error ?? "applied"}";
            };
        }
        if (kind < 5 || contracts.Count == 0)
        {
            var deal = Deal(Customers[random.Next(2)], 8 * random.Next(1, 9), start, start.AddMonths(random.Next(1, 13)),
                random.Next(3) == 0 ? Locality.Fabric : Locality.Any);
            return async () => $"sign {deal.Lines[0].Gpus.Value} -> {((await desk.SignAsync(new SignRequest(deal, null, signedOn, null), None)).Error ?? "signed")}";
        }
        var contract = contracts[random.Next(contracts.Count)];
        var line = contract.Lines[0];
        if (kind < 7)
        {
            var gpus = new GpuCount(8 * random.Next(1, 9));
            var effective = line.Period.Start.AddDays(random.Next(0, 60));
            return async () => $"amend {contract.Id} {gpus.Value} -> {((await desk.AmendAsync(contract.Id, line.Id, effective, gpus, null, None)).Error ?? "amended")}";
        }
        if (kind < 9)
        {
            var effective = line.Period.Start.AddDays(random.Next(0, 90));
            return async () => $"cancel {contract.Id} -> {((await desk.CancelAsync(contract.Id, effective, "test", None)).Error ?? "cancelled")}";
        }
        var delivery = book.Deliveries[random.Next(book.Deliveries.Count)];
        var to = delivery.AcceptanceDate.AddDays(random.Next(1, 90));
        slipped = true;
        return async () => $"slip {delivery.Id} -> {((await desk.SlipDeliveryAsync(delivery.Id, to, None)).Error ?? "slipped")}";
    }

    private static void AssertSameBook(DealDesk rebuilt, DealDesk desk, string at)
    {
        Assert.True(Canon(rebuilt.Scenario.Contracts) == Canon(desk.Scenario.Contracts), $"contracts differ at {at}");
        Assert.True(Canon(rebuilt.Scenario.Deliveries) == Canon(desk.Scenario.Deliveries), $"deliveries differ at {at}");
        foreach (var locality in new[] { Locality.Any, Locality.Site, Locality.Fabric })
        {
            for (var m = 0; m < 30; m += 3)
            {
                var start = SmallBook.Y2027.AddMonths(m);
                var probe = Deal(Customers[0], 8, start, start.AddMonths(6), locality);
                Assert.True(rebuilt.Largest(probe).Largest == desk.Largest(probe).Largest, $"largest {locality} from {start:yyyy-MM} differs at {at}");
            }
        }
        Assert.True(Canon(rebuilt.Uncovered().OrderBy(u => u.Line.ToString(), StringComparer.Ordinal).ThenBy(u => u.Fabric.Value, StringComparer.Ordinal).ThenBy(u => u.Shortfall.Start))
            == Canon(desk.Uncovered().OrderBy(u => u.Line.ToString(), StringComparer.Ordinal).ThenBy(u => u.Fabric.Value, StringComparer.Ordinal).ThenBy(u => u.Shortfall.Start)), $"uncovered lines differ at {at}");
        foreach (var asOf in new[] { Utc.Date(2027, 3, 1), Utc.Date(2028, 1, 1), Utc.Date(2028, 9, 1) })
        {
            Assert.True(Canon(FinanceReport.Kpis(rebuilt.FinanceBook(), asOf, FinanceSettings.Default)) == Canon(FinanceReport.Kpis(desk.FinanceBook(), asOf, FinanceSettings.Default)),
                $"finance KPIs as of {asOf:yyyy-MM-dd} differ at {at}");
        }
    }

    private static string Canon<T>(T value) => JsonSerializer.Serialize(value, Json);
}

public sealed class ReplicaCatchUpOnSqlite() : ReplicaCatchUpSuite(new StoreFactory.Sqlite());

public sealed class ReplicaCatchUpOnPostgres() : ReplicaCatchUpSuite(new StoreFactory.Postgres());
