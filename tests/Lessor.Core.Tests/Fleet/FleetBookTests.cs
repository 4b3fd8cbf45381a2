using Lessor.Core.Fleet;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Fleet;

/// <summary>Assignment, automatic swaps to spares, shortfalls and their end (docs/fleet.md).</summary>
public class FleetBookTests
{
    private static readonly DateTime T0 = Utc.Date(2027, 3, 1);
    private static readonly FabricId F = new("f1");
    private static readonly LineRef L = new(new ContractId("c1"), new LineId("l1"));

    /// <summary>HGX: <paramref name="units"/> units of one 8-GPU node each; rack: units of 4 trays.</summary>
    private static FleetBook Book(int units, bool rack = false)
    {
        var trays = rack ? 4 : 1;
        var nodes = new List<FleetNodeSpec>();
        for (var u = 0; u < units; u++)
            for (var t = 0; t < trays; t++)
                nodes.Add(new FleetNodeSpec(NodeInventory.Serial(new Lessor.Core.Claims.NodeId(F, u, t)), F, u, t, rack ? 4 : 8, rack, NodeState.InService, T0));
        return new FleetBook(nodes, TimeSpan.FromMinutes(15));
    }

    private static HealthReport Fail(string node, long seq, DateTime at) =>
        new(node, seq, at, [], [new HealthEvent(HealthEventKind.Xid, 0, 79, null, null)]);

    [Fact]
    public void Given_lines_and_spares_When_assigning_Then_lines_take_the_top_units_spares_the_next_and_claims_keep_the_bottom()
    {
        var book = Book(6);
        book.Assign(F, [(L, 3)], 2);
        Assert.Equal(NodeRole.Serving, book.Role("f1-u00005-t00"));
        Assert.Equal(NodeRole.Serving, book.Role("f1-u00003-t00"));
        Assert.Equal(NodeRole.Spare, book.Role("f1-u00002-t00"));
        Assert.Equal(NodeRole.Spare, book.Role("f1-u00001-t00"));
        Assert.Equal(NodeRole.Free, book.Role("f1-u00000-t00"));
        Assert.Equal(2, book.SparesLeft(F));
    }

    [Fact]
    public void Given_a_serving_node_that_fails_When_a_spare_is_left_Then_the_lowest_spare_takes_over_and_the_line_is_short_only_for_the_swap()
    {
        var book = Book(6);
        book.Assign(F, [(L, 3)], 2);
        var at = T0.AddHours(5);
        var change = book.Apply(Fail("f1-u00004-t00", 1, at), HealthRules.Default);
        var swap = Assert.Single(change.Swaps);
        Assert.Equal(new SwapDecision(L, "f1-u00004-t00", "f1-u00001-t00", at, "xid 79 on gpu 0: GPU has fallen off the bus"), swap);
        Assert.Equal(NodeRole.Serving, book.Role("f1-u00001-t00"));
        Assert.Equal(L, book.LineOf("f1-u00001-t00"));
        Assert.Equal(NodeRole.Spare, book.Role("f1-u00004-t00"));
        Assert.Equal(1, book.SparesLeft(F));
        var outage = Assert.Single(change.Outages);
        Assert.Equal((at, at.AddMinutes(15), 8), (outage.Start, outage.End!.Value, outage.Gpus));
        Assert.Empty(book.OpenOutages);
    }

    [Fact]
    public void Given_no_spare_left_When_a_serving_node_fails_Then_the_line_is_short_until_a_repaired_node_fills_it()
    {
        var book = Book(4);
        book.Assign(F, [(L, 3)], 1);
        book.Apply(Fail("f1-u00003-t00", 1, T0.AddHours(1)), HealthRules.Default);
        var change = book.Apply(Fail("f1-u00002-t00", 1, T0.AddHours(2)), HealthRules.Default);
        Assert.Null(Assert.Single(change.Swaps).Spare);
        var open = Assert.Single(book.OpenOutages);
        Assert.Equal("f1-u00002-t00", open.Node);
        Assert.Equal(0, book.SparesLeft(F));

        book.Act("f1-u00002-t00", NodeAction.StartRepair, T0.AddHours(3));
        var back = book.Act("f1-u00002-t00", NodeAction.ReturnToService, T0.AddHours(12)).Change;
        Assert.Equal("f1-u00002-t00", Assert.Single(back.Swaps).Spare);
        Assert.Equal(T0.AddHours(12), Assert.Single(back.Outages).End);
        Assert.Equal(NodeRole.Serving, book.Role("f1-u00002-t00"));
        Assert.Empty(book.OpenOutages);
    }

    [Fact]
    public void Given_a_rack_scale_fabric_When_a_tray_fails_Then_only_a_spare_tray_of_the_same_rack_may_replace_it()
    {
        var book = Book(3, rack: true);
        book.Assign(F, [(L, 1)], 1); // unit 2 serves, unit 1 holds 4 spare trays
        var change = book.Apply(Fail("f1-u00002-t01", 1, T0.AddHours(1)), HealthRules.Default);
        Assert.Null(Assert.Single(change.Swaps).Spare);
        Assert.Equal(4, book.SparesLeft(F));
    }

    [Fact]
    public void Given_a_degraded_serving_node_When_it_recovers_Then_a_degraded_outage_covers_exactly_that_time_and_no_swap_happens()
    {
        var book = Book(2);
        book.Assign(F, [(L, 1)], 1);
        var at = T0.AddHours(1);
        var c1 = book.Apply(new HealthReport("f1-u00001-t00", 1, at, [], [new HealthEvent(HealthEventKind.Xid, 0, 74, null, null)]), HealthRules.Default);
        Assert.Empty(c1.Swaps);
        Assert.True(Assert.Single(c1.Outages).Degraded);
        FleetChange? last = null;
        for (var i = 1; i <= 90; i++) last = book.Apply(new HealthReport("f1-u00001-t00", 1 + i, at.AddSeconds(10 * i), [], []), HealthRules.Default);
        Assert.Equal(at.AddMinutes(15), Assert.Single(last!.Outages).End);
        Assert.Equal(NodeRole.Serving, book.Role("f1-u00001-t00"));
    }
}
