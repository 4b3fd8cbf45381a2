using Lessor.Core.Catalog;
using Lessor.Core.Model;

namespace Lessor.Core.Generation;

/// <summary>
/// The bundled operator at CoreWeave's end-2025 scale (DOMAIN.md section 2): 43 sites, more than 850 MW
/// energized at 2025-12-31 and 3.1 GW contracted through 2027, the named Meta, OpenAI and NVIDIA contracts
/// with their public values, and smaller customers sized so the backlog at 2025-12-31 lands on $66.8B.
/// Site envelopes, sizes and prices of the smaller customers are estimates.
/// </summary>
internal static class FactsBook
{
    public static Scenario Generate(GeneratorOptions o) => new FactsBuilder(o).Build();

    /// <summary>Backlog is measured on what follows this instant (the end of 2025-12-31).</summary>
    public static readonly DateTime BacklogCutoff = Utc.Date(2026, 1, 1);
    public const decimal ActiveMwEnd2025 = 880m;
    public const decimal ContractedMw = 3_200m;
    public const decimal BacklogTarget = 66_800_000_000m;

    /// <summary>About $9M of run-rate per active MW-year (DOMAIN.md, Q3 2025, derived) on the energized 880 MW.</summary>
    public const decimal RunRateTarget = 9_000_000m * ActiveMwEnd2025;

    /// <summary>The month a run-rate taken at 2025-12-31 annualizes (the last complete month, x 12).</summary>
    public static readonly Period RunRateMonth = new(Utc.Date(2025, 11, 1), Utc.Date(2025, 12, 1));

    /// <summary>
    /// Revenue of committed lines in a window, as if every GPU were covered from its line's start: deliveries are
    /// accepted before the lines they back, so the ledger agrees for all but slipped units.
    /// </summary>
    public static decimal RevenueIn(IEnumerable<Contract> contracts, Period window)
    {
        var total = 0m;
        foreach (var c in contracts)
        {
            if (c.Kind == ContractKind.Backstop) continue;
            foreach (var l in c.Lines)
            {
                if (!l.IsCommitted || l.Option?.ExercisedOn is { } on && on >= window.End) continue;
                if (l.Period.Intersect(window) is { } overlap) total += l.PricePerGpuHour.Amount * l.Gpus.Value * overlap.Hours;
            }
        }
        return total;
    }

    /// <summary>
    /// Backlog as known at <paramref name="cutoff"/>: contracts signed before it, lines committed before it (an
    /// option counts once exercised), valued on their part after it; plus the caps of backstops signed by then.
    /// </summary>
    public static decimal BacklogAt(IEnumerable<Contract> contracts, DateTime cutoff)
    {
        var total = 0m;
        foreach (var c in contracts)
        {
            if (c.SignedOn >= cutoff) continue;
            if (c.Kind == ContractKind.Backstop)
            {
                total += c.BackstopCap?.Amount ?? 0m;
                continue;
            }
            foreach (var l in c.Lines)
            {
                if (!l.IsCommitted || (l.Option?.ExercisedOn is { } on && on >= cutoff)) continue;
                if (l.Period.End <= cutoff) continue;
                var from = l.Period.Start > cutoff ? l.Period.Start : cutoff;
                var hours = (decimal)(l.Period.End - from).Ticks / TimeSpan.TicksPerHour;
                total += l.PricePerGpuHour.Amount * l.Gpus.Value * hours;
            }
        }
        return total;
    }
}

/// <summary>Builds the facts scenario step by step on an <see cref="EstateBuilder"/> with 43 fixed sites.</summary>
internal sealed class FactsBuilder
{
    private readonly GeneratorOptions _o;
    private readonly Xoshiro256 _rng;
    private readonly IReadOnlyList<Platform> _platforms;
    private readonly EstateBuilder _e;
    private readonly List<Contract> _contracts = [];
    private readonly List<Customer> _customers = [];
    private readonly Currency _c;

    private static readonly (string Region, int Sites)[] Layout =
        [("us-east", 12), ("us-central", 11), ("us-south", 9), ("us-west", 4), ("eu-north", 4), ("eu-west", 3)];

    public FactsBuilder(GeneratorOptions o)
    {
        if (o.HorizonStart > Utc.Date(2024, 1, 1) || o.HorizonEnd < Utc.Date(2033, 1, 1))
            throw new ArgumentException("Facts mode needs a horizon covering 2024-01-01 to 2033-01-01.", nameof(o));
        _o = o;
        _c = o.Currency;
        _rng = new Xoshiro256(o.Seed);
        _platforms = DefaultCatalog.Platforms(o.Currency);
        _e = new EstateBuilder(o.HorizonStart.AddYears(-1), o.HorizonEnd, _platforms, _rng, newSite: null);
    }

    private Money M(decimal amount) => new(amount, _c);
    private PlatformSlot P(PlatformId id) => _e.Slot(id);

    public Scenario Build()
    {
        BuildSites();
        EverySiteInService();
        var meta = AddCustomer("meta", "Meta Platforms");
        var openai = AddCustomer("openai", "OpenAI");
        var nvidia = AddCustomer("nvidia", "NVIDIA");
        var ext1Value = Meta1(meta);
        Meta2(meta, ext1Value);
        OpenAi(openai);
        Nvidia(nvidia);
        SmallerCustomers();
        Headroom();
        Slips();
        return ScenarioAssembler.Assemble(
            _o, "neocloud-2026",
            "A GPU cloud at CoreWeave's end-2025 scale reproducing public facts (DOMAIN.md): Meta $14.2B and $21B, " +
            "OpenAI $22.4B, NVIDIA's $6.3B backstop, backlog $66.8B at 2025-12-31, 43 sites, >850 MW active, " +
            ">3.1 GW contracted. Site envelopes, smaller customers and their prices are estimates.",
            _platforms, _e, _customers, _contracts);
    }

    private CustomerId AddCustomer(string id, string name)
    {
        var cid = new CustomerId(id);
        _customers.Add(new Customer { Id = cid, Name = name });
        return cid;
    }

    private DateTime Month(int year, int firstMonth, int lastMonth) => Utc.Date(year, _rng.Between(firstMonth, lastMonth), 1);

    /// <summary>43 sites; active MW at 2025-12-31 and contracted MW are split by random weights and hit exactly.</summary>
    private void BuildSites()
    {
        var count = Layout.Sum(l => l.Sites);
        var liquid = new bool[count];
        var activeW = new int[count];
        var extraW = new int[count];
        for (var k = 0; k < count; k++)
        {
            // Every third campus is an older air-cooled hall: Hopper only, small, little to come.
            liquid[k] = k % 3 != 2;
            activeW[k] = liquid[k] ? _rng.Between(8, 24) : _rng.Between(4, 12);
            extraW[k] = liquid[k] ? _rng.Between(10, 40) : _rng.Between(1, 4);
        }
        var active = Split(ActiveHalves(FactsBook.ActiveMwEnd2025), activeW);
        var extra = Split(ActiveHalves(FactsBook.ContractedMw - FactsBook.ActiveMwEnd2025), extraW);

        var k2 = 0;
        foreach (var (region, sites) in Layout)
        {
            var regionId = new RegionId(region);
            for (var n = 0; n < sites; n++, k2++)
            {
                var a = active[k2] / 2m;
                var x = extra[k2] / 2m;
                var first = Math.Floor(a * 0.5m * 2m) / 2m;
                var second = Math.Floor(a * 0.8m * 2m) / 2m;
                var grow = Math.Floor(x * 0.5m * 2m) / 2m;
                PowerStep[] steps =
                [
                    new(Month(2023, 1, 12), first),
                    new(_rng.Chance(0.5) ? Month(2024, 6, 12) : Month(2025, 1, 3), second),
                    new(Month(2025, 6, 12), a),
                    new(Month(2026, 2, 12), a + grow),
                    new(Month(2027, 1, 10), a + x),
                ];
                Cooling[] cooling = liquid[k2] ? [Cooling.Air, Cooling.Liquid] : [Cooling.Air];
                _e.AddSite(new SiteId($"{region}-{n + 1:D2}"), RegionNames.SiteName(regionId, n), regionId, cooling, steps, maxFabrics: 10);
            }
        }
    }

    private static int ActiveHalves(decimal mw) => (int)(mw * 2m);

    /// <summary>Splits a total into parts proportional to weights, each at least 2, summing exactly to the total.</summary>
    private static int[] Split(int total, int[] weights)
    {
        var sum = weights.Sum();
        var parts = new int[weights.Length];
        var given = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = Math.Max(2, (int)((long)total * weights[i] / sum));
            given += parts[i];
        }
        for (var i = 0; given != total; i = (i + 1) % parts.Length)
        {
            var step = given < total ? 1 : -1;
            if (step < 0 && parts[i] <= 2) continue;
            parts[i] += step;
            given += step;
        }
        return parts;
    }

    /// <summary>A tranche before sizing: the solver turns a share of the contract's value into units.</summary>
    private sealed record Tranche(string Id, PlatformId Platform, DateTime Start, DateTime End, decimal Share, decimal Price,
        Locality Locality, int BlockUnits, int MinSites);

    /// <summary>Sizes tranches to a total value: units from each share, then the last price closes the gap to the cent level.</summary>
    private List<(Tranche T, int Units, decimal Price)> Size(decimal value, IReadOnlyList<Tranche> tranches)
    {
        var sized = new List<(Tranche, int, decimal)>();
        var sofar = 0m;
        for (var i = 0; i < tranches.Count; i++)
        {
            var t = tranches[i];
            var p = P(t.Platform).Platform;
            var hours = new Period(t.Start, t.End).Hours;
            var units = (int)Math.Max(1, Math.Round(value * t.Share / (t.Price * p.GpusPerUnit * hours)));
            var price = t.Price;
            if (i == tranches.Count - 1) price = Math.Round((value - sofar) / (units * p.GpusPerUnit * hours), 4);
            sofar += price * units * p.GpusPerUnit * hours;
            sized.Add((t, units, price));
        }
        return sized;
    }

    /// <summary>Places a line; if its locality cannot be met in this estate it relaxes to region, then anywhere (keeping validity first).</summary>
    private ContractLine PlaceLine(string id, PlatformId platform, int units, DateTime start, DateTime end, decimal price,
        Locality locality, int blockUnits, int minSites, OptionTerms? option = null) =>
        TryPlaceLine(id, platform, units, start, end, price, locality, blockUnits, minSites, option)
        ?? throw new InvalidOperationException($"Facts scenario: line {id} of {units} {platform} units could not be placed.");

    private ContractLine? TryPlaceLine(string id, PlatformId platform, int units, DateTime start, DateTime end, decimal price,
        Locality locality, int blockUnits, int minSites, OptionTerms? option = null)
    {
        var p = P(platform);
        List<(FabricSlot Fabric, int Units)>? placed = null;
        foreach (var loc in (ReadOnlySpan<Locality>)[locality, Locality.Region, Locality.Any])
        {
            if (loc < locality) continue;
            placed = _e.Place(new LineRequest
            {
                Platform = p, Units = units, Start = _e.DayOf(start), End = _e.DayOf(end), Locality = loc,
                BlockUnits = blockUnits, MinSites = minSites, MayGrow = true,
                AcceptDay = Math.Max(p.AvailableDay, _e.DayOf(start) - _rng.Between(10, 45)),
            });
            if (placed is null) continue;
            locality = loc;
            break;
        }
        if (placed is null) return null;
        return new ContractLine
        {
            Id = new LineId(id),
            Platform = platform,
            Gpus = p.Platform.GpusOf(units),
            Period = new Period(start, end),
            PricePerGpuHour = M(price),
            Locality = locality,
            BlockSize = blockUnits > 0 ? p.Platform.GpusOf(blockUnits) : null,
            MinSites = minSites,
            Pinned = ScenarioAssembler.Pins(placed),
            Option = option,
        };
    }

    private List<ContractLine> PlaceSized(decimal value, IReadOnlyList<Tranche> tranches) =>
        Size(value, tranches)
            .Select(s => PlaceLine(s.T.Id, s.T.Platform, s.Units, s.T.Start, s.T.End, s.Price, s.T.Locality, s.T.BlockUnits, s.T.MinSites))
            .ToList();

    private static readonly DateTime Meta2Signed = Utc.Date(2026, 4, 9);

    /// <summary>Meta #1: $14.2B of GB300 to 14 Dec 2031; options into 2032, one exercised under meta-2. Returns that option's value.</summary>
    private decimal Meta1(CustomerId meta)
    {
        var end = Utc.Date(2031, 12, 14);
        var gb300 = DefaultCatalog.Ids.Gb300;
        var lines = PlaceSized(14_200_000_000m,
        [
            new("gb300-t1", gb300, Utc.Date(2025, 12, 15), end, 0.35m, 4.72m, Locality.Region, 32, 1),
            new("gb300-t2", gb300, Utc.Date(2026, 3, 1), end, 0.35m, 4.72m, Locality.Region, 32, 1),
            new("gb300-t3", gb300, Utc.Date(2026, 6, 1), end, 0.30m, 4.72m, Locality.Region, 32, 1),
        ]);
        var t1 = lines[0];
        var t2 = lines[1];
        var exerciseBy = Utc.Date(2031, 6, 14);
        var unexercised = new OptionTerms { ExerciseBy = exerciseBy };
        var exercised = unexercised with { ExercisedOn = Meta2Signed, ExercisedUnder = new ContractId("meta-2") };
        var ext1 = PlaceLine("gb300-ext-1", gb300, t1.Gpus.Value / 72, end, Utc.Date(2033, 1, 1), t1.PricePerGpuHour.Amount,
            Locality.Region, 32, 1, exercised);
        var ext2 = new ContractLine
        {
            Id = new LineId("gb300-ext-2"), Platform = gb300, Gpus = t2.Gpus, Period = new Period(end, Utc.Date(2032, 7, 1)),
            PricePerGpuHour = t2.PricePerGpuHour, Locality = Locality.Region, BlockSize = t2.BlockSize, Option = unexercised,
        };
        lines.Add(ext1);
        lines.Add(ext2);
        _contracts.Add(new Contract
        {
            Id = new ContractId("meta-1"), Customer = meta, SignedOn = Utc.Date(2025, 9, 30), Currency = _c,
            Title = "GB300 NVL72 capacity through 14 Dec 2031, options into 2032",
            HeadlineValue = M(14_200_000_000m), Lines = lines,
            Prepayment = M(2_840_000_000m), // 20% of the headline (estimate within the 15-25% of DOMAIN.md)
            Sla = new SlaTerms(0.999m, 0.10m, 0.50m),
            CancellationTerms = new CancellationTerms(1.00m, 180),
            Amendments =
            [
                new Amendment
                {
                    Sequence = 1, EffectiveOn = Meta2Signed, Kind = AmendmentKind.Exercise, Line = ext1.Id,
                    Before = ext1 with { Option = unexercised, Pinned = [] }, After = ext1,
                    Note = "Option to extend into 2032 exercised under meta-2",
                },
            ],
        });
        return ext1.Value.Amount;
    }

    /// <summary>Meta #2: about $21B through Dec 2032, mainly Vera Rubin inference over at least three sites, from 2027; its headline includes the exercised meta-1 option.</summary>
    private void Meta2(CustomerId meta, decimal ext1Value)
    {
        var end = Utc.Date(2033, 1, 1);
        var vr = DefaultCatalog.Ids.VeraRubin;
        var lines = PlaceSized(21_000_000_000m - ext1Value,
        [
            new("gb300-inference", DefaultCatalog.Ids.Gb300, Utc.Date(2026, 10, 1), end, 0.10m, 4.70m, Locality.Any, 16, 3),
            new("vr-t1", vr, Utc.Date(2027, 1, 1), end, 0.35m, 4.95m, Locality.Any, 32, 3),
            new("vr-t2", vr, Utc.Date(2027, 4, 1), end, 0.30m, 4.95m, Locality.Any, 32, 3),
            new("vr-t3", vr, Utc.Date(2027, 7, 1), end, 0.25m, 4.95m, Locality.Any, 32, 3),
        ]);
        _contracts.Add(new Contract
        {
            Id = new ContractId("meta-2"), Customer = meta, SignedOn = Meta2Signed, Currency = _c,
            Title = "Vera Rubin inference capacity through Dec 2032 (headline includes meta-1 options exercised under it)",
            HeadlineValue = M(21_000_000_000m), Lines = lines,
            Prepayment = M(3_150_000_000m), // 15% of the headline (estimate)
            Sla = new SlaTerms(0.999m, 0.10m, 0.50m),
            CancellationTerms = new CancellationTerms(1.00m, 180),
        });
    }

    /// <summary>OpenAI: $15.9B of GB200 from 2025, then a $6.5B GB300 expansion recorded as a Grow amendment: $22.4B in all.</summary>
    private void OpenAi(CustomerId openai)
    {
        var gb200 = DefaultCatalog.Ids.Gb200;
        var lines = PlaceSized(15_900_000_000m,
        [
            // Too large for one region's 2025 power: spread over sites anywhere, as 32-rack training blocks.
            new("gb200-t1", gb200, Utc.Date(2025, 4, 1), Utc.Date(2030, 4, 1), 0.55m, 4.35m, Locality.Any, 32, 2),
            new("gb200-t2", gb200, Utc.Date(2025, 7, 1), Utc.Date(2030, 7, 1), 0.45m, 4.35m, Locality.Region, 32, 1),
        ]);
        var expansion = PlaceSized(6_500_000_000m,
        [
            new("gb300-x1", DefaultCatalog.Ids.Gb300, Utc.Date(2026, 2, 1), Utc.Date(2031, 2, 1), 1m, 4.70m, Locality.Region, 32, 1),
        ])[0];
        lines.Add(expansion);
        _contracts.Add(new Contract
        {
            Id = new ContractId("openai-1"), Customer = openai, SignedOn = Utc.Date(2025, 3, 10), Currency = _c,
            Title = "GB200 and GB300 NVL72 training capacity",
            HeadlineValue = M(22_400_000_000m), Lines = lines,
            Prepayment = M(4_480_000_000m), // 20% (estimate)
            Sla = new SlaTerms(0.999m, 0.10m, 0.50m),
            CancellationTerms = new CancellationTerms(1.00m, 180),
            Amendments =
            [
                new Amendment
                {
                    Sequence = 1, EffectiveOn = Utc.Date(2025, 9, 25), Kind = AmendmentKind.Grow, Line = expansion.Id,
                    Before = null, After = expansion, Note = "$6.5B expansion, bringing the total to $22.4B",
                },
            ],
        });
    }

    private void Nvidia(CustomerId nvidia)
    {
        _contracts.Add(new Contract
        {
            Id = new ContractId("nvidia-backstop"), Customer = nvidia, SignedOn = Utc.Date(2025, 9, 15), Currency = _c,
            Kind = ContractKind.Backstop, Title = "Buys the operator's unsold capacity through 2032",
            HeadlineValue = M(6_300_000_000m), BackstopCap = M(6_300_000_000m),
            BackstopPeriod = new Period(Utc.Date(2025, 10, 1), Utc.Date(2033, 1, 1)),
        });
    }

    private int _deal;

    /// <summary>
    /// Labs and enterprises: Hopper contracts from 2024; Hopper and GB200 in service through November 2025 until the
    /// run-rate is about $9M per energized MW; Blackwell and Vera Rubin starting later until the backlog at 2025-12-31
    /// reaches $66.8B. Then a few 2026 signings, which the 2025 backlog does not see.
    /// </summary>
    private void SmallerCustomers()
    {
        var pool = new List<CustomerId>();
        for (var i = 0; i < 60; i++)
        {
            var name = CustomerNames.Of(i * 7 % 640);
            pool.Add(AddCustomer(name.ToLowerInvariant().Replace(' ', '-'), name));
        }
        CustomerId Pick() { var u = _rng.NextDouble(); return pool[(int)(pool.Count * u * u)]; }

        // Hopper fleet of 2024-2025, re-leased as contracts end.
        var hopperGpus = 0L;
        while (hopperGpus < 100_000)
        {
            var h200 = _rng.Chance(0.4);
            var start = h200 ? Month(2024, 7, 12) : (_rng.Chance(0.7) ? Month(2024, 1, 12) : Month(2025, 1, 6));
            if (h200 && _rng.Chance(0.5)) start = Month(2025, 1, 9);
            var l = Deal(Pick(), h200 ? DefaultCatalog.Ids.H200 : DefaultCatalog.Ids.H100, start, _rng.Between(12, 48),
                [512, 1024, 2048, 4096, 8192], h200 ? (210, 245) : (185, 215), signedBefore: start);
            hopperGpus += l;
        }

        // In service in late 2025: Hopper and GB200 contracts that bill through November 2025, added until that
        // month's revenue x 12 reaches about $9M per energized MW (the run-rate CoreWeave's figures imply).
        var month = FactsBook.RunRateMonth;
        for (var attempt = 0; attempt < 2_000; attempt++)
        {
            if (FactsBook.RevenueIn(_contracts, month) * 12m >= FactsBook.RunRateTarget) break;
            var kind = _rng.Pick([30, 20, 50]);
            var (platform, start, prices) = kind switch
            {
                0 => (DefaultCatalog.Ids.H100, _rng.Chance(0.5) ? Month(2024, 6, 12) : Month(2025, 1, 8), (185, 215)),
                1 => (DefaultCatalog.Ids.H200, Month(2025, 1, 9), (210, 245)),
                _ => (DefaultCatalog.Ids.Gb200, Month(2025, 3, 10), (410, 450)),
            };
            // Terms run at least into 2026 so the line bills through the whole run-rate month.
            var end = Utc.Date(_rng.Between(2026, 2028), _rng.Between(1, 12), 1);
            var months = (end.Year - start.Year) * 12 + end.Month - start.Month;
            int[] sizes = platform == DefaultCatalog.Ids.Gb200 ? [576, 1152, 2304, 4608] : [512, 1024, 2048, 4096];
            Deal(Pick(), platform, start, months, sizes, prices, signedBefore: start);
        }

        var target = FactsBook.BacklogTarget;
        for (var attempt = 0; attempt < 2_000; attempt++)
        {
            var left = target - FactsBook.BacklogAt(_contracts, FactsBook.BacklogCutoff);
            if (left < 30_000_000m) break;
            var kind = _rng.Pick([40, 38, 22]);
            // These start after the run-rate month, so the run-rate set above holds.
            var (platform, start, months, prices) = kind switch
            {
                0 => (DefaultCatalog.Ids.Gb200, _rng.Chance(0.3) ? Month(2025, 12, 12) : Month(2026, 1, 6), _rng.Between(24, 60), (410, 450)),
                1 => (DefaultCatalog.Ids.Gb300, _rng.Chance(0.5) ? Month(2025, 12, 12) : Month(2026, 1, 9), _rng.Between(36, 60), (450, 490)),
                _ => (DefaultCatalog.Ids.VeraRubin, _rng.Chance(0.5) ? Month(2026, 9, 12) : Month(2027, 1, 9), _rng.Between(48, 60), (480, 500)),
            };
            var signedBefore = start < FactsBook.BacklogCutoff ? start : FactsBook.BacklogCutoff;
            int[] sizes = left > 1_500_000_000m ? [576, 1152, 2304, 4608, 9216] : left > 400_000_000m ? [288, 576, 1152] : [72, 144, 288];
            Deal(Pick(), platform, start, months, sizes, prices, signedBefore, maxBacklog: left + 20_000_000m);
        }

        // Deals signed in 2026: in the book and the fleet, outside the 2025 backlog.
        for (var i = 0; i < 16; i++)
        {
            var vr = _rng.Chance(0.5);
            var start = vr ? Month(2027, 1, 12) : Month(2026, 6, 12);
            var signedBefore = Utc.Date(2026, _rng.Between(2, 5), 1);
            Deal(Pick(), vr ? DefaultCatalog.Ids.VeraRubin : DefaultCatalog.Ids.Gb300, start, _rng.Between(24, 60), [144, 288, 576, 1152],
                vr ? (480, 500) : (450, 490), signedBefore, signedAfter: FactsBook.BacklogCutoff);
        }
    }

    /// <summary>A one- or two-line take-or-pay contract; returns the GPUs placed (0 when nothing fit or it would pass the backlog).</summary>
    private long Deal(CustomerId customer, PlatformId platform, DateTime start, int months, int[] sizes, (int Lo, int Hi) centsRange,
        DateTime signedBefore, decimal maxBacklog = decimal.MaxValue, DateTime? signedAfter = null)
    {
        var p = P(platform);
        var gpusPerUnit = p.Platform.GpusPerUnit;
        var units = Math.Max(1, sizes[_rng.NextInt(sizes.Length)] / gpusPerUnit);
        var end = start.AddMonths(months);
        if (end > Utc.Date(2033, 1, 1)) end = Utc.Date(2033, 1, 1);
        var price = _rng.Between(centsRange.Lo, centsRange.Hi) / 100m;
        var signed = signedBefore.AddDays(-_rng.Between(20, 120));
        if (signedAfter is { } after && signed < after) signed = after.AddDays(_rng.Between(0, 20));
        // A ramp: a second tranche of half the size a quarter later, same term end.
        var rampStart = start.AddMonths(3);
        var ramp = _rng.Chance(0.25) && rampStart.AddMonths(6) <= end;
        var cutoff = FactsBook.BacklogCutoff;
        decimal Backlog(int u) => signed >= cutoff ? 0m
            : price * gpusPerUnit * (u * HoursAfter(start, end, cutoff) + (ramp ? Math.Max(1, u / 2) * HoursAfter(rampStart, end, cutoff) : 0m));
        while (Backlog(units) > maxBacklog && units > 1) units /= 2;
        if (Backlog(units) > maxBacklog) return 0;

        var blocks = units * gpusPerUnit >= 1_152 ? Math.Max(1, 1_152 / gpusPerUnit) : 0;
        var locality = blocks > 0 ? Locality.Region : Locality.Fabric;
        var line = TryPlaceLine("l1", platform, units, start, end, price, locality, blocks, 1);
        if (line is null) return 0;
        var lines = new List<ContractLine> { line };
        if (ramp)
        {
            var half = Math.Max(1, units / 2);
            var second = TryPlaceLine("l2", platform, half, rampStart, end, price, locality, blocks > 0 && half > blocks ? blocks : 0, 1);
            if (second is not null) lines.Add(second);
        }
        var value = lines.Sum(l => l.Value.Amount);
        _contracts.Add(new Contract
        {
            Id = new ContractId($"ct-{++_deal:D4}"), Customer = customer, SignedOn = signed, Currency = _c, Lines = lines,
            Prepayment = value >= 500_000_000m ? M(Math.Round(value * _rng.Between(15, 25) / 100m, 2)) : null,
            Sla = value >= 100_000_000m ? new SlaTerms(0.999m, 0.10m, 0.50m) : new SlaTerms(0.99m, 0.05m, 0.50m),
            CancellationTerms = new CancellationTerms(_rng.Between(50, 100) / 100m, 90),
        });
        return lines.Sum(l => (long)l.Gpus.Value);
    }

    private static decimal HoursAfter(DateTime start, DateTime end, DateTime cutoff)
    {
        var from = start > cutoff ? start : cutoff;
        return end <= from ? 0m : (decimal)(end - from).Ticks / TimeSpan.TicksPerHour;
    }

    /// <summary>Units bought ahead of demand (on-demand pools, spare racks): the room deal checks find.</summary>
    private void Headroom()
    {
        (PlatformId Platform, DateTime On, int Gpus)[] plan =
        [
            (DefaultCatalog.Ids.H100, Utc.Date(2024, 9, 1), 6_144),
            (DefaultCatalog.Ids.H200, Utc.Date(2025, 3, 1), 4_096),
            (DefaultCatalog.Ids.Gb200, Utc.Date(2025, 9, 1), 1_440),
            (DefaultCatalog.Ids.Gb300, Utc.Date(2026, 5, 1), 2_880),
            (DefaultCatalog.Ids.VeraRubin, Utc.Date(2027, 3, 1), 4_608),
        ];
        foreach (var (id, on, gpus) in plan)
        {
            var p = P(id);
            var day = _e.DayOf(on);
            var left = gpus / p.Platform.GpusPerUnit;
            while (left > 0)
            {
                var units = Math.Min(left, p.BatchUnits);
                if (!DeliverSpare(p, units, day)) break;
                left -= units;
            }
        }
    }

    /// <summary>
    /// Active power counts the envelope of sites with accepted units, so before any contract every site gets a
    /// batch of units accepted in October 2025 (GB200 in liquid-cooled halls, Hopper in air-cooled ones), which
    /// later deals lease like any other supply. Done first, while every site's power is still free.
    /// </summary>
    private void EverySiteInService()
    {
        var by = _e.DayOf(Utc.Date(2025, 10, 1));
        foreach (var site in _e.Sites)
        {
            foreach (var id in (ReadOnlySpan<PlatformId>)[DefaultCatalog.Ids.Gb200, DefaultCatalog.Ids.H100])
            {
                var p = P(id);
                var units = p.BatchUnits;
                if (!site.Admits(p.Platform) || by < p.AvailableDay || _e.PowerHeadroom(site, by) < (long)units * p.DeciKwPerUnit) continue;
                FabricSlot? fabric = null;
                foreach (var f in p.Fabrics)
                    if (f.Site == site && f.MaxUnits - f.Delivered >= units) { fabric = f; break; }
                if (fabric is null)
                {
                    if (site.FabricCount >= site.MaxFabrics) continue;
                    fabric = _e.AddFabric(site, p, p.FabricSizes[0]);
                }
                _e.AddDelivery(fabric, units, by);
                break;
            }
        }
    }

    private bool DeliverSpare(PlatformSlot p, int units, int day)
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
            _e.AddDelivery(_e.AddFabric(site, p, p.FabricSizes[0]), units, day);
            return true;
        }
        return false;
    }

    /// <summary>
    /// The delivery-risk story: a GB300 delivery due in autumn 2025 slipped by two months (a late powered shell) and a
    /// first Vera Rubin delivery by six weeks. Both still land before the lines they back start, so nothing is oversold.
    /// </summary>
    private void Slips()
    {
        Slip(DefaultCatalog.Ids.Gb300, Utc.Date(2025, 11, 1), 61);
        Slip(DefaultCatalog.Ids.VeraRubin, Utc.Date(2026, 1, 1), 45);
    }

    private void Slip(PlatformId platform, DateTime from, int days)
    {
        var first = _e.DayOf(from);
        DeliverySlot? pick = null;
        foreach (var d in _e.Deliveries)
        {
            if (d.Fabric.Platform.Platform.Id != platform || d.Day < first) continue;
            if (d.Day - days < d.Fabric.Platform.AvailableDay) continue;
            if (pick is null || d.Day < pick.Day) pick = d;
        }
        if (pick is not null) pick.OriginalDay = pick.Day - days;
    }
}
