using System.Diagnostics;

namespace Lessor.Bench.Scale;

/// <summary>Median and tail of repeated timings, for the harnesses that report p50/p99 rather than BenchmarkDotNet means.</summary>
internal static class Stats
{
    public static (double Median, double P99, double Max) Percentiles(double[] samples)
    {
        var sorted = samples.Order().ToArray();
        return (At(sorted, 0.5), At(sorted, 0.99), sorted[^1]);
    }

    private static double At(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>Wall time of an action in milliseconds.</summary>
    public static double Ms(Action action)
    {
        var w = Stopwatch.StartNew();
        action();
        return w.Elapsed.TotalMilliseconds;
    }

    public static async Task<double> MsAsync(Func<Task> action)
    {
        var w = Stopwatch.StartNew();
        await action();
        return w.Elapsed.TotalMilliseconds;
    }

    public static double Median(IEnumerable<double> xs) => Percentiles(xs.ToArray()).Median;
}
