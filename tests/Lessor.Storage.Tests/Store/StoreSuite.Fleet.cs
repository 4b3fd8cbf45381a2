using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

public abstract partial class StoreSuite
{
    private static readonly DateTime FleetT0 = Utc.Date(2027, 3, 1);

    // The fleet writes of these tests hold the fleet lease (from FleetT0, for an hour): every fleet write is fenced.
    private static async Task<(LessorStore Store, Scenario Book, LeaseFence Fence)> FleetStoreAsync(StoreSuite suite)
    {
        var book = ScenarioBuilder.Full();
        var store = await suite.OpenAsync();
        await store.ImportAsync(book, None);
        var epoch = await store.TryAcquireOrRenewAsync("fleet", "fleet-test", null, TimeSpan.FromHours(1), FleetT0, None);
        var fence = new LeaseFence("fleet", "fleet-test", epoch!.Value, FleetT0);
        var fabric = book.Fabrics[0].Id;
        var nodes = Enumerable.Range(0, 3).Select(u => (new FleetNodeSpec($"{fabric}-u{u:D5}-t00", fabric, u, 0, 8, false, NodeState.InService, FleetT0)
        {
            Role = u == 2 ? NodeRole.Serving : u == 1 ? NodeRole.Spare : NodeRole.Free,
            Line = u == 2 ? new LineRef(book.Contracts[0].Id, book.Contracts[0].Lines[0].Id) : null,
        }, book.Deliveries[0].Id)).ToList();
        Assert.Equal(3, await store.RegisterNodesAsync(nodes, fence, None));
        Assert.Equal(0, await store.RegisterNodesAsync(nodes, fence, None));
        return (store, book, fence);
    }

    [Fact]
    public async Task Given_a_fleet_When_a_batch_with_a_failure_and_its_swap_is_written_Then_nodes_transitions_swaps_and_outages_read_back()
    {
        var (store, book, fence) = await FleetStoreAsync(this);
        await using var _ = store;
        var snapshot = await store.ReadFleetAsync(None);
        var fleet = new FleetBook(snapshot.Nodes, TimeSpan.FromMinutes(15), snapshot.NextId, snapshot.OpenOutages);
        var failed = snapshot.Nodes[2].Serial;
        var change = fleet.Apply(new HealthReport(failed, 7, FleetT0.AddHours(1), [], [new HealthEvent(HealthEventKind.Xid, 0, 79, null, null)]), HealthRules.Default);
        var rows = snapshot.Nodes.Select(n => n.Serial).Select(s => new FleetNodeRow(s, fleet.Health(s).State, fleet.Health(s).Since, fleet.Health(s).LastSeq,
            fleet.Health(s).Applied, fleet.Role(s), fleet.LineOf(s))).ToList();
        var id = snapshot.NextId;
        await store.WriteFleetAsync(new FleetWrite(rows, [.. change.Transitions.Select(t => (id++, t))], [.. change.Swaps.Select(s => (id++, s))], change.Outages, FleetT0.AddHours(1)), fence, None);

        var again = await store.ReadFleetAsync(None);
        var node = again.Nodes.Single(n => n.Serial == failed);
        Assert.Equal((NodeState.Failed, 7L, 1L, NodeRole.Spare), (node.State, node.LastSeq, node.Applied, node.Role));
        Assert.Equal(NodeRole.Serving, again.Nodes.Single(n => n.Serial == snapshot.Nodes[1].Serial).Role);
        Assert.Equal(book.Deliveries[0].Id, again.Deliveries[failed]);
        Assert.Empty(again.OpenOutages);
        Assert.True(again.NextId > id - 1);
        var t = Assert.Single(await store.ListTransitionsAsync(failed, 0, 10, None));
        Assert.Equal(NodeState.Failed, t.Transition.To);
        Assert.Equal(FleetT0.AddHours(1), t.Transition.At);
        var swap = Assert.Single(await store.ListSwapsAsync(0, 10, None));
        Assert.Equal(change.Swaps[0], swap.Swap);
        var outage = Assert.Single(await store.ListOutagesAsync(new YearMonth(2027, 3).Period, None));
        Assert.Equal(change.Outages[0], outage);
        Assert.Empty(await store.ListOutagesAsync(new YearMonth(2027, 4).Period, None));
    }

    [Fact]
    public async Task Given_an_sla_month_with_a_credit_When_written_twice_Then_one_credit_lands_on_the_next_month_with_its_evidence()
    {
        var (store, book, fence) = await FleetStoreAsync(this);
        await using var _ = store;
        var contract = book.Contracts[0];
        var month = new YearMonth(2027, 3);
        var line = new LineRef(contract.Id, contract.Lines[0].Id);
        var outage = new Outage(1, line, $"{book.Fabrics[0].Id}-u00002-t00", 8, false, FleetT0, FleetT0.AddDays(10), "xid 79");
        // 100 GPUs all March (4,464,000 GPU-minutes), 8 down 10 days (115,200): 97.4%, far below target: the cap.
        var sla = SlaEngine.Month(contract, month, 100m * 44_640, [outage], [], new Money(100_000m, contract.Currency));
        Assert.True(sla.Credit.Amount > 0);
        var credit = new Credit(contract.Customer, month.Next, sla.Credit, "SLA credit for 2027-03") { Contract = contract.Id };

        Assert.True(await store.WriteSlaMonthAsync(sla, "sla:c1:2027-03", credit, FleetT0.AddMonths(1), fence, None));
        Assert.False(await store.WriteSlaMonthAsync(sla, "sla:c1:2027-03", credit, FleetT0.AddMonths(1).AddHours(1), fence, None));

        var stored = Assert.Single(await store.ListSlaMonthsAsync(month, None));
        Assert.Equal((sla.Availability, "sla:c1:2027-03"), (stored.Availability, stored.CreditId));
        var applied = Assert.Single(await store.ListCreditsAsync(month.Next, None));
        Assert.Equal(credit, applied);
        Assert.Empty(await store.ListCreditsAsync(month, None));
    }

    [Fact]
    public async Task Given_maintenance_and_burn_in_When_recorded_twice_Then_the_first_is_kept()
    {
        var (store, book, fence) = await FleetStoreAsync(this);
        await using var _ = store;
        var window = new MaintenanceWindow("m1", book.Fabrics[0].Id, ["a", "b"], new Period(FleetT0.AddDays(10), FleetT0.AddDays(10).AddHours(4)), FleetT0, "firmware");
        Assert.True(await store.AddMaintenanceAsync(window, fence, None));
        Assert.False(await store.AddMaintenanceAsync(window with { Reason = "other" }, fence, None));
        var read = Assert.Single(await store.ListMaintenanceAsync(new YearMonth(2027, 3).Period, None));
        Assert.Equal((window.Id, window.Period, window.AnnouncedAt, "firmware"), (read.Id, read.Period, read.AnnouncedAt, read.Reason));
        Assert.Equal(["a", "b"], read.Nodes);

        var burn = new BurnInResult(book.Deliveries[0].Id, true, FleetT0, "72 h stress: 0 xid");
        Assert.True(await store.RecordBurnInAsync(burn, fence, None));
        Assert.False(await store.RecordBurnInAsync(burn with { Passed = false }, fence, None));
        Assert.Equal(burn, await store.FindBurnInAsync(book.Deliveries[0].Id, None));
    }
}
