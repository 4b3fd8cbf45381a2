using Lessor.Core.Claims;
using Lessor.Core.Fleet;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Fleet;

/// <summary>Reassignment over time (docs/fleet.md, "Assignment over time"): hand-computed cases of lines starting, ending, growing and shrinking.</summary>
public class FleetReassignTests
{
    private static readonly DateTime T0 = Utc.Date(2027, 3, 1);
    private static readonly FabricId F = new("f1");
    private static readonly LineRef A = new(new ContractId("c1"), new LineId("l1"));
    private static readonly LineRef B = new(new ContractId("c2"), new LineId("l1"));

    // 8-GPU nodes: 100 GPU-hours between failures x 2.5 h lead time x k = 1 gives 2 spares for 10 nodes (80 GPUs: 80 / 100 x 2.5 = 2).
    private static readonly SparePoolPolicy TwoPerTen = new(100, 2.5, 1.0);

    // The default policy: one spare for any fabric below ~13,000 GPUs.
    private static readonly SparePoolPolicy One = new(50_700, 137.5, 1.5);

    private static FleetBook Book(int units, bool rack = false, Func<int, NodeState>? state = null)
    {
        var trays = rack ? 4 : 1;
        var nodes = new List<FleetNodeSpec>();
        for (var u = 0; u < units; u++)
            for (var t = 0; t < trays; t++)
                nodes.Add(new FleetNodeSpec(S(u, t), F, u, t, rack ? 4 : 8, rack, state?.Invoke(u) ?? NodeState.InService, T0));
        return new FleetBook(nodes, TimeSpan.FromMinutes(15));
    }

    private static string S(int unit, int tray = 0) => NodeInventory.Serial(new NodeId(F, unit, tray));

    private static PlacedLine[] Place(params (LineRef Line, int Units)[] lines) => [.. lines.Select(l => new PlacedLine(F, l.Line, l.Units))];

    private static HealthReport Report(string node, long seq, DateTime at, int xid) =>
        new(node, seq, at, [], [new HealthEvent(HealthEventKind.Xid, 0, xid, null, null)]);

    private static string Roles(FleetBook book) =>
        string.Join(" ", book.Serials.Select(s => book.Role(s) switch
        {
            NodeRole.Serving => book.LineOf(s) == A ? "A" : "B",
            NodeRole.Spare => "s",
            _ => ".",
        }));

    [Fact]
    public void Given_free_nodes_When_a_line_starts_Then_it_takes_the_top_units_the_pool_fills_below_and_a_second_pass_changes_nothing()
    {
        var book = Book(10);
        var r = book.Reassign(T0, Place((A, 3)), TwoPerTen);
        Assert.Equal(". . . . . s s A A A", Roles(book));
        Assert.Equal(5, r.Roles.Count);
        var top = r.Roles.Single(c => c.Node == S(9));
        Assert.Equal((NodeRole.Free, NodeRole.Serving, (LineRef?)A), (top.FromRole, top.ToRole, top.ToLine));
        Assert.Equal("assigned to c1/l1 (line starts)", top.Cause());
        Assert.Equal("to the spare pool (below policy)", r.Roles.Single(c => c.Node == S(6)).Cause());
        Assert.Empty(r.Unfilled);

        Assert.True(book.Reassign(T0.AddHours(1), Place((A, 3)), TwoPerTen).IsEmpty);
    }

    [Fact]
    public void Given_a_running_line_When_it_ends_or_is_cancelled_Then_its_nodes_are_released_to_free_and_the_pool_stays()
    {
        var book = Book(10);
        book.Reassign(T0, Place((A, 3)), TwoPerTen);
        var r = book.Reassign(T0.AddDays(30), [], TwoPerTen);
        Assert.Equal(". . . . . s s . . .", Roles(book));
        Assert.Equal([S(7), S(8), S(9)], r.Roles.Select(c => c.Node));
        Assert.All(r.Roles, c => Assert.Equal((NodeRole.Serving, NodeRole.Free), (c.FromRole, c.ToRole)));
        Assert.Equal("released from c1/l1 (contract cancelled)", r.Roles[0].Cause(_ => "contract cancelled"));
        Assert.Equal("released from c1/l1 (line ended)", r.Roles[0].Cause());
    }

    [Fact]
    public void Given_a_line_When_an_amendment_grows_it_and_another_shrinks_it_Then_kept_nodes_stay_new_ones_are_free_first_and_the_lowest_leave()
    {
        var book = Book(10);
        book.Reassign(T0, Place((A, 3)), TwoPerTen);
        var grow = book.Reassign(T0.AddDays(10), Place((A, 5)), TwoPerTen);
        // u9..u7 kept; the two highest free units (u4, u3) join; the spares u6, u5 stay spares.
        Assert.Equal(". . . A A s s A A A", Roles(book));
        Assert.Equal([S(3), S(4)], grow.Roles.Select(c => c.Node));
        Assert.All(grow.Roles, c => Assert.Equal("assigned to c1/l1 (line grows)", c.Cause()));

        var shrink = book.Reassign(T0.AddDays(20), Place((A, 2)), TwoPerTen);
        Assert.Equal(". . . . . s s . A A", Roles(book));
        Assert.Equal([S(3), S(4), S(7)], shrink.Roles.Select(c => c.Node));
        Assert.All(shrink.Roles, c => Assert.Equal("released from c1/l1 (line shrank)", c.Cause()));
    }

    [Fact]
    public void Given_a_degraded_serving_node_When_its_line_ends_Then_its_degraded_outage_ends_at_that_instant()
    {
        var book = Book(4);
        book.Reassign(T0, Place((A, 2)), One);
        var degraded = book.Apply(Report(S(3), 1, T0.AddHours(1), 94), HealthRules.Default);
        Assert.True(Assert.Single(degraded.Outages).Degraded);
        var end = T0.AddDays(3);
        var r = book.Reassign(end, [], One);
        var closed = Assert.Single(r.Change.Outages);
        Assert.Equal((S(3), T0.AddHours(1), (DateTime?)end), (closed.Node, closed.Start, closed.End));
        Assert.Empty(book.OpenOutages);
        Assert.Equal(NodeRole.Free, book.Role(S(3)));
    }

    [Fact]
    public void Given_no_free_node_When_a_second_line_starts_Then_it_takes_the_free_unit_then_a_spare_and_the_pool_keeps_what_is_left()
    {
        var book = Book(4);
        var two = new SparePoolPolicy(100, 6.25, 1.0); // 32 GPUs: 32 / 100 x 6.25 = 2 spares
        book.Reassign(T0, Place((A, 1)), two);
        Assert.Equal(". s s A", Roles(book));

        var r = book.Reassign(T0.AddDays(1), Place((A, 1), (B, 2)), two);
        // B: the free u0 first, then the highest spare u2; the pool keeps u1 (no free unit left to top it up).
        Assert.Equal("B s B A", Roles(book));
        Assert.Equal([(S(0), NodeRole.Free), (S(2), NodeRole.Spare)], r.Roles.Select(c => (c.Node, c.FromRole)));
        Assert.All(r.Roles, c => Assert.Equal("assigned to c2/l1 (line starts)", c.Cause()));
        Assert.Equal(1, book.SparePool(F));
    }

    [Fact]
    public void Given_a_line_short_of_a_failed_node_When_another_line_ends_Then_the_freed_node_fills_the_shortfall_and_the_pool_sheds_a_failed_node()
    {
        var book = Book(4);
        book.Reassign(T0, Place((A, 2), (B, 1)), One);
        Assert.Equal("s B A A", Roles(book));
        book.Apply(Report(S(3), 1, T0.AddHours(1), 79), HealthRules.Default); // swapped for the spare u0
        var shortNow = book.Apply(Report(S(2), 1, T0.AddHours(2), 79), HealthRules.Default);
        Assert.Null(Assert.Single(shortNow.Swaps).Spare);
        Assert.Equal(S(2), Assert.Single(book.Shortfalls).Node);

        var at = T0.AddDays(1);
        var r = book.Reassign(at, Place((A, 2)), One);
        Assert.Equal(new SwapDecision(A, S(2), S(1), at, "reassignment: a healthy node took the place"), Assert.Single(r.Change.Swaps));
        Assert.Equal(at, Assert.Single(r.Change.Outages).End);
        Assert.Empty(book.Shortfalls);
        var moved = r.Roles.Single(c => c.Node == S(1));
        Assert.Equal("released from c2/l1 (line ended); assigned to c1/l1 (fills its shortfall)", moved.Cause());
        // Pool: u3 and u2 (both failed) for a policy of one: the lower one leaves.
        Assert.Equal("A A . s", Roles(book));
        Assert.Equal("out of the spare pool (above policy)", r.Roles.Single(c => c.Node == S(2)).Cause());
    }

    [Fact]
    public void Given_only_failed_nodes_left_When_a_line_starts_Then_the_failed_node_holds_its_place_the_line_is_short_and_the_repair_fills_it()
    {
        var book = Book(2, state: u => u == 1 ? NodeState.Failed : NodeState.InService);
        var r = book.Reassign(T0, Place((A, 2)), One);
        Assert.Equal((NodeRole.Serving, NodeRole.Spare), (book.Role(S(0)), book.Role(S(1))));
        var outage = Assert.Single(book.Shortfalls);
        Assert.Equal((A, S(1), T0, "failed when assigned"), (outage.Line, outage.Node, outage.Start, outage.Cause));
        Assert.Equal("holds a place of c1/l1 while not serving (line short)", r.Roles.Single(c => c.Node == S(1)).Cause());

        book.Act(S(1), NodeAction.StartRepair, T0.AddHours(1));
        var back = book.Act(S(1), NodeAction.ReturnToService, T0.AddHours(5)).Change;
        Assert.Equal(S(1), Assert.Single(back.Swaps).Spare);
        Assert.Equal((NodeRole.Serving, (LineRef?)A), (book.Role(S(1)), book.LineOf(S(1))));
        Assert.Empty(book.Shortfalls);
    }

    [Fact]
    public void Given_units_in_burn_in_When_a_line_needs_them_Then_they_are_never_taken_and_the_rest_is_unfilled()
    {
        var book = Book(3, state: u => u == 2 ? NodeState.BurnIn : NodeState.InService);
        var r = book.Reassign(T0, Place((A, 3)), One);
        Assert.Equal(NodeRole.Free, book.Role(S(2)));
        Assert.Equal(new Unfilled(F, A, 1), Assert.Single(r.Unfilled));
        Assert.Empty(book.OpenOutages);
    }

    [Fact]
    public void Given_a_rack_scale_fabric_When_a_line_starts_grows_and_shrinks_Then_it_holds_whole_racks_and_leaves_the_one_with_a_down_tray()
    {
        var book = Book(3, rack: true);
        book.Reassign(T0, Place((A, 1)), One); // 48 GPUs: one spare node, a whole rack of 4 trays
        Assert.Equal(". . . . s s s s A A A A", Roles(book));
        book.Apply(Report(S(2, 1), 1, T0.AddHours(1), 79), HealthRules.Default); // no spare tray in rack 2: short
        Assert.Equal(S(2, 1), Assert.Single(book.Shortfalls).Node);

        var grow = book.Reassign(T0.AddDays(1), Place((A, 2)), One);
        Assert.Equal("A A A A s s s s A s A A", Roles(book));
        Assert.Equal([S(0, 0), S(0, 1), S(0, 2), S(0, 3)], grow.Roles.Select(c => c.Node));

        var at = T0.AddDays(2);
        var shrink = book.Reassign(at, Place((A, 1)), One);
        Assert.Equal("A A A A s s s s . . . .", Roles(book));
        Assert.Equal([S(2, 0), S(2, 1), S(2, 2), S(2, 3)], shrink.Roles.Select(c => c.Node));
        Assert.Equal(at, Assert.Single(shrink.Change.Outages).End);
        Assert.Empty(book.Shortfalls);
    }
}
