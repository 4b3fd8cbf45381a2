using Lessor.Core.Model;

namespace Lessor.Core.Generation;

/// <summary>A platform of the catalog with the generator's working state: power in deci-kW, growth window, fabric sizes.</summary>
internal sealed class PlatformSlot
{
    public required Platform Platform { get; init; }
    public required int DeciKwPerUnit { get; init; }
    public required int AvailableDay { get; init; }

    /// <summary>Last day new units of this platform are bought; later demand only re-leases what is installed.</summary>
    public required int LastGrowDay { get; init; }

    /// <summary>Units bought at once when a fabric grows, so later small lines find room.</summary>
    public required int BatchUnits { get; init; }

    /// <summary>Typical fabric sizes (max units) for a new fabric.</summary>
    public required int[] FabricSizes { get; init; }

    public List<FabricSlot> Fabrics { get; } = [];
    public int Gpus(int units) => checked(units * Platform.GpusPerUnit);
}

/// <summary>A site being built: envelope, free power per day (deci-kW) and its suffix minimum for O(1) checks.</summary>
internal sealed class SiteSlot
{
    public required SiteId Id { get; init; }
    public required string Name { get; init; }
    public required RegionId Region { get; init; }
    public required Cooling[] Cooling { get; init; }
    public required PowerStep[] Power { get; init; }
    public required int MaxFabrics { get; init; }
    public required int[] PowerFree { get; init; }

    /// <summary>SuffixMin[d] = min of PowerFree over [d, end): the power a delivery accepted on day d may draw for good.</summary>
    public required int[] PowerSuffixMin { get; init; }

    public int FabricCount { get; set; }
    public int Registered { get; set; }
    public bool Admits(Platform p) => Array.IndexOf(Cooling, p.Cooling) >= 0;
}

/// <summary>A fabric being built: units delivered and free units (accepted minus committed) per day.</summary>
internal sealed class FabricSlot
{
    public required SiteSlot Site { get; init; }
    public required PlatformSlot Platform { get; init; }
    public required int MaxUnits { get; init; }
    public required int[] Free { get; init; }

    /// <summary>Given when the fabric joins the estate (after the placement that opened it succeeds).</summary>
    public FabricId Id { get; set; }
    public int Ordinal { get; set; } = -1;
    public int Delivered { get; set; }
}

/// <summary>A delivery being built; ids and statuses are given when the scenario is assembled.</summary>
internal sealed class DeliverySlot
{
    public required FabricSlot Fabric { get; init; }
    public required int Units { get; init; }
    public required int Day { get; set; }
    public int? OriginalDay { get; set; }
}

/// <summary>What a line asks of the estate: units of a platform over days [Start, End) with locality rules.</summary>
internal sealed class LineRequest
{
    public required PlatformSlot Platform { get; init; }
    public required int Units { get; init; }
    public required int Start { get; init; }
    public required int End { get; init; }
    public Locality Locality { get; init; } = Locality.Fabric;

    /// <summary>Units per block; 0 keeps the line as one block.</summary>
    public int BlockUnits { get; init; }
    public int MinSites { get; init; } = 1;

    /// <summary>Whether the estate may buy units (and open fabrics and sites) for this line.</summary>
    public bool MayGrow { get; init; } = true;

    /// <summary>Day units bought for this line are accepted (on or before Start).</summary>
    public int AcceptDay { get; init; }
    public RegionId? Region { get; init; }
}

/// <summary>
/// The generator's estate and ledger on a day grid: every placement checks free units per fabric and free
/// power per site over the days it touches, so what it emits is valid by construction (never oversold, never
/// over an envelope). Units are bought on demand, in batches, when a line finds no room.
/// </summary>
internal sealed class EstateBuilder
{
    private readonly Xoshiro256 _rng;
    private readonly Func<EstateBuilder, RegionId?, int, long, SiteSlot?>? _newSite;
    private readonly List<FabricSlot> _pending = [];
    private readonly List<(FabricSlot Fabric, int MinFree, int Use, int Grow)> _plan = [];
    private readonly List<(SiteSlot Site, int DeciKw)> _planPower = [];
    private readonly List<SiteSlot> _planSites = [];

    /// <param name="newSite">Opens a site in a region (null: any) whose envelope has the given deci-kW free from the given day; null when sites are fixed.</param>
    public EstateBuilder(DateTime day0, DateTime end, IReadOnlyList<Platform> platforms, Xoshiro256 rng, Func<EstateBuilder, RegionId?, int, long, SiteSlot?>? newSite)
    {
        Day0 = day0;
        Days = (end - day0).Days;
        _rng = rng;
        _newSite = newSite;
        foreach (var p in platforms)
        {
            var available = Math.Max(0, DayOf(p.AvailableFrom));
            Platforms.Add(new PlatformSlot
            {
                Platform = p,
                DeciKwPerUnit = checked((int)(p.UnitKw * 10m)),
                AvailableDay = available,
                LastGrowDay = Math.Min(Days - 1, available + 6 * 365),
                BatchUnits = p.GpusPerUnit switch { <= 8 => 32, <= 64 => 4, <= 72 => 8, _ => 2 },
                FabricSizes = p.GpusPerUnit switch
                {
                    <= 8 => [256, 512, 1024, 2048],
                    <= 72 => [32, 64, 128, 256],
                    _ => [16, 32, 64],
                },
            });
        }
        CommittedGpus = new long[Days];
    }

    private RegionId? _wantedRegion;

    public DateTime Day0 { get; }
    public int Days { get; }
    public List<PlatformSlot> Platforms { get; } = [];
    public List<SiteSlot> Sites { get; } = [];
    public List<FabricSlot> Fabrics { get; } = [];
    public List<DeliverySlot> Deliveries { get; } = [];

    /// <summary>GPUs committed per day, over all fabrics: what the demand curve is steered by.</summary>
    public long[] CommittedGpus { get; }
    public long DeliveredGpus { get; private set; }

    /// <summary>Most GPUs the estate may hold; growth that would pass it is refused.</summary>
    public long GpuBudget { get; set; } = long.MaxValue;

    public int DayOf(DateTime t) => (t - Day0).Days;
    public DateTime DateOf(int day) => Day0.AddDays(day);
    public PlatformSlot Slot(PlatformId id) => Platforms.First(p => p.Platform.Id == id);

    public SiteSlot AddSite(SiteId id, string name, RegionId region, Cooling[] cooling, PowerStep[] power, int maxFabrics)
    {
        var free = new int[Days];
        var stepIndex = 0;
        var current = 0;
        for (var d = 0; d < Days; d++)
        {
            // Steps are ordered; the envelope holds from each step's day until the next.
            while (stepIndex < power.Length && DayOf(power[stepIndex].From) <= d)
            {
                current = checked((int)(power[stepIndex].Mw * 10_000m));
                stepIndex++;
            }
            free[d] = current;
        }
        var site = new SiteSlot
        {
            Id = id, Name = name, Region = region, Cooling = cooling, Power = power, MaxFabrics = maxFabrics,
            PowerFree = free, PowerSuffixMin = new int[Days],
        };
        RecomputeSuffix(site);
        Sites.Add(site);
        return site;
    }

    private static void RecomputeSuffix(SiteSlot site)
    {
        var min = int.MaxValue;
        for (var d = site.PowerFree.Length - 1; d >= 0; d--)
        {
            if (site.PowerFree[d] < min) min = site.PowerFree[d];
            site.PowerSuffixMin[d] = min;
        }
    }

    public FabricSlot AddFabric(SiteSlot site, PlatformSlot platform, int maxUnits)
    {
        var f = NewFabric(site, platform, maxUnits);
        Register(f);
        return f;
    }

    private FabricSlot NewFabric(SiteSlot site, PlatformSlot platform, int maxUnits)
    {
        site.FabricCount++;
        return new FabricSlot { Site = site, Platform = platform, MaxUnits = maxUnits, Free = new int[Days] };
    }

    private void Register(FabricSlot f)
    {
        f.Ordinal = Fabrics.Count;
        f.Id = new FabricId($"{f.Site.Id}-f{++f.Site.Registered}");
        f.Platform.Fabrics.Add(f);
        Fabrics.Add(f);
    }

    /// <summary>Free power (deci-kW) at <paramref name="site"/> from <paramref name="day"/> on.</summary>
    public int PowerHeadroom(SiteSlot site, int day) => site.PowerSuffixMin[day];

    public DeliverySlot AddDelivery(FabricSlot f, int units, int day)
    {
        if (units <= 0 || f.Delivered + units > f.MaxUnits)
            throw new InvalidOperationException($"Delivery of {units} units overfills a fabric of {f.MaxUnits}.");
        var kw = checked(units * f.Platform.DeciKwPerUnit);
        if (f.Site.PowerSuffixMin[day] < kw)
            throw new InvalidOperationException("Delivery would draw past its site's power envelope.");
        var free = f.Free;
        var power = f.Site.PowerFree;
        for (var d = day; d < Days; d++)
        {
            free[d] += units;
            power[d] -= kw;
        }
        RecomputeSuffix(f.Site);
        f.Delivered += units;
        DeliveredGpus += f.Platform.Gpus(units);
        var slot = new DeliverySlot { Fabric = f, Units = units, Day = day };
        Deliveries.Add(slot);
        return slot;
    }

    public static int MinFree(FabricSlot f, int start, int end)
    {
        var free = f.Free.AsSpan(start, end - start);
        var min = int.MaxValue;
        foreach (var x in free)
            if (x < min) min = x;
        return min;
    }

    /// <summary>Whether <paramref name="need"/> units are free on every day of [start, end). Most candidates fail early, so
    /// a coarse pass over every 32nd day rejects them before the exact pass.</summary>
    public static bool Fits(FabricSlot f, int start, int end, int need)
    {
        var free = f.Free;
        for (var d = start; d < end; d += 32)
            if (free[d] < need) return false;
        if (free[end - 1] < need) return false;
        for (var d = start; d < end; d++)
            if (free[d] < need) return false;
        return true;
    }

    private void Commit(FabricSlot f, int units, int start, int end)
    {
        var gpus = f.Platform.Gpus(units);
        var free = f.Free;
        for (var d = start; d < end; d++)
        {
            free[d] -= units;
            if (free[d] < 0) throw new InvalidOperationException("Generator bug: a fabric was oversold.");
            CommittedGpus[d] += gpus;
        }
    }

    /// <summary>Free GPUs of a platform on a day, over all its fabrics.</summary>
    public long FreeGpus(PlatformSlot p, int day)
    {
        long units = 0;
        foreach (var f in p.Fabrics) units += f.Free[day];
        return units * p.Platform.GpusPerUnit;
    }

    /// <summary>
    /// Places a line: each block in one fabric of its platform, honouring locality and minimum sites; buys units
    /// (a delivery accepted on AcceptDay) where nothing is free. Returns the blocks, or null with nothing changed.
    /// </summary>
    public List<(FabricSlot Fabric, int Units)>? Place(LineRequest r)
    {
        if (r.Start < 0 || r.End > Days || r.End <= r.Start) throw new ArgumentOutOfRangeException(nameof(r), "Line days outside the grid.");
        var growOk = r.MayGrow && r.AcceptDay >= r.Platform.AvailableDay && r.AcceptDay <= r.Platform.LastGrowDay && r.AcceptDay <= r.Start;
        // One fabric holds the whole line; otherwise each block is placed on its own.
        var blocks = new List<int>();
        if (r.Locality == Locality.Fabric || r.BlockUnits <= 0 || r.BlockUnits >= r.Units) blocks.Add(r.Units);
        else
        {
            for (var left = r.Units; left > 0; left -= r.BlockUnits) blocks.Add(Math.Min(r.BlockUnits, left));
        }

        _plan.Clear();
        _planPower.Clear();
        _planSites.Clear();
        _pending.Clear();
        _wantedRegion = r.Region;
        SiteSlot? anchorSite = null;
        var placed = new List<(FabricSlot Fabric, int Units)>(blocks.Count);
        long plannedGpus = 0;
        foreach (var block in blocks)
        {
            var needNewSite = _planSites.Count < r.MinSites;
            var f = FindFree(r, block, anchorSite, needNewSite);
            if (f is null && growOk) f = FindGrow(r, block, anchorSite, needNewSite, ref plannedGpus);
            if (f is null && growOk) f = OpenFabric(r, block, anchorSite, needNewSite, ref plannedGpus);
            if (f is null)
            {
                foreach (var p in _pending) p.Site.FabricCount--;
                return null;
            }
            var i = PlanIndex(f, r);
            var e = _plan[i];
            _plan[i] = (e.Fabric, e.MinFree, e.Use + block, e.Grow);
            if (!_planSites.Contains(f.Site)) _planSites.Add(f.Site);
            anchorSite ??= f.Site;
            _wantedRegion ??= f.Site.Region;
            placed.Add((f, block));
        }
        if (_planSites.Count < r.MinSites)
        {
            foreach (var p in _pending) p.Site.FabricCount--;
            return null;
        }

        foreach (var p in _pending) Register(p);
        foreach (var e in _plan)
            if (e.Grow > 0) AddDelivery(e.Fabric, e.Grow, r.AcceptDay);
        foreach (var (f, units) in placed) Commit(f, units, r.Start, r.End);

        if (r.Locality == Locality.Fabric && r.BlockUnits > 0 && r.BlockUnits < r.Units)
        {
            // Same fabric, but the pinned placement still lists the line's blocks one by one.
            var f = placed[0].Fabric;
            placed.Clear();
            for (var left = r.Units; left > 0; left -= r.BlockUnits) placed.Add((f, Math.Min(r.BlockUnits, left)));
        }
        return placed;
    }

    private int PlanIndex(FabricSlot f, LineRequest r)
    {
        for (var i = 0; i < _plan.Count; i++)
            if (ReferenceEquals(_plan[i].Fabric, f)) return i;
        _plan.Add((f, MinFree(f, r.Start, r.End), 0, 0));
        return _plan.Count - 1;
    }

    private int Available(FabricSlot f, LineRequest r)
    {
        for (var i = 0; i < _plan.Count; i++)
            if (ReferenceEquals(_plan[i].Fabric, f)) return _plan[i].MinFree + _plan[i].Grow - _plan[i].Use;
        return int.MinValue;
    }

    private int PlannedPower(SiteSlot s)
    {
        foreach (var (site, kw) in _planPower)
            if (ReferenceEquals(site, s)) return kw;
        return 0;
    }

    private void AddPlannedPower(SiteSlot s, int kw)
    {
        for (var i = 0; i < _planPower.Count; i++)
        {
            if (!ReferenceEquals(_planPower[i].Site, s)) continue;
            _planPower[i] = (s, _planPower[i].DeciKw + kw);
            return;
        }
        _planPower.Add((s, kw));
    }

    private bool Allowed(SiteSlot site, LineRequest r, SiteSlot? anchorSite, bool needNewSite)
    {
        if (needNewSite && _planSites.Contains(site)) return false;
        if (r.Locality is Locality.Fabric or Locality.Site && anchorSite is not null && !ReferenceEquals(site, anchorSite)) return false;
        if (r.Locality != Locality.Any && _wantedRegion is { } region && site.Region != region) return false;
        return true;
    }

    private FabricSlot? FindFree(LineRequest r, int block, SiteSlot? anchorSite, bool needNewSite)
    {
        var fabrics = r.Platform.Fabrics;
        var n = fabrics.Count;
        if (n == 0) return null;
        var offset = _rng.NextInt(n);
        for (var k = 0; k < n; k++)
        {
            var f = fabrics[(offset + k) % n];
            if (!Allowed(f.Site, r, anchorSite, needNewSite)) continue;
            var inPlan = Available(f, r);
            if (inPlan != int.MinValue)
            {
                if (inPlan >= block) return f;
                continue;
            }
            if (Fits(f, r.Start, r.End, block)) return f;
        }
        return null;
    }

    private FabricSlot? FindGrow(LineRequest r, int block, SiteSlot? anchorSite, bool needNewSite, ref long plannedGpus)
    {
        var fabrics = r.Platform.Fabrics;
        // Newest fabrics first: the estate grows where it is building now.
        for (var k = fabrics.Count - 1; k >= 0; k--)
        {
            var f = fabrics[k];
            if (!Allowed(f.Site, r, anchorSite, needNewSite)) continue;
            var i = PlanIndex(f, r);
            var e = _plan[i];
            var room = f.MaxUnits - f.Delivered - e.Grow;
            var need = block - (e.MinFree + e.Grow - e.Use);
            if (need <= 0) return f;
            if (room < need) continue;
            var units = GrowUnits(r, f.Site, need, room, plannedGpus);
            if (units == 0) continue;
            _plan[i] = (e.Fabric, e.MinFree, e.Use, e.Grow + units);
            AddPlannedPower(f.Site, units * r.Platform.DeciKwPerUnit);
            plannedGpus += r.Platform.Gpus(units);
            return f;
        }
        return null;
    }

    /// <summary>Units to buy: a batch when power and budget allow, else exactly what is needed, else none.</summary>
    private int GrowUnits(LineRequest r, SiteSlot site, int need, int room, long plannedGpus)
    {
        var p = r.Platform;
        var batch = p.BatchUnits;
        var rounded = Math.Min(room, (need + batch - 1) / batch * batch);
        var power = PowerHeadroom(site, r.AcceptDay) - PlannedPower(site);
        var budget = GpuBudget - DeliveredGpus - plannedGpus;
        foreach (var units in (ReadOnlySpan<int>)[rounded, need])
        {
            if ((long)units * p.DeciKwPerUnit <= power && p.Gpus(units) <= budget) return units;
        }
        return 0;
    }

    private FabricSlot? OpenFabric(LineRequest r, int block, SiteSlot? anchorSite, bool needNewSite, ref long plannedGpus)
    {
        var p = r.Platform;
        // Without budget for the block, no site can take it; do not open one in vain.
        if (GpuBudget - DeliveredGpus - plannedGpus < p.Gpus(block)) return null;
        var n = Sites.Count;
        var offset = n == 0 ? 0 : _rng.NextInt(n);
        var size = p.FabricSizes[_rng.NextInt(p.FabricSizes.Length)];
        if (size < block) size = (block + p.BatchUnits - 1) / p.BatchUnits * p.BatchUnits;
        for (var k = 0; k <= n; k++)
        {
            SiteSlot? site;
            if (k < n) site = Sites[(offset + k) % n];
            else
            {
                // No existing site can take it: open a new one where the line's locality allows.
                if (_newSite is null || (anchorSite is not null && r.Locality is Locality.Fabric or Locality.Site)) return null;
                site = _newSite(this, _wantedRegion, r.AcceptDay, (long)block * p.DeciKwPerUnit);
                if (site is null) return null;
            }
            if (!site.Admits(p.Platform) || site.FabricCount >= site.MaxFabrics) continue;
            if (!Allowed(site, r, anchorSite, needNewSite)) continue;
            var units = GrowUnits(r, site, block, size, plannedGpus);
            if (units == 0) continue;
            var f = NewFabric(site, p, size);
            _pending.Add(f);
            var i = PlanIndex(f, r);
            _plan[i] = (f, _plan[i].MinFree, 0, units);
            AddPlannedPower(site, units * p.DeciKwPerUnit);
            plannedGpus += p.Gpus(units);
            return f;
        }
        return null;
    }
}
