using CsCheck;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using static Lessor.Core.Tests.Ledger.TinyWorld;

namespace Lessor.Core.Tests.Ledger;

/// <summary>
/// Coverage kept current across writes (the finance book reads it after every write) must equal coverage computed from
/// nothing: random tiny fleets with oversold pins, late deliveries and tails, then random sequences of signs,
/// cancellations, amendments, slips, unit holds and releases, compared line by line after every step.
/// </summary>
public class CoverageSnapshotTests
{
    [Fact]
    public void Given_random_write_sequences_When_coverage_is_brought_up_from_the_last_snapshot_Then_it_equals_coverage_from_nothing()
    {
        var tailsSeen = 0;
        var recomputedFewer = 0;
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var s = TinyWorld.Random(rng, withPinned: true);
            var ledger = CapacityLedger.Build(s).Ledger;
            // Some contracts forfeit late GPU-time, the rest make it up after their term.
            var forfeits = new HashSet<ContractId>();
            for (var c = 0; c < 12; c++) if (rng.Next(3) == 0) forfeits.Add(new ContractId(c < 4 ? $"k{c}" : $"n{c}"));
            Func<LineRef, bool>? extends = forfeits.Count == 0 ? null : line => !forfeits.Contains(line.Contract);
            var deliveries = s.Deliveries.ToList();
            var tokens = new List<CommitToken>();
            var holds = new List<UnitHold>();
            var snapshot = ledger.CoverageWithTails(extends, null, null);
            var log = new List<string>();
            for (var step = 0; step < 25; step++)
            {
                var lines = ledger.LineRefs.ToList();
                var op = rng.Next(7);
                log.Add($"{step}:{op}");
                switch (op)
                {
                    case 0 or 1:
                        Keep(ledger.Sign(new ContractId($"n{step % 12}-{step}"), Deal(RandomLine(rng))), tokens);
                        break;
                    case 2 when lines.Count > 0:
                        Keep(ledger.CancelLine(lines[rng.Next(lines.Count)], At(rng.Next(0, 80))), tokens);
                        break;
                    case 3 when lines.Count > 0:
                        var e = rng.Next(0, 70);
                        Keep(ledger.AmendLine(lines[rng.Next(lines.Count)], At(e), new GpuCount(rng.Next(1, 5) * Unit), At(e + rng.Next(1, 40))), tokens);
                        break;
                    case 4:
                        var i = rng.Next(deliveries.Count);
                        deliveries[i] = deliveries[i] with { AcceptanceDate = At(rng.Next(0, 90)) };
                        tokens.Add(ledger.ApplyDeliveryChange(deliveries[i]).Token);
                        break;
                    case 5:
                        if (holds.Count > 0 && rng.Next(2) == 0)
                        {
                            holds[^1].Release();
                            holds.RemoveAt(holds.Count - 1);
                        }
                        else
                        {
                            var a = rng.Next(0, 60);
                            holds.Add(ledger.HoldUnits([(s.Fabrics[rng.Next(s.Fabrics.Count)].Id, rng.Next(1, 3))], Span(a, a + rng.Next(1, 30))));
                        }
                        break;
                    default:
                        if (tokens.Count > 0 && tokens[^1].VersionAfter == ledger.Version)
                        {
                            ledger.Release(tokens[^1]);
                            tokens.RemoveAt(tokens.Count - 1);
                        }
                        break;
                }
                // Sometimes several writes pass between two reads.
                if (rng.Next(3) == 0) continue;
                log.Add("read");
                var previous = snapshot;
                snapshot = ledger.CoverageWithTails(extends, snapshot, null);
                var full = ledger.CoverageWithTails(extends);
                Assert.Equal(full.Count, snapshot.Map.Count);
                foreach (var (line, steps) in full)
                {
                    Assert.True(snapshot.Map.TryGetValue(line, out var kept), $"seed {seed} step {step}: {line} missing");
                    Assert.True(steps.SequenceEqual(kept), $"seed {seed} step {step}: {string.Join(" | ", log)} placement {string.Join(";", ledger.PlacementOf(line))} {line} kept {string.Join(",", kept)} but from nothing {string.Join(",", steps)}");
                    if (!previous.Map.TryGetValue(line, out var before) || !before.SequenceEqual(steps))
                        Assert.Contains(line, snapshot.Changed!);
                }
                Assert.True(snapshot.IsCurrent(ledger));
                if (snapshot.Changed!.Count < full.Count) Interlocked.Increment(ref recomputedFewer);
                if (full.Any(kv => kv.Value.Count > 0 && ledger.PlacementOf(kv.Key).Count > 0 && kv.Value[^1].From > ledger.PlacementOf(kv.Key).Max(p => p.Period.End)))
                    Interlocked.Increment(ref tailsSeen);
            }
        }, iter: 1_500);
        // The runs must reach the cases that matter: tails served after a term, and updates that skip lines.
        Assert.True(tailsSeen > 50, $"only {tailsSeen} steps had a late tail");
        Assert.True(recomputedFewer > 500, $"only {recomputedFewer} updates recomputed fewer lines than all");
    }

    private static void Keep(WriteResult write, List<CommitToken> tokens)
    {
        if (write.Token is { } token) tokens.Add(token);
    }
}
