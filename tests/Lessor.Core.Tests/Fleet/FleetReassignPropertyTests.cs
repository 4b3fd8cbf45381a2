using CsCheck;
using Lessor.Core.Fleet;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Fleet;

/// <summary>Random fleets, random placements over time mixed with failures and repairs: reassignment's invariants after every pass.</summary>
public class FleetReassignPropertyTests
{
    private static readonly DateTime T0 = Utc.Date(2027, 6, 1);
    private static readonly SparePoolPolicy Policy = new(400, 10, 1.0); // 8-GPU nodes: one spare per 5 nodes

    [Fact]
    public void Given_random_placements_failures_and_repairs_When_reassigning_Then_lines_hold_at_most_their_units_in_whole_units_stay_put_and_shortfalls_are_outages()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var specs = new List<FleetNodeSpec>();
            var fabrics = new List<(FabricId Id, int Units, int Trays)>();
            for (var f = 0; f < rng.Next(1, 3); f++)
            {
                var fabric = new FabricId($"f{f}");
                var rack = rng.Next(3) == 0;
                var trays = rack ? 3 : 1;
                var units = rng.Next(2, 9);
                fabrics.Add((fabric, units, trays));
                for (var u = 0; u < units; u++)
                {
                    var burnIn = rng.Next(8) == 0;
                    for (var t = 0; t < trays; t++)
                        specs.Add(new FleetNodeSpec($"f{f}-u{u:D5}-t{t:D2}", fabric, u, t, rack ? 4 : 8, rack, burnIn ? NodeState.BurnIn : NodeState.InService, T0));
                }
            }
            var lines = Enumerable.Range(0, 3).Select(k => new LineRef(new ContractId($"c{k}"), new LineId("l1"))).ToArray();
            var book = new FleetBook(specs, TimeSpan.FromMinutes(15));
            var placement = new List<PlacedLine>();
            var seq = specs.ToDictionary(s => s.Serial, _ => 0L);
            var now = T0;
            for (var step = 0; step < 60; step++)
            {
                now = now.AddMinutes(rng.Next(1, 600));
                var node = specs[rng.Next(specs.Count)].Serial;
                switch (rng.Next(5))
                {
                    case 0:
                    case 1:
                        var before = placement;
                        placement = [.. from f in fabrics from l in lines let units = rng.Next(0, f.Units + 1) where units > 0 && rng.Next(2) == 0 select new PlacedLine(f.Id, l, units)];
                        var serving = specs.Where(s => book.Role(s.Serial) == NodeRole.Serving).ToDictionary(s => s.Serial, s => (s.Fabric, Line: book.LineOf(s.Serial)!.Value));
                        var result = book.Reassign(now, placement, Policy);
                        Check(book, specs, fabrics, placement, result, seed, step);
                        // Stability: a line not placed with fewer units on a fabric keeps every node it had there.
                        foreach (var (serial, (fabric, line)) in serving)
                        {
                            if (Units(placement, fabric, line) < Units(before, fabric, line)) continue;
                            Assert.True(book.Role(serial) == NodeRole.Serving && book.LineOf(serial) == line, $"seed {seed} step {step}: {serial} left {line} that did not shrink");
                        }
                        // Minimal: the same placement at the same instant changes nothing more.
                        Assert.True(book.Reassign(now, placement, Policy).IsEmpty, $"seed {seed} step {step}: a second pass changed roles");
                        break;
                    case 2:
                        book.Apply(new HealthReport(node, ++seq[node], now, [], [new HealthEvent(HealthEventKind.Xid, 0, 79, null, null)]), HealthRules.Default);
                        break;
                    case 3:
                        book.Apply(new HealthReport(node, ++seq[node], now, [], [new HealthEvent(HealthEventKind.Xid, 0, 94, null, null)]), HealthRules.Default);
                        break;
                    default:
                        book.Act(node, NodeAction.StartRepair, now);
                        book.Act(node, NodeAction.ReturnToService, now);
                        break;
                }
                foreach (var s in specs)
                    if (book.Role(s.Serial) == NodeRole.Serving)
                        Assert.True(FleetText.Serves(book.Health(s.Serial).State), $"seed {seed} step {step}: {s.Serial} serves while {book.Health(s.Serial).State}");
            }
        }, iter: 200);
    }

    private static int Units(IEnumerable<PlacedLine> placement, FabricId fabric, LineRef line) => placement.Where(p => p.Fabric == fabric && p.Line == line).Sum(p => p.Units);

    private static void Check(FleetBook book, List<FleetNodeSpec> specs, List<(FabricId Id, int Units, int Trays)> fabrics, List<PlacedLine> placement, Reassignment result, int seed, int step)
    {
        var shorts = book.Shortfalls.ToList();
        foreach (var (fabric, units, trays) in fabrics)
        {
            var nodes = specs.Where(s => s.Fabric == fabric).ToList();
            // The units each line holds: its serving nodes' and the units of nodes that hold its places while down.
            var holders = new Dictionary<int, HashSet<LineRef>>();
            var places = new Dictionary<LineRef, int>();
            foreach (var s in nodes.Where(s => book.Role(s.Serial) == NodeRole.Serving))
            {
                var line = book.LineOf(s.Serial)!.Value;
                (holders.TryGetValue(s.Unit, out var h) ? h : (holders[s.Unit] = [])).Add(line);
                if (trays == 1) places[line] = places.GetValueOrDefault(line) + 1;
            }
            foreach (var o in shorts.Where(o => book.Spec(o.Node).Fabric == fabric))
            {
                var unit = book.Spec(o.Node).Unit;
                if (book.Role(o.Node) != NodeRole.Serving) (holders.TryGetValue(unit, out var h) ? h : (holders[unit] = [])).Add(o.Line);
                if (trays == 1) places[o.Line] = places.GetValueOrDefault(o.Line) + 1;
            }
            if (trays > 1)
            {
                foreach (var (unit, held) in holders)
                {
                    Assert.True(held.Count == 1, $"seed {seed} step {step}: rack {fabric}/{unit} is held by {held.Count} lines");
                    places[held.First()] = places.GetValueOrDefault(held.First()) + 1;
                }
            }
            var eligible = Enumerable.Range(0, units).Count(u => !holders.ContainsKey(u) && nodes.Where(s => s.Unit == u).All(s => book.Health(s.Serial).State != NodeState.BurnIn));
            foreach (var (line, held) in places)
                Assert.True(held <= Units(placement, fabric, line), $"seed {seed} step {step}: {line} holds {held} units of {fabric}, placed {Units(placement, fabric, line)}");
            foreach (var line in placement.Where(p => p.Fabric == fabric).Select(p => p.Line).Distinct())
            {
                var missing = Units(placement, fabric, line) - places.GetValueOrDefault(line);
                if (missing == 0) continue;
                // Short of units with no outage only when no unit is left to take (burn-in or held): reported as unfilled.
                Assert.True(eligible == 0, $"seed {seed} step {step}: {line} misses {missing} units of {fabric} while {eligible} could take them");
                Assert.Contains(new Unfilled(fabric, line, missing), result.Unfilled);
            }
            // The pool (spare units no line holds: a rack's failed tray swapped out stays in its line's rack) never exceeds the policy.
            var carriers = shorts.Select(o => o.Node).ToHashSet();
            var pool = nodes.Where(s => book.Role(s.Serial) == NodeRole.Spare && !carriers.Contains(s.Serial) && !holders.ContainsKey(s.Unit)).Select(s => s.Unit).Distinct().Count();
            var gpus = nodes.Where(s => book.Health(s.Serial).State is not (NodeState.BurnIn or NodeState.Retired)).Sum(s => s.Gpus);
            var target = Policy.Units(gpus, nodes[0].Gpus, trays);
            Assert.True(pool <= target, $"seed {seed} step {step}: {pool} spare units in {fabric}, policy {target}");
        }
    }
}
