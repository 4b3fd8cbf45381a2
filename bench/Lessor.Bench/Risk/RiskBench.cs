using System.Diagnostics;
using System.Globalization;
using Lessor.Core.Generation;
using Lessor.Core.Model;
using Lessor.Core.Risk;
using Lessor.Storage.Scenarios;

namespace Lessor.Bench.Risk;

/// <summary>
/// `Lessor.Bench risk [bundled|1m] [--trials N] [--threads T]`: Monte Carlo trials per second on the bundled book over
/// 2026-2028 (target 10,000 trials in under 60 s) and on the generated 1,000,000-GPU book (1,000 trials in under 5 min),
/// with a thread sweep; wall and process CPU beside each other, and the managed heap after the run.
/// </summary>
internal static class RiskBench
{
    private static readonly DateTime From = Utc.Date(2026, 1, 1);
    private static readonly DateTime Until = Utc.Date(2029, 1, 1);

    public static int Run(string[] args)
    {
        var which = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : "bundled";
        var trials = Arg(args, "--trials") ?? (which == "1m" ? 1000 : 10_000);
        var threads = Arg(args, "--threads");
        var (book, name) = which == "1m" ? (Generated(), "generated 1,000,000 GPUs (seed 7), uncertainty as the bundled book's") : (Bundled(), "bundled neocloud-2026");
        if (args.Contains("--no-failures")) (book, name) = (book with { Uncertainty = book.Uncertainty! with { Failures = null } }, name + ", delays only");
        var sweep = threads is { } t ? [t] : Enumerable.Range(1, Environment.ProcessorCount).ToArray();
        foreach (var n in sweep) Measure(book, name, trials, n, which == "1m" ? 300_000 : 60_000);
        return 0;
    }

    private static void Measure(Scenario book, string name, int trials, int threads, double targetMs)
    {
        GC.Collect();
        var cpu0 = Results.ProcessCpu();
        var wall = Stopwatch.StartNew();
        var run = RiskEngine.Run(book, new RiskOptions { From = From, Until = Until, Trials = trials, Seed = 1, Threads = threads });
        wall.Stop();
        var cpu = (Results.ProcessCpu() - cpu0).TotalMilliseconds;
        var completed = run.Rows.Count(r => r is not null);
        Results.Require($"risk trials ({threads} threads)", completed, trials);
        var heapMb = GC.GetTotalMemory(false) / 1048576.0;
        var peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
        Results.Record(new BenchFigure("risk", $"risk.trials_per_s.{threads}_threads", $"trials of {From:yyyy-MM-dd}..{Until:yyyy-MM-dd} (ledger slips, coverage, schedules of changed contracts, fleet failures, SLA credits) per second of wall time",
            name, "trials/s", trials / wall.Elapsed.TotalSeconds)
        {
            Attempted = trials,
            Succeeded = completed,
            WallMs = wall.Elapsed.TotalMilliseconds,
            CpuMs = cpu,
            Target = $"{trials:N0} trials in < {targetMs / 1000:N0} s",
            Met = wall.Elapsed.TotalMilliseconds < targetMs,
            Extra = new Dictionary<string, double> { ["heap_mb_after"] = heapMb, ["peak_working_set_mb"] = peakMb, ["cpu_ms_per_trial"] = cpu / trials },
        });
        GC.KeepAlive(run);
    }

    private static Scenario Bundled()
    {
        var path = Path.Combine(Root(), "samples", "neocloud-2026.yaml");
        return ScenarioFile.Load(path).Scenario ?? throw new InvalidOperationException($"{path} does not parse.");
    }

    private static Scenario Generated()
    {
        var generated = ScenarioGenerator.Generate(new() { Gpus = 1_000_000, Seed = 7 });
        return generated with { Uncertainty = Bundled().Uncertainty };
    }

    private static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Lessor.slnx"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    private static int? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : null;
    }
}
