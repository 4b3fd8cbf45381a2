using System.Diagnostics;
using System.Globalization;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Bench.Ledger;

/// <summary>
/// Stopwatch harness for the capacity ledger on a synthetic 1,000,000-GPU fleet with over 20,000 committed lines
/// (2024-2035): build time and memory, then median and p99 of fit check, earliest start and largest size.
/// Bounded iteration counts keep it short on a shared machine. Run: dotnet run -c Release --project bench/Lessor.Bench -- ledger
/// </summary>
internal static class LedgerBench
{
    private static readonly int[] DealSizes = [8, 72, 1_024, 4_096, 16_384];

    public static int Run(string[] args)
    {
        var seed = args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var given) ? given : 42;
        // Tail latencies on a shared machine follow its load; print it beside the numbers.
        if (File.Exists("/proc/loadavg")) Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()} on {Environment.ProcessorCount} cores");
        var fleet = SyntheticFleet.Generate(seed, targetLines: 24_000);
        Console.WriteLine($"fleet: {fleet.Fabrics.Count} fabrics, {fleet.Deliveries.Sum(d => d.Units * GpusPerUnit(fleet, d.Fabric)):N0} GPUs, {fleet.Contracts.Count:N0} lines (unpinned)");

        // Build 1: every line placed by the ledger (a first import). Build 2: the same book with pinned placements (a restart).
        var (placedBuild, placedMs, placedBytes) = TimedBuild(fleet);
        Console.WriteLine($"build with placement: {placedMs:F0} ms, {placedBytes / 1e6:F0} MB retained, {placedBuild.Ledger.LineRefs.Count:N0} lines placed, {placedBuild.Unplaced.Count:N0} did not fit");
        var pinned = SyntheticFleet.Pin(fleet, placedBuild.Ledger);
        placedBuild = null!;
        var (build, ms, bytes) = TimedBuild(pinned);
        Console.WriteLine($"build from pinned book: {ms:F0} ms, {bytes / 1e6:F0} MB retained, {build.Ledger.LineRefs.Count:N0} lines, uncovered {build.Uncovered.Count}");
        Console.WriteLine($"peak working set so far: {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");

        var ledger = build.Ledger;
        var rng = new Random(seed + 1);
        var platforms = pinned.Platforms.Select(p => p.Id).ToArray();
        DealRequest RandomDeal()
        {
            var p = pinned.Platforms[rng.Next(pinned.Platforms.Count)];
            var size = DealSizes[rng.Next(DealSizes.Length)];
            var gpus = Math.Max(p.GpusPerUnit, size / p.GpusPerUnit * p.GpusPerUnit);
            var start = Utc.Date(2025 + rng.Next(0, 8), 1 + rng.Next(12), 1);
            var period = new Period(start, start.AddMonths(6 + rng.Next(0, 36)));
            var locality = (Locality)rng.Next(4);
            GpuCount? block = rng.Next(3) == 0 ? new GpuCount(Math.Max(p.GpusPerUnit, gpus / 4 / p.GpusPerUnit * p.GpusPerUnit)) : null;
            return new DealRequest(new CustomerId("bench"),
                [new DealLine { Platform = p.Id, Gpus = new GpuCount(gpus), Period = period, Locality = locality, BlockSize = block, MinSites = rng.Next(5) == 0 ? 2 : 1 }]);
        }

        // Deals are drawn before timing so the numbers are the ledger's alone; each round replays the same deals.
        var fitDeals = Enumerable.Range(0, 22_000).Select(_ => RandomDeal()).ToArray();
        Console.WriteLine($"  {fitDeals.Count(d => ledger.Check(d).Fits):N0} of 22,000 fit checks fit");
        Report("fit check (single line)", 20_000, 2_000, i => ledger.Check(fitDeals[i]));
        var earliestDeals = Enumerable.Range(0, 2_200).Select(_ => RandomDeal()).ToArray();
        var horizon = Utc.Date(2036, 1, 1);
        Console.WriteLine($"  {earliestDeals.Count(d => ledger.Earliest(d, d.Lines[0].Period.Start, horizon).Start is not null):N0} of 2,200 found a start");
        Report("earliest start (to 2036)", 2_000, 200, i => ledger.Earliest(earliestDeals[i], earliestDeals[i].Lines[0].Period.Start, horizon));
        var pairs = Enumerable.Range(0, 220).Select(_ =>
        {
            var a = RandomDeal().Lines[0];
            var b = RandomDeal().Lines[0];
            var second = b with { Id = new LineId("L2"), Period = new Period(a.Period.Start, a.Period.Start + b.Period.Duration) };
            return new DealRequest(new CustomerId("bench"), [a with { Id = new LineId("L1") }, second]);
        }).ToArray();
        Console.WriteLine($"  {pairs.Count(d => ledger.Earliest(d, d.Lines[0].Period.Start, horizon).Start is not null):N0} of 220 two-line deals found a start");
        Report("earliest start, two-line deals", 200, 20, i => ledger.Earliest(pairs[i], pairs[i].Lines[0].Period.Start, horizon));
        var largestDeals = Enumerable.Range(0, 2_200).Select(_ => RandomDeal()).ToArray();
        Report("largest size", 2_000, 200, i => ledger.Largest(largestDeals[i]));
        return 0;
    }

    private static int GpusPerUnit(Scenario s, FabricId fabric)
    {
        var f = s.Fabrics.First(x => x.Id == fabric);
        return s.Platforms.First(p => p.Id == f.Platform).GpusPerUnit;
    }

    private static (LedgerBuild Build, double Ms, long Bytes) TimedBuild(Scenario s)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var build = CapacityLedger.Build(s);
        sw.Stop();
        Console.WriteLine($"  (build cpu time {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms)");
        var after = GC.GetTotalMemory(true);
        return (build, sw.Elapsed.TotalMilliseconds, after - before);
    }

    /// <summary>
    /// Times a query over the same inputs in three rounds and prints each: on a shared machine other processes only
    /// ever add time, so the best round is the closest to the ledger's own cost, and the spread shows the noise.
    /// </summary>
    private static void Report(string name, int iterations, int warmup, Action<int> query)
    {
        for (var i = 0; i < warmup; i++) query(iterations + i);
        var samples = new double[iterations];
        var rounds = new List<string>();
        long allocated = 0;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < iterations; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                query(i);
                samples[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Array.Sort(samples);
            rounds.Add(string.Create(CultureInfo.InvariantCulture,
                $"median {samples[iterations / 2]:F1} us, p99 {samples[(int)(iterations * 0.99)]:F1} us, max {samples[^1]:F1} us"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: n={iterations:N0} x 3 rounds, {allocated / iterations:N0} B allocated per query"));
        foreach (var r in rounds) Console.WriteLine($"  {r}");
    }
}
