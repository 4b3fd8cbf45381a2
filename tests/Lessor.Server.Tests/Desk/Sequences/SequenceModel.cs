using System.Globalization;
using CsCheck;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Server.Tests.Desk.Sequences;

/// <summary>
/// What the random-sequence property generates: a small estate (1-2 sites, 1-4 fabrics of an 8-GPU node platform
/// and/or a 72-GPU rack platform, deliveries with random acceptance dates, some still planned), a few unpinned
/// contracts already in the book, and a list of desk operations. Operations name contracts, lines and deliveries by
/// index (taken modulo what exists when the step runs) and dates relative to the line, so a shrunk sequence stays
/// meaningful. Small numbers are the simple cases, which is what CsCheck shrinks towards.
/// </summary>
internal static class SequenceModel
{
    /// <summary>The desk's clock: every sequence runs at this instant.</summary>
    public static readonly DateTime Now = Utc.Date(2026, 6, 1);

    public static readonly PlatformId Node = new("h8");
    public static readonly PlatformId Rack = new("r72");

    /// <summary>Units (1-6 nodes, 1-3 racks) accepted at <see cref="Now"/> plus the minutes given (negative: already accepted).</summary>
    public sealed record DeliverySpec(int Units, int MinutesFromNow);

    public sealed record FabricSpec(int Site, bool Rack, IReadOnlyList<DeliverySpec> Deliveries);

    /// <summary>A line as asked for: months and minutes from <see cref="Now"/>; a price of null is the list price.</summary>
    public sealed record LineSpec(bool Rack, int Units, Locality Locality, int BlockUnits, int MinSites, int StartMonth, int StartMinute, int Months, int EndMinute, decimal? Price)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{(Rack ? "r72" : "h8")} {Units}u {Locality.ToString().ToLowerInvariant()} block {BlockUnits} min-sites {MinSites} +{StartMonth}mo{StartMinute}m for {Months}mo{EndMinute}m{(Price is { } p ? $" at {p}" : "")}");
    }

    public sealed record EstateSpec(int Sites, IReadOnlyList<FabricSpec> Fabrics, IReadOnlyList<LineSpec> Unpinned);

    /// <summary>How an effective date is chosen relative to the line it applies to.</summary>
    public enum WhenKind
    {
        InTerm,
        BeforeLatestAmendment,
        AtStartOrLatest,
        BeforeStart,
        AfterEnd,
    }

    public sealed record When(WhenKind Kind, int Permille);

    public abstract record Op;

    public sealed record SignOp(IReadOnlyList<LineSpec> Lines) : Op
    {
        public override string ToString() => $"sign [{string.Join("; ", Lines)}]";
    }

    /// <summary>Units 0 keeps the size; End: 0 keeps the end, 1 shortens by 10 days, 2-4 extend by 31 days, 200 days + 7 minutes, 400 days.</summary>
    public sealed record AmendOp(int Contract, int Line, When Effective, int Units, int End) : Op
    {
        public override string ToString() => $"amend #{Contract}/{Line} {Effective.Kind}@{Effective.Permille} units {Units} end {End}";
    }

    public sealed record CancelOp(int Contract, When Effective) : Op
    {
        public override string ToString() => $"cancel #{Contract} {Effective.Kind}@{Effective.Permille}";
    }

    public sealed record SlipOp(int Delivery, int Days, int Minutes) : Op
    {
        public override string ToString() => $"slip #{Delivery} by {Days}d{Minutes}m";
    }

    public sealed record Sequence(EstateSpec Estate, IReadOnlyList<Op> Ops)
    {
        public override string ToString() =>
            $"estate: {Estate.Sites} site(s), fabrics [{string.Join("; ", Estate.Fabrics.Select(f => $"s{f.Site} {(f.Rack ? "r72" : "h8")} deliveries {string.Join(",", f.Deliveries.Select(d => $"{d.Units}u@{d.MinutesFromNow}m"))}"))}]"
            + $", unpinned [{string.Join("; ", Estate.Unpinned)}]; ops: {string.Join(" | ", Ops)}";
    }

    /// <summary>An operation written out: what <see cref="SequenceRun"/> sends to the desk, and how a minimal repro is stated.</summary>
    public abstract record Step;

    /// <summary>Signs the lines as contract k01, k02... for customer c1, c2... in order.</summary>
    public sealed record Sign(IReadOnlyList<DealLine> Lines) : Step;

    public sealed record Amend(string Contract, string Line, DateTime Effective, int? Gpus, DateTime? End) : Step;

    public sealed record Cancel(string Contract, DateTime Effective) : Step;

    public sealed record Slip(string Delivery, DateTime To) : Step;

    private static readonly Gen<DeliverySpec> GenDelivery =
        Gen.Select(Gen.Int[1, 6], Gen.Int[-150 * 1440, 540 * 1440], (u, m) => new DeliverySpec(u, m));

    private static readonly Gen<FabricSpec> GenFabric =
        Gen.Select(Gen.Int[0, 1], Gen.Bool, GenDelivery.List[1, 3],
            (s, r, d) => new FabricSpec(s, r, r ? [.. d.Select(x => x with { Units = 1 + (x.Units - 1) / 2 })] : d));

    private static readonly Gen<LineSpec> GenLine =
        Gen.Select(
            Gen.Select(Gen.Bool, Gen.Int[1, 6], Gen.Int[0, 2], Gen.Int[0, 3]),
            Gen.Select(Gen.Int[1, 2], Gen.Int[0, 30], Gen.Frequency((2, Gen.Const(0)), (1, Gen.Int[1, 43_199]))),
            Gen.Select(Gen.Int[1, 24], Gen.Frequency((2, Gen.Const(0)), (1, Gen.Int[1, 43_199]))),
            Gen.Frequency((40, Gen.Const((decimal?)null)), (8, Gen.Const((decimal?)2.75m)), (1, Gen.Const((decimal?)1e24m))),
            (a, b, c, price) => new LineSpec(a.Item1, a.Item2, (Locality)(a.Item3 == 2 ? 3 : a.Item3), a.Item4, b.Item1, b.Item2, b.Item3, c.Item1, c.Item2, price));

    private static readonly Gen<When> GenWhen =
        Gen.Select(Gen.Frequency((5, Gen.Const(WhenKind.InTerm)), (3, Gen.Const(WhenKind.BeforeLatestAmendment)),
            (1, Gen.Const(WhenKind.AtStartOrLatest)), (1, Gen.Const(WhenKind.BeforeStart)), (1, Gen.Const(WhenKind.AfterEnd))),
            Gen.Int[0, 999], (k, p) => new When(k, p));

    private static readonly Gen<Op> GenOp = Gen.Frequency(
        (4, GenLine.List[1, 2].Select(l => (Op)new SignOp(l))),
        (5, Gen.Select(Gen.Int[0, 9], Gen.Int[0, 1], GenWhen, Gen.Select(Gen.Int[0, 6], Gen.Int[0, 4]), (c, l, w, x) => (Op)new AmendOp(c, l, w, x.Item1, x.Item2))),
        (1, Gen.Select(Gen.Int[0, 9], GenWhen, (c, w) => (Op)new CancelOp(c, w))),
        (2, Gen.Select(Gen.Int[0, 11], Gen.Int[-60, 400], Gen.Int[0, 1439], (d, days, m) => (Op)new SlipOp(d, days, m))));

    public static readonly Gen<Sequence> GenSequence =
        Gen.Select(Gen.Int[1, 2], GenFabric.List[1, 4], GenLine.List[0, 2], GenOp.List[1, 10],
            (sites, fabrics, unpinned, ops) => new Sequence(new EstateSpec(sites, fabrics, unpinned), ops));

    /// <summary>The platform a spec asks for, or the other one when the estate has none of it.</summary>
    public static PlatformId PlatformFor(bool rack, Scenario s)
    {
        var wanted = rack ? Rack : Node;
        return s.Fabrics.Any(f => f.Platform == wanted) ? wanted : s.Fabrics[0].Platform;
    }

    public static int UnitsFor(PlatformId platform, int units) => platform == Rack ? 1 + (units - 1) / 2 : units;

    public static int GpusPerUnit(PlatformId platform) => platform == Rack ? 72 : 8;

    /// <summary>A deal line from a spec (null when the spec's block size does not fit its size: the block is then dropped).</summary>
    public static DealLine ToDealLine(LineSpec spec, Scenario s)
    {
        var platform = PlatformFor(spec.Rack, s);
        var unit = GpusPerUnit(platform);
        var units = UnitsFor(platform, spec.Units);
        var start = Now.AddMonths(spec.StartMonth).AddMinutes(spec.StartMinute);
        var end = start.AddMonths(spec.Months).AddMinutes(spec.EndMinute);
        return new DealLine
        {
            Platform = platform,
            Gpus = new GpuCount(units * unit),
            Period = new Period(start, end),
            Locality = spec.Locality,
            BlockSize = spec.BlockUnits > 0 && spec.BlockUnits <= units ? new GpuCount(spec.BlockUnits * unit) : null,
            MinSites = spec.MinSites,
            PricePerGpuHour = spec.Price is { } p ? Money.Usd(p) : null,
        };
    }

    /// <summary>The estate as a scenario without contracts; delivery ids are unique words ("dv0a") so messages can be searched for them.</summary>
    public static Scenario Estate(EstateSpec spec)
    {
        Platform PlatformOf(PlatformId id, int gpus, decimal kw, Cooling cooling, decimal price) => new()
        {
            Id = id, Name = id.Value, Vendor = "test", GpusPerUnit = gpus, ScaleUpDomainGpus = gpus, UnitKw = kw, Cooling = cooling,
            CapexPerUnit = Money.Usd(300_000m), Prices = new PriceList(Money.Usd(price * 1.5m), Money.Usd(price), Money.Usd(price / 2)),
            LeadTimeDays = 180, AvailableFrom = Utc.Date(2024, 1, 1),
        };
        var platforms = new List<Platform>();
        if (spec.Fabrics.Any(f => !f.Rack)) platforms.Add(PlatformOf(Node, 8, 10.2m, Cooling.Air, 2.00m));
        if (spec.Fabrics.Any(f => f.Rack)) platforms.Add(PlatformOf(Rack, 72, 130m, Cooling.Liquid, 3.00m));
        var sites = Enumerable.Range(1, spec.Sites).Select(i => new Site
        {
            Id = new SiteId($"s{i}"), Name = $"Site {i}", Region = new RegionId("r1"), Cooling = [Cooling.Air, Cooling.Liquid],
            Power = [new PowerStep(Utc.Date(2025, 1, 1), 100m)],
        }).ToList();
        var fabrics = new List<Fabric>();
        var deliveries = new List<Delivery>();
        for (var i = 0; i < spec.Fabrics.Count; i++)
        {
            var f = spec.Fabrics[i];
            var platform = f.Rack ? Rack : Node;
            var id = new FabricId($"f{i}");
            fabrics.Add(new Fabric { Id = id, Site = sites[f.Site % sites.Count].Id, Platform = platform, MaxUnits = 64 });
            for (var k = 0; k < f.Deliveries.Count; k++)
            {
                var d = f.Deliveries[k];
                var at = Now.AddMinutes(d.MinutesFromNow);
                deliveries.Add(new Delivery
                {
                    Id = new DeliveryId($"dv{i}{(char)('a' + k)}"), Fabric = id, Units = d.Units,
                    Status = at <= Now ? DeliveryStatus.Accepted : DeliveryStatus.Ordered, AcceptanceDate = at,
                });
            }
        }
        return new Scenario
        {
            Name = "desk-sequences",
            Currency = Currency.Usd,
            Platforms = platforms,
            Regions = [new Region { Id = new RegionId("r1"), Name = "Region 1" }],
            Sites = sites,
            Fabrics = fabrics,
            Deliveries = deliveries,
            // One customer per contract, so the customer slice of the KPIs is the contract's own figures.
            Customers = [.. Enumerable.Range(1, 16).Select(i => new Customer { Id = new CustomerId($"c{i}"), Name = $"Customer {i}" })],
        };
    }
}
