using MathNet.Numerics.Distributions;

namespace Lessor.Core.Risk;

/// <summary>The shapes a delay or repair-time distribution can take.</summary>
public enum DistributionKind
{
    Fixed,
    Exponential,
    LogNormal,
    Uniform,
    Empirical,
}

/// <summary>
/// A non-negative distribution (days of delay, hours of repair) sampled by its quantile function, so one uniform gives one
/// draw whatever the parameters (common random numbers across policies). LogNormal takes a median or a mean with sigma;
/// Empirical draws one of its values with equal probability.
/// </summary>
public sealed record Distribution
{
    public required DistributionKind Kind { get; init; }
    public double? Value { get; init; }
    public double? Mean { get; init; }
    public double? Median { get; init; }
    public double? Sigma { get; init; }
    public double? Min { get; init; }
    public double? Max { get; init; }
    public IReadOnlyList<double> Values { get; init; } = [];

    public static Distribution Fixed(double value) => new() { Kind = DistributionKind.Fixed, Value = value };
    public static Distribution Exponential(double mean) => new() { Kind = DistributionKind.Exponential, Mean = mean };
    public static Distribution LogNormalMedian(double median, double sigma) => new() { Kind = DistributionKind.LogNormal, Median = median, Sigma = sigma };
    public static Distribution Uniform(double min, double max) => new() { Kind = DistributionKind.Uniform, Min = min, Max = max };
    public static Distribution Empirical(params double[] values) => new() { Kind = DistributionKind.Empirical, Values = values };

    /// <summary>The log-scale location of a lognormal: from the median, or from the mean (mean = exp(mu + sigma^2 / 2)).</summary>
    private double Mu => Median is { } m ? Math.Log(m) : Math.Log(Mean!.Value) - Sigma!.Value * Sigma.Value / 2;

    /// <summary>The value at quantile u in [0, 1).</summary>
    public double Quantile(double u) => Kind switch
    {
        DistributionKind.Fixed => Value!.Value,
        DistributionKind.Exponential => -Mean!.Value * Math.Log(1 - u),
        DistributionKind.LogNormal => Sigma!.Value == 0 ? Math.Exp(Mu) : Math.Exp(Mu + Sigma.Value * Normal.InvCDF(0, 1, Math.Clamp(u, 1e-12, 1 - 1e-12))),
        DistributionKind.Uniform => Min!.Value + (Max!.Value - Min.Value) * u,
        DistributionKind.Empirical => Values[Math.Min(Values.Count - 1, (int)(u * Values.Count))],
        _ => throw new InvalidOperationException($"Unknown distribution kind {Kind}."),
    };

    /// <summary>The variance, in closed form (for sums of many draws).</summary>
    public double Variance => Kind switch
    {
        DistributionKind.Fixed => 0,
        DistributionKind.Exponential => Mean!.Value * Mean.Value,
        DistributionKind.LogNormal => (Math.Exp(Sigma!.Value * Sigma.Value) - 1) * Math.Exp(2 * Mu + Sigma.Value * Sigma.Value),
        DistributionKind.Uniform => (Max!.Value - Min!.Value) * (Max.Value - Min.Value) / 12,
        DistributionKind.Empirical => Values.Sum(v => (v - ExpectedValue) * (v - ExpectedValue)) / Values.Count,
        _ => throw new InvalidOperationException($"Unknown distribution kind {Kind}."),
    };

    /// <summary>The mean, in closed form.</summary>
    public double ExpectedValue => Kind switch
    {
        DistributionKind.Fixed => Value!.Value,
        DistributionKind.Exponential => Mean!.Value,
        DistributionKind.LogNormal => Math.Exp(Mu + Sigma!.Value * Sigma.Value / 2),
        DistributionKind.Uniform => (Min!.Value + Max!.Value) / 2,
        DistributionKind.Empirical => Values.Average(),
        _ => throw new InvalidOperationException($"Unknown distribution kind {Kind}."),
    };
}

/// <summary>
/// Which deliveries (or power steps) a rule covers: every given key must match; none given = the default rule. The most
/// specific matching rule wins: delivery, then site, then platform, then vendor, then the default; ties by file order.
/// </summary>
public sealed record DelayMatch
{
    public string? Delivery { get; init; }
    public string? Site { get; init; }
    public string? Platform { get; init; }
    public string? Vendor { get; init; }

    /// <summary>For power rules: the step (by its date) this rule is for; null = every future step of the site.</summary>
    public DateTime? Step { get; init; }

    internal int Specificity => (Delivery is null ? 0 : 16) + (Step is null ? 0 : 8) + (Site is null ? 0 : 4) + (Platform is null ? 0 : 2) + (Vendor is null ? 0 : 1);
}

/// <summary>A delay: on time with probability <see cref="OnTime"/>, otherwise late by a draw of <see cref="Delay"/> days.</summary>
public sealed record DelayRule
{
    public DelayMatch Match { get; init; } = new();
    public required double OnTime { get; init; }
    public required Distribution Delay { get; init; }

    /// <summary>Days late for two uniforms: the first decides on time, the second is the delay's quantile.</summary>
    public double Days(double u1, double u2) => u1 < OnTime ? 0 : Delay.Quantile(u2);

    /// <summary>Expected days late.</summary>
    public double ExpectedDays => (1 - OnTime) * Delay.ExpectedValue;

    /// <summary>Days late at probability level p of the whole (on-time mass included) distribution.</summary>
    public double DaysAtLevel(double p) => p <= OnTime ? 0 : Delay.Quantile((p - OnTime) / (1 - OnTime));
}

/// <summary>One cause of interruptions: its share of them, how long repair takes (hours), and whether repair swaps in a spare.</summary>
public sealed record FailureCause(string Name, double Share, Distribution RepairHours, bool UsesSpare);

/// <summary>
/// The fleet failure and repair model. Defaults from DOMAIN.md section 6 (Llama 3 405B on 16,384 H100: one unexpected
/// interruption per about 50,700 GPU-hours; causes; hands-on swap 2-4 h, RMA 3-14 business days, hot-spare swap in minutes).
/// </summary>
public sealed record FailureModel
{
    public double GpuHoursBetweenFailures { get; init; } = 50_700;
    public int GpusPerFailure { get; init; } = 8;
    public double SwapMinutes { get; init; } = 15;
    public IReadOnlyList<FailureCause> Causes { get; init; } = DefaultCauses;

    /// <summary>The DOMAIN.md cause mix; "other" takes the rest. Hardware causes wait 3-14 business days (about 4-20 calendar days) without a spare.</summary>
    public static IReadOnlyList<FailureCause> DefaultCauses { get; } =
    [
        new("gpu", 0.301, Distribution.Uniform(96, 480), true),
        new("hbm", 0.172, Distribution.Uniform(96, 480), true),
        new("software", 0.129, Distribution.Fixed(0.5), false),
        new("network", 0.084, Distribution.Uniform(2, 4), false),
        new("host_maintenance", 0.076, Distribution.Uniform(2, 4), false),
        new("other", 0.238, Distribution.Uniform(2, 4), false),
    ];
}

/// <summary>How many hot spares each site holds: a fraction of its failure domains, rounded up (a site with any domains and a positive fraction holds one).</summary>
public sealed record SparePolicy(double Fraction);

/// <summary>
/// What can go wrong, and how likely: delay rules for deliveries and for site power steps, the failure model and the
/// spare policy. Part of a scenario (<c>uncertainty:</c>) and editable like the rest of it.
/// </summary>
public sealed record UncertaintyModel
{
    public IReadOnlyList<DelayRule> Deliveries { get; init; } = [];
    public IReadOnlyList<DelayRule> Power { get; init; } = [];
    public FailureModel? Failures { get; init; }
    public SparePolicy Spares { get; init; } = new(0);

    /// <summary>A policy file overrides whole sections: what it gives replaces the book's.</summary>
    public UncertaintyModel With(UncertaintyPolicy policy) => this with
    {
        Deliveries = policy.Deliveries ?? Deliveries,
        Power = policy.Power ?? Power,
        Failures = policy.Failures ?? Failures,
        Spares = policy.Spares ?? Spares,
    };
}

/// <summary>A what-if on the uncertainty model (a spare policy, a second supplier's delays): the sections it replaces.</summary>
public sealed record UncertaintyPolicy
{
    public string Name { get; init; } = "policy";
    public IReadOnlyList<DelayRule>? Deliveries { get; init; }
    public IReadOnlyList<DelayRule>? Power { get; init; }
    public FailureModel? Failures { get; init; }
    public SparePolicy? Spares { get; init; }
}
