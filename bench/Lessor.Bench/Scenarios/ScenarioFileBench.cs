using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Lessor.Core.Model;
using Lessor.Storage.Scenarios;

namespace Lessor.Bench.Scenarios;

/// <summary>
/// Reading, validating and writing a 1,000,000-GPU scenario file (~20k lines, ~15k deliveries).
/// Run: dotnet run -c Release --project bench/Lessor.Bench -- --filter '*ScenarioFileBench*'
/// Baseline (2026-11-27, 2-core EPYC shared with other builds, load average ~10; 7.2 MB YAML, 9.9 MB JSON,
/// 20,000 lines, 14,424 deliveries): ParseYaml 1.35 s / 385 MB allocated (includes validation), ParseJson
/// 1.20 s, Validate 15 ms, WriteYaml 148 ms. The target is "a few seconds" to parse and validate.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortConfig))]
public class ScenarioFileBench
{
    /// <summary>In-process and short: each operation takes seconds, and a separate build of the job times out on a busy 2-core machine.</summary>
    private sealed class InProcessShortConfig : ManualConfig
    {
        public InProcessShortConfig() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3));
    }

    private Scenario _scenario = null!;
    private string _yaml = "";
    private string _json = "";

    [GlobalSetup]
    public void Setup()
    {
        _scenario = ScaleScenario.Build(1_000_000, seed: 42);
        _yaml = ScenarioFile.ToYaml(_scenario);
        _json = ScenarioFile.ToJson(_scenario);
        var check = ScenarioFile.Parse(_yaml);
        if (!check.IsValid) throw new InvalidOperationException("The scale scenario is not valid: " + string.Join("\n", check.Errors.Take(5)));
    }

    [Benchmark]
    public Scenario? ParseYaml() => ScenarioFile.Parse(_yaml).Scenario;

    [Benchmark]
    public Scenario? ParseJson() => ScenarioFile.Parse(_json).Scenario;

    [Benchmark]
    public int Validate() => ScenarioValidator.Validate(_scenario).Count;

    [Benchmark]
    public int WriteYaml() => ScenarioFile.ToYaml(_scenario).Length;
}
