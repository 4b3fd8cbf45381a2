using BenchmarkDotNet.Running;

namespace Lessor.Bench;

/// <summary>Entry point: BenchmarkDotNet suites by default; named scenario benchmarks by first argument.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args is ["finance", ..])
        {
            var (scenario, coverage) = Finance.FinanceBench.Synthetic();
            Finance.FinanceBench.Run(scenario, coverage);
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
