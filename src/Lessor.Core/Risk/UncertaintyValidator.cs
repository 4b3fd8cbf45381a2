using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Core.Risk;

/// <summary>
/// Every bad parameter of an uncertainty model, named by its path and reason: negative delays, probabilities outside
/// [0, 1], distributions without a mean, rules that match nothing in the book.
/// </summary>
public static class UncertaintyValidator
{
    public static IReadOnlyList<ValidationIssue> Validate(UncertaintyModel model, Scenario? book, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var issues = new List<ValidationIssue>();
        string At(string key) => path.Length == 0 ? key : $"{path}.{key}";
        Rules(model.Deliveries, At("deliveries"), "days", book, power: false, issues);
        Rules(model.Power, At("power"), "days", book, power: true, issues);
        if (model.Failures is { } f) Failures(f, At("failures"), issues);
        if (!(model.Spares.Fraction >= 0 && model.Spares.Fraction <= 1))
            issues.Add(new(At("spares.fraction"), $"a fraction of failure domains must lie in [0, 1], not {F(model.Spares.Fraction)}"));
        return issues;
    }

    private static void Rules(IReadOnlyList<DelayRule> rules, string path, string unit, Scenario? book, bool power, List<ValidationIssue> issues)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var at = $"{path}[{i}]";
            if (!(rule.OnTime >= 0 && rule.OnTime <= 1)) issues.Add(new($"{at}.on_time", $"a probability must lie in [0, 1], not {F(rule.OnTime)}"));
            Distribution(rule.Delay, $"{at}.delay_days", unit, issues);
            if (book is not null) Match(rule.Match, $"{at}.match", book, power, issues);
        }
    }

    private static void Match(DelayMatch m, string path, Scenario book, bool power, List<ValidationIssue> issues)
    {
        if (power && (m.Delivery is not null || m.Platform is not null || m.Vendor is not null))
            issues.Add(new(path, "a power rule matches by site (and step) only"));
        if (!power && m.Step is not null) issues.Add(new($"{path}.step", "only power rules match a step"));
        if (m.Delivery is { } d && !book.Deliveries.Any(x => x.Id.Value == d)) issues.Add(new($"{path}.delivery", $"no delivery '{d}'"));
        Site? site = null;
        if (m.Site is { } s && (site = book.Sites.FirstOrDefault(x => x.Id.Value == s)) is null) issues.Add(new($"{path}.site", $"no site '{s}'"));
        if (m.Platform is { } p && !book.Platforms.Any(x => x.Id.Value == p)) issues.Add(new($"{path}.platform", $"no platform '{p}'"));
        if (m.Vendor is { } v && !book.Platforms.Any(x => x.Vendor == v)) issues.Add(new($"{path}.vendor", $"no platform has vendor '{v}'"));
        if (m.Step is { } step)
        {
            if (m.Site is null) issues.Add(new($"{path}.step", "a step is matched within a site: give the site too"));
            else if (site is not null && !site.Power.Any(x => x.From == step))
                issues.Add(new($"{path}.step", $"site '{site.Id}' has no power step from {step:yyyy-MM-dd}"));
        }
    }

    internal static void Distribution(Distribution d, string path, string unit, List<ValidationIssue> issues)
    {
        void Bad(string field, string why) => issues.Add(new($"{path}.{field}", why));
        static bool Finite(double? x) => x is { } v && double.IsFinite(v);
        var before = issues.Count;
        switch (d.Kind)
        {
            case DistributionKind.Fixed:
                if (!Finite(d.Value)) Bad("value", $"a fixed distribution needs a value in {unit}");
                else if (d.Value < 0) Bad("value", $"a delay cannot be negative ({F(d.Value!.Value)} {unit})");
                break;
            case DistributionKind.Exponential:
                if (!Finite(d.Mean)) Bad("mean", "an exponential distribution needs its mean");
                else if (d.Mean <= 0) Bad("mean", $"the mean must be positive, not {F(d.Mean!.Value)}");
                break;
            case DistributionKind.LogNormal:
                if (!Finite(d.Mean) && !Finite(d.Median)) Bad("mean", "a lognormal distribution needs a mean or a median (it has no mean without one)");
                else if (Finite(d.Mean) && Finite(d.Median)) Bad("median", "give a mean or a median, not both");
                else if ((d.Mean ?? d.Median) <= 0) Bad(d.Mean is null ? "median" : "mean", $"must be positive, not {F((d.Mean ?? d.Median)!.Value)}");
                if (!Finite(d.Sigma)) Bad("sigma", "a lognormal distribution needs sigma (the spread of the log)");
                else if (d.Sigma < 0 || d.Sigma > 5) Bad("sigma", $"sigma must lie in [0, 5], not {F(d.Sigma!.Value)}");
                break;
            case DistributionKind.Uniform:
                if (!Finite(d.Min)) Bad("min", "a uniform distribution needs min");
                if (!Finite(d.Max)) Bad("max", "a uniform distribution needs max");
                if (Finite(d.Min) && d.Min < 0) Bad("min", $"a delay cannot be negative ({F(d.Min!.Value)} {unit})");
                if (Finite(d.Min) && Finite(d.Max) && d.Max < d.Min) Bad("max", $"max {F(d.Max!.Value)} is below min {F(d.Min!.Value)}");
                break;
            case DistributionKind.Empirical:
                if (d.Values.Count == 0) Bad("values", "an empirical distribution needs at least one value (it has no mean without one)");
                for (var i = 0; i < d.Values.Count; i++)
                {
                    if (!double.IsFinite(d.Values[i])) Bad($"values[{i}]", "not a finite number");
                    else if (d.Values[i] < 0) Bad($"values[{i}]", $"a delay cannot be negative ({F(d.Values[i])} {unit})");
                }
                break;
        }
        // Delays past the supported range would overflow the ledger's minutes.
        if (issues.Count == before && d.Kind != DistributionKind.Exponential && d.Kind != DistributionKind.LogNormal && d.Quantile(0.999999) > 36_500)
            Bad("max", $"a delay of more than 100 years is not a delay");
    }

    private static void Failures(FailureModel f, string path, List<ValidationIssue> issues)
    {
        if (!(f.GpuHoursBetweenFailures > 0) || !double.IsFinite(f.GpuHoursBetweenFailures))
            issues.Add(new($"{path}.gpu_hours_between_failures", $"must be positive, not {F(f.GpuHoursBetweenFailures)}"));
        if (f.GpusPerFailure <= 0) issues.Add(new($"{path}.gpus_per_failure", $"must be at least 1, not {f.GpusPerFailure}"));
        if (!(f.SwapMinutes >= 0) || !double.IsFinite(f.SwapMinutes)) issues.Add(new($"{path}.swap_minutes", $"a swap cannot take negative time ({F(f.SwapMinutes)})"));
        if (f.Causes.Count == 0) issues.Add(new($"{path}.causes", "name at least one cause"));
        var total = 0.0;
        for (var i = 0; i < f.Causes.Count; i++)
        {
            var c = f.Causes[i];
            if (!(c.Share >= 0 && c.Share <= 1)) issues.Add(new($"{path}.causes[{i}].share", $"a share must lie in [0, 1], not {F(c.Share)}"));
            else total += c.Share;
            Distribution(c.RepairHours, $"{path}.causes[{i}].repair_hours", "hours", issues);
        }
        if (f.Causes.Count > 0 && Math.Abs(total - 1) > 1e-6)
            issues.Add(new($"{path}.causes", $"the shares add up to {F(total)}; they must add up to 1"));
    }

    private static string F(double x) => x.ToString("0.######", CultureInfo.InvariantCulture);
}
