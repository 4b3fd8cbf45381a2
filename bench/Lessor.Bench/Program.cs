using BenchmarkDotNet.Running;

namespace Lessor.Bench;

/// <summary>Entry point: BenchmarkDotNet suites by default; named scenario benchmarks by first argument.</summary>
internal static class Program
{
    /// <summary>Runs a benchmark; one whose timed work did not happen exits 3 with the reason, never a figure.</summary>
    private static async Task<int> Guarded(Func<Task<int>> bench)
    {
        try
        {
            return await bench();
        }
        catch (BenchmarkInvalidException e)
        {
            await Console.Error.WriteLineAsync($"benchmark invalid: {e.Message}");
            return 3;
        }
    }

    private static async Task<int> Main(string[] args)
    {
        if (args is ["import", .. var rest]) return await ImportBenchmark.RunAsync(rest, CancellationToken.None);
        if (args is ["summary", .. var summaryArgs]) return Summary.Run(summaryArgs);
        if (args is ["desk-open", .. var openArgs]) return await Desk.DeskBench.OpenStepsAsync(openArgs);
        if (args is ["scale", .. var scaleArgs]) return Scale.ScaleBench.Run(scaleArgs);
        if (args is ["desk", .. var deskArgs]) return await Guarded(() => Desk.DeskBench.RunAsync(deskArgs));
        if (args is ["store", .. var storeArgs]) return await Scale.StoreBench.RunAsync(storeArgs);
        if (args is ["peers", ..]) return Scale.PeersBench.Run();
        if (args is ["api", ..]) return await Api.ApiBench.RunAsync(args);
        if (args is ["load", .. var loadArgs]) return await Load.OpenLoop.RunAsync(loadArgs);
        if (args is ["plan", .. var planArgs]) return Planning.PlanBench.Run(planArgs);
        if (args is ["claims", .. var claimArgs]) return await Claims.ClaimsBench.RunAsync(claimArgs);
        if (args is ["fleet", .. var fleetArgs]) return await Fleet.FleetBench.RunAsync(fleetArgs);
        if (args is ["claims-peer", ..]) return await Claims.PeerClaimsBench.RunAsync(args);
        if (args is ["replicas", ..]) return await Guarded(() => Replicas.ReplicasBench.RunAsync(args));
        if (args is ["faults", .. var faultArgs]) return await Guarded(() => Faults.FaultsBench.RunAsync(faultArgs));
        if (args is ["finance", ..])
        {
            Console.WriteLine("synthetic book (10,001 customers, 20,001 lines):");
            var (scenario, coverage) = Finance.FinanceBench.Synthetic();
            Finance.FinanceBench.Run(scenario, coverage);
            Console.WriteLine("generated 1,000,000-GPU scenario (seed 7), coverage from the ledger:");
            var generated = Lessor.Core.Generation.ScenarioGenerator.Generate(new() { Gpus = 1_000_000, Seed = 7 });
            var ledger = Lessor.Core.Ledger.CapacityLedger.Build(generated).Ledger;
            var map = ledger.LineRefs.ToDictionary(l => l, ledger.Coverage);
            Finance.FinanceBench.Run(generated, Lessor.Core.Finance.CoverageSource.FromMap(map));
            return 0;
        }
        if (args is ["ledger", ..]) return Ledger.LedgerBench.Run(args);
        if (args is ["risk", ..]) return Risk.RiskBench.Run(args);
        if (args is ["placement", ..]) return Placement.PlacementQualityBench.Run(args);
        if (args is ["replace", ..]) return Placement.ReplacementBench.Run(args);
        if (args is ["ingest", .. var ingestArgs]) return await Guarded(() => Fleet.IngestBench.RunAsync(ingestArgs));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
