using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Lessor.Core.Generation;
using Lessor.Core.Model;

namespace Lessor.Bench;

/// <summary>
/// Time to generate the bundled facts scenario and the 1,000,000-GPU scale scenario (target: a few seconds).
/// Run: dotnet run -c Release --project bench/Lessor.Bench -- --filter '*GeneratorBenchmarks*'
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    [Benchmark]
    public Scenario Facts() => ScenarioGenerator.Generate(new GeneratorOptions { Facts = true });

    [Benchmark]
    public Scenario Scale1M() => ScenarioGenerator.Generate(new GeneratorOptions { Gpus = 1_000_000, Seed = 1 });
}
