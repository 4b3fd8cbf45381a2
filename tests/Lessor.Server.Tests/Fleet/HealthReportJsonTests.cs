using System.Text;
using Lessor.Core.Fleet;
using Lessor.Server.Fleet;

namespace Lessor.Server.Tests.Fleet;

/// <summary>The wire form of a health report (docs/fleet-events.md): what parses, and each refusal with its field and reason.</summary>
public sealed class HealthReportJsonTests
{
    private const string Gpu0 = """{"gpu":0,"temperature_c":61.5,"power_w":700,"utilization":0.9,"nvlink_errors":0,"ecc_double_bit":0}""";
    private const string Gpu1 = """{"gpu":1,"temperature_c":62,"power_w":650.5,"utilization":1,"nvlink_errors":3,"ecc_double_bit":1}""";

    private static string Report(string gpus, string extra = "") =>
        $$"""{"node":"iad1-a-u00001-t00","seq":7,"at":"2026-11-01T10:00:00+01:00","gpus":[{{gpus}}]{{extra}}}""";

    [Fact]
    public void Given_a_report_with_readings_and_events_When_parsed_Then_every_value_arrives_and_the_instant_is_UTC()
    {
        var ok = HealthReportJson.TryParse(Encoding.UTF8.GetBytes(Report($"{Gpu0},{Gpu1}",
            ""","events":[{"kind":"xid","gpu":1,"code":79,"detail":"fell off the bus"},{"kind":"dcgm","level":"warn"}]""")), out var report, out var field, out var reason);

        Assert.True(ok, $"{field}: {reason}");
        Assert.Equal("iad1-a-u00001-t00", report!.Node);
        Assert.Equal(7, report.Seq);
        Assert.Equal(new DateTime(2026, 11, 1, 9, 0, 0, DateTimeKind.Utc), report.At);
        Assert.Equal(DateTimeKind.Utc, report.At.Kind);
        Assert.Equal([new GpuReading(0, 61.5, 700, 0.9, 0, 0), new GpuReading(1, 62, 650.5, 1, 3, 1)], report.Gpus);
        Assert.Equal([new HealthEvent(HealthEventKind.Xid, 1, 79, null, "fell off the bus"), new HealthEvent(HealthEventKind.Dcgm, null, null, DcgmLevel.Warn, null)], report.Events);
    }

    [Fact]
    public void Given_a_report_written_by_the_agent_When_parsed_back_Then_it_is_the_same_report()
    {
        var written = new HealthReport("x-u00002-t01", 12, new DateTime(2026, 11, 30, 23, 59, 50, DateTimeKind.Utc),
            [new GpuReading(0, 70.1, 690.4, 0.95, 0, 0), new GpuReading(3, 40, 100, 0, 12, 2)], [new HealthEvent(HealthEventKind.Dcgm, 3, null, DcgmLevel.Fail, "hbm: in repair")]);

        Assert.True(HealthReportJson.TryParse(HealthReportJson.Write(written), out var read, out _, out _));

        Assert.Equal(written.Node, read!.Node);
        Assert.Equal(written.Seq, read.Seq);
        Assert.Equal(written.At, read.At);
        Assert.Equal(written.Gpus, read.Gpus);
        Assert.Equal(written.Events, read.Events);
    }

    [Theory]
    [InlineData("""{"gpu":0,"temperature_c":61,"power_w":700,"utilization":0.9,"nvlink_errors":0,"ecc_double_bit":0,"fan":3}""", "gpus[0].fan", "is not a field of a GPU reading")]
    [InlineData("""{"temperature_c":61,"power_w":700,"utilization":0.9,"nvlink_errors":0,"ecc_double_bit":0}""", "gpus[0].gpu", "is required: the GPU's index, 0 to 63")]
    [InlineData("""{"gpu":64,"temperature_c":61,"power_w":700,"utilization":0.9,"nvlink_errors":0,"ecc_double_bit":0}""", "gpus[0].gpu", "is required: the GPU's index, 0 to 63")]
    [InlineData("""{"gpu":"0","temperature_c":61,"power_w":700,"utilization":0.9,"nvlink_errors":0,"ecc_double_bit":0}""", "gpus[0].gpu", "is required: the GPU's index, 0 to 63")]
    [InlineData("""{"gpu":0,"temperature_c":201,"power_w":700,"utilization":0.9,"nvlink_errors":0,"ecc_double_bit":0}""", "gpus[0].temperature_c", "is required: degrees Celsius, -50 to 200")]
    [InlineData("""{"gpu":0,"temperature_c":61,"utilization":0.9,"nvlink_errors":0,"ecc_double_bit":0}""", "gpus[0].power_w", "is required: watts, 0 to 10000")]
    [InlineData("""{"gpu":0,"temperature_c":61,"power_w":700,"utilization":1.5,"nvlink_errors":0,"ecc_double_bit":0}""", "gpus[0].utilization", "is required: a fraction from 0 to 1")]
    [InlineData("""{"gpu":0,"temperature_c":61,"power_w":700,"utilization":0.9,"nvlink_errors":-1,"ecc_double_bit":0}""", "gpus[0].nvlink_errors", "is required: a non-negative whole count")]
    [InlineData("""{"gpu":0,"temperature_c":61,"power_w":700,"utilization":0.9,"nvlink_errors":0,"ecc_double_bit":0.5}""", "gpus[0].ecc_double_bit", "is required: a non-negative whole count")]
    [InlineData("3", "gpus[0]", "must be an object")]
    public void Given_a_bad_GPU_reading_When_parsed_Then_the_field_and_the_reason_are_named(string gpu, string expectedField, string expectedReason)
    {
        Assert.False(HealthReportJson.TryParse(Encoding.UTF8.GetBytes(Report(gpu)), out var report, out var field, out var reason));

        Assert.Null(report);
        Assert.Equal(expectedField, field);
        Assert.Equal(expectedReason, reason);
    }

    [Fact]
    public void Given_the_second_reading_repeats_a_GPU_When_parsed_Then_the_repeat_is_named_by_its_position()
    {
        Assert.False(HealthReportJson.TryParse(Encoding.UTF8.GetBytes(Report($"{Gpu0},{Gpu0}")), out _, out var field, out var reason));

        Assert.Equal("gpus[1].gpu", field);
        Assert.Equal("repeats GPU 0", reason);
    }

    [Theory]
    [InlineData("""{"seq":1,"at":"2026-11-01T10:00:00Z","gpus":[]}""", "node", "is required: the node's serial, a non-empty string")]
    [InlineData("""{"node":"n","seq":0,"at":"2026-11-01T10:00:00Z","gpus":[]}""", "seq", "is required: a whole number from 1, increasing per node")]
    [InlineData("""{"node":"n","seq":1,"at":"2026-11-01T10:00:00","gpus":[]}""", "at", "is required: an ISO-8601 instant with its offset, such as 2026-12-01T10:00:00Z")]
    [InlineData("""{"node":"n","seq":1,"at":"2026-11-01T10:00:00Z"}""", "gpus", "is required: an array of GPU readings (may be empty)")]
    [InlineData("""{"node":"n","seq":1,"at":"2026-11-01T10:00:00Z","gpus":[],"site":"iad1"}""", "site", "is not a field of a health report")]
    [InlineData("""{"node":"n","seq":1,"at":"2026-11-01T10:00:00Z","gpus":[],"events":[{"kind":"xid","gpu":0}]}""", "events[0].code", "is required for an Xid: the Xid number, 1 to 999")]
    [InlineData("""{"node":"n","seq":1,"at":"2026-11-01T10:00:00Z","gpus":[],"events":[{"kind":"dcgm","level":"bad"}]}""", "events[0].level", "is required for a dcgm event: pass, warn or fail")]
    [InlineData("""{"node":"n","seq":1,"at":"2026-11-01T10:00:00Z","gpus":[],"events":[{"kind":"smart"}]}""", "events[0].kind", "'smart' is not a kind of event: xid or dcgm")]
    [InlineData("""[1]""", "(body)", "must be an object")]
    [InlineData("""{"node":""", "(body)", null)]
    public void Given_a_bad_report_When_parsed_Then_the_field_and_the_reason_are_named(string body, string expectedField, string? expectedReason)
    {
        Assert.False(HealthReportJson.TryParse(Encoding.UTF8.GetBytes(body), out var report, out var field, out var reason));

        Assert.Null(report);
        Assert.Equal(expectedField, field);
        if (expectedReason is null) Assert.StartsWith("is not JSON", reason, StringComparison.Ordinal);
        else Assert.Equal(expectedReason, reason);
    }
}
