using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Store;

namespace Lessor.Server.Tests.Desk;

/// <summary>Re-placement through the deal desk over a real store; run once on SQLite and once on PostgreSQL.</summary>
public abstract class ReplacementDeskSuite(StoreFactory stores)
{
    private static readonly DateTime Today = Utc.Date(2026, 11, 28);
    private static readonly LineRef Acme1 = new(new ContractId("acme-1"), new LineId("L1"));

    private static DealRequest Deal(int gpus, Locality locality) =>
        new(new CustomerId("acme"), [new DealLine { Platform = new PlatformId("h100-hgx"), Gpus = new GpuCount(gpus), Period = new Period(SmallBook.Y2027, SmallBook.Y2028), Locality = locality }]);

    // acme-1 (5 units) signed, then moved into a1 by hand: a1 keeps 5 free, a2 6, b1 8, so no fabric holds 10 units.
    private async Task<(LessorStore Store, DealDesk Desk)> FragmentedAsync()
    {
        var store = await LessorStore.OpenAsync(await stores.CreateAsync(), CancellationToken.None);
        await store.ImportAsync(SmallBook.Build(), CancellationToken.None);
        var desk = await DealDesk.OpenAsync(store, CancellationToken.None);
        var signed = await desk.SignAsync(new SignRequest(Deal(40, Locality.Fabric), new ContractId("acme-1"), Utc.Date(2026, 11, 1), null), CancellationToken.None);
        Assert.True(signed.Signed, signed.Error);
        var from = signed.Contract!.Lines[0].Pinned;
        Assert.NotEqual("a1", from[0].Fabric.Value);
        var moved = await desk.ApplyMovesAsync([new LineMove(Acme1, from, [new PlacedBlock(new FabricId("a1"), 5)])], Today, CancellationToken.None);
        Assert.True(moved.Applied, moved.Error);
        return (store, desk);
    }

    [Fact]
    public async Task Given_applied_moves_When_a_new_desk_reads_the_store_Then_the_line_sits_where_it_was_moved()
    {
        var (store, desk) = await FragmentedAsync();
        await using var _ = store;

        var stored = await store.GetContractAsync(Acme1.Contract, CancellationToken.None);
        Assert.Equal([new PlacedBlock(new FabricId("a1"), 5)], stored!.Lines[0].Pinned);
        var fresh = await DealDesk.OpenAsync(store, CancellationToken.None);
        Assert.False(fresh.Check(Deal(80, Locality.Fabric)).Fits);
        Assert.True(fresh.Check(Deal(40, Locality.Fabric)).Fits);
        Assert.Equal(stored.Lines[0].Pinned, desk.Scenario.Contracts.Single(c => c.Id == Acme1.Contract).Lines[0].Pinned);
    }

    [Fact]
    public async Task Given_a_fragmented_book_When_a_whole_fabric_deal_is_checked_with_moves_Then_moving_the_unstarted_line_seats_it_and_applying_then_signing_stores_both()
    {
        var (store, desk) = await FragmentedAsync();
        await using var _ = store;
        var big = Deal(80, Locality.Fabric);

        var repack = desk.CheckWithReplacement(big, Today, maxMoves: 10);

        Assert.True(repack.Fit.Fits);
        var move = Assert.Single(repack.Moves);
        Assert.Equal(Acme1, move.Line);
        Assert.True((await desk.ApplyMovesAsync(repack.Moves, Today, CancellationToken.None)).Applied);
        var signed = await desk.SignAsync(new SignRequest(big, new ContractId("acme-2"), Utc.Date(2026, 11, 28), null), CancellationToken.None);
        Assert.True(signed.Signed, signed.Error);
        Assert.Equal("a1", signed.Contract!.Lines[0].Pinned[0].Fabric.Value);
        var fresh = await DealDesk.OpenAsync(store, CancellationToken.None);
        Assert.Empty(fresh.Uncovered());
    }

    [Fact]
    public async Task Given_a_deal_that_fits_only_with_a_move_When_signed_with_moves_Then_the_move_and_the_contract_land_in_one_write_and_a_retry_replays()
    {
        var (store, desk) = await FragmentedAsync();
        await using var _ = store;
        var revision = await store.RevisionAsync(CancellationToken.None);
        var request = new SignRequest(Deal(80, Locality.Fabric), new ContractId("acme-2"), Utc.Date(2026, 11, 28), new IdempotencyKey("test", "sign-with-moves-1", "digest"));
        Assert.False((await desk.SignAsync(request with { IdempotencyKey = null, ContractId = new ContractId("acme-x") }, CancellationToken.None)).Signed);

        var outcome = await desk.SignWithMovesAsync(request, Today, maxMoves: 10, CancellationToken.None);
        var again = await desk.SignWithMovesAsync(request, Today, maxMoves: 10, CancellationToken.None);

        Assert.True(outcome.Sign.Signed, outcome.Sign.Error);
        var move = Assert.Single(outcome.Moves);
        Assert.Equal(Acme1, move.Line);
        Assert.Equal(revision + 1, await store.RevisionAsync(CancellationToken.None));
        Assert.True(again.Sign.Replayed);
        Assert.Empty(again.Moves);
        var fresh = await DealDesk.OpenAsync(store, CancellationToken.None);
        Assert.Equal(move.To, fresh.Scenario.Contracts.Single(c => c.Id == Acme1.Contract).Lines[0].Pinned);
        Assert.Equal("a1", fresh.Scenario.Contracts.Single(c => c.Id.Value == "acme-2").Lines[0].Pinned[0].Fabric.Value);
        Assert.Empty(fresh.Uncovered());
    }

    [Fact]
    public async Task Given_a_deal_too_big_even_with_moves_When_signed_with_moves_Then_nothing_is_written_and_the_binding_constraint_is_named()
    {
        var (store, desk) = await FragmentedAsync();
        await using var _ = store;
        var revision = await store.RevisionAsync(CancellationToken.None);

        var outcome = await desk.SignWithMovesAsync(new SignRequest(Deal(136, Locality.Fabric), null, Utc.Date(2026, 11, 28), null), Today, null, CancellationToken.None);

        Assert.False(outcome.Sign.Signed);
        Assert.Empty(outcome.Moves);
        Assert.NotEmpty(outcome.Sign.Fit!.Constraints);
        Assert.Equal(revision, await store.RevisionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Given_a_stale_plan_or_a_started_line_When_moves_are_applied_Then_they_are_refused_and_the_store_does_not_move()
    {
        var (store, desk) = await FragmentedAsync();
        await using var _ = store;
        var revision = await store.RevisionAsync(CancellationToken.None);
        var stale = new LineMove(Acme1, [new PlacedBlock(new FabricId("a2"), 5)], [new PlacedBlock(new FabricId("b1"), 5)]);
        var current = new LineMove(Acme1, [new PlacedBlock(new FabricId("a1"), 5)], [new PlacedBlock(new FabricId("b1"), 5)]);

        var staleOutcome = await desk.ApplyMovesAsync([stale], Today, CancellationToken.None);
        var startedOutcome = await desk.ApplyMovesAsync([current], Utc.Date(2027, 2, 1), CancellationToken.None);

        Assert.Contains("no longer sits where the plan says", staleOutcome.Error, StringComparison.Ordinal);
        Assert.Contains("a started line never moves", startedOutcome.Error, StringComparison.Ordinal);
        Assert.Equal(revision, await store.RevisionAsync(CancellationToken.None));
        Assert.Equal([new PlacedBlock(new FabricId("a1"), 5)], (await store.GetContractAsync(Acme1.Contract, CancellationToken.None))!.Lines[0].Pinned);
    }

    [Fact]
    public async Task Given_another_process_moved_the_line_first_When_this_desk_applies_its_plan_Then_it_catches_up_and_refuses_it()
    {
        var (store, desk) = await FragmentedAsync();
        await using var _ = store;
        var other = await DealDesk.OpenAsync(store, CancellationToken.None);
        var plan = new LineMove(Acme1, [new PlacedBlock(new FabricId("a1"), 5)], [new PlacedBlock(new FabricId("b1"), 5)]);
        Assert.True((await other.ApplyMovesAsync([plan with { To = [new PlacedBlock(new FabricId("a2"), 5)] }], Today, CancellationToken.None)).Applied);

        var outcome = await desk.ApplyMovesAsync([plan], Today, CancellationToken.None);

        Assert.False(outcome.Applied);
        Assert.Contains("no longer sits where the plan says", outcome.Error, StringComparison.Ordinal);
        Assert.Equal("a2", (await store.GetContractAsync(Acme1.Contract, CancellationToken.None))!.Lines[0].Pinned[0].Fabric.Value);
    }
}

/// <summary>The re-placement suite on the embedded SQLite store.</summary>
public sealed class ReplacementDeskOnSqlite() : ReplacementDeskSuite(new StoreFactory.Sqlite());

/// <summary>The re-placement suite on a real PostgreSQL server.</summary>
public sealed class ReplacementDeskOnPostgres() : ReplacementDeskSuite(new StoreFactory.Postgres());
