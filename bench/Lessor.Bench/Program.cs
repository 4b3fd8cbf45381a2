using BenchmarkDotNet.Running;

namespace Lessor.Bench;

/// <summary>Entry point: BenchmarkDotNet suites by default; named scenario benchmarks by first argument.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        // Stopwatch harnesses run by name, before BenchmarkSwitcher sees the arguments.
        if (args.Length > 0 && args[0] == "ledger") return Ledger.LedgerBench.Run(args);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
