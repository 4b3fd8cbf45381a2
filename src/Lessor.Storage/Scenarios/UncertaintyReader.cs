using System.Globalization;
using Lessor.Core.Risk;
using YamlDotNet.RepresentationModel;

namespace Lessor.Storage.Scenarios;

/// <summary>
/// Reads the <c>uncertainty:</c> section of a scenario (and policy files, which hold the same sections): field problems
/// are reported with their paths like the rest of the file; the validator then checks the values.
/// </summary>
internal sealed class UncertaintyReader(YamlInput input)
{
    internal static readonly string[] Keys = ["deliveries", "power", "failures", "spares"];
    internal static readonly string[] PolicyKeys = ["name", "deliveries", "power", "failures", "spares"];
    internal static readonly string[] RuleKeys = ["match", "on_time", "delay_days"];
    internal static readonly string[] MatchKeys = ["delivery", "site", "platform", "vendor", "step"];
    internal static readonly string[] DistributionKeys = ["kind", "value", "mean", "median", "sigma", "min", "max", "values"];
    internal static readonly string[] FailureKeys = ["gpu_hours_between_failures", "gpus_per_failure", "swap_minutes", "causes"];
    internal static readonly string[] CauseKeys = ["name", "share", "uses_spare", "repair_hours"];
    internal static readonly string[] SpareKeys = ["fraction"];
    internal static readonly string[] KindNames = ["fixed", "exponential", "lognormal", "uniform", "empirical"];
    internal static readonly DistributionKind[] KindValues = [DistributionKind.Fixed, DistributionKind.Exponential, DistributionKind.LogNormal, DistributionKind.Uniform, DistributionKind.Empirical];
    private static readonly string[] BoolNames = ["true", "false"];
    private static readonly bool[] BoolValues = [true, false];

    public UncertaintyModel? Read(YamlNode? node, string path)
    {
        if (node is null) return null;
        var f = input.Open(node, path, Keys);
        if (f is null) return null;
        return new UncertaintyModel
        {
            Deliveries = Rules(f, "deliveries") ?? [],
            Power = Rules(f, "power") ?? [],
            Failures = input.Get(f, "failures", false) is { } fn ? Failures(fn, YamlInput.Join(path, "failures")) : null,
            Spares = (input.Get(f, "spares", false) is { } sn ? Spares(sn, YamlInput.Join(path, "spares")) : null) ?? new SparePolicy(0),
        };
    }

    public UncertaintyPolicy? ReadPolicy(YamlNode node)
    {
        var f = input.Open(node, "", PolicyKeys);
        if (f is null) return null;
        return new UncertaintyPolicy
        {
            Name = input.Str(f, "name", false) ?? "policy",
            Deliveries = Rules(f, "deliveries"),
            Power = Rules(f, "power"),
            Failures = input.Get(f, "failures", false) is { } fn ? Failures(fn, "failures") : null,
            Spares = input.Get(f, "spares", false) is { } sn ? Spares(sn, "spares") : null,
        };
    }

    private List<DelayRule>? Rules(Fields f, string key)
    {
        if (input.Get(f, key, false) is null) return null;
        var nodes = input.List(f, key, false);
        var rules = new List<DelayRule>(nodes.Count);
        for (var i = 0; i < nodes.Count; i++)
        {
            var path = $"{YamlInput.Join(f.Path, key)}[{i}]";
            var r = input.Open(nodes[i], path, RuleKeys);
            if (r is null) continue;
            var match = new DelayMatch();
            if (input.Get(r, "match", false) is { } mn && input.Open(mn, $"{path}.match", MatchKeys) is { } m)
                match = new DelayMatch
                {
                    Delivery = input.Str(m, "delivery", false),
                    Site = input.Str(m, "site", false),
                    Platform = input.Str(m, "platform", false),
                    Vendor = input.Str(m, "vendor", false),
                    Step = input.Date(m, "step", false),
                };
            rules.Add(new DelayRule
            {
                Match = match,
                OnTime = D(input.Dec(r, "on_time", true)) ?? 0,
                Delay = Distribution(input.Get(r, "delay_days", true), $"{path}.delay_days"),
            });
        }
        return rules;
    }

    private Distribution Distribution(YamlNode? node, string path)
    {
        var placeholder = Core.Risk.Distribution.Fixed(0);
        if (node is null) return placeholder;
        var f = input.Open(node, path, DistributionKeys);
        if (f is null) return placeholder;
        var kind = input.Enum(f, "kind", true, KindNames, KindValues);
        var values = new List<double>();
        var nodes = input.List(f, "values", false);
        for (var i = 0; i < nodes.Count; i++)
        {
            if (input.Item(nodes[i], $"{path}.values[{i}]") is not { } text) continue;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) values.Add(v);
            else input.Error($"{path}.values[{i}]", nodes[i], $"'{text}' is not a number");
        }
        if (kind is null) return placeholder;
        return new Distribution
        {
            Kind = kind.Value,
            Value = D(input.Dec(f, "value", false)),
            Mean = D(input.Dec(f, "mean", false)),
            Median = D(input.Dec(f, "median", false)),
            Sigma = D(input.Dec(f, "sigma", false)),
            Min = D(input.Dec(f, "min", false)),
            Max = D(input.Dec(f, "max", false)),
            Values = values,
        };
    }

    private FailureModel? Failures(YamlNode node, string path)
    {
        var f = input.Open(node, path, FailureKeys);
        if (f is null) return null;
        var defaults = new FailureModel();
        var causes = new List<FailureCause>();
        var nodes = input.List(f, "causes", false);
        for (var i = 0; i < nodes.Count; i++)
        {
            var cp = $"{path}.causes[{i}]";
            if (input.Open(nodes[i], cp, CauseKeys) is not { } c) continue;
            causes.Add(new FailureCause(
                input.Str(c, "name", true) ?? "",
                D(input.Dec(c, "share", true)) ?? 0,
                Distribution(input.Get(c, "repair_hours", true), $"{cp}.repair_hours"),
                input.Enum(c, "uses_spare", false, BoolNames, BoolValues) ?? false));
        }
        return new FailureModel
        {
            GpuHoursBetweenFailures = D(input.Dec(f, "gpu_hours_between_failures", false)) ?? defaults.GpuHoursBetweenFailures,
            GpusPerFailure = input.Int(f, "gpus_per_failure", false) ?? defaults.GpusPerFailure,
            SwapMinutes = D(input.Dec(f, "swap_minutes", false)) ?? defaults.SwapMinutes,
            Causes = input.Get(f, "causes", false) is null ? defaults.Causes : causes,
        };
    }

    private SparePolicy? Spares(YamlNode node, string path)
    {
        var f = input.Open(node, path, SpareKeys);
        return f is null ? null : new SparePolicy(D(input.Dec(f, "fraction", true)) ?? 0);
    }

    private static double? D(decimal? d) => d is { } v ? (double)v : null;
}
