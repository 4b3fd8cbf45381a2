using Lessor.Core.Catalog;
using Lessor.Core.Model;

namespace Lessor.Core.Generation;

/// <summary>
/// Generates a valid scenario from options: a synthetic book of a given size for scale work, or (Facts) the
/// bundled operator that reproduces the public facts of DOMAIN.md. Same options, same scenario, everywhere.
/// </summary>
public static class ScenarioGenerator
{
    public static Scenario Generate(GeneratorOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (o.HorizonStart.Kind != DateTimeKind.Utc || o.HorizonEnd.Kind != DateTimeKind.Utc || o.AsOf.Kind != DateTimeKind.Utc)
            throw new ArgumentException("Horizon and AsOf must be UTC.", nameof(o));
        if (o.HorizonEnd <= o.HorizonStart.AddYears(2))
            throw new ArgumentException("The horizon must span more than two years.", nameof(o));
        return o.Facts ? FactsBook.Generate(o) : new ScaleBook(o).Generate();
    }
}

/// <summary>The synthetic book: demand grows along a curve, units are bought as lines need them, idle units get re-leased.</summary>
internal sealed class ScaleBook
{
    private readonly GeneratorOptions _o;
    private readonly Xoshiro256 _rng;
    private readonly IReadOnlyList<Platform> _platforms;
    private readonly EstateBuilder _e;
    private readonly List<Contract> _contracts = [];
    private readonly int _customerPool;
    private readonly bool[] _customerUsed;
    private readonly int _maxLineGpus;
    private readonly int[] _sitesPerRegion = new int[RegionNames.All.Length];

    public ScaleBook(GeneratorOptions o)
    {
        if (o.Gpus < 1_000) throw new ArgumentOutOfRangeException(nameof(o), o.Gpus, "Scale mode needs at least 1,000 GPUs.");
        if (o.TargetUtilization is < 0.5 or > 0.95) throw new ArgumentOutOfRangeException(nameof(o), o.TargetUtilization, "Target utilization must lie in [0.5, 0.95].");
        _o = o;
        _rng = new Xoshiro256(o.Seed);
        _platforms = DefaultCatalog.Platforms(o.Currency);
        _e = new EstateBuilder(o.HorizonStart.AddYears(-1), o.HorizonEnd, _platforms, _rng, NewSite) { GpuBudget = o.Gpus };
        _customerPool = Math.Max(20, o.Gpus / 100);
        _customerUsed = new bool[_customerPool];
        // A training line is at most a sixteenth of the fleet, so small scenarios keep a real size mix.
        _maxLineGpus = Math.Max(72, Math.Min(16_384, o.Gpus / 16));
    }

    public Scenario Generate()
    {
        var start = _o.HorizonStart;
        var lastStart = _o.HorizonEnd.AddMonths(-6);
        var months = 0;
        for (var t = start; t < lastStart; t = t.AddMonths(1)) months++;
        // Growth stops a little short of the fleet size; the rest arrives as headroom, bought ahead of demand.
        _e.GpuBudget = (long)(_o.Gpus * Math.Min(0.97, _o.TargetUtilization + 0.1));
        var peak = _o.Gpus * _o.TargetUtilization;
        for (var m = 0; m < months; m++)
        {
            var day = _e.DayOf(start.AddMonths(m));
            var x = months == 1 ? 1.0 : (double)m / (months - 1);
            var target = peak * (0.12 + 0.88 * x * (2 - x));
            var failures = 0;
            while (_e.CommittedGpus[day] < target && failures < 25)
            {
                if (!MakeDeal(day)) failures++;
            }
        }
        _e.GpuBudget = _o.Gpus;
        TopUp();

        var customers = new List<Customer>();
        for (var i = 0; i < _customerPool; i++)
        {
            if (_customerUsed[i]) customers.Add(new Customer { Id = CustomerIdOf(i), Name = CustomerNames.Of(i) });
        }
        return ScenarioAssembler.Assemble(
            _o, $"scale-{_o.Gpus}-seed-{_o.Seed}",
            $"Synthetic GPU cloud with {_o.Gpus} GPUs delivered over {_o.HorizonStart:yyyy}-{_o.HorizonEnd.AddDays(-1):yyyy} (seed {_o.Seed}); prices and sizes are estimates.",
            _platforms, _e, customers, _contracts);
    }

    private static CustomerId CustomerIdOf(int i) => new($"cust-{i + 1:D5}");

    private SiteSlot? NewSite(EstateBuilder e, RegionId? region, int acceptDay, long deciKwNeeded)
    {
        int r;
        if (region is { } wanted)
        {
            r = Array.FindIndex(RegionNames.All, x => x.Id == wanted.Value);
            if (r < 0) return null;
        }
        else
        {
            Span<double> w = stackalloc double[RegionNames.All.Length];
            for (var i = 0; i < w.Length; i++) w[i] = RegionNames.All[i].Weight;
            r = _rng.Pick(w);
        }
        var regionId = new RegionId(RegionNames.All[r].Id);
        var n = _sitesPerRegion[r]++;
        var first = Math.Max(0, acceptDay - _rng.Between(30, 180));
        // Half-MW steps; the first covers what is needed now with margin, later steps energize over the years.
        var neededMw = (decimal)deciKwNeeded / 10_000m;
        var mw = Math.Max(Math.Ceiling(neededMw * 1.25m * 2m) / 2m, _rng.Between(30, 120) / 2m);
        var steps = new List<PowerStep> { new(e.DateOf(first), mw) };
        var day = first;
        var extra = _rng.Between(2, 4);
        for (var k = 0; k < extra; k++)
        {
            day += _rng.Between(180, 540);
            if (day >= e.Days) break;
            mw += _rng.Between(30, 150) / 2m;
            steps.Add(new PowerStep(e.DateOf(day), mw));
        }
        return e.AddSite(new SiteId($"{regionId.Value}-{n + 1:D2}"), RegionNames.SiteName(regionId, n), regionId,
            [Cooling.Air, Cooling.Liquid], [.. steps], maxFabrics: _rng.Between(3, 8));
    }

    // Era weights per platform for new demand, by year from 2024 (index 0) to 2029+ (index 5).
    // Order: h100, h200, b200, gb200, gb300, vr, rubin-ultra, mi355x, trn2 (the catalog order).
    private static readonly double[][] EraWeights =
    [
        [60, 40, 0, 0, 0, 0, 0, 0, 0],
        [10, 20, 20, 30, 10, 0, 0, 5, 5],
        [0, 5, 15, 15, 35, 15, 0, 8, 7],
        [0, 0, 5, 5, 25, 40, 10, 8, 7],
        [0, 0, 0, 0, 10, 45, 35, 5, 5],
        [0, 0, 0, 0, 0, 35, 55, 5, 5],
    ];

    private PlatformSlot? EraPlatform(int day)
    {
        var year = _e.DateOf(day).Year - 2024;
        var row = EraWeights[Math.Clamp(year, 0, EraWeights.Length - 1)];
        Span<double> w = stackalloc double[_e.Platforms.Count];
        var any = false;
        for (var i = 0; i < w.Length; i++)
        {
            var p = _e.Platforms[i];
            // Units must be accepted before the line starts, and the platform must still be bought.
            var ok = p.AvailableDay + 30 <= day && day <= p.LastGrowDay;
            w[i] = ok ? row[i] : 0;
            any |= w[i] > 0;
        }
        if (!any)
        {
            // Outside the table's eras: whatever is buyable now, equally.
            for (var i = 0; i < w.Length; i++)
            {
                var p = _e.Platforms[i];
                w[i] = p.AvailableDay + 30 <= day && day <= p.LastGrowDay ? 1 : 0;
                any |= w[i] > 0;
            }
        }
        return any ? _e.Platforms[_rng.Pick(w)] : null;
    }

    private PlatformSlot? IdlePlatform(int day)
    {
        Span<double> w = stackalloc double[_e.Platforms.Count];
        var any = false;
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = _e.FreeGpus(_e.Platforms[i], day);
            any |= w[i] > 0;
        }
        return any ? _e.Platforms[_rng.Pick(w)] : null;
    }

    private static readonly (int Gpus, double W)[] HgxSizes =
        [(8, 35), (16, 25), (64, 18), (128, 8), (256, 4), (512, 2), (1024, 0.45), (2048, 0.25), (4096, 0.12), (8192, 0.05), (16384, 0.025)];
    private static readonly (int Gpus, double W)[] RackSizes =
        [(72, 40), (144, 25), (288, 8), (576, 4), (1152, 0.7), (2304, 0.35), (4608, 0.15), (9216, 0.07), (16128, 0.03)];
    private static readonly (int Gpus, double W)[] Trn2Sizes =
        [(64, 40), (128, 25), (256, 10), (512, 4), (1024, 0.8), (2048, 0.4), (4096, 0.15)];
    private static readonly (int Gpus, double W)[] KyberSizes =
        [(144, 45), (288, 25), (576, 8), (1152, 1.5), (2304, 0.6), (4608, 0.3), (9216, 0.1)];

    private int DrawUnits(PlatformSlot p, long capGpus)
    {
        var table = p.Platform.GpusPerUnit switch { 8 => HgxSizes, 64 => Trn2Sizes, 72 => RackSizes, _ => KyberSizes };
        Span<double> w = stackalloc double[table.Length];
        for (var i = 0; i < table.Length; i++) w[i] = table[i].Gpus <= capGpus ? table[i].W : 0;
        if (w[0] <= 0) return 0;
        return table[_rng.Pick(w)].Gpus / p.Platform.GpusPerUnit;
    }

    private static readonly (int Months, double W)[] SmallTerms = [(12, 40), (24, 30), (36, 20), (48, 5), (60, 5)];
    private static readonly (int Months, double W)[] BigTerms = [(12, 20), (24, 30), (36, 30), (48, 10), (60, 10)];

    private int DrawMonths(bool big)
    {
        var table = big ? BigTerms : SmallTerms;
        Span<double> w = stackalloc double[table.Length];
        for (var i = 0; i < table.Length; i++) w[i] = table[i].W;
        return table[_rng.Pick(w)].Months;
    }

    /// <summary>One contract of one to three lines starting around <paramref name="day"/>; false when nothing could be placed.</summary>
    private bool MakeDeal(int day)
    {
        Span<double> countWeights = [65, 25, 10];
        var lineCount = _rng.Pick(countWeights) + 1;
        var u = _rng.NextDouble();
        var customer = (int)(_customerPool * u * u);
        var lines = new List<ContractLine>(lineCount);
        var firstStart = DateTime.MaxValue;
        var dealStart = _e.DateOf(day);
        for (var j = 0; j < lineCount; j++)
        {
            var start = j == 0 ? dealStart : dealStart.AddMonths(_rng.Between(1, 3) * j);
            var line = MakeLine(start, lines.Count + 1);
            if (line is null) continue;
            lines.Add(line);
            if (line.Period.Start < firstStart) firstStart = line.Period.Start;
        }
        if (lines.Count == 0) return false;

        _customerUsed[customer] = true;
        var value = lines.Aggregate(0m, (s, l) => s + l.Value.Amount);
        var signed = firstStart.AddDays(-_rng.Between(14, 150));
        if (signed < _e.Day0) signed = _e.Day0;
        var big = value >= 50_000_000m;
        _contracts.Add(new Contract
        {
            Id = new ContractId($"ct-{_contracts.Count + 1:D6}"),
            Customer = CustomerIdOf(customer),
            SignedOn = signed,
            Currency = _o.Currency,
            Lines = lines,
            Prepayment = big ? new Money(Math.Round(value * _rng.Between(15, 25) / 100m, 2), _o.Currency) : null,
            Sla = value >= 10_000_000m ? new SlaTerms(0.999m, 0.10m, 1.00m) : new SlaTerms(0.99m, 0.05m, 0.50m),
            CancellationTerms = new CancellationTerms(_rng.Between(50, 100) / 100m, 90),
        });
        return true;
    }

    private ContractLine? MakeLine(DateTime start, int index)
    {
        var startDay = _e.DayOf(start);
        if (startDay >= _e.Days - 90) return null;
        // Sell idle installed units first when much is idle, as an operator would; otherwise buy the current era's.
        var idle = 0L;
        foreach (var slot in _e.Platforms) idle += _e.FreeGpus(slot, startDay);
        var relet = _rng.Chance(idle > _e.DeliveredGpus / 10 ? 0.9 : 0.35);
        var p = relet ? IdlePlatform(startDay) : null;
        relet = p is not null;
        p ??= EraPlatform(startDay);
        if (p is null) return null;

        var cap = relet ? Math.Min(_maxLineGpus, _e.FreeGpus(p, startDay)) : _maxLineGpus;
        var units = DrawUnits(p, cap);
        if (units == 0) return null;
        var gpus = p.Gpus(units);
        var big = gpus >= 1_000;
        var end = start.AddMonths(DrawMonths(big));
        if (end > _o.HorizonEnd) end = _o.HorizonEnd;
        var endDay = _e.DayOf(end);

        var (locality, blockUnits, minSites) = Shape(p, units);
        var request = Request(p, units, startDay, endDay, locality, blockUnits, minSites, mayGrow: !relet);
        var placed = _e.Place(request);
        for (var retry = 0; placed is null && relet && units > 1 && retry < 3; retry++)
        {
            // Idle capacity is fragmented: try a smaller slice of it before buying.
            units = Math.Max(1, units / 2);
            (locality, blockUnits, minSites) = Shape(p, units);
            placed = _e.Place(Request(p, units, startDay, endDay, locality, blockUnits, minSites, mayGrow: false));
        }
        gpus = p.Gpus(units);
        if (placed is null && relet)
        {
            // Nothing idle fits: sell new hardware instead.
            p = EraPlatform(startDay);
            if (p is null) return null;
            units = Math.Max(1, gpus / p.Platform.GpusPerUnit);
            (locality, blockUnits, minSites) = Shape(p, units);
            placed = _e.Place(Request(p, units, startDay, endDay, locality, blockUnits, minSites, mayGrow: true));
            relet = false;
        }
        if (placed is null) return null;

        return new ContractLine
        {
            Id = new LineId($"l{index}"),
            Platform = p.Platform.Id,
            Gpus = p.Platform.GpusOf(units),
            Period = new Period(start, end),
            PricePerGpuHour = Price(p, p.Gpus(units), startDay),
            Locality = locality,
            BlockSize = blockUnits > 0 ? p.Platform.GpusOf(blockUnits) : null,
            MinSites = minSites,
            Pinned = ScenarioAssembler.Pins(placed),
        };
    }

    private LineRequest Request(PlatformSlot p, int units, int start, int end, Locality locality, int blockUnits, int minSites, bool mayGrow) =>
        new()
        {
            Platform = p, Units = units, Start = start, End = end, Locality = locality, BlockUnits = blockUnits,
            MinSites = minSites, MayGrow = mayGrow,
            AcceptDay = Math.Max(Math.Max(0, p.AvailableDay), start - _rng.Between(7, 60)),
        };

    /// <summary>Training lines larger than a fabric sit in one site in blocks; some mid lines serve inference from two sites.</summary>
    private (Locality, int BlockUnits, int MinSites) Shape(PlatformSlot p, int units)
    {
        var gpusPerUnit = p.Platform.GpusPerUnit;
        var gpus = units * gpusPerUnit;
        var capUnits = (gpusPerUnit == 8 ? 4096 : 4608) / gpusPerUnit;
        if (gpus >= 1_000)
        {
            if (units <= capUnits) return (Locality.Fabric, 0, 1);
            return (Locality.Site, capUnits / 2, 1);
        }
        if (gpus >= 256 && units % 2 == 0 && _rng.Chance(0.2)) return (Locality.Region, units / 2, 2);
        return (Locality.Fabric, 0, 1);
    }

    private Money Price(PlatformSlot p, int gpus, int startDay)
    {
        var list = p.Platform.Prices.Reserved.Amount;
        var pct = gpus >= 1_000 ? _rng.Between(88, 95) : gpus <= 16 ? _rng.Between(105, 115) : _rng.Between(95, 104);
        var years = (startDay - p.AvailableDay) / 365;
        // Older hardware re-leases for less: 8% a year after its second year, down to 55% of list.
        var age = years > 2 ? Math.Max(0.55m, 1m - 0.08m * (years - 2)) : 1m;
        return new Money(Math.Round(list * pct / 100m * age, 2, MidpointRounding.AwayFromZero), _o.Currency);
    }

    /// <summary>Brings delivered GPUs up to the requested fleet with units bought ahead of demand: the headroom deal checks find.</summary>
    private void TopUp()
    {
        // Headroom arrives from the third year on, where sites have energized enough to take it.
        var lastDay = _e.DayOf(_o.HorizonEnd.AddYears(-1));
        var firstDay = _e.DayOf(_o.HorizonStart.AddYears(2));
        for (var iter = 0; iter < 100_000; iter++)
        {
            var left = _o.Gpus - _e.DeliveredGpus;
            if (left < 8) return;
            var day = _rng.Between(firstDay, lastDay);
            var p = left >= 72 ? EraPlatform(day) : null;
            if (p is null)
            {
                // The last few GPUs go to 8-GPU nodes of whatever HGX platform is buyable then.
                p = _e.Platforms.FirstOrDefault(x => x.Platform.GpusPerUnit == 8 && x.AvailableDay <= day && day <= x.LastGrowDay);
                if (p is null) continue;
            }
            var maxUnits = (int)Math.Min(int.MaxValue, left / p.Platform.GpusPerUnit);
            if (maxUnits == 0) continue;
            var units = Math.Min(maxUnits, p.BatchUnits * _rng.Between(1, 4));
            if (!Deliver(p, units, day)) Deliver(p, Math.Min(units, p.BatchUnits), day);
        }
    }

    private bool Deliver(PlatformSlot p, int units, int day)
    {
        var kw = (long)units * p.DeciKwPerUnit;
        for (var k = p.Fabrics.Count - 1; k >= 0; k--)
        {
            var f = p.Fabrics[k];
            if (f.MaxUnits - f.Delivered < units || _e.PowerHeadroom(f.Site, day) < kw) continue;
            _e.AddDelivery(f, units, day);
            return true;
        }
        foreach (var site in _e.Sites)
        {
            if (!site.Admits(p.Platform) || site.FabricCount >= site.MaxFabrics || _e.PowerHeadroom(site, day) < kw) continue;
            var f = _e.AddFabric(site, p, Math.Max(units, p.FabricSizes[_rng.NextInt(p.FabricSizes.Length)]));
            _e.AddDelivery(f, units, day);
            return true;
        }
        var fresh = NewSite(_e, null, day, kw);
        if (fresh is null || _e.PowerHeadroom(fresh, day) < kw) return false;
        var nf = _e.AddFabric(fresh, p, Math.Max(units, p.FabricSizes[_rng.NextInt(p.FabricSizes.Length)]));
        _e.AddDelivery(nf, units, day);
        return true;
    }
}
