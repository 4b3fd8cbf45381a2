using Lessor.Core.Model;
using Lessor.Core.Risk;
using static Lessor.Core.Tests.Risk.RiskWorld;

namespace Lessor.Core.Tests.Risk;

/// <summary>Every bad parameter of an uncertainty model is named with its path and reason.</summary>
public sealed class UncertaintyValidationTests
{
    [Fact]
    public void Given_bad_parameters_When_validating_Then_each_is_reported_at_its_path()
    {
        var model = new UncertaintyModel
        {
            Deliveries =
            [
                new DelayRule { OnTime = 1.2, Delay = Distribution.Fixed(-3) },
                new DelayRule { Match = new DelayMatch { Delivery = "nope" }, OnTime = 0.5, Delay = new Distribution { Kind = DistributionKind.LogNormal, Sigma = 0.5 } },
                new DelayRule { OnTime = 0.5, Delay = Distribution.Empirical() },
            ],
            Power = [new DelayRule { Match = new DelayMatch { Site = "s1", Step = Utc.Date(2031, 1, 1) }, OnTime = -0.1, Delay = Distribution.Uniform(5, 2) }],
            Failures = new FailureModel { GpuHoursBetweenFailures = 0, Causes = [new FailureCause("gpu", 0.7, Distribution.Fixed(1), true)] },
            Spares = new SparePolicy(2),
        };

        var issues = ScenarioValidator.Validate(Book(model)).Select(i => $"{i.Path}: {i.Message}").ToList();

        Assert.Equal(
        [
            "uncertainty.deliveries[0].on_time: a probability must lie in [0, 1], not 1.2",
            "uncertainty.deliveries[0].delay_days.value: a delay cannot be negative (-3 days)",
            "uncertainty.deliveries[1].delay_days.mean: a lognormal distribution needs a mean or a median (it has no mean without one)",
            "uncertainty.deliveries[1].match.delivery: no delivery 'nope'",
            "uncertainty.deliveries[2].delay_days.values: an empirical distribution needs at least one value (it has no mean without one)",
            "uncertainty.power[0].on_time: a probability must lie in [0, 1], not -0.1",
            "uncertainty.power[0].delay_days.max: max 2 is below min 5",
            "uncertainty.power[0].match.step: site 's1' has no power step from 2031-01-01",
            "uncertainty.failures.gpu_hours_between_failures: must be positive, not 0",
            "uncertainty.failures.causes: the shares add up to 0.7; they must add up to 1",
            "uncertainty.spares.fraction: a fraction of failure domains must lie in [0, 1], not 2",
        ], issues);
    }

    [Fact]
    public void Given_a_sound_model_Then_there_is_nothing_to_report()
    {
        Assert.Empty(ScenarioValidator.Validate(Book(Delays(0.5) with { Failures = new FailureModel(), Spares = new SparePolicy(0.02) })));
    }
}
