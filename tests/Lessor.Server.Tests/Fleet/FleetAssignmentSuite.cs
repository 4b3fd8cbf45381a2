using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Server.Fleet;
using Lessor.Server.Tests.Desk;
using Lessor.Storage.Store;

namespace Lessor.Server.Tests.Fleet;

/// <summary>
/// Assignment over time (docs/fleet.md) through the real desks and store: lines that start later, end, are signed,
/// amended and cancelled, and deliveries accepted after the fleet was opened. SmallBook (fabrics a1, a2 and b1 of 8-GPU
/// nodes; one spare per fabric by the default policy), clock from 2027-03-01. Run on SQLite and PostgreSQL.
/// </summary>
public abstract class FleetAssignmentSuite(StoreFactory stores)
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly PlatformId H100 = new("h100-hgx");
    private static readonly DateTime March1 = Utc.Date(2027, 3, 1);
    private static readonly FabricId B1 = new("b1");

    private static Contract Contract(string id, string customer, FabricId fabric, int units, Period period, SlaTerms? sla = null) => new()
    {
        Id = new ContractId(id), Customer = new CustomerId(customer), SignedOn = Utc.Date(2026, 11, 1), Currency = Currency.Usd, Sla = sla,
        Lines =
        [
            new ContractLine
            {
                Id = new LineId("l1"), Platform = H100, Gpus = new GpuCount(8 * units), Period = period, PricePerGpuHour = Money.Usd(2.00m),
                Locality = Locality.Fabric, Pinned = [new PlacedBlock(fabric, units)],
            },
        ],
    };

    // zeta-1 holds a1's units 9..1 all of 2027 (as FleetDeskSuite); acme-1 takes two units of b1 from April to July, with an SLA.
    private static Scenario LaterLineBook() => SmallBook.Build() with
    {
        Contracts =
        [
            Contract("zeta-1", "zeta", new FabricId("a1"), 9, new Period(SmallBook.Y2027, SmallBook.Y2028)),
            Contract("acme-1", "acme", B1, 2, new Period(Utc.Date(2027, 4, 1), Utc.Date(2027, 7, 1)), new SlaTerms(0.999m, 0.10m, 0.50m)),
        ],
    };

    private async Task<(LessorStore Store, DealDesk Deals, FleetDesk Fleet, MovingClock Clock)> OpenAsync(Scenario book, DateTime now)
    {
        var store = await LessorStore.OpenAsync(await stores.CreateAsync(), None);
        await store.ImportAsync(book, None);
        var clock = new MovingClock(now);
        var deals = await DealDesk.OpenAsync(store, clock, None);
        var fleet = await FleetDesk.OpenAsync(deals, store, clock, null, None);
        return (store, deals, fleet, clock);
    }

    private static HealthReport Fail(string node, long seq, DateTime at) =>
        new(node, seq, at, [], [new HealthEvent(HealthEventKind.Xid, 0, 79, null, null)]);

    private static List<string> Serving(FleetDesk fleet, string contract) =>
        [.. fleet.Nodes(null, null, NodeRole.Serving).Where(n => n.Contract == contract).Select(n => n.Serial)];

    [Fact]
    public async Task Given_a_line_that_starts_after_the_fleet_opened_When_the_clock_passes_its_start_and_end_Then_nodes_are_assigned_count_in_its_availability_and_are_released()
    {
        var (store, _, fleet, clock) = await OpenAsync(LaterLineBook(), March1);
        await using var _ = store;
        Assert.Empty(Serving(fleet, "acme-1"));
        Assert.Equal("spare", fleet.View("b1-u00007-t00")!.Role);
        Assert.False(fleet.AssignmentDue(March1));
        Assert.False(fleet.AssignmentDue(Utc.Date(2027, 3, 31)));

        var april = Utc.Date(2027, 4, 1);
        clock.Now = april;
        Assert.True(fleet.AssignmentDue(april));
        var started = await fleet.ReassignAsync(None);
        Assert.Equal(["b1-u00005-t00", "b1-u00006-t00"], started.Changes.Select(c => c.Node));
        Assert.Equal(["b1-u00005-t00", "b1-u00006-t00"], Serving(fleet, "acme-1"));
        Assert.False(fleet.AssignmentDue(april));
        var events = await store.ListTransitionsAsync("b1-u00006-t00", 0, 10, None);
        var assigned = Assert.Single(events).Transition;
        Assert.Equal(("assigned to acme-1/l1 (line starts)", NodeState.InService, NodeState.InService, april), (assigned.Cause, assigned.From, assigned.To, assigned.At));

        // Its nodes now count for its availability: u6 falls off the bus (swapped for the spare u7: 15 min), then u5 (no
        // spare left: short from 01:00 until it is back at 11:00). Down 8 x 15 + 8 x 600 = 4,920 GPU-minutes.
        var day = Utc.Date(2027, 4, 10);
        clock.Now = day.AddHours(2);
        await fleet.ApplyAsync([Fail("b1-u00006-t00", 1, day), Fail("b1-u00005-t00", 1, day.AddHours(1))], None);
        Assert.Equal(("acme-1", 8), (Assert.Single(fleet.AtRisk()).Contract, fleet.AtRisk()[0].GpusShort));
        await fleet.ActAsync("b1-u00005-t00", NodeAction.StartRepair, day.AddHours(2), null, None);
        clock.Now = day.AddHours(11);
        await fleet.ActAsync("b1-u00005-t00", NodeAction.ReturnToService, day.AddHours(11), null, None);
        clock.Now = Utc.Date(2027, 5, 2);
        var sla = Assert.Single(await fleet.SlaAsync(new YearMonth(2027, 4), new CustomerId("acme"), None));
        Assert.Equal((16m * 30 * 1440, 4_920m), (sla.CommittedGpuMinutes, sla.DownGpuMinutes));
        Assert.Equal(Math.Round(1m - 4_920m / (16m * 30 * 1440), 9), Math.Round(sla.Availability, 9));

        var july = Utc.Date(2027, 7, 1);
        clock.Now = july;
        Assert.True(fleet.AssignmentDue(july));
        var ended = await fleet.ReassignAsync(None);
        Assert.Empty(Serving(fleet, "acme-1"));
        Assert.Equal(["b1-u00005-t00", "b1-u00007-t00"], ended.Changes.Select(c => c.Node));
        Assert.All(ended.Changes, c => Assert.Equal("released from acme-1/l1 (line ended)", c.Cause()));
        Assert.Equal("released from acme-1/l1 (line ended)", (await store.ListTransitionsAsync("b1-u00007-t00", 0, 1, None))[0].Transition.Cause);

        // What is stored is what the desk decided.
        var reopened = await FleetDesk.OpenAsync(await DealDesk.OpenAsync(store, clock, None), store, clock, null, None);
        Assert.Equal(("free", "spare"), (reopened.View("b1-u00007-t00")!.Role, reopened.View("b1-u00006-t00")!.Role));
    }

    [Fact]
    public async Task Given_a_contract_signed_to_start_next_month_When_it_starts_grows_and_is_cancelled_Then_its_nodes_follow_and_a_cancellation_releases_at_once()
    {
        var (store, deals, fleet, clock) = await OpenAsync(LaterLineBook(), March1);
        await using var _ = store;
        var may = Utc.Date(2027, 5, 1);
        var deal = new DealRequest(new CustomerId("zeta"), [new DealLine { Platform = H100, Gpus = new GpuCount(16), Period = new Period(may, Utc.Date(2027, 8, 1)), Locality = Locality.Fabric }]);
        var signed = await deals.SignAsync(new SignRequest(deal, new ContractId("zeta-2"), March1, null), None);
        Assert.True(signed.Signed, signed.Error);
        var fabric = signed.Contract!.Lines[0].Pinned[0].Fabric;
        Assert.True(fleet.AssignmentDue(March1));
        Assert.Empty((await fleet.ReassignAsync(None)).Changes); // signed, not started
        clock.Now = Utc.Date(2027, 4, 1);
        await fleet.ReassignAsync(None); // acme-1 starts (on b1)
        var free = fleet.Nodes(fabric, NodeState.InService, NodeRole.Free).Select(n => n.Serial).Order(StringComparer.Ordinal).ToList();
        Assert.False(fleet.AssignmentDue(may.AddTicks(-1)));

        clock.Now = may;
        Assert.True(fleet.AssignmentDue(may));
        await fleet.ReassignAsync(None);
        // The two highest free units of its fabric.
        Assert.Equal(free.TakeLast(2), Serving(fleet, "zeta-2"));

        clock.Now = may.AddDays(4);
        var grown = await deals.AmendAsync(new ContractId("zeta-2"), new LineId("L1"), may.AddDays(5), new GpuCount(32), null, None);
        Assert.True(grown.Applied, grown.Error);
        Assert.True(fleet.AssignmentDue(clock.Now));
        Assert.Empty((await fleet.ReassignAsync(None)).Changes); // the amendment takes effect tomorrow
        clock.Now = may.AddDays(5);
        Assert.True(fleet.AssignmentDue(clock.Now));
        var grow = await fleet.ReassignAsync(None);
        Assert.Equal(2, grow.Changes.Count);
        Assert.All(grow.Changes, c => Assert.Equal("assigned to zeta-2/L1 (line grows)", c.Cause()));
        Assert.Equal(4, Serving(fleet, "zeta-2").Count);

        clock.Now = may.AddDays(9);
        var cancelled = await deals.CancelAsync(new ContractId("zeta-2"), clock.Now, "test", None);
        Assert.True(cancelled.Applied, cancelled.Error);
        Assert.True(fleet.AssignmentDue(clock.Now));
        var released = await fleet.ReassignAsync(None);
        Assert.Empty(Serving(fleet, "zeta-2"));
        Assert.Equal(4, released.Changes.Count);
        Assert.All(released.Changes, c => Assert.StartsWith("released from zeta-2/L1 (contract cancelled)", c.Cause(_ => "contract cancelled"), StringComparison.Ordinal));
        var stored = await store.ListTransitionsAsync(released.Changes[0].Node, 0, 1, None);
        Assert.StartsWith("released from zeta-2/L1 (contract cancelled)", stored[0].Transition.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_deliveries_accepted_after_the_fleet_opened_When_accepted_by_the_deal_desk_or_the_burn_in_gate_Then_their_nodes_are_registered_and_assigned()
    {
        // acme-1 takes b1's ten units from March 1: d4's eight are accepted, d5's two (u8, u9) are only planned and d6's two
        // (u10, u11, due in April) were delivered early and wait for burn-in.
        var book = SmallBook.Build();
        book = book with
        {
            Deliveries =
            [
                .. book.Deliveries,
                new Delivery { Id = new DeliveryId("d5"), Fabric = B1, Units = 2, Status = DeliveryStatus.Planned, AcceptanceDate = Utc.Date(2027, 2, 1) },
                new Delivery { Id = new DeliveryId("d6"), Fabric = B1, Units = 2, Status = DeliveryStatus.Delivered, AcceptanceDate = Utc.Date(2027, 4, 1) },
            ],
            Contracts = [Contract("acme-1", "acme", B1, 10, new Period(March1, SmallBook.Y2028))],
        };
        var (store, deals, fleet, clock) = await OpenAsync(book, March1);
        await using var _ = store;
        Assert.Equal(8, Serving(fleet, "acme-1").Count);
        Assert.Null(fleet.View("b1-u00008-t00"));
        Assert.Equal(("burn_in", "free"), (fleet.View("b1-u00010-t00")!.State, fleet.View("b1-u00010-t00")!.Role));

        clock.Now = March1.AddDays(1);
        var accepted = await deals.AcceptDeliveryAsync(new DeliveryId("d5"), Utc.Date(2027, 2, 1), None);
        Assert.True(accepted.Applied, accepted.Error);
        Assert.True(fleet.AssignmentDue(clock.Now));
        var registered = await fleet.ReassignAsync(None);
        Assert.Equal(2, registered.NodesRegistered);
        Assert.Equal(["b1-u00008-t00", "b1-u00009-t00"], registered.Changes.Select(c => c.Node));
        Assert.All(registered.Changes, c => Assert.Equal("assigned to acme-1/l1 (line grows)", c.Cause()));
        Assert.Equal(10, Serving(fleet, "acme-1").Count);

        // The gate passes d6: its nodes enter service and, in the same transaction, the pool takes the higher one.
        clock.Now = March1.AddDays(2);
        var (field, error) = await fleet.BurnInAsync(new DeliveryId("d6"), true, "dcgmi diag -r 3: pass", None);
        Assert.Null(error ?? field);
        Assert.Equal(("in_service", "spare"), (fleet.View("b1-u00011-t00")!.State, fleet.View("b1-u00011-t00")!.Role));
        Assert.Equal(("in_service", "free"), (fleet.View("b1-u00010-t00")!.State, fleet.View("b1-u00010-t00")!.Role));
        var reopened = await FleetDesk.OpenAsync(deals, store, clock, null, None);
        Assert.Equal("spare", reopened.View("b1-u00011-t00")!.Role);
        Assert.Equal("to the spare pool (below policy)", (await store.ListTransitionsAsync("b1-u00011-t00", 0, 1, None))[0].Transition.Cause);
    }

    [Fact]
    public async Task Given_random_signs_amendments_cancellations_clock_moves_failures_and_repairs_When_the_fleet_reassigns_Then_its_invariants_hold_after_every_step()
    {
        int signs = 0, changed = 0;
        for (var seed = 1; seed <= 4; seed++)
        {
            var (store, deals, fleet, clock) = await OpenAsync(LaterLineBook(), March1);
            await using var _ = store;
            var rng = new Random(seed);
            var signed = new List<ContractId>();
            var seq = new Dictionary<string, long>();
            for (var step = 0; step < 25; step++)
            {
                var now = clock.Now;
                switch (rng.Next(6))
                {
                    case 0:
                        var start = now.AddDays(rng.Next(0, 40)).Date;
                        var deal = new DealRequest(new CustomerId(rng.Next(2) == 0 ? "acme" : "zeta"),
                            [new DealLine { Platform = H100, Gpus = new GpuCount(8 * rng.Next(1, 4)), Period = new Period(DateTime.SpecifyKind(start, DateTimeKind.Utc), DateTime.SpecifyKind(start.AddDays(rng.Next(20, 90)), DateTimeKind.Utc)), Locality = Locality.Fabric }]);
                        var outcome = await deals.SignAsync(new SignRequest(deal, null, now, null), None);
                        if (outcome.Signed) signed.Add(outcome.Contract!.Id);
                        break;
                    case 1 when signed.Count > 0:
                        var pick = signed[rng.Next(signed.Count)];
                        var c = deals.Scenario.Contracts.Single(x => x.Id == pick);
                        var line = c.Lines[0];
                        var effective = line.Period.Start > now ? line.Period.Start : now;
                        if (effective < line.Period.End) await deals.AmendAsync(c.Id, line.Id, effective, new GpuCount(8 * rng.Next(1, 5)), null, None);
                        break;
                    case 2 when signed.Count > 0:
                        await deals.CancelAsync(signed[rng.Next(signed.Count)], now, "random", None);
                        break;
                    case 3:
                        clock.Now = now.AddDays(rng.Next(1, 25)).AddHours(rng.Next(0, 24));
                        break;
                    case 4:
                        var up = fleet.Nodes(null, NodeState.InService, null);
                        var victim = up[rng.Next(up.Count)].Serial;
                        seq[victim] = seq.GetValueOrDefault(victim, up.First(n => n.Serial == victim).LastSeq) + 1;
                        await fleet.ApplyAsync([Fail(victim, seq[victim], now)], None);
                        break;
                    default:
                        var down = fleet.Nodes(null, NodeState.Failed, null);
                        if (down.Count == 0) break;
                        var fixedNode = down[rng.Next(down.Count)].Serial;
                        await fleet.ActAsync(fixedNode, NodeAction.StartRepair, now, null, None);
                        await fleet.ActAsync(fixedNode, NodeAction.ReturnToService, now, null, None);
                        break;
                }
                // What the background loop does each second.
                if (fleet.AssignmentDue(clock.Now)) changed += (await fleet.ReassignAsync(None)).Changes.Count;
                await CheckAsync(deals, fleet, clock.Now, $"seed {seed} step {step}");
            }
            signs += signed.Count;
        }
        // Not vacuous: contracts were signed and roles moved.
        Assert.True(signs > 0 && changed > 0, $"{signs} signs, {changed} role changes");
    }

    private static async Task CheckAsync(DealDesk deals, FleetDesk fleet, DateTime now, string where)
    {
        var nodes = fleet.Nodes(null, null, null);
        var atRisk = fleet.AtRisk();
        var shortNodes = atRisk.SelectMany(a => a.Nodes).ToHashSet(StringComparer.Ordinal);
        var placement = deals.PlacementAt(now);
        foreach (var fabric in nodes.GroupBy(n => n.Fabric))
        {
            var f = new FabricId(fabric.Key);
            foreach (var n in fabric.Where(n => n.Role == "serving"))
                Assert.True(n.State is "in_service" or "degraded", $"{where}: {n.Serial} serves while {n.State}");
            // Each line holds at most its placed units; fewer only with an outage for each missing node, or no node left to take.
            foreach (var line in fabric.Where(n => n.Role == "serving").Select(n => (n.Contract!, n.Line!)).Union(placement.Where(p => p.Fabric == f).Select(p => (p.Line.Contract.Value, p.Line.Line.Value))).Distinct())
            {
                var placed = placement.Where(p => p.Fabric == f && p.Line.Contract.Value == line.Item1 && p.Line.Line.Value == line.Item2).Sum(p => p.Units);
                var serving = fabric.Count(n => n.Role == "serving" && n.Contract == line.Item1 && n.Line == line.Item2);
                var shortGpus = atRisk.Where(a => a.Contract == line.Item1 && a.Line == line.Item2).Sum(a => a.Nodes.Count(s => s.StartsWith(fabric.Key + "-", StringComparison.Ordinal)) * 8);
                Assert.True(serving <= placed, $"{where}: {line} has {serving} nodes on {f}, placed {placed}");
                if (serving + shortGpus / 8 < placed)
                    Assert.True(!fabric.Any(n => n.Role == "free" && n.State != "burn_in") && !fabric.Any(n => n.Role == "spare" && !shortNodes.Contains(n.Serial)),
                        $"{where}: {line} has {serving} of {placed} units on {f} and {shortGpus / 8} outages while nodes are left");
            }
            // The pool (spares holding no line's place) never exceeds the policy: one spare per SmallBook fabric.
            var pool = fabric.Count(n => n.Role == "spare" && !shortNodes.Contains(n.Serial));
            Assert.True(pool <= 1, $"{where}: {pool} spares in {f}");
        }
        // Claims stay below every node that serves or waits as a spare.
        var claimable = (await deals.ClaimableBookAsync(now, None)).Claimable;
        foreach (var n in nodes.Where(n => n.Role != "free"))
            Assert.True(n.Unit >= claimable.GetValueOrDefault(new FabricId(n.Fabric)), $"{where}: {n.Serial} ({n.Role}) is claimable");
    }
}

/// <summary>The assignment suite on the embedded SQLite store.</summary>
public sealed class FleetAssignmentOnSqlite() : FleetAssignmentSuite(new StoreFactory.Sqlite());

/// <summary>The assignment suite on a real PostgreSQL server.</summary>
public sealed class FleetAssignmentOnPostgres() : FleetAssignmentSuite(new StoreFactory.Postgres());
