using CsCheck;
using Lessor.Core.Model;
using static Lessor.Core.Tests.Validation.Sample;

namespace Lessor.Core.Tests.Validation;

/// <summary>The validator's O(n log n) power sweep agrees with checking every instant one by one.</summary>
public class PowerSweepPropertyTests
{
    private static readonly DateTime Day0 = Utc.Date(2026, 1, 1);

    [Fact]
    public void Given_random_power_steps_and_deliveries_When_validated_Then_breach_episodes_match_a_naive_check()
    {
        var gen = Gen.Select(
            Gen.Select(Gen.Int[0, 60], Gen.Int[1, 30]).Array[0, 6],
            Gen.Select(Gen.Int[0, 60], Gen.Int[1, 40]).Array[0, 12]);

        gen.Sample(t =>
        {
            // Steps must be in date order (that rule has its own test), so keep one step per day, sorted.
            var steps = t.Item1.DistinctBy(x => x.Item1).OrderBy(x => x.Item1).ToArray();
            var deliveries = t.Item2;
            var s = Valid() with
            {
                Sites = [Site() with { Power = [.. steps.Select(x => new PowerStep(Day0.AddDays(x.Item1), x.Item2))] }],
                Fabrics = [Fabric(maxUnits: 100_000)],
                Deliveries = [.. deliveries.Select((d, i) => Delivery($"d{i}", units: d.Item2, on: Day0.AddDays(d.Item1)))],
                Contracts = [],
            };

            var reported = ScenarioValidator.Validate(s).Select(i => i.Message[3..13]).ToList();

            Assert.Equal(NaiveEpisodeStarts(steps, deliveries), reported);
        });
    }

    /// <summary>Days (as yyyy-MM-dd) on which the load first exceeds the envelope after fitting, instant by instant.</summary>
    private static List<string> NaiveEpisodeStarts((int Day, int Mw)[] steps, (int Day, int Units)[] deliveries)
    {
        var starts = new List<string>();
        var over = false;
        foreach (var day in steps.Select(x => x.Day).Concat(deliveries.Select(x => x.Day)).Distinct().Order())
        {
            var need = deliveries.Where(d => d.Day <= day).Sum(d => d.Units * 132m);
            var avail = steps.Where(x => x.Day <= day).Select(x => x.Mw * 1000m).LastOrDefault();
            var now = need > avail;
            if (now && !over) starts.Add(ModelText.Date(Day0.AddDays(day)));
            over = now;
        }
        return starts;
    }
}
