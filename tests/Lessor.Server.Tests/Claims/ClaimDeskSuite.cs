using System.Collections.Concurrent;
using Lessor.Core.Claims;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Claims;
using Lessor.Server.Desk;
using Lessor.Server.Tests.Desk;
using Lessor.Storage.Store;

namespace Lessor.Server.Tests.Claims;

/// <summary>A clock that always reads the same instant.</summary>
internal sealed class FixedClock(DateTime now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => new(now, TimeSpan.Zero);
}

/// <summary>Claim desk behaviour over a real store (SmallBook: a1 10, a2 6, b1 8 accepted H100 nodes); run on SQLite and PostgreSQL.</summary>
public abstract class ClaimDeskSuite(StoreFactory stores)
{
    private static readonly CustomerId Acme = new("acme");
    private static readonly CustomerId Zeta = new("zeta");
    private static readonly PlatformId H100 = new("h100-hgx");
    private static readonly TimeProvider March2027 = new FixedClock(Utc.Date(2027, 3, 1));
    private static readonly CancellationToken None = CancellationToken.None;

    private async Task<(StoreLocation Location, LessorStore Store)> OpenAsync()
    {
        var location = await stores.CreateAsync();
        var store = await LessorStore.OpenAsync(location, None);
        await store.ImportAsync(SmallBook.Build(), None);
        return (location, store);
    }

    private static ClaimAsk Ask(int nodes, CustomerId? customer = null, ClaimScope scope = ClaimScope.Fabric, string? key = null, string caller = "test")
    {
        var ask = new ClaimAsk(H100, nodes, scope, customer ?? Acme);
        return ask with { IdempotencyKey = Lessor.Server.Api.ClaimsApi.Key(caller, key, ask) };
    }

    /// <summary>Signs a reserved line that fills fabric a1 (10 units) over 2027.</summary>
    private static async Task FillA1Async(LessorStore store)
    {
        var desk = await DealDesk.OpenAsync(store, None);
        var deal = new DealRequest(Zeta, [new DealLine
        {
            Platform = H100, Gpus = new GpuCount(80), Period = new Period(SmallBook.Y2027, SmallBook.Y2028), Locality = Locality.Fabric,
        }]);
        var signed = await desk.SignAsync(new SignRequest(deal, new ContractId("zeta-1"), Utc.Date(2026, 11, 1), null), None);
        Assert.True(signed.Signed, signed.Error);
        Assert.Equal(new FabricId("a1"), Assert.Single(signed.Contract!.Lines[0].Pinned).Fabric);
    }

    [Fact]
    public async Task Given_a_reserved_line_signed_after_the_desk_opened_When_claiming_everything_Then_no_claimed_node_lies_under_the_reserved_line()
    {
        var (_, store) = await OpenAsync();
        await using var _ = store;
        var claims = await ClaimDesk.OpenAsync(store, March2027, None);
        Assert.Equal(24, claims.FreeNodes(H100));

        await FillA1Async(store);
        var granted = new List<Claim>();
        for (var i = 0; i < 14; i++)
        {
            var outcome = await claims.ClaimAsync(Ask(1), None);
            Assert.True(outcome.Granted, outcome.Error);
            granted.Add(outcome.Claim!);
        }
        var refused = await claims.ClaimAsync(Ask(1), None);

        Assert.Equal("nodes", refused.Field);
        Assert.Equal("0 nodes of h100-hgx are free now; 1 asked.", refused.Error);
        Assert.DoesNotContain(granted.SelectMany(c => c.Nodes), n => n.Fabric == new FabricId("a1"));
        Assert.Equal(14, granted.SelectMany(c => c.Nodes).Distinct().Count());
        // Best fit: a2 (6 free) fills before b1 (8 free).
        Assert.All(granted.Take(6).SelectMany(c => c.Nodes), n => Assert.Equal(new FabricId("a2"), n.Fabric));
    }

    [Fact]
    public async Task Given_a_fabric_scope_When_asking_more_than_any_fabric_has_Then_the_claim_is_refused_and_nothing_is_stored()
    {
        var (_, store) = await OpenAsync();
        await using var _ = store;
        var claims = await ClaimDesk.OpenAsync(store, March2027, None);

        var outcome = await claims.ClaimAsync(Ask(11), None);

        Assert.False(outcome.Granted);
        Assert.Equal("no fabric of h100-hgx has 11 free nodes together; the most in one fabric is 10 (24 free in all).", outcome.Error);
        Assert.Empty((await store.ReadClaimsAsync(None)).Claims);
        var unknown = await claims.ClaimAsync(Ask(1, new CustomerId("nobody")), None);
        Assert.Equal("customer", unknown.Field);
    }

    [Fact]
    public async Task Given_the_same_idempotency_key_When_claiming_twice_even_after_release_Then_one_claim_is_stored_and_returned()
    {
        var (location, store) = await OpenAsync();
        await using var _ = store;
        var claims = await ClaimDesk.OpenAsync(store, March2027, None);

        var first = await claims.ClaimAsync(Ask(4, key: "k-1"), None);
        var second = await claims.ClaimAsync(Ask(4, key: "k-1"), None);
        Assert.True(first.Granted);
        Assert.True(second.Replayed);
        Assert.Equal(first.Claim!.Id, second.Claim!.Id);
        Assert.Equal(4, (await store.ReadClaimsAsync(None)).Claims.Single().Claim.Nodes.Count);

        Assert.Equal(ReleaseOutcome.Released, await claims.ReleaseAsync(first.Claim.Id, None));
        Assert.Equal(ReleaseOutcome.AlreadyReleased, await claims.ReleaseAsync(first.Claim.Id, None));
        Assert.Equal(ReleaseOutcome.NotFound, await claims.ReleaseAsync(new ClaimId("cl-nothing"), None));
        // Another desk (another process) that never saw the key still answers with the first claim.
        await using var other = await LessorStore.OpenAsync(location, None);
        var elsewhere = await ClaimDesk.OpenAsync(other, March2027, None);
        var third = await elsewhere.ClaimAsync(Ask(4, key: "k-1"), None);
        Assert.True(third.Replayed);
        Assert.Equal(first.Claim.Id, third.Claim!.Id);
        Assert.Empty((await store.ReadClaimsAsync(None)).Claims);
        Assert.Equal(24, elsewhere.FreeNodes(H100));
        // Released, the key still refuses another request (answered from the store, as the replay above).
        var reused = await elsewhere.ClaimAsync(Ask(5, key: "k-1"), None);
        Assert.True(reused.KeyMismatch);
        Assert.Null(reused.Claim);
        Assert.Equal(24, elsewhere.FreeNodes(H100));
    }

    [Fact]
    public async Task Given_a_key_held_by_one_caller_When_another_caller_and_then_the_first_with_another_request_use_it_Then_the_second_claims_its_own_and_the_third_is_refused()
    {
        var (_, store) = await OpenAsync();
        await using var _ = store;
        var claims = await ClaimDesk.OpenAsync(store, March2027, None);

        var first = await claims.ClaimAsync(Ask(2, Acme, key: "shared", caller: "key:a"), None);
        var second = await claims.ClaimAsync(Ask(2, Zeta, key: "shared", caller: "key:b"), None);
        var third = await claims.ClaimAsync(Ask(3, Acme, key: "shared", caller: "key:a"), None);
        var fourth = await claims.ClaimAsync(Ask(2, Acme, key: "shared", caller: "key:a"), None);

        Assert.True(first.Granted && !first.Replayed);
        Assert.True(second.Granted && !second.Replayed);
        Assert.NotEqual(first.Claim!.Id, second.Claim!.Id);
        Assert.Equal(Zeta, second.Claim.Customer);
        Assert.True(third.KeyMismatch);
        Assert.Null(third.Claim);
        Assert.True(fourth.Replayed);
        Assert.Equal(first.Claim.Id, fourth.Claim!.Id);
        Assert.Equal(2, (await store.ReadClaimsAsync(None)).Claims.Count);
    }

    [Fact]
    public async Task Given_one_key_sent_at_once_with_two_requests_When_claimed_together_Then_one_claim_is_stored_and_the_other_request_is_refused()
    {
        var (_, store) = await OpenAsync();
        await using var _ = store;
        var claims = await ClaimDesk.OpenAsync(store, March2027, None);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => claims.ClaimAsync(Ask(1 + i % 2, key: "raced"), None))));

        var granted = outcomes.Where(o => o.Granted).ToList();
        Assert.Single(granted.Select(o => o.Claim!.Id).Distinct());
        var nodes = granted[0].Claim!.Nodes.Count;
        Assert.All(outcomes, o => Assert.Equal(o.Granted, !o.KeyMismatch));
        Assert.Equal(32, outcomes.Count(o => o.Granted));
        Assert.All(granted, o => Assert.Equal(nodes, o.Claim!.Nodes.Count));
        Assert.Equal(nodes, (await store.ReadClaimsAsync(None)).Claims.Single().Claim.Nodes.Count);
    }

    [Fact]
    public async Task Given_claims_of_two_customers_When_listing_Then_each_sees_only_its_own_and_a_new_desk_sees_the_same()
    {
        var (_, store) = await OpenAsync();
        await using var _ = store;
        var claims = await ClaimDesk.OpenAsync(store, March2027, None);
        var a = await claims.ClaimAsync(Ask(2), None);
        var z = await claims.ClaimAsync(Ask(3, Zeta), None);

        Assert.Equal([a.Claim!.Id], claims.List(Acme).Select(c => c.Id));
        Assert.Equal([z.Claim!.Id], claims.List(Zeta).Select(c => c.Id));
        var fresh = await ClaimDesk.OpenAsync(store, March2027, None);
        Assert.Equal(claims.List().Select(c => (c.Id, string.Join(',', c.Nodes))), fresh.List().Select(c => (c.Id, string.Join(',', c.Nodes))));
        Assert.Equal(19, fresh.FreeNodes(H100));
    }

    [Fact]
    public async Task Given_three_desks_over_one_store_When_many_threads_claim_and_release_Then_no_node_is_ever_held_twice()
    {
        var (location, store) = await OpenAsync();
        await using var _ = store;
        await FillA1Async(store);
        var stores = new List<LessorStore>();
        var desks = new List<ClaimDesk>();
        for (var i = 0; i < 3; i++)
        {
            var s = await LessorStore.OpenAsync(location, None);
            stores.Add(s);
            desks.Add(await ClaimDesk.OpenAsync(s, March2027, None));
        }
        var granted = new ConcurrentBag<Claim>();
        var released = new ConcurrentBag<ClaimId>();
        var refusals = 0;
        var threads = Enumerable.Range(0, 12).Select(t => Task.Run(async () =>
        {
            var rng = new Random(t);
            var desk = desks[t % desks.Count];
            var mine = new List<ClaimId>();
            for (var i = 0; i < 15; i++)
            {
                if (mine.Count > 0 && rng.Next(3) == 0)
                {
                    var id = mine[rng.Next(mine.Count)];
                    mine.Remove(id);
                    Assert.Equal(ReleaseOutcome.Released, await desk.ReleaseAsync(id, None));
                    released.Add(id);
                    continue;
                }
                var outcome = await desk.ClaimAsync(Ask(rng.Next(1, 4), t % 2 == 0 ? Acme : Zeta, key: $"t{t}-{i}"), None);
                if (outcome.Granted)
                {
                    granted.Add(outcome.Claim!);
                    mine.Add(outcome.Claim!.Id);
                }
                else Interlocked.Increment(ref refusals);
            }
        })).ToArray();
        await Task.WhenAll(threads);

        var held = (await store.ReadClaimsAsync(None)).Claims;
        var nodes = held.SelectMany(c => c.Claim.Nodes).ToList();
        Assert.Equal(nodes.Count, nodes.Distinct().Count());
        Assert.DoesNotContain(nodes, n => n.Fabric == new FabricId("a1"));
        Assert.Equal(granted.Select(c => c.Id).Except(released).OrderBy(id => id.Value, StringComparer.Ordinal).ToList(), held.Select(c => c.Claim.Id).ToList());
        foreach (var c in held) Assert.Equal(granted.Single(g => g.Id == c.Claim.Id).Nodes.OrderBy(n => n.ToString()), c.Claim.Nodes.OrderBy(n => n.ToString()));
        Assert.True(granted.Count >= 10, $"only {granted.Count} claims granted ({refusals} refused)");
        foreach (var s in stores) await s.DisposeAsync();
    }

    private static DealRequest OneLine(int gpus, DateTime start, Locality locality = Locality.Any) => new(Zeta, [new DealLine
    {
        Platform = H100, Gpus = new GpuCount(gpus), Period = new Period(start, SmallBook.Y2028), Locality = locality,
    }]);

    /// <summary>From the store alone: every claimed node must lie on a unit still claimable over the guard window.</summary>
    private static async Task AssertNoClaimUnderReservedAsync(StoreLocation location)
    {
        await using var check = await LessorStore.OpenAsync(location, None);
        var (scenario, _) = await check.ExportWithRevisionAsync(None);
        var claimable = ClaimableUnits.Compute(scenario, CapacityLedger.Build(scenario).Ledger, March2027.GetUtcNow().UtcDateTime, DealDesk.DefaultClaimGuard);
        foreach (var node in (await check.ReadClaimsAsync(None)).Claims.SelectMany(c => c.Claim.Nodes))
            Assert.True(node.Unit < claimable.GetValueOrDefault(node.Fabric), $"claimed node {node} lies under a reserved line: {node.Fabric} has {claimable.GetValueOrDefault(node.Fabric)} claimable units");
    }

    [Fact]
    public async Task Given_b1_claimed_When_lines_are_moved_onto_it_Then_a_line_inside_the_guard_window_is_refused_and_a_later_one_may_go()
    {
        var (location, store) = await OpenAsync();
        await using var _ = store;
        var claims = await ClaimDesk.OpenAsync(store, March2027, None);
        var deals = await DealDesk.OpenAsync(store, March2027, None);
        Assert.True((await claims.ClaimAsync(Ask(8), None)).Granted); // all of b1
        var soon = await deals.SignAsync(new SignRequest(OneLine(16, Utc.Date(2027, 3, 1).AddHours(12), Locality.Fabric), new ContractId("soon"), Utc.Date(2027, 3, 1), null), None);
        var later = await deals.SignAsync(new SignRequest(OneLine(16, Utc.Date(2027, 4, 1), Locality.Fabric), new ContractId("later"), Utc.Date(2027, 3, 1), null), None);
        Assert.True(soon.Signed && later.Signed);
        var toB1 = new[] { new PlacedBlock(new FabricId("b1"), 2) };
        LineMove Move(SignOutcome o) => new(new LineRef(o.Contract!.Id, o.Contract.Lines[0].Id), o.Contract.Lines[0].Pinned, toB1);

        // Neither line has started at 00:00 on March 1, but the first starts inside the one-day guard window.
        var refused = await deals.ApplyMovesAsync([Move(soon)], Utc.Date(2027, 3, 1), None);
        var moved = await deals.ApplyMovesAsync([Move(later)], Utc.Date(2027, 3, 1), None);

        Assert.False(refused.Applied);
        Assert.Contains("no longer has room", refused.Error, StringComparison.Ordinal);
        Assert.True(moved.Applied, moved.Error);
        await AssertNoClaimUnderReservedAsync(location);
    }

    [Fact]
    public async Task Given_claims_on_b1_and_a2_When_signing_lines_inside_and_after_the_guard_window_Then_only_the_later_line_may_take_claimed_units()
    {
        var (location, store) = await OpenAsync();
        await using var _ = store;
        var claims = await ClaimDesk.OpenAsync(store, March2027, None);
        var deals = await DealDesk.OpenAsync(store, March2027, None);
        Assert.True((await claims.ClaimAsync(Ask(8), None)).Granted); // b1, best fit
        Assert.True((await claims.ClaimAsync(Ask(6), None)).Granted); // a2

        var inWindow = await deals.SignAsync(new SignRequest(OneLine(16, Utc.Date(2027, 3, 1).AddHours(12)), null, Utc.Date(2027, 3, 1), null), None);
        var tooBig = await deals.SignAsync(new SignRequest(OneLine(72, Utc.Date(2027, 3, 1).AddHours(12)), null, Utc.Date(2027, 3, 1), null), None);
        var later = await deals.SignAsync(new SignRequest(OneLine(64, Utc.Date(2027, 3, 5), Locality.Fabric), null, Utc.Date(2027, 3, 1), null), None);

        Assert.True(inWindow.Signed, inWindow.Error);
        Assert.Equal([new FabricId("a1")], inWindow.Contract!.Lines[0].Pinned.Select(b => b.Fabric).Distinct());
        Assert.False(tooBig.Signed);
        Assert.True(later.Signed, later.Error);
        await AssertNoClaimUnderReservedAsync(location);
        // The claim desk learns of the lines at its next write: a1 keeps 8 claimable units (2 reserved in the window).
        Assert.True((await claims.ClaimAsync(Ask(8), None)).Granted);
        Assert.Equal(0, claims.FreeNodes(H100));
    }

    [Fact]
    public async Task Given_claims_and_signs_racing_from_two_processes_When_both_write_inside_the_guard_window_Then_no_claimed_node_lies_under_a_reserved_line()
    {
        // A race is a matter of timing: three rounds, each on a fresh store, make a lucky interleaving less likely to hide a bug.
        for (var round = 0; round < 3; round++) await RaceOnceAsync();
    }

    private async Task RaceOnceAsync()
    {
        var (location, store) = await OpenAsync();
        await using var _ = store;
        await using var dealStore = await LessorStore.OpenAsync(location, None);
        var deals = await DealDesk.OpenAsync(dealStore, March2027, None);
        var claims = await ClaimDesk.OpenAsync(store, March2027, None);
        var signed = 0;
        var granted = 0;
        // Both sides start together; the signs ask for 12 of the 24 units and the claims hold at most 12 nodes at a time.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claimers = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            await go.Task;
            var mine = new List<ClaimId>();
            for (var i = 0; i < 10; i++)
            {
                if (mine.Count == 3)
                {
                    Assert.Equal(ReleaseOutcome.Released, await claims.ReleaseAsync(mine[0], None));
                    mine.RemoveAt(0);
                }
                var outcome = await claims.ClaimAsync(Ask(1), None);
                if (!outcome.Granted) continue;
                mine.Add(outcome.Claim!.Id);
                Interlocked.Increment(ref granted);
            }
        })).ToList();
        var signers = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            await go.Task;
            for (var i = 0; i < 3; i++)
            {
                var outcome = await deals.SignAsync(new SignRequest(OneLine(8, Utc.Date(2027, 3, 1).AddHours(6)), new ContractId($"race-{t}-{i}"), Utc.Date(2027, 3, 1), null), None);
                if (outcome.Signed) Interlocked.Increment(ref signed);
                else Assert.NotNull(outcome.Fit); // refused for room, never for an error
            }
        })).ToList();
        go.SetResult();
        await Task.WhenAll(claimers.Concat(signers));

        Assert.True(signed > 0, "no sign went through");
        Assert.True(granted > 0, "no claim was granted");
        await AssertNoClaimUnderReservedAsync(location);
    }

    [Fact]
    public async Task Given_a_claim_desk_on_the_deal_desks_book_When_the_deal_desk_and_another_process_sign_Then_claims_follow_both_without_a_ledger_of_their_own()
    {
        var (location, store) = await OpenAsync();
        await using var _ = store;
        var deals = await DealDesk.OpenAsync(store, March2027, None);
        var claims = await ClaimDesk.OpenAsync(deals, store, March2027, None);
        Assert.Equal(24, claims.FreeNodes(H100));

        // This process's deal desk fills a1 inside the window; the claim desk learns it from the desk's book.
        var filled = await deals.SignAsync(new SignRequest(OneLine(80, Utc.Date(2027, 3, 1), Locality.Fabric), new ContractId("zeta-1"), Utc.Date(2027, 3, 1), null), None);
        Assert.True(filled.Signed, filled.Error);
        var first = await claims.ClaimAsync(Ask(1), None);
        Assert.Equal(13, claims.FreeNodes(H100));
        Assert.NotEqual(new FabricId("a1"), Assert.Single(first.Claim!.Nodes).Fabric);

        // Another process signs b1 full: the deal desk catches up from the store when the claim desk asks for its book.
        await using var other = await LessorStore.OpenAsync(location, None);
        var otherDeals = await DealDesk.OpenAsync(other, March2027, None);
        var b1 = await otherDeals.SignAsync(new SignRequest(OneLine(64, Utc.Date(2027, 3, 1), Locality.Fabric), new ContractId("zeta-2"), Utc.Date(2027, 3, 1), null), None);
        Assert.True(b1.Signed, b1.Error);
        var second = await claims.ClaimAsync(Ask(1), None);

        Assert.True(second.Granted, second.Error);
        Assert.Equal(new FabricId("a2"), Assert.Single(second.Claim!.Nodes).Fabric);
        Assert.Equal(4, claims.FreeNodes(H100));
        Assert.Equal(2, deals.Scenario.Contracts.Count);
        await AssertNoClaimUnderReservedAsync(location);
    }
}

/// <summary>The claim desk suite on the embedded SQLite store.</summary>
public sealed class ClaimDeskOnSqlite() : ClaimDeskSuite(new StoreFactory.Sqlite());

/// <summary>The claim desk suite on a real PostgreSQL server.</summary>
public sealed class ClaimDeskOnPostgres() : ClaimDeskSuite(new StoreFactory.Postgres());
