using BenchmarkDotNet.Running;

namespace Lessor.Bench;

/// <summary>Entry point: BenchmarkDotNet suites by default; named scenario benchmarks by first argument.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args is ["import", .. var rest]) return await ImportBenchmark.RunAsync(rest, CancellationToken.None);
        if (args is ["store", .. var storeArgs]) return await Scale.StoreBench.RunAsync(storeArgs);
        if (args is ["peers", ..]) return Scale.PeersBench.Run();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
