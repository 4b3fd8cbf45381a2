using Lessor.Core.Fleet;

namespace Lessor.Core.Tests.Fleet;

/// <summary>The agent's nvidia-smi parser on sample outputs (tests/fixtures/nvidia-smi).</summary>
public sealed class NvidiaSmiCsvTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "nvidia-smi", name));

    [Fact]
    public void An_eight_gpu_node_under_load_reads_every_gpu_with_utilization_as_a_fraction()
    {
        Assert.True(NvidiaSmiCsv.TryParse(Fixture("hgx-h100-busy.csv"), out var readings, out var error), error);
        Assert.Equal(8, readings.Count);
        Assert.Equal(new GpuReading(0, 67, 688.31, 1.0, 0, 0), readings[0]);
        Assert.Equal(new GpuReading(3, 66, 681.44, 1.0, 0, 2), readings[3]);
        Assert.Equal(0.98, readings[6].Utilization, 10);
        Assert.Equal(Enumerable.Range(0, 8), readings.Select(r => r.Gpu));
    }

    [Fact]
    public void An_idle_node_reads_zero_utilization()
    {
        Assert.True(NvidiaSmiCsv.TryParse(Fixture("hgx-h100-idle.csv"), out var readings, out _));
        Assert.All(readings, r => Assert.Equal(0, r.Utilization));
        Assert.Equal(36, readings[6].TemperatureC);
    }

    [Fact]
    public void Not_available_power_and_ecc_read_as_zero()
    {
        Assert.True(NvidiaSmiCsv.TryParse(Fixture("workstation-no-ecc.csv"), out var readings, out _));
        Assert.Equal(new GpuReading(0, 41, 0, 0.03, 0, 0), Assert.Single(readings));
    }

    [Theory]
    [InlineData("bad-power.csv", "line 2, power.draw: 'ERR!' is not a number")]
    [InlineData("bad-fields.csv", "line 1: has 4 fields; expected 5 (index, temperature.gpu, power.draw, utilization.gpu, ecc.errors.uncorrected.volatile.total)")]
    public void Broken_output_is_refused_with_its_line_and_field(string file, string expected)
    {
        Assert.False(NvidiaSmiCsv.TryParse(Fixture(file), out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("", "no GPU lines: nvidia-smi printed nothing")]
    [InlineData("0, 34, 71, 0, 0\n0, 35, 70, 0, 0", "line 2, index: GPU 0 appears twice")]
    [InlineData("x, 34, 71, 0, 0", "line 1, index: 'x' is not a number")]
    [InlineData("1.5, 34, 71, 0, 0", "line 1, index: '1.5' is not a GPU index (0 to 63)")]
    [InlineData("0, 34, 71, 101, 0", "line 1, utilization.gpu: 101 is outside 0 to 100 %")]
    [InlineData("0, [N/A], 71, 1, 0", "line 1, temperature.gpu: '[N/A]' is not a number")]
    [InlineData("0, 34, 71, 1, -1", "line 1, ecc.errors.uncorrected.volatile.total: -1 is not a whole count")]
    public void Each_kind_of_bad_value_names_its_field(string text, string expected)
    {
        Assert.False(NvidiaSmiCsv.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
    }
}
