using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lessor.Bench;

/// <summary>
/// One measured figure, as the benchmark runner records it: what it measures, on which book, how many operations
/// were attempted and how many succeeded, wall and CPU time, and the machine's load while it ran.
/// </summary>
/// <param name="Bench">The benchmark that measured it (the first argument of <c>Lessor.Bench</c>).</param>
/// <param name="Figure">A stable key for the figure, for example <c>sign.committed_per_s.1_client</c>.</param>
/// <param name="Measures">One sentence: what exactly is timed.</param>
/// <param name="Book">The book or fleet it ran on.</param>
/// <param name="Unit">The unit of <paramref name="Value"/> (<c>ops/s</c>, <c>ms</c>, <c>us</c>, ...).</param>
/// <param name="Value">The headline value (a median unless <paramref name="Measures"/> says otherwise).</param>
public sealed record BenchFigure(string Bench, string Figure, string Measures, string Book, string Unit, double Value)
{
    /// <summary>Operations the figure's run attempted.</summary>
    public long? Attempted { get; init; }

    /// <summary>Operations that did the work the figure claims (committed, granted, answered 2xx).</summary>
    public long? Succeeded { get; init; }

    /// <summary>Wall time of the measured part, in milliseconds.</summary>
    public double? WallMs { get; init; }

    /// <summary>CPU time of the measured part (the measuring process, or the server's from /proc), in milliseconds.</summary>
    public double? CpuMs { get; init; }

    /// <summary>The baseline measured in the same run, and the ratio value / baseline.</summary>
    public double? Baseline { get; init; }

    /// <summary>What the baseline is.</summary>
    public string? BaselineMeasures { get; init; }

    /// <summary>The figure's goal, in words (<c>&gt;= 1,000/s</c>), or null when it has none.</summary>
    public string? Target { get; init; }

    /// <summary>Whether the goal was met; null when there is no goal.</summary>
    public bool? Met { get; init; }

    /// <summary>Further named values: percentiles, counts, per-request CPU.</summary>
    public IReadOnlyDictionary<string, double>? Extra { get; init; }
}

/// <summary>
/// Writes figures as JSON lines to the file named by <c>LESSOR_BENCH_OUT</c> (when set) and prints each one; makes a
/// benchmark fail loudly when the work it claims to time did not happen.
/// </summary>
public static class Results
{
    private static readonly Lock Gate = new();
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The 1-, 5- and 15-minute load averages (from /proc/loadavg), or "?" where there is none.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "?";

    /// <summary>CPU time (user + system) this process has used so far.</summary>
    public static TimeSpan ProcessCpu() => Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>CPU time (user + system) of another process, read from /proc/PID/stat.</summary>
    public static TimeSpan ProcessCpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields after the command: state is index 0, so utime (14th field of the file) is index 11 and stime 12.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
    }

    /// <summary>Records a figure: prints it and appends it, with the time and load average, to LESSOR_BENCH_OUT.</summary>
    public static void Record(BenchFigure figure)
    {
        var node = JsonSerializer.SerializeToNode(figure, Json)!.AsObject();
        node["at"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        node["load_average"] = LoadAverage();
        node["cores"] = Environment.ProcessorCount;
        var line = node.ToJsonString();
        Console.WriteLine(Describe(figure));
        var path = Environment.GetEnvironmentVariable("LESSOR_BENCH_OUT");
        if (string.IsNullOrEmpty(path)) return;
        lock (Gate) File.AppendAllText(path, line + "\n");
    }

    /// <summary>One readable line per figure: value, counts, CPU beside wall, baseline and ratio, goal.</summary>
    public static string Describe(BenchFigure f)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new System.Text.StringBuilder();
        text.Append(inv, $"[figure] {f.Figure} = {f.Value:#,0.###} {f.Unit}");
        if (f.Attempted is { } a) text.Append(inv, $"; {f.Succeeded ?? 0:N0} of {a:N0} succeeded");
        if (f.WallMs is { } w) text.Append(inv, $"; wall {w:#,0.#} ms");
        if (f.CpuMs is { } c) text.Append(inv, $", CPU {c:#,0.#} ms");
        if (f.Baseline is { } b && b != 0) text.Append(inv, $"; baseline {b:#,0.###} ({f.BaselineMeasures}), ratio {f.Value / b:0.00}x");
        if (f.Target is { } t) text.Append(inv, $"; goal {t}: {(f.Met == true ? "met" : "NOT met")}");
        if (f.Extra is { Count: > 0 } extra) text.Append(inv, $"; {string.Join(", ", extra.Select(kv => string.Create(inv, $"{kv.Key} {kv.Value:#,0.###}")))}");
        text.Append(inv, $"; load {LoadAverage()}");
        return text.ToString();
    }

    /// <summary>Fails the benchmark (throws) when fewer operations succeeded than the figure needs.</summary>
    public static void Require(string what, long succeeded, long expected)
    {
        if (succeeded >= expected) return;
        throw new BenchmarkInvalidException(
            $"{what}: {succeeded:N0} succeeded, {expected:N0} expected; the figure would time work that did not happen");
    }
}

/// <summary>Thrown when a benchmark's measured work did not happen; the runner exits non-zero.</summary>
public sealed class BenchmarkInvalidException(string message) : Exception(message);

/// <summary>`Lessor.Bench summary FILE`: the figures of a result file as a Markdown table.</summary>
internal static class Summary
{
    public static int Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine("| figure | value | attempted / succeeded | wall / CPU ms | baseline (same run) | ratio | goal | load |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var line in File.ReadLines(args[0]))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var f = JsonNode.Parse(line)!.AsObject();
            double? D(string k) => f[k] is JsonValue v ? v.GetValue<double>() : null;
            string N(double? x, string format = "#,0.##") => x is { } d ? d.ToString(format, inv) : "";
            var value = D("value")!.Value;
            var baseline = D("baseline");
            var goal = f["target"]?.GetValue<string>() is { } t ? $"{t}: {(f["met"]?.GetValue<bool>() == true ? "met" : "**not met**")}" : "";
            Console.WriteLine(string.Create(inv,
                $"| {f["figure"]} | {N(value)} {f["unit"]} | {N(D("attempted"), "#,0")} / {N(D("succeeded"), "#,0")} | {N(D("wall_ms"))} / {N(D("cpu_ms"))} | {N(baseline)} | {(baseline is { } b && b != 0 ? (value / b).ToString("0.00", inv) + "x" : "")} | {goal} | {f["load_average"]} |"));
        }
        return 0;
    }
}
