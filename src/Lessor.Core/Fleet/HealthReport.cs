namespace Lessor.Core.Fleet;

/// <summary>
/// One message from a node's agent: each GPU's readings at <see cref="At"/> and the events seen since the node's
/// previous message. <see cref="Node"/> (the node's serial) and <see cref="Seq"/> (from 1, strictly increasing per
/// node) identify it: a message at or below the node's last applied sequence is a duplicate and changes nothing,
/// which makes at-least-once delivery apply exactly once. Wire format: docs/fleet-events.md.
/// </summary>
public sealed record HealthReport(string Node, long Seq, DateTime At, IReadOnlyList<GpuReading> Gpus, IReadOnlyList<HealthEvent> Events);

/// <summary>
/// One GPU's readings: temperature (degrees Celsius), board power (watts), utilization in [0, 1], and two cumulative
/// counters since the driver loaded (NVLink errors summed over links, volatile double-bit ECC errors).
/// </summary>
public sealed record GpuReading(int Gpu, double TemperatureC, double PowerW, double Utilization, long NvlinkErrors, long EccDoubleBit);

/// <summary>What kind of event a node reports.</summary>
public enum HealthEventKind
{
    /// <summary>An NVIDIA driver Xid error (<see cref="HealthEvent.Code"/> is the Xid number) on one GPU.</summary>
    Xid,

    /// <summary>A DCGM health-watch result (<see cref="HealthEvent.Level"/>) for one GPU or, without a GPU, the node.</summary>
    Dcgm,
}

/// <summary>DCGM health-watch levels (DCGM_HEALTH_RESULT_PASS / WARN / FAIL).</summary>
public enum DcgmLevel
{
    Pass,
    Warn,
    Fail,
}

/// <summary>An event a node reports: an Xid on a GPU, or a DCGM health result for a GPU or the whole node.</summary>
public sealed record HealthEvent(HealthEventKind Kind, int? Gpu, int? Code, DcgmLevel? Level, string? Detail);
