using Lessor.Core.Risk;

namespace Lessor.Core.Fleet;

/// <summary>
/// The spare pool per fabric (docs/fleet.md): spares(nodes) = ceil(k x G / MTBF x L), at least one when G &gt; 0, where
/// G / MTBF is the fabric's failure rate and L the replenishment lead time, so G / MTBF x L is the mean number of nodes out
/// at once (Little's law) and k the safety factor for its spread.
/// </summary>
public sealed record SparePoolPolicy(double GpuHoursBetweenFailures, double LeadTimeHours, double SafetyFactor)
{
    /// <summary>Defaults: MTBF and lead time (mean repair over the cause mix, about 137.5 h) from <see cref="FailureModel"/>, k = 1.5.</summary>
    public static SparePoolPolicy From(FailureModel model, double safetyFactor = 1.5)
    {
        ArgumentNullException.ThrowIfNull(model);
        var lead = 0.0;
        var share = 0.0;
        foreach (var c in model.Causes)
        {
            lead += c.Share * c.RepairHours.ExpectedValue;
            share += c.Share;
        }
        return new SparePoolPolicy(model.GpuHoursBetweenFailures, share > 0 ? lead / share : 0, safetyFactor);
    }

    /// <summary>Spare nodes for a fabric with <paramref name="gpus"/> GPUs in service, nodes of <paramref name="gpusPerNode"/>.</summary>
    public int Nodes(long gpus, int gpusPerNode)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gpus);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(gpusPerNode);
        if (gpus == 0) return 0;
        var outAtOnce = gpus / GpuHoursBetweenFailures * LeadTimeHours;
        return Math.Max(1, (int)Math.Ceiling(SafetyFactor * outAtOnce - 1e-9));
    }

    /// <summary>Spare units (whole units of <paramref name="nodesPerUnit"/> nodes) that hold at least <see cref="Nodes"/> spares.</summary>
    public int Units(long gpus, int gpusPerNode, int nodesPerUnit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodesPerUnit);
        var nodes = Nodes(gpus, gpusPerNode);
        return (nodes + nodesPerUnit - 1) / nodesPerUnit;
    }
}
