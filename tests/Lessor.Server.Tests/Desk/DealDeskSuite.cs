using Lessor.Core.Contracts;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Store;

namespace Lessor.Server.Tests.Desk;

/// <summary>Deal desk behaviour over a real store; run once on SQLite and once on PostgreSQL.</summary>
public abstract class DealDeskSuite(StoreFactory stores)
{
    private static readonly CustomerId Acme = new("acme");
    private static readonly PlatformId H100 = new("h100-hgx");

    private static DealRequest Deal(CustomerId customer, int gpus, DateTime start, DateTime end, Locality locality = Locality.Any, int minSites = 1) =>
        new(customer, [new DealLine { Platform = H100, Gpus = new GpuCount(gpus), Period = new Period(start, end), Locality = locality, MinSites = minSites }]);

    // The digest stands for the request: tests that reuse a key with another request give another one.
    private static SignRequest Sign(DealRequest deal, string? key = null, string? id = null, string caller = "test", string digest = "same") =>
        new(deal, id is null ? null : new ContractId(id), Utc.Date(2026, 11, 1), key is null ? null : new IdempotencyKey(caller, key, digest));

    private async Task<(LessorStore Store, DealDesk Desk)> OpenAsync(StoreLocation? at = null)
    {
        var location = at ?? await stores.CreateAsync();
        var store = await LessorStore.OpenAsync(location, CancellationToken.None);
        if (await store.IsEmptyAsync(CancellationToken.None)) await store.ImportAsync(SmallBook.Build(), CancellationToken.None);
        return (store, await DealDesk.OpenAsync(store, CancellationToken.None));
    }

    [Fact]
    public async Task Given_room_When_signing_Then_the_contract_is_stored_with_its_placement_and_a_new_desk_sees_the_same_ledger()
    {
        var (store, desk) = await OpenAsync();
        await using var _ = store;

        var outcome = await desk.SignAsync(Sign(Deal(Acme, 80, SmallBook.Y2027, SmallBook.Y2028, Locality.Fabric), id: "acme-1"), CancellationToken.None);

        Assert.True(outcome.Signed, outcome.Error);
        var stored = await store.GetContractAsync(new ContractId("acme-1"), CancellationToken.None);
        var line = Assert.Single(stored!.Lines);
        Assert.Equal(10, line.Pinned.Sum(b => b.Units));
        Assert.Single(line.Pinned.Select(b => b.Fabric).Distinct());
        // a1 (10 units) is now full: 9 units in one fabric no longer fit anywhere, and 14 units (a2 6 + b1 8) are left in 2027-H1.
        var fresh = await DealDesk.OpenAsync(store, CancellationToken.None);
        foreach (var d in new[] { desk, fresh })
        {
            Assert.False(d.Check(Deal(Acme, 72, SmallBook.Y2027, SmallBook.Y2028, Locality.Fabric)).Fits);
            Assert.True(d.Check(Deal(Acme, 112, SmallBook.Y2027, SmallBook.Y2028)).Fits);
            Assert.False(d.Check(Deal(Acme, 120, SmallBook.Y2027, SmallBook.Y2028)).Fits);
        }
    }

    [Fact]
    public async Task Given_the_same_idempotency_key_When_signing_twice_Then_one_contract_is_stored()
    {
        var (store, desk) = await OpenAsync();
        await using var _ = store;
        var request = Sign(Deal(Acme, 16, SmallBook.Y2027, SmallBook.Y2028), key: "k-123");

        var first = await desk.SignAsync(request, CancellationToken.None);
        var second = await desk.SignAsync(request, CancellationToken.None);

        Assert.True(first.Signed);
        Assert.True(second.Replayed);
        Assert.Equal(first.Contract!.Id, second.Contract!.Id);
        Assert.Single((await store.ExportAsync(CancellationToken.None)).Contracts);
    }

    [Fact]
    public async Task Given_many_concurrent_signs_with_one_idempotency_key_Then_one_contract_is_stored_and_all_see_it()
    {
        var (store, desk) = await OpenAsync();
        await using var _ = store;
        var request = Sign(Deal(Acme, 16, SmallBook.Y2027, SmallBook.Y2028), key: "same-key");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => desk.SignAsync(request, CancellationToken.None))));

        Assert.All(outcomes, o => Assert.True(o.Signed));
        Assert.Single(outcomes.Select(o => o.Contract!.Id).Distinct());
        Assert.Equal(15, outcomes.Count(o => o.Replayed));
        Assert.Single((await store.ExportAsync(CancellationToken.None)).Contracts);
    }

    [Fact]
    public async Task Given_a_key_used_by_one_caller_When_another_caller_signs_with_it_and_the_first_reuses_it_with_another_request_Then_the_second_signs_its_own_and_the_reuse_is_refused()
    {
        var (store, desk) = await OpenAsync();
        await using var _ = store;

        var first = await desk.SignAsync(Sign(Deal(Acme, 16, SmallBook.Y2027, SmallBook.Y2028), key: "shared", caller: "key:a"), CancellationToken.None);
        var second = await desk.SignAsync(Sign(Deal(Acme, 8, SmallBook.Y2027, SmallBook.Y2028), key: "shared", caller: "key:b", digest: "other"), CancellationToken.None);
        var reused = await desk.SignAsync(Sign(Deal(Acme, 8, SmallBook.Y2027, SmallBook.Y2028), key: "shared", caller: "key:a", digest: "other"), CancellationToken.None);

        Assert.True(first.Signed && !first.Replayed);
        Assert.True(second.Signed && !second.Replayed);
        Assert.NotEqual(first.Contract!.Id, second.Contract!.Id);
        Assert.True(reused.KeyMismatch);
        Assert.Null(reused.Contract);
        Assert.Contains("'shared'", reused.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await store.ExportAsync(CancellationToken.None)).Contracts.Count);
    }

    [Fact]
    public async Task Given_concurrent_signs_with_one_key_and_two_requests_Then_one_contract_is_stored_and_the_other_request_is_refused_every_time()
    {
        var (store, desk) = await OpenAsync();
        await using var _ = store;

        // Some land in the batch that signs, some in later batches that find the key stored: both must compare with the winner.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() =>
            desk.SignAsync(Sign(Deal(Acme, 8, SmallBook.Y2027, SmallBook.Y2028), key: "raced", digest: i % 2 == 0 ? "even" : "odd"), CancellationToken.None))));

        var signed = outcomes.Where(o => o.Signed).ToList();
        Assert.Equal(32, signed.Count);
        Assert.Single(signed.Select(o => o.Contract!.Id).Distinct());
        Assert.Equal(32, outcomes.Count(o => o.KeyMismatch));
        Assert.Single((await store.ExportAsync(CancellationToken.None)).Contracts);
    }

    [Fact]
    public async Task Given_no_room_When_signing_Then_the_reason_is_given_and_nothing_is_stored()
    {
        var (store, desk) = await OpenAsync();
        await using var _ = store;

        // 24 units exist in 2027-H1 (10 + 6 + 8) and 28 from July: 200 GPUs = 25 units cannot fit over 2027.
        var outcome = await desk.SignAsync(Sign(Deal(Acme, 200, SmallBook.Y2027, SmallBook.Y2028)), CancellationToken.None);

        Assert.False(outcome.Signed);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Error));
        Assert.Equal(ConstraintKind.PlatformSupply, outcome.Fit!.Constraints[0].Kind);
        Assert.Empty((await store.ExportAsync(CancellationToken.None)).Contracts);
    }

    [Fact]
    public async Task Given_a_full_fabric_When_the_contract_is_cancelled_Then_the_future_is_free_again()
    {
        var (store, desk) = await OpenAsync();
        await using var _ = store;
        // Every unit of 2027-H1 (24) for two years; from July 2027 fabric a2 has 4 more units.
        var everything = Deal(Acme, 192, SmallBook.Y2027, SmallBook.Y2029);
        Assert.True((await desk.SignAsync(Sign(everything, id: "all"), CancellationToken.None)).Signed);
        Assert.True(desk.Check(Deal(Acme, 32, SmallBook.Y2028, SmallBook.Y2029)).Fits);
        Assert.False(desk.Check(Deal(Acme, 40, SmallBook.Y2028, SmallBook.Y2029)).Fits);

        var cancelled = await desk.CancelAsync(new ContractId("all"), SmallBook.Y2028, "test", CancellationToken.None);

        Assert.True(cancelled.Applied, cancelled.Error);
        Assert.True(desk.Check(Deal(Acme, 224, SmallBook.Y2028, SmallBook.Y2029)).Fits);
        Assert.False(desk.Check(Deal(Acme, 8, SmallBook.Y2027, SmallBook.Y2028)).Fits);
        var fresh = await DealDesk.OpenAsync(store, CancellationToken.None);
        Assert.True(fresh.Check(Deal(Acme, 224, SmallBook.Y2028, SmallBook.Y2029)).Fits);
        Assert.False(fresh.Check(Deal(Acme, 8, SmallBook.Y2027, SmallBook.Y2028)).Fits);
    }

    [Fact]
    public async Task Given_a_signed_line_When_grown_beyond_supply_Then_it_is_refused_and_nothing_is_stored()
    {
        var (store, desk) = await OpenAsync();
        await using var _ = store;
        Assert.True((await desk.SignAsync(Sign(Deal(Acme, 80, SmallBook.Y2027, SmallBook.Y2028, Locality.Fabric), id: "c"), CancellationToken.None)).Signed);
        var before = await store.GetContractAsync(new ContractId("c"), CancellationToken.None);

        var outcome = await desk.AmendAsync(new ContractId("c"), before!.Lines[0].Id, Utc.Date(2027, 3, 1), new GpuCount(160), null, CancellationToken.None);

        Assert.False(outcome.Applied);
        var after = await store.GetContractAsync(new ContractId("c"), CancellationToken.None);
        Assert.Empty(after!.Amendments);
        Assert.Equal(80, after.Lines[0].Gpus.Value);
    }

    [Fact]
    public async Task Given_a_line_grown_from_mid_term_When_the_desk_is_rebuilt_from_the_store_Then_past_and_future_hold_what_they_held()
    {
        var (store, desk) = await OpenAsync();
        await using var _ = store;
        Assert.True((await desk.SignAsync(Sign(Deal(Acme, 40, SmallBook.Y2027, SmallBook.Y2029), id: "g"), CancellationToken.None)).Signed);

        var grown = await desk.AmendAsync(new ContractId("g"), new LineId("L1"), SmallBook.Y2028, new GpuCount(80), null, CancellationToken.None);

        Assert.True(grown.Applied, grown.Error);
        // 2027-H1: 24 units, 5 held -> 19 free (152 GPUs). 2028: 28 units, 10 held -> 18 free (144 GPUs).
        var fresh = await DealDesk.OpenAsync(store, CancellationToken.None);
        foreach (var d in new[] { desk, fresh })
        {
            Assert.True(d.Check(Deal(Acme, 152, SmallBook.Y2027, Utc.Date(2027, 7, 1))).Fits);
            Assert.False(d.Check(Deal(Acme, 160, SmallBook.Y2027, Utc.Date(2027, 7, 1))).Fits);
            Assert.True(d.Check(Deal(Acme, 144, SmallBook.Y2028, SmallBook.Y2029)).Fits);
            Assert.False(d.Check(Deal(Acme, 152, SmallBook.Y2028, SmallBook.Y2029)).Fits);
        }
        var stored = await store.GetContractAsync(new ContractId("g"), CancellationToken.None);
        var amendment = Assert.Single(stored!.Amendments);
        Assert.Equal((AmendmentKind.Grow, 40, 80), (amendment.Kind, amendment.Before!.Gpus.Value, amendment.After!.Gpus.Value));
    }

    [Fact]
    public async Task Given_a_signed_line_When_its_delivery_slips_Then_the_line_is_reported_uncovered_and_its_revenue_moves_later()
    {
        var (store, desk) = await OpenAsync();
        await using var _ = store;
        // Fabric a1 (delivery d1, 10 units on 2027-01-01) fully held for 2027 at the list price.
        Assert.True((await desk.SignAsync(Sign(Deal(Acme, 80, SmallBook.Y2027, SmallBook.Y2028, Locality.Fabric), id: "c"), CancellationToken.None)).Signed);

        var preview = desk.PreviewSlip(new DeliveryId("d1"), Utc.Date(2027, 3, 1));
        Assert.Equal(SmallBook.Y2027, (await store.ExportAsync(CancellationToken.None)).Deliveries.Single(d => d.Id.Value == "d1").AcceptanceDate);
        var slipped = await desk.SlipDeliveryAsync(new DeliveryId("d1"), Utc.Date(2027, 3, 1), CancellationToken.None);

        foreach (var outcome in new[] { preview, slipped })
        {
            var uncovered = Assert.Single(outcome.Uncovered);
            Assert.Equal((new LineRef(new ContractId("c"), new LineId("L1")), new FabricId("a1")), (uncovered.Line, uncovered.Fabric));
            Assert.Equal(new Period(SmallBook.Y2027, Utc.Date(2027, 3, 1)), uncovered.Shortfall);
            Assert.Equal(80, uncovered.Short.Value);
            // 80 GPUs x 1,416 h (Jan + Feb 2027) x $1.80 = $203,904 leaves Q1 2027 and is recognized after the term, nothing lost.
            Assert.Equal(203_904m, outcome.Revenue!.Deferred.Amount);
            Assert.Equal(0m, outcome.Revenue.Lost.Amount);
        }
        var stored = (await store.ExportAsync(CancellationToken.None)).Deliveries.Single(d => d.Id.Value == "d1");
        Assert.Equal((Utc.Date(2027, 3, 1), SmallBook.Y2027), (stored.AcceptanceDate, stored.OriginalAcceptanceDate!.Value));
        var fresh = await DealDesk.OpenAsync(store, CancellationToken.None);
        Assert.Single(fresh.Uncovered());
    }

    [Fact]
    public async Task Given_many_desks_signing_overlapping_deals_at_once_Then_no_fabric_is_ever_oversold()
    {
        var location = await stores.CreateAsync();
        var (seedStore, _) = await OpenAsync(location);
        await seedStore.DisposeAsync();

        // Four desks, each with its own connection and ledger, as four processes would have; three writers each.
        const int desks = 4, writersPerDesk = 3, signsPerWriter = 8;
        var opened = new List<(LessorStore Store, DealDesk Desk)>();
        for (var i = 0; i < desks; i++) opened.Add(await OpenAsync(location));
        var signed = 0;
        var tasks = new List<Task>();
        for (var d = 0; d < desks; d++)
        {
            for (var w = 0; w < writersPerDesk; w++)
            {
                var desk = opened[d].Desk;
                var seed = d * 100 + w;
                tasks.Add(Task.Run(async () =>
                {
                    for (var k = 0; k < signsPerWriter; k++)
                    {
                        // Overlapping deals of 3-6 units in 2027-2028: far more asked than the 28-32 units exist.
                        var units = 3 + (seed + k) % 4;
                        var start = Utc.Date(2027, 1 + (seed + k) % 6, 1);
                        var outcome = await desk.SignAsync(Sign(Deal(Acme, units * 8, start, start.AddMonths(9))), CancellationToken.None);
                        if (outcome.Signed) Interlocked.Increment(ref signed);
                    }
                }));
            }
        }
        await Task.WhenAll(tasks);
        foreach (var (store, _) in opened) await store.DisposeAsync();

        await using var check = await LessorStore.OpenAsync(location, CancellationToken.None);
        var book = await check.ExportAsync(CancellationToken.None);
        Assert.Equal(signed, book.Contracts.Count);
        Assert.InRange(signed, 2, desks * writersPerDesk * signsPerWriter - 1);

        // Independent check, not through the ledger: at every instant where a commitment starts, the pinned units of
        // the lines running then never exceed the units accepted in that fabric by then.
        var segments = book.Contracts.SelectMany(LineSegments.Of).ToList();
        var instants = segments.Select(s => s.Period.Start).Concat(book.Deliveries.Select(d => d.AcceptanceDate)).Distinct().ToList();
        foreach (var fabric in book.Fabrics)
        {
            foreach (var t in instants)
            {
                var committed = segments.Where(s => s.Period.Contains(t)).SelectMany(s => s.Pinned).Where(b => b.Fabric == fabric.Id).Sum(b => b.Units);
                Assert.True(committed <= SmallBook.SupplyAt(book, fabric.Id, t), $"{fabric.Id} oversold at {t:O}: {committed} units committed");
            }
        }
    }
}

/// <summary>The deal desk suite on the embedded SQLite store.</summary>
public sealed class DealDeskOnSqlite() : DealDeskSuite(new StoreFactory.Sqlite());

/// <summary>The deal desk suite on a real PostgreSQL server.</summary>
public sealed class DealDeskOnPostgres() : DealDeskSuite(new StoreFactory.Postgres());
