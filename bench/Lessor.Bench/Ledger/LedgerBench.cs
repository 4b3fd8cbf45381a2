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

        // Deals are drawn before timing so the numbers are the ledger's alone.
        var fitDeals = Enumerable.Range(0, 22_000).Select(_ => RandomDeal()).ToArray();
        var fits = 0;
        var next = 0;
        Report("fit check (single line)", 20_000, 2_000, () => { if (ledger.Check(fitDeals[next++]).Fits) fits++; });
        Console.WriteLine($"  {fits:N0} of 22,000 checks fit");
        var earliestDeals = Enumerable.Range(0, 2_200).Select(_ => RandomDeal()).ToArray();
        var found = 0;
        next = 0;
        Report("earliest start (to 2036)", 2_000, 200, () =>
        {
            var deal = earliestDeals[next++];
            if (ledger.Earliest(deal, deal.Lines[0].Period.Start, Utc.Date(2036, 1, 1)).Start is not null) found++;
        });
        Console.WriteLine($"  {found:N0} of 2,200 found a start");
        var pairs = Enumerable.Range(0, 220).Select(_ =>
        {
            var a = RandomDeal().Lines[0];
            var b = RandomDeal().Lines[0];
            var second = b with { Id = new LineId("L2"), Period = new Period(a.Period.Start, a.Period.Start + b.Period.Duration) };
            return new DealRequest(new CustomerId("bench"), [a with { Id = new LineId("L1") }, second]);
        }).ToArray();
        found = 0;
        next = 0;
        Report("earliest start, two-line deals", 200, 20, () =>
        {
            var deal = pairs[next++];
            if (ledger.Earliest(deal, deal.Lines[0].Period.Start, Utc.Date(2036, 1, 1)).Start is not null) found++;
        });
        Console.WriteLine($"  {found:N0} of 220 found a start");
        var largestDeals = Enumerable.Range(0, 2_200).Select(_ => RandomDeal()).ToArray();
        next = 0;
        Report("largest size", 2_000, 200, () => ledger.Largest(largestDeals[next++]));
        if (args.Contains("--detail"))
        {
            var foundSamples = new List<double>();
            var missSamples = new List<double>();
            var missCheck = new List<double>();
            for (var i = 0; i < 2_000; i++)
            {
                var deal = RandomDeal();
                var t0 = Stopwatch.GetTimestamp();
                var r = ledger.Earliest(deal, deal.Lines[0].Period.Start, Utc.Date(2036, 1, 1));
                var us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                (r.Start is null ? missSamples : foundSamples).Add(us);
                if (r.Start is null)
                {
                    t0 = Stopwatch.GetTimestamp();
                    ledger.Check(deal);
                    missCheck.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                }
            }
            static string P(List<double> x) { x.Sort(); return x.Count == 0 ? "-" : $"n={x.Count} median {x[x.Count / 2]:F0} p99 {x[(int)(x.Count * 0.99)]:F0} max {x[^1]:F0}"; }
            Console.WriteLine($"  earliest found: {P(foundSamples)}");
            Console.WriteLine($"  earliest none: {P(missSamples)}");
            Console.WriteLine($"  check of the same (none): {P(missCheck)}");
        }
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

    private static void Report(string name, int iterations, int warmup, Action query)
    {
        for (var i = 0; i < warmup; i++) query();
        var samples = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            query();
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        Array.Sort(samples);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: n={iterations:N0} median {samples[iterations / 2]:F1} us, p99 {samples[(int)(iterations * 0.99)]:F1} us, max {samples[^1]:F1} us"));
    }
}
