using CsCheck;
using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Fleet;

/// <summary>Random fleets, random reports and operator actions, the invariants checked after every step.</summary>
public class FleetPropertyTests
{
    private static readonly DateTime T0 = Utc.Date(2027, 6, 1);
    private static readonly int[] Codes = [0, 13, 48, 63, 64, 74, 79, 94, 95, 119, 120];

    [Fact]
    public void Given_random_reports_and_actions_When_applied_Then_roles_lines_retirement_availability_and_credits_keep_their_invariants()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var fabrics = rng.Next(1, 3);
            var specs = new List<FleetNodeSpec>();
            var lines = new List<(FabricId F, LineRef L, int Units)>();
            var spares = new Dictionary<FabricId, int>();
            for (var f = 0; f < fabrics; f++)
            {
                var fabric = new FabricId($"f{f}");
                var rack = rng.Next(3) == 0;
                var units = rng.Next(1, 6);
                for (var u = 0; u < units; u++)
                    for (var t = 0; t < (rack ? 3 : 1); t++)
                        specs.Add(new FleetNodeSpec($"f{f}-u{u:D5}-t{t:D2}", fabric, u, t, rack ? 4 : 8, rack, rng.Next(8) == 0 ? NodeState.BurnIn : NodeState.InService, T0));
                var serving = rng.Next(0, units + 1);
                if (serving > 0) lines.Add((fabric, new LineRef(new ContractId($"c{f}"), new LineId("l")), serving));
                spares[fabric] = rng.Next(0, units - serving + 1);
            }
            var book = new FleetBook(specs, TimeSpan.FromMinutes(rng.Next(0, 30)));
            foreach (var g in specs.Select(s => s.Fabric).Distinct())
                book.Assign(g, [.. lines.Where(l => l.F == g).Select(l => (l.L, l.Units))], spares[g]);
            var assigned = lines.ToDictionary(l => l.L, l => specs.Where(s => s.Fabric == l.F).Count(s => book.Role(s.Serial) == NodeRole.Serving && book.LineOf(s.Serial) == l.L));
            var outages = new Dictionary<long, Outage>();
            foreach (var o in book.Settle(T0).Outages) outages[o.Id] = o;
            var retired = new HashSet<string>();
            var seq = specs.ToDictionary(s => s.Serial, _ => 0L);
            var now = T0;
            var rules = HealthRules.Default with { CleanReportsToRecover = rng.Next(1, 4), QuietPeriod = TimeSpan.FromMinutes(rng.Next(0, 20)) };
            for (var step = 0; step < 200; step++)
            {
                now = now.AddMinutes(rng.Next(1, 120));
                var node = specs[rng.Next(specs.Count)].Serial;
                FleetChange change;
                if (rng.Next(4) == 0)
                {
                    change = book.Act(node, (NodeAction)rng.Next(6), now).Change;
                }
                else
                {
                    var code = Codes[rng.Next(Codes.Length)];
                    HealthEvent[] events = code == 0 ? [] : [new HealthEvent(HealthEventKind.Xid, 0, code, null, null)];
                    change = book.Apply(new HealthReport(node, ++seq[node], now, [new GpuReading(0, rng.Next(40, 100), 700, 1, 0, 0)], events), rules);
                }
                foreach (var o in change.Outages) outages[o.Id] = o;
                foreach (var t in change.Transitions)
                {
                    Assert.False(retired.Contains(t.Node), $"retired node {t.Node} moved to {t.To}");
                    if (t.To == NodeState.Retired) retired.Add(t.Node);
                }
                // Invariants: a serving node serves one line and is in a serving state; a spare is not serving; a line's
                // serving nodes plus its open down outages equal what it was assigned; retired nodes never serve.
                var serving = new Dictionary<LineRef, int>();
                var shortBy = book.OpenOutages.Where(o => !o.Degraded).GroupBy(o => o.Line).ToDictionary(g => g.Key, g => g.Count());
                foreach (var s in specs)
                {
                    var role = book.Role(s.Serial);
                    var state = book.Health(s.Serial).State;
                    if (role == NodeRole.Serving)
                    {
                        Assert.True(FleetText.Serves(state), $"{s.Serial} serves while {state}");
                        Assert.NotNull(book.LineOf(s.Serial));
                        serving[book.LineOf(s.Serial)!.Value] = serving.GetValueOrDefault(book.LineOf(s.Serial)!.Value) + 1;
                    }
                    else Assert.Null(book.LineOf(s.Serial));
                    if (state == NodeState.Retired) Assert.NotEqual(NodeRole.Serving, role);
                }
                foreach (var (line, n) in assigned) Assert.Equal(n, serving.GetValueOrDefault(line) + shortBy.GetValueOrDefault(line));
            }
            // Availability in [0, 1] and credit <= cap x charge for each contract over the month.
            foreach (var (_, line, units) in lines)
            {
                var contract = new Contract
                {
                    Id = line.Contract, Customer = new CustomerId("x"), SignedOn = T0, Currency = Currency.Usd,
                    Sla = new SlaTerms(0.99m, 0.2m, 0.6m) { Degraded = rng.Next(2) == 0 ? DegradedPolicy.Available : DegradedPolicy.Unavailable },
                };
                var month = new YearMonth(2027, 6);
                var covered = assigned[line] * 8m * SlaEngine.Minutes(month.Period);
                var charge = Money.Usd(rng.Next(0, 1_000_000));
                var m = SlaEngine.Month(contract, month, covered, outages.Values, [], charge);
                Assert.InRange(m.Availability, 0m, 1m);
                Assert.True(m.Credit.Amount <= (0.6m * charge).RoundToCents().Amount && m.Credit.Amount >= 0);
            }
        }, iter: 300);
    }
}
