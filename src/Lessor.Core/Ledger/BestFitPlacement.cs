using Lessor.Core.Model;

namespace Lessor.Core.Ledger;

/// <summary>
/// A line reduced to units: <see cref="Full"/> blocks of <see cref="BlockUnits"/> units plus one remainder of
/// <see cref="Remainder"/> units (without a block size: blocks of one unit), over [Start, End) minutes.
/// </summary>
internal readonly record struct LineShape(
    int Platform, int Units, int BlockUnits, int Full, int Remainder, Locality Locality, int MinSites, long Start, long End);

/// <summary>
/// The ledger's placement policy, kept in this one class so issue 4 can replace it. Feasibility is exact for a
/// group of fabrics (see docs/ledger.md); the choice (docs/placement.md) is the group that loses the fewest whole
/// free training blocks (1,024 to 65,536 GPUs, largest first), then best fit: the least free capacity over the line's
/// period that still fits, the least-free fabric that holds the remainder, one block in each extra site that min-sites needs
/// (least-free sites first), then the least-free fabrics first, ties by (region, site, fabric) id.
/// </summary>
internal sealed class BestFitPlacement(CapacityLedger ledger, int maxFabrics)
{
    // Scratch arrays indexed by position in the platform's sorted fabric list; reused so a check allocates little.
    private readonly int[] _g = new int[maxFabrics];
    private readonly int[] _siteCap = new int[maxFabrics];
    private readonly int[] _order = new int[maxFabrics];

    /// <summary>Least free units (never below zero) of every fabric of the platform over [a, b), into the scratch array.</summary>
    public ReadOnlySpan<int> LoadFree(int platform, long a, long b)
    {
        var fabrics = ledger.PlatformFabrics[platform];
        for (var i = 0; i < fabrics.Length; i++)
        {
            var min = ledger.Free[fabrics[i]].Min(a, b);
            _g[i] = min > 0 ? min : 0;
        }
        return _g.AsSpan(0, fabrics.Length);
    }

    /// <summary>The scratch free-units array for a platform's fabrics, for callers that fill it themselves.</summary>
    public Span<int> FreeScratch(int platform) => _g.AsSpan(0, ledger.PlatformFabrics[platform].Length);

    /// <summary>Exclusive end of the locality group that starts at position <paramref name="start"/>.</summary>
    public int GroupEnd(int platform, int start, Locality locality)
    {
        var fabrics = ledger.PlatformFabrics[platform];
        switch (locality)
        {
            case Locality.Fabric: return start + 1;
            case Locality.Any: return fabrics.Length;
            case Locality.Site:
            {
                var site = ledger.FabricSite[fabrics[start]];
                var end = start + 1;
                while (end < fabrics.Length && ledger.FabricSite[fabrics[end]] == site) end++;
                return end;
            }
            default:
            {
                var region = ledger.SiteRegion[ledger.FabricSite[fabrics[start]]];
                var end = start + 1;
                while (end < fabrics.Length && ledger.SiteRegion[ledger.FabricSite[fabrics[end]]] == region) end++;
                return end;
            }
        }
    }

    /// <summary>Start of the group holding the anchor fabric, or -1 when the anchor is not a fabric of this platform.</summary>
    public int GroupStartOf(int platform, int anchorFabric, Locality locality)
    {
        var fabrics = ledger.PlatformFabrics[platform];
        for (var start = 0; start < fabrics.Length;)
        {
            var end = GroupEnd(platform, start, locality);
            for (var i = start; i < end; i++) if (fabrics[i] == anchorFabric) return start;
            start = end;
        }
        return -1;
    }

    /// <summary>Whether the line fits somewhere, given the free units loaded by <see cref="LoadFree"/>.</summary>
    public bool Feasible(in LineShape s, int anchorFabric)
    {
        var n = ledger.PlatformFabrics[s.Platform].Length;
        if (anchorFabric >= 0)
        {
            var start = GroupStartOf(s.Platform, anchorFabric, s.Locality);
            return start >= 0 && GroupFeasible(s, start, GroupEnd(s.Platform, start, s.Locality), out _);
        }
        for (var start = 0; start < n;)
        {
            var end = GroupEnd(s.Platform, start, s.Locality);
            if (GroupFeasible(s, start, end, out _)) return true;
            start = end;
        }
        return false;
    }

    /// <summary>Largest number of full blocks that fit in one group (no remainder), given the loaded free units.</summary>
    public int MaxBlocks(in LineShape s)
    {
        var n = ledger.PlatformFabrics[s.Platform].Length;
        var best = 0;
        for (var start = 0; start < n;)
        {
            var end = GroupEnd(s.Platform, start, s.Locality);
            var total = SiteCaps(s, start, end, out var sites);
            if (total > best && (s.MinSites <= 1 || Math.Min(total, sites) >= s.MinSites)) best = total;
            start = end;
        }
        return best;
    }

    /// <summary>Places the line (chunks of whole blocks per fabric, the remainder last), or null when it does not fit.</summary>
    public List<(int Fabric, int Units)>? Place(in LineShape s, int anchorFabric)
    {
        var fabrics = ledger.PlatformFabrics[s.Platform];
        int bestStart = -1, bestEnd = -1;
        long bestFree = long.MaxValue;
        var bestLoss = 0L;
        if (anchorFabric >= 0)
        {
            var start = GroupStartOf(s.Platform, anchorFabric, s.Locality);
            if (start >= 0 && GroupFeasible(s, start, GroupEnd(s.Platform, start, s.Locality), out _))
            {
                bestStart = start;
                bestEnd = GroupEnd(s.Platform, start, s.Locality);
            }
        }
        else
        {
            for (var start = 0; start < fabrics.Length;)
            {
                var end = GroupEnd(s.Platform, start, s.Locality);
                if (GroupFeasible(s, start, end, out var free))
                {
                    var loss = LargeBlockLoss(s, free);
                    if (bestStart < 0 || loss < bestLoss || (loss == bestLoss && free < bestFree))
                    {
                        bestLoss = loss;
                        bestFree = free;
                        bestStart = start;
                        bestEnd = end;
                    }
                }
                start = end;
            }
        }
        return bestStart < 0 ? null : PlaceInGroup(s, bestStart, bestEnd);
    }

    /// <summary>
    /// How much the line would cut into the group's large free blocks, as one comparable number: for each usual training
    /// size from the largest down (a multiple of the unit), how many whole blocks of it the group's free units lose, read
    /// as digits of a number in base 2^10 so losing one block of a larger size outweighs any count of smaller ones.
    /// </summary>
    private long LargeBlockLoss(in LineShape s, long free)
    {
        var unit = ledger.PlatformList[s.Platform].GpusPerUnit;
        long key = 0;
        for (var k = LargeSizes.Length - 1; k >= 0; k--)
        {
            if (LargeSizes[k] % unit != 0) continue;
            long size = LargeSizes[k] / unit;
            var lost = free / size - (free - s.Units) / size;
            key = (key << 10) + Math.Min(lost, 1_023L);
        }
        return key;
    }

    // Training sizes whose whole free blocks placement protects (GPUs), ascending; at most six so the key fits 60 bits.
    private static readonly int[] LargeSizes = [1_024, 4_096, 16_384, 65_536];

    /// <summary>Blocks per fabric and per site (by contiguous site runs) for the group; returns total blocks.</summary>
    private int SiteCaps(in LineShape s, int start, int end, out int sitesWithBlock)
    {
        var fabrics = ledger.PlatformFabrics[s.Platform];
        var total = 0;
        sitesWithBlock = 0;
        var i = start;
        while (i < end)
        {
            var site = ledger.FabricSite[fabrics[i]];
            var j = i;
            var cap = 0;
            while (j < end && ledger.FabricSite[fabrics[j]] == site) { cap += _g[j] / s.BlockUnits; j++; }
            for (var k = i; k < j; k++) _siteCap[k] = cap;
            total += cap;
            if (cap > 0) sitesWithBlock++;
            i = j;
        }
        return total;
    }

    /// <summary>Exact feasibility of the line in the group [start, end) of positions; free is the group's summed free units.</summary>
    public bool GroupFeasible(in LineShape s, int start, int end, out long free)
    {
        free = 0;
        for (var i = start; i < end; i++) free += _g[i];
        if (free < s.Units) return false;
        var total = SiteCaps(s, start, end, out var sites);
        if (s.Remainder == 0) return total >= s.Full && (s.MinSites <= 1 || Math.Min(s.Full, sites) >= s.MinSites);
        for (var i = start; i < end; i++) if (RemainderFits(s, i, total, sites)) return true;
        return false;
    }

    private bool RemainderFits(in LineShape s, int i, int total, int sites)
    {
        if (_g[i] < s.Remainder) return false;
        var loss = _g[i] / s.BlockUnits - (_g[i] - s.Remainder) / s.BlockUnits;
        if (total - loss < s.Full) return false;
        if (s.MinSites <= 1) return true;
        var otherSites = _siteCap[i] > 0 ? sites - 1 : sites;
        return 1 + Math.Min(s.Full, otherSites) >= s.MinSites;
    }

    /// <summary>Chunks of whole blocks per fabric (units a multiple of the block), then the remainder last.</summary>
    private List<(int Fabric, int Units)> PlaceInGroup(in LineShape shape, int start, int end)
    {
        var s = shape;
        var fabrics = ledger.PlatformFabrics[s.Platform];
        var total = SiteCaps(s, start, end, out var sites);
        var full = new List<(int Fabric, int Units)>();
        var remainderAt = -1;
        if (s.Remainder > 0)
        {
            for (var i = start; i < end; i++)
            {
                if (RemainderFits(s, i, total, sites) && (remainderAt < 0 || _g[i] < _g[remainderAt])) remainderAt = i;
            }
            _g[remainderAt] -= s.Remainder;
            SiteCaps(s, start, end, out _);
        }
        var left = s.Full;
        if (s.MinSites > 1)
        {
            // One block in each of the least-free sites that min-sites still needs, beside the remainder's site.
            var needed = s.MinSites - (remainderAt >= 0 ? 1 : 0);
            var remainderSite = remainderAt >= 0 ? ledger.FabricSite[fabrics[remainderAt]] : -1;
            var count = 0;
            for (var i = start; i < end;)
            {
                var site = ledger.FabricSite[fabrics[i]];
                var j = i;
                while (j < end && ledger.FabricSite[fabrics[j]] == site) j++;
                if (site != remainderSite && _siteCap[i] > 0) _order[count++] = i;
                i = j;
            }
            Array.Sort(_order, 0, count, Comparer<int>.Create((x, y) =>
            {
                var c = SiteFree(s, x, end).CompareTo(SiteFree(s, y, end));
                return c != 0 ? c : x.CompareTo(y);
            }));
            for (var k = 0; k < needed && k < count; k++)
            {
                var site = ledger.FabricSite[fabrics[_order[k]]];
                var pick = -1;
                for (var i = _order[k]; i < end && ledger.FabricSite[fabrics[i]] == site; i++)
                {
                    if (_g[i] >= s.BlockUnits && (pick < 0 || _g[i] < _g[pick])) pick = i;
                }
                _g[pick] -= s.BlockUnits;
                full.Add((fabrics[pick], s.BlockUnits));
                left--;
            }
        }
        var m = 0;
        for (var i = start; i < end; i++) if (_g[i] >= s.BlockUnits) _order[m++] = i;
        Array.Sort(_order, 0, m, Comparer<int>.Create((x, y) =>
        {
            var c = _g[x].CompareTo(_g[y]);
            return c != 0 ? c : x.CompareTo(y);
        }));
        for (var k = 0; k < m && left > 0; k++)
        {
            var i = _order[k];
            var take = Math.Min(left, _g[i] / s.BlockUnits);
            if (take > 0) full.Add((fabrics[i], take * s.BlockUnits));
            _g[i] -= take * s.BlockUnits;
            left -= take;
        }
        if (left > 0) throw new InvalidOperationException("Placement fell short of a group it found feasible.");
        if (remainderAt >= 0) full.Add((fabrics[remainderAt], s.Remainder));
        return full;
    }

    private long SiteFree(in LineShape s, int siteStart, int end)
    {
        var fabrics = ledger.PlatformFabrics[s.Platform];
        var site = ledger.FabricSite[fabrics[siteStart]];
        long free = 0;
        for (var i = siteStart; i < end && ledger.FabricSite[fabrics[i]] == site; i++) free += _g[i];
        return free;
    }
}
