using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Risk;

namespace Lessor.Core.Tests.Fleet;

public class FleetSimulatorTests
{
    private static readonly IReadOnlyList<(string, int)> Nodes = [.. Enumerable.Range(0, 1_000).Select(i => ($"f-u{i:D5}-t00", 8))];

    [Fact]
    public void Given_a_seed_When_simulating_a_month_twice_Then_the_steps_are_the_same_and_a_different_seed_differs()
    {
        var month = new YearMonth(2027, 3);
        var a = FleetSimulator.Month(Nodes, month, new FailureModel(), 7);
        var b = FleetSimulator.Month(Nodes, month, new FailureModel(), 7);
        var c = FleetSimulator.Month(Nodes, month, new FailureModel(), 8);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Given_a_fleet_of_8000_GPUs_When_simulating_a_month_Then_failures_follow_the_model_rate_and_steps_stay_inside_the_month()
    {
        // 8,000 GPUs x 744 h / 50,700 = 117.4 failures expected a month; over 20 seeds the mean is within 5% of it.
        var month = new YearMonth(2027, 3);
        var total = 0;
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var steps = FleetSimulator.Month(Nodes, month, new FailureModel(), seed);
            Assert.All(steps, s => Assert.True(month.Period.Contains(s.At)));
            Assert.Equal(steps.OrderBy(s => s.At).Select(s => s.At), steps.Select(s => s.At));
            total += steps.Count(s => s.Kind == SimulatedKind.Failure);
        }
        Assert.InRange(total / 20.0, 117.4 * 0.95, 117.4 * 1.05);
    }
}
