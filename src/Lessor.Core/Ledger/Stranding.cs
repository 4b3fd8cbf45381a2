using Lessor.Core.Model;

namespace Lessor.Core.Ledger;

/// <summary>Free and stranded GPU-hours of one fabric over a window (see docs/placement.md).</summary>
public sealed record FabricStranding(FabricId Fabric, decimal FreeGpuHours, decimal StrandedGpuHours);

/// <summary>Free and stranded GPU-hours of the fleet over a window, with the per-fabric figures in ledger order.</summary>
public sealed record StrandingReport(decimal FreeGpuHours, decimal StrandedGpuHours, IReadOnlyList<FabricStranding> Fabrics)
{
    /// <summary>Stranded share of the free GPU-hours (0 when nothing is free).</summary>
    public decimal Share => FreeGpuHours == 0m ? 0m : StrandedGpuHours / FreeGpuHours;
}

/// <summary>The deal sizes stranding is measured against, and the exact leftover after packing them.</summary>
public static class StrandingSizes
{
    /// <summary>The usual deal sizes in GPUs (issue 4): one server, one NVL72 rack, then training clusters.</summary>
    public static readonly IReadOnlyList<int> Usual = [8, 72, 1_024, 4_096, 16_384, 65_536];

    /// <summary>
    /// The usual sizes of at least <paramref name="minGpus"/> GPUs in whole units, ascending and distinct: a deal of g
    /// GPUs on a platform of U-GPU units takes ceil(g / U) units (a 1,024-GPU cluster on NVL72 racks is 15 racks).
    /// </summary>
    public static int[] InUnits(int gpusPerUnit, int minGpus)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gpusPerUnit, 1);
        var sizes = new SortedSet<int>();
        foreach (var g in Usual) if (g >= minGpus) sizes.Add((g + gpusPerUnit - 1) / gpusPerUnit);
        return [.. sizes];
    }

    /// <summary>
    /// Units of <paramref name="free"/> that no sum of the sizes (each usable any number of times) can cover: free
    /// minus the largest representable total not above free. With no sizes every free unit is left over.
    /// </summary>
    public static int Leftover(int free, ReadOnlySpan<int> sizes)
    {
        if (free <= 0) return 0;
        if (sizes.Length == 0) return free;
        var smallest = sizes[0];
        var divides = true;
        foreach (var s in sizes) if (s % smallest != 0) divides = false;
        // Usual case: every size a multiple of the smallest, so exactly the multiples of the smallest are reachable.
        if (divides) return free % smallest;
        // General case (sizes that do not divide each other): reachability table up to free.
        var reach = new bool[free + 1];
        reach[0] = true;
        for (var v = 1; v <= free; v++)
        {
            foreach (var s in sizes)
            {
                if (s <= v && reach[v - s]) { reach[v] = true; break; }
            }
        }
        var best = free;
        while (!reach[best]) best--;
        return free - best;
    }
}

/// <summary>Leftover units by free units for one set of sizes, computed once per free value: slices repeat the same values.</summary>
internal sealed class LeftoverTable(int[] sizes)
{
    private readonly Dictionary<int, int> _known = [];

    public int this[int free]
    {
        get
        {
            if (free <= 0) return 0;
            if (_known.TryGetValue(free, out var left)) return left;
            left = StrandingSizes.Leftover(free, sizes);
            _known[free] = left;
            return left;
        }
    }
}

public sealed partial class CapacityLedger
{
    /// <summary>
    /// Free and stranded GPU-hours over a window: per fabric and per time slice of its free-units timeline, the free
    /// units left over after packing the usual deal sizes of at least <paramref name="minDealGpus"/> GPUs that are
    /// multiples of the platform unit (each size a block held in one fabric). Oversold slices count as zero free.
    /// </summary>
    public StrandingReport Stranding(Period window, int minDealGpus = 8)
    {
        long a = Utc.ToMinute(window.Start), b = Utc.ToMinute(window.End);
        var fabrics = new List<FabricStranding>(FabricList.Length);
        // Totals summed in whole GPU-minutes and divided once, so moving capacity between fabrics cannot change them by rounding.
        long freeGpuMinutes = 0, strandedGpuMinutes = 0;
        for (var f = 0; f < FabricList.Length; f++)
        {
            var unit = PlatformList[FabricPlatform[f]].GpusPerUnit;
            var leftover = new LeftoverTable(StrandingSizes.InUnits(unit, minDealGpus));
            long freeUnitMinutes = 0, strandedUnitMinutes = 0;
            foreach (var (value, minutes) in Free[f].Slices(a, b))
            {
                var free = Math.Max(value, 0);
                freeUnitMinutes = checked(freeUnitMinutes + (long)free * minutes);
                strandedUnitMinutes = checked(strandedUnitMinutes + (long)leftover[free] * minutes);
            }
            var freeHours = freeUnitMinutes * (decimal)unit / 60m;
            var strandedHours = strandedUnitMinutes * (decimal)unit / 60m;
            fabrics.Add(new FabricStranding(FabricList[f].Id, freeHours, strandedHours));
            freeGpuMinutes = checked(freeGpuMinutes + freeUnitMinutes * unit);
            strandedGpuMinutes = checked(strandedGpuMinutes + strandedUnitMinutes * unit);
        }
        return new StrandingReport(freeGpuMinutes / 60m, strandedGpuMinutes / 60m, fabrics);
    }
}
