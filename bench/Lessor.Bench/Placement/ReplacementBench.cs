using System.Diagnostics;
using System.Globalization;
using Lessor.Bench.Scale;
using Lessor.Core.Generation;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Bench.Placement;

/// <summary>
/// Re-placement on the generated 1,000,000-GPU scenario (seed 7): how long a whole-book proposal takes and what it
/// frees, and how long a check that lets unstarted lines move takes beside the plain check of the same deals (the
/// in-run baseline). Run: dotnet run -c Release --project bench/Lessor.Bench -- replace [as-of yyyy-mm-dd] [deals]
/// </summary>
internal static class ReplacementBench
{
    private static readonly int[] Sizes = [1_024, 4_096, 16_384, 65_536];

    public static int Run(string[] args)
    {
        var asOf = args.Length > 1 ? DateTime.SpecifyKind(DateTime.Parse(args[1], CultureInfo.InvariantCulture), DateTimeKind.Utc) : Utc.Date(2026, 11, 28);
        var count = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
        if (File.Exists("/proc/loadavg")) Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()} on {Environment.ProcessorCount} cores");
        var scenario = ScenarioGenerator.Generate(new() { Gpus = 1_000_000, Seed = 7 });
        var ledger = CapacityLedger.Build(scenario).Ledger;
        Console.WriteLine($"book: {ledger.LineRefs.Count:N0} lines placed; as of {asOf:yyyy-MM-dd}");

        var window = new Period(asOf, asOf.AddYears(5));
        var times = new List<double>();
        ReplacementPlan plan = null!;
        for (var round = 0; round < 3; round++) times.Add(Stats.Ms(() => plan = ledger.ProposeReplacement(asOf, window, 1_024)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"propose (whole book, 5-year window): median {Stats.Median(times):F0} ms of 3; {plan.MovableLines:N0} movable, {plan.FrozenLines:N0} held, {plan.Moves.Count:N0} moves; " +
            $"stranded @1,024 {plan.Before.StrandedGpuHours / 1e6m:F1}M -> {plan.After.StrandedGpuHours / 1e6m:F1}M GPU-h of {plan.Before.FreeGpuHours / 1e6m:F1}M free " +
            $"({plan.Before.Share:P1} -> {plan.After.Share:P1})"));
        var bounded = new List<double>();
        ReplacementPlan top = null!;
        for (var round = 0; round < 3; round++) bounded.Add(Stats.Ms(() => top = ledger.ProposeReplacement(asOf, window, 1_024, maxMoves: 100)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"propose, at most 100 moves (best single-line moves first): median {Stats.Median(bounded):F0} ms of 3; {top.Moves.Count} moves; " +
            $"stranded @1,024 {top.Before.StrandedGpuHours / 1e6m:F1}M -> {top.After.StrandedGpuHours / 1e6m:F1}M GPU-h ({top.Before.Share:P2} -> {top.After.Share:P2})"));
        var apply = Stopwatch.StartNew();
        var applied = ledger.ApplyMoves(plan.Moves, asOf);
        apply.Stop();
        Console.WriteLine($"apply the moves: {apply.Elapsed.TotalMilliseconds:F0} ms, applied {applied.Applied}; stranded now {ledger.Stranding(window, 1_024).StrandedGpuHours / 1e6m:F1}M GPU-h");
        ledger.Release(applied.Token!);

        // Deals that do not fit as placed, drawn before timing; each is then checked plainly and letting lines move.
        var rng = new Random(11);
        var misses = new List<DealRequest>();
        for (var tries = 0; misses.Count < count && tries < 200 * count; tries++)
        {
            var p = scenario.Platforms[rng.Next(scenario.Platforms.Count)];
            var size = Sizes[rng.Next(Sizes.Length)];
            var gpus = size / p.GpusPerUnit * p.GpusPerUnit;
            if (gpus == 0) continue;
            var start = asOf.Date.AddDays(30 + rng.Next(0, 3 * 365));
            var deal = new DealRequest(new CustomerId("bench"),
            [
                new DealLine
                {
                    Platform = p.Id, Gpus = new GpuCount(gpus), Period = new Period(DateTime.SpecifyKind(start, DateTimeKind.Utc), DateTime.SpecifyKind(start.AddMonths(12 + rng.Next(0, 36)), DateTimeKind.Utc)),
                    Locality = Locality.Fabric,
                },
            ]);
            if (!ledger.Check(deal).Fits) misses.Add(deal);
        }
        var plain = new double[misses.Count];
        var moved = new double[misses.Count];
        var rescued = 0;
        var within = 0;
        var movesTotal = 0;
        var perDeal = new List<int>();
        for (var i = 0; i < misses.Count; i++)
        {
            plain[i] = Stats.Ms(() => ledger.Check(misses[i]));
            RepackFit repack = null!;
            moved[i] = Stats.Ms(() => repack = ledger.CheckWithReplacement(misses[i], asOf));
            if (!repack.Fit.Fits) continue;
            rescued++;
            movesTotal += repack.Moves.Count;
            perDeal.Add(repack.Moves.Count);
            if (ledger.CheckWithReplacement(misses[i], asOf, maxMoves: 100).Fit.Fits) within++;
        }
        var (pm, p99, _) = Stats.Percentiles(plain);
        var (mm, m99, _) = Stats.Percentiles(moved);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{misses.Count} fabric-local deals of 1,024-65,536 GPUs that do not fit as placed: plain check median {pm:F3} ms p99 {p99:F3} ms; " +
            $"with moves median {mm:F1} ms p99 {m99:F1} ms ({mm / pm:F0}x the plain check); {rescued} fit with moves, {(rescued == 0 ? 0 : (double)movesTotal / rescued):F1} moves each on average (each: {string.Join(' ', perDeal.Order())}); {within} fit with at most 100 moves"));
        return 0;
    }
}
