using System.Globalization;

namespace Lessor.Core.Fleet;

/// <summary>One report's verdict: its worst signal and a short reason naming the rule (empty when clean).</summary>
public readonly record struct Verdict(Severity Severity, string Reason)
{
    public static Verdict Clean { get; } = new(Severity.Clean, "");
}

/// <summary>
/// The rule table of docs/fleet.md, mapping a report's Xid codes, DCGM levels, temperatures and counter deltas to a
/// <see cref="Severity"/>, and the hysteresis thresholds the node state machine uses. Pure data and a pure function.
/// </summary>
public sealed record HealthRules
{
    /// <summary>Consecutive clean reports a degraded node needs before it returns to service.</summary>
    public int CleanReportsToRecover { get; init; } = 6;

    /// <summary>Time without a degrading signal a degraded node needs before it returns to service.</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Entries into degraded within <see cref="FlapWindow"/> that fail the node.</summary>
    public int FlapsToFail { get; init; } = 3;

    public TimeSpan FlapWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>A GPU at or above this temperature (degrees Celsius) degrades the node.</summary>
    public double DegradeTemperatureC { get; init; } = 95;

    /// <summary>NVLink errors added since the previous report at or above which the node degrades.</summary>
    public long NvlinkErrorDelta { get; init; } = 100;

    public static HealthRules Default { get; } = new();

    /// <summary>What an Xid code does (docs/fleet.md), with the reason recorded as evidence.</summary>
    public static (Severity Severity, string Meaning) Xid(int code) => code switch
    {
        48 => (Severity.Fail, "double-bit ECC error"),
        79 => (Severity.Fail, "GPU has fallen off the bus"),
        95 => (Severity.Fail, "uncontained ECC error"),
        64 => (Severity.Fail, "row remapping failure"),
        119 => (Severity.Fail, "GSP RPC timeout"),
        120 => (Severity.Fail, "GSP error"),
        63 => (Severity.Degrade, "row remapping pending"),
        94 => (Severity.Degrade, "contained ECC error"),
        74 => (Severity.Degrade, "NVLink error"),
        _ => (Severity.Clean, "application fault"),
    };

    /// <summary>
    /// The worst signal of <paramref name="report"/>. <paramref name="nvlink"/> and <paramref name="ecc"/> hold each GPU's
    /// counters from the node's previous report (indexed by GPU, -1 when unknown); a counter that rose is a delta, one that
    /// fell is a driver reload (a new baseline, no signal). The arrays are updated to this report's counters.
    /// </summary>
    public Verdict Classify(HealthReport report, long[] nvlink, long[] ecc)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(nvlink);
        ArgumentNullException.ThrowIfNull(ecc);
        var worst = Verdict.Clean;
        foreach (var e in report.Events)
        {
            var v = e.Kind switch
            {
                HealthEventKind.Xid when e.Code is { } code => Xid(code) is var x && x.Severity != Severity.Clean
                    ? new Verdict(x.Severity, Text($"xid {code} on gpu {e.Gpu?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {x.Meaning}"))
                    : Verdict.Clean,
                HealthEventKind.Dcgm when e.Level == DcgmLevel.Fail => new Verdict(Severity.Fail, Dcgm("fail", e)),
                HealthEventKind.Dcgm when e.Level == DcgmLevel.Warn => new Verdict(Severity.Degrade, Dcgm("warn", e)),
                _ => Verdict.Clean,
            };
            if (v.Severity > worst.Severity) worst = v;
        }
        foreach (var g in report.Gpus)
        {
            if (g.Gpu < 0 || g.Gpu >= nvlink.Length || g.Gpu >= ecc.Length) continue;
            if (g.TemperatureC >= DegradeTemperatureC && worst.Severity < Severity.Degrade)
                worst = new Verdict(Severity.Degrade, Text($"gpu {g.Gpu} at {g.TemperatureC:0.#} C (limit {DegradeTemperatureC:0.#} C)"));
            var eccBefore = ecc[g.Gpu];
            if (eccBefore >= 0 && g.EccDoubleBit > eccBefore && worst.Severity < Severity.Fail)
                worst = new Verdict(Severity.Fail, Text($"gpu {g.Gpu}: {g.EccDoubleBit - eccBefore} new double-bit ECC errors"));
            var linkBefore = nvlink[g.Gpu];
            if (linkBefore >= 0 && g.NvlinkErrors - linkBefore >= NvlinkErrorDelta && worst.Severity < Severity.Degrade)
                worst = new Verdict(Severity.Degrade, Text($"gpu {g.Gpu}: {g.NvlinkErrors - linkBefore} new NVLink errors"));
            ecc[g.Gpu] = g.EccDoubleBit;
            nvlink[g.Gpu] = g.NvlinkErrors;
        }
        return worst;
    }

    private static string Dcgm(string level, HealthEvent e) =>
        Text($"dcgm {level}{(e.Gpu is { } gpu ? $" on gpu {gpu}" : "")}{(string.IsNullOrEmpty(e.Detail) ? "" : $": {e.Detail}")}");

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
