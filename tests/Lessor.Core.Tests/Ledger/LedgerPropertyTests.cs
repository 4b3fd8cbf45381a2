using CsCheck;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using static Lessor.Core.Tests.Ledger.TinyWorld;

namespace Lessor.Core.Tests.Ledger;

public class LedgerPropertyTests
{
    private const int Iterations = 2_000;

    private static Reference FromScenario(Scenario s) =>
        new(s, s.Contracts.SelectMany(c => c.Lines).SelectMany(l => l.Pinned.Select(p => (p.Fabric, p.Units, l.Period))).ToList());

    [Fact]
    public void Given_random_tiny_fleets_When_checking_a_line_Then_fit_equals_brute_force_and_the_placement_obeys_every_rule()
    {
        var fits = 0;
        var misses = 0;
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: true);
            var ledger = CapacityLedger.Build(s).Ledger;
            var line = RandomLine(rng);
            var reference = FromScenario(s);
            var fit = ledger.Check(Deal(line));
            Assert.Equal(reference.Fits(line), fit.Fits);
            if (fit.Fits) Assert.Null(reference.Violation(fit.Placements[0]));
            else Assert.NotEmpty(fit.Constraints);
            Interlocked.Increment(ref fit.Fits ? ref fits : ref misses);
        }, iter: Iterations);
        // Both answers must be common, or the comparison proves little.
        Assert.InRange(fits, Iterations / 10, Iterations - Iterations / 10);
    }

    [Fact]
    public void Given_random_tiny_fleets_When_the_ledger_is_built_Then_its_least_free_units_equal_the_minute_by_minute_count()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: true);
            var ledger = CapacityLedger.Build(s).Ledger;
            var reference = FromScenario(s);
            var a = rng.Next(0, 60);
            var period = Span(a, a + rng.Next(1, 40));
            foreach (var f in s.Fabrics) Assert.Equal(reference.MinFree(f.Id, period), ledger.FreeUnits(f.Id, period));
        }, iter: Iterations);
    }

    [Fact]
    public void Given_random_tiny_fleets_When_asking_the_earliest_start_Then_it_equals_a_scan_of_every_minute()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: true);
            var ledger = CapacityLedger.Build(s).Ledger;
            var reference = FromScenario(s);
            var line = RandomLine(rng);
            var notBefore = rng.Next(0, 30);
            var horizon = notBefore + rng.Next(1, 50);
            DateTime? expected = null;
            var minutes = (int)line.Period.Duration.TotalMinutes;
            for (var m = notBefore; m < horizon && expected is null; m++)
            {
                if (reference.Fits(line.With(line.Gpus, Span(m, m + minutes)))) expected = At(m);
            }
            var earliest = ledger.Earliest(Deal(line), At(notBefore), At(horizon));
            Assert.Equal(expected, earliest.Start);
            Assert.Equal(expected is not null, earliest.Fit.Fits);
            if (expected is { } start) Assert.Equal(start, earliest.Fit.Placements[0].Spec.Period.Start);
        }, iter: Iterations);
    }

    [Fact]
    public void Given_two_line_deals_When_asking_the_earliest_start_Then_it_equals_checking_every_minute()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: true);
            var ledger = CapacityLedger.Build(s).Ledger;
            var first = RandomLine(rng);
            var second = RandomLine(rng) with { Id = new LineId("L2") };
            var deal = Deal(first, second);
            var s0 = first.Period.Start < second.Period.Start ? first.Period.Start : second.Period.Start;
            var notBefore = rng.Next(0, 30);
            var horizon = notBefore + rng.Next(1, 40);
            DateTime? expected = null;
            for (var m = notBefore; m < horizon && expected is null; m++)
            {
                var by = At(m) - s0;
                var moved = Deal(first.With(first.Gpus, new Period(first.Period.Start + by, first.Period.End + by)),
                    second.With(second.Gpus, new Period(second.Period.Start + by, second.Period.End + by)));
                if (ledger.Check(moved).Fits) expected = At(m);
            }
            Assert.Equal(expected, ledger.Earliest(deal, At(notBefore), At(horizon)).Start);
        }, iter: Iterations);
    }

    [Fact]
    public void Given_random_tiny_fleets_When_asking_the_largest_size_Then_it_equals_the_largest_size_brute_force_fits()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: true);
            var ledger = CapacityLedger.Build(s).Ledger;
            var reference = FromScenario(s);
            var line = RandomLine(rng);
            var step = line.BlockSize?.Value ?? Unit;
            var expected = 0;
            var supply = s.Deliveries.Sum(d => d.Units) * Unit;
            for (var g = step; g <= supply; g += step)
            {
                if (reference.Fits(line.With(new GpuCount(g), line.Period))) expected = g;
            }
            var largest = ledger.Largest(Deal(line));
            Assert.Equal(expected, largest.Largest.Value);
            Assert.Equal(expected > 0, largest.Fit.Fits);
            if (expected > 0) Assert.Null(reference.Violation(largest.Fit.Placements[0]));
        }, iter: Iterations);
    }

    [Fact]
    public void Given_any_sequence_of_writes_When_released_newest_first_Then_the_ledger_is_restored_exactly()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: true);
            var ledger = CapacityLedger.Build(s).Ledger;
            var snapshots = new Stack<string>();
            var tokens = new Stack<CommitToken>();
            for (var i = 0; i < 8; i++)
            {
                var before = ledger.Snapshot();
                var token = RandomWrite(rng, s, ledger, i);
                if (token is null)
                {
                    Assert.Equal(before, ledger.Snapshot());
                    continue;
                }
                snapshots.Push(before);
                tokens.Push(token);
            }
            while (tokens.Count > 0)
            {
                ledger.Release(tokens.Pop());
                Assert.Equal(snapshots.Pop(), ledger.Snapshot());
            }
        }, iter: Iterations);
    }

    [Fact]
    public void Given_an_empty_book_When_any_sequence_of_deals_is_signed_amended_and_cancelled_Then_free_capacity_is_never_negative()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: false);
            var ledger = CapacityLedger.Build(s).Ledger;
            for (var i = 0; i < 10; i++)
            {
                RandomWrite(rng, s, ledger, i, deliveries: false);
            }
            var reference = Reference.Of(s, ledger);
            reference.AssertNeverOversold(100);
            Assert.Empty(ledger.Uncovered());
        }, iter: Iterations);
    }

    [Fact]
    public void Given_multi_line_deals_When_checked_jointly_Then_every_placement_obeys_its_rules_and_together_they_never_oversell()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: false);
            var ledger = CapacityLedger.Build(s).Ledger;
            var lines = Enumerable.Range(0, rng.Next(2, 4)).Select(i => RandomLine(rng) with { Id = new LineId($"L{i + 1}") }).ToArray();
            var fit = ledger.Check(Deal(lines));
            if (!fit.Fits)
            {
                Assert.Single(fit.Constraints.Select(c => c.Line).Distinct());
                return;
            }
            var reference = Reference.Of(s, ledger);
            foreach (var placement in fit.Placements) Assert.Null(reference.Violation(placement, rulesOnly: true));
            Assert.True(ledger.Commit(new ContractId("joint"), fit.Placements).Applied);
            var after = Reference.Of(s, ledger);
            after.AssertNeverOversold(100);
        }, iter: Iterations);
    }

    [Fact]
    public void Given_signed_lines_When_a_line_is_cancelled_Then_only_the_future_is_freed_and_by_exactly_its_units()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: true);
            var ledger = CapacityLedger.Build(s).Ledger;
            for (var i = 0; i < 4; i++) ledger.Sign(new ContractId($"n{i}"), Deal(RandomLine(rng)));
            var lines = ledger.LineRefs.OrderBy(l => l.ToString(), StringComparer.Ordinal).ToList();
            if (lines.Count == 0) return;
            var victim = lines[rng.Next(lines.Count)];
            var pieces = ledger.PlacementOf(victim);
            var before = Reference.Of(s, ledger);
            var effective = rng.Next(0, 80);
            Assert.True(ledger.CancelLine(victim, At(effective)).Applied);
            var after = Reference.Of(s, ledger);
            for (var m = 0; m < 100; m++)
            {
                foreach (var f in s.Fabrics)
                {
                    var freed = m < effective ? 0 : pieces.Where(p => p.Fabric == f.Id && p.Period.Contains(At(m))).Sum(p => p.Units);
                    Assert.Equal(before.FreeAt(f.Id, At(m)) + freed, after.FreeAt(f.Id, At(m)));
                }
            }
        }, iter: Iterations);
    }

    [Fact]
    public void Given_signed_lines_When_amended_Then_the_past_keeps_its_placement_and_the_future_has_the_new_size_without_overselling()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: false);
            var ledger = CapacityLedger.Build(s).Ledger;
            for (var i = 0; i < 4; i++) ledger.Sign(new ContractId($"n{i}"), Deal(RandomLine(rng)));
            if (ledger.LineRefs.Count == 0) return;
            var lines = ledger.LineRefs.OrderBy(l => l.ToString(), StringComparer.Ordinal).ToList();
            var victim = lines[rng.Next(lines.Count)];
            var before = ledger.PlacementOf(victim);
            var effective = rng.Next(0, 70);
            var end = effective + rng.Next(1, 40);
            var gpus = rng.Next(1, 8) * Unit;
            var result = ledger.AmendLine(victim, At(effective), new GpuCount(gpus), At(end));
            var after = ledger.PlacementOf(victim);
            var from = Math.Max(effective, (int)(before.Min(p => p.Period.Start) - T0).TotalMinutes);
            if (!result.Applied)
            {
                Assert.Equal(before, after);
                return;
            }
            for (var m = 0; m < 110; m++)
            {
                var t = At(m);
                var units = after.Where(p => p.Period.Contains(t)).Sum(p => p.Units);
                var expected = m < from ? before.Where(p => p.Period.Contains(t)).Sum(p => p.Units) : m < end ? gpus / Unit : 0;
                Assert.True(expected == units, $"minute {m}: expected {expected} units, got {units}; amended {victim} at {effective} to {gpus} GPUs until {end}; before [{string.Join(", ", before)}] after [{string.Join(", ", after)}]");
                if (m < from)
                {
                    var fabricsBefore = before.Where(p => p.Period.Contains(t)).GroupBy(p => p.Fabric).ToDictionary(x => x.Key, x => x.Sum(p => p.Units));
                    var fabricsAfter = after.Where(p => p.Period.Contains(t)).GroupBy(p => p.Fabric).ToDictionary(x => x.Key, x => x.Sum(p => p.Units));
                    Assert.Equal(fabricsBefore.OrderBy(x => x.Key.Value), fabricsAfter.OrderBy(x => x.Key.Value));
                }
            }
            var reference = Reference.Of(s, ledger);
            reference.AssertNeverOversold(110);
        }, iter: Iterations);
    }

    [Fact]
    public void Given_signed_lines_When_a_delivery_slips_Then_exactly_the_uncovered_lines_are_reported_and_coverage_drops_by_the_shortfall()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: false);
            var ledger = CapacityLedger.Build(s).Ledger;
            var signed = new List<LineRef>();
            for (var i = 0; i < 5; i++)
            {
                var deal = Deal(RandomLine(rng), RandomLine(rng) with { Id = new LineId("L2") });
                if (ledger.Sign(new ContractId($"n{i}"), deal).Applied) signed.AddRange(deal.Lines.Select((l, k) => new LineRef(new ContractId($"n{i}"), l.Id ?? new LineId("L1"))));
            }
            var deliveries = s.Deliveries.ToList();
            var k = rng.Next(deliveries.Count);
            var slipped = deliveries[k] with { AcceptanceDate = deliveries[k].AcceptanceDate.AddMinutes(rng.Next(1, 60)), Units = Math.Max(1, deliveries[k].Units - rng.Next(0, 2)) };
            deliveries[k] = slipped;
            var change = ledger.ApplyDeliveryChange(slipped);
            var world = s with { Deliveries = deliveries };

            // Reference: at every minute each fabric's supply goes to pieces in signing order.
            var expected = new Dictionary<(LineRef, FabricId, int), int>();
            for (var m = 0; m < 110; m++)
            {
                var t = At(m);
                foreach (var f in s.Fabrics)
                {
                    var left = world.Deliveries.Where(d => d.Fabric == f.Id && d.AcceptanceDate <= t).Sum(d => d.Units);
                    foreach (var line in signed)
                    {
                        foreach (var p in ledger.PlacementOf(line).Where(p => p.Fabric == f.Id && p.Period.Contains(t)))
                        {
                            var take = Math.Min(left, p.Units);
                            left -= take;
                            if (take < p.Units) expected[(line, f.Id, m)] = expected.GetValueOrDefault((line, f.Id, m)) + (p.Units - take) * Unit;
                        }
                    }
                }
            }
            var actual = new Dictionary<(LineRef, FabricId, int), int>();
            foreach (var u in change.Uncovered)
            {
                for (var t = u.Shortfall.Start; t < u.Shortfall.End; t = t.AddMinutes(1))
                {
                    var key = (u.Line, u.Fabric, (int)(t - T0).TotalMinutes);
                    Assert.False(actual.ContainsKey(key));
                    actual[key] = u.Short.Value;
                }
            }
            Assert.Equal(expected.OrderBy(x => x.Key.ToString()), actual.OrderBy(x => x.Key.ToString()));

            foreach (var line in signed)
            {
                var coverage = ledger.Coverage(line);
                for (var m = 0; m < 110; m++)
                {
                    var t = At(m);
                    var placed = ledger.PlacementOf(line).Where(p => p.Period.Contains(t)).Sum(p => p.Units) * Unit;
                    var lacking = expected.Where(x => x.Key.Item1 == line && x.Key.Item3 == m).Sum(x => x.Value);
                    var step = coverage.LastOrDefault(c => c.From <= t);
                    Assert.Equal(placed - lacking, step?.Gpus.Value ?? 0);
                }
            }
        }, iter: Iterations);
    }

    /// <summary>One random write: a sign, a cancel, an amendment or a delivery change; the token when it applied.</summary>
    private static CommitToken? RandomWrite(Random rng, Scenario s, CapacityLedger ledger, int i, bool deliveries = true)
    {
        var lines = ledger.LineRefs.OrderBy(l => l.ToString(), StringComparer.Ordinal).ToList();
        switch (rng.Next(deliveries ? 4 : 3))
        {
            case 1 when lines.Count > 0:
                return ledger.CancelLine(lines[rng.Next(lines.Count)], At(rng.Next(0, 70))).Token;
            case 2 when lines.Count > 0:
            {
                var e = rng.Next(0, 60);
                return ledger.AmendLine(lines[rng.Next(lines.Count)], At(e), new GpuCount(rng.Next(1, 6) * Unit), At(e + rng.Next(1, 30))).Token;
            }
            case 3:
            {
                var d = s.Deliveries[rng.Next(s.Deliveries.Count)];
                return ledger.ApplyDeliveryChange(d with { AcceptanceDate = At(rng.Next(0, 70)), Units = rng.Next(1, 5) }).Token;
            }
            default:
            {
                var deal = rng.Next(2) == 0 ? Deal(RandomLine(rng)) : Deal(RandomLine(rng), RandomLine(rng) with { Id = new LineId("L2") });
                return ledger.Sign(new ContractId($"w{i}"), deal).Token;
            }
        }
    }
}
