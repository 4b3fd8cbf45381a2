using Lessor.Core.Model;
using YamlDotNet.RepresentationModel;

namespace Lessor.Storage.Scenarios;

/// <summary>
/// Turns a loaded YAML tree into a <see cref="Scenario"/>. Every field problem is reported and reading goes
/// on with a placeholder, so list positions stay aligned with the file and one run reports everything.
/// </summary>
internal sealed class ScenarioReader(YamlInput input)
{
    // The keys each mapping allows, in the order the writer emits them.
    internal static readonly string[] TopKeys = ["name", "description", "currency", "platforms", "regions", "sites", "fabrics", "deliveries", "customers", "contracts", "uncertainty"];
    internal static readonly string[] PlatformKeys = ["id", "name", "vendor", "aliases", "gpus_per_unit", "dies_per_gpu", "scale_up_domain_gpus", "unit_kw", "cooling", "capex_per_unit", "prices", "lead_time_days", "available_from"];
    internal static readonly string[] PriceKeys = ["on_demand", "reserved", "spot"];
    internal static readonly string[] RegionKeys = ["id", "name"];
    internal static readonly string[] SiteKeys = ["id", "name", "region", "cooling", "power"];
    internal static readonly string[] StepKeys = ["from", "mw"];
    internal static readonly string[] FabricKeys = ["id", "site", "platform", "max_units"];
    internal static readonly string[] DeliveryKeys = ["id", "fabric", "units", "status", "ordered_on", "acceptance_date", "original_acceptance_date"];
    internal static readonly string[] CustomerKeys = ["id", "name"];
    internal static readonly string[] ContractKeys = ["id", "customer", "signed_on", "currency", "kind", "title", "headline_value", "prepayment", "backstop_cap", "backstop_period", "sla", "cancellation_terms", "cancellation", "late_delivery", "lines", "amendments"];
    internal static readonly string[] PeriodKeys = ["start", "end"];
    internal static readonly string[] SlaKeys = ["availability_target", "credit_fraction", "credit_cap_fraction", "tiers", "degraded", "maintenance_notice_days"];
    internal static readonly string[] TierKeys = ["below", "credit_fraction"];
    internal static readonly string[] DegradedNames = ["available", "unavailable"];
    internal static readonly DegradedPolicy[] DegradedValues = [DegradedPolicy.Available, DegradedPolicy.Unavailable];
    internal static readonly string[] TermsKeys = ["fee_fraction", "notice_days"];
    internal static readonly string[] CancellationKeys = ["effective_on", "fee", "reason"];
    internal static readonly string[] LineKeys = ["id", "platform", "gpus", "period", "price_per_gpu_hour", "locality", "block_size", "min_sites", "pinned", "option"];
    internal static readonly string[] PinnedKeys = ["fabric", "units"];
    internal static readonly string[] OptionKeys = ["exercise_by", "exercised_on", "exercised_under"];
    internal static readonly string[] AmendmentKeys = ["sequence", "effective_on", "kind", "line", "before", "after", "note"];

    internal static readonly string[] CoolingNames = ["air", "liquid"];
    internal static readonly Cooling[] CoolingValues = [Cooling.Air, Cooling.Liquid];
    internal static readonly string[] StatusNames = ["planned", "ordered", "delivered", "accepted"];
    internal static readonly DeliveryStatus[] StatusValues = [DeliveryStatus.Planned, DeliveryStatus.Ordered, DeliveryStatus.Delivered, DeliveryStatus.Accepted];
    internal static readonly string[] LocalityNames = ["fabric", "site", "region", "any"];
    internal static readonly Locality[] LocalityValues = [Locality.Fabric, Locality.Site, Locality.Region, Locality.Any];
    internal static readonly string[] KindNames = ["take_or_pay", "backstop"];
    internal static readonly string[] LateDeliveryNames = ["extend", "forfeit"];
    internal static readonly LateDeliveryRule[] LateDeliveryValues = [LateDeliveryRule.Extend, LateDeliveryRule.Forfeit];
    internal static readonly ContractKind[] KindValues = [ContractKind.TakeOrPay, ContractKind.Backstop];
    internal static readonly string[] AmendmentKindNames = ["grow", "shrink", "extend", "exercise", "reprice", "cancel"];
    internal static readonly AmendmentKind[] AmendmentKindValues = [AmendmentKind.Grow, AmendmentKind.Shrink, AmendmentKind.Extend, AmendmentKind.Exercise, AmendmentKind.Reprice, AmendmentKind.Cancel];

    // Placeholders stand in for values that failed to read; the scenario is discarded whenever one is used.
    // Each is chosen to trigger no finding elsewhere: an early date for signing and availability, the end of
    // the supported range for when power is drawn, zero units and kW (skipped by the power and size sums), a huge
    // envelope. Both dates lie inside Utc.SupportedRange, so the range rule says nothing about them.
    private static readonly DateTime NoDate = Utc.Epoch;
    private static readonly DateTime Never = Utc.SupportedRange.End;
    private const decimal NoLimitMw = 1_000_000_000_000m;
    private static readonly Period NoPeriod = new(Utc.Epoch, Utc.Epoch.AddDays(1));

    // Platform names and aliases a planner may write instead of the id ("NVL144"), resolved while reading.
    private readonly Dictionary<string, string> _platformNames = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _platformIds = new(StringComparer.Ordinal);

    public Scenario? Read(YamlNode root)
    {
        var f = input.Open(root, "", TopKeys);
        if (f is null) return null;
        var currency = input.CurrencyField(f, "currency") ?? Currency.Usd;
        var platforms = Each(f, "platforms", (n, p) => ReadPlatform(n, p, currency));
        foreach (var p in platforms)
        {
            if (p.Id.Value is not { Length: > 0 } id) continue;
            _platformIds.Add(id);
            _platformNames.TryAdd(p.Name ?? "", id);
            foreach (var a in p.Aliases) _platformNames.TryAdd(a, id);
        }
        return new Scenario
        {
            Name = input.Str(f, "name", true) ?? "",
            Description = input.Str(f, "description", false),
            Currency = currency,
            Platforms = platforms,
            Regions = Each(f, "regions", ReadRegion),
            Sites = Each(f, "sites", ReadSite),
            Fabrics = Each(f, "fabrics", ReadFabric),
            Deliveries = Each(f, "deliveries", ReadDelivery),
            Customers = Each(f, "customers", ReadCustomer),
            Contracts = Each(f, "contracts", (n, p) => ReadContract(n, p, currency)),
            Uncertainty = new UncertaintyReader(input).Read(input.Get(f, "uncertainty", false), "uncertainty"),
        };
    }

    private List<T> Each<T>(Fields f, string key, Func<YamlNode, string, T> read)
    {
        var nodes = input.List(f, key, false);
        var items = new List<T>(nodes.Count);
        for (var i = 0; i < nodes.Count; i++) items.Add(read(nodes[i], $"{YamlInput.Join(f.Path, key)}[{i}]"));
        return items;
    }

    private string ResolvePlatform(string? text)
    {
        if (text is null) return "";
        if (_platformIds.Contains(text)) return text;
        return _platformNames.TryGetValue(text, out var id) ? id : text;
    }

    private Platform ReadPlatform(YamlNode node, string path, Currency currency)
    {
        var f = input.Open(node, path, PlatformKeys);
        if (f is null) return PlaceholderPlatform(currency);
        var aliases = new List<string>();
        var aliasNodes = input.List(f, "aliases", false, scalarAsList: true);
        for (var i = 0; i < aliasNodes.Count; i++)
        {
            if (input.Item(aliasNodes[i], $"{path}.aliases[{i}]") is { } a) aliases.Add(a);
        }
        var gpusPerUnit = input.Int(f, "gpus_per_unit", true) ?? 0;
        var prices = input.Open(input.Get(f, "prices", true), $"{path}.prices", PriceKeys);
        var zero = Money.Zero(currency);
        return new Platform
        {
            Id = new PlatformId(input.Str(f, "id", true) ?? ""),
            Name = input.Str(f, "name", true) ?? "",
            Vendor = input.Str(f, "vendor", true) ?? "",
            Aliases = aliases,
            GpusPerUnit = gpusPerUnit,
            DiesPerGpu = input.Int(f, "dies_per_gpu", false) ?? 1,
            ScaleUpDomainGpus = input.Int(f, "scale_up_domain_gpus", false) ?? gpusPerUnit,
            UnitKw = input.Dec(f, "unit_kw", true) ?? 0m,
            Cooling = input.Enum(f, "cooling", true, CoolingNames, CoolingValues) ?? Cooling.Air,
            CapexPerUnit = input.Money(f, "capex_per_unit", true, currency) ?? zero,
            Prices = prices is null
                ? new PriceList(zero, zero, zero)
                : new PriceList(
                    input.Money(prices, "on_demand", true, currency) ?? zero,
                    input.Money(prices, "reserved", true, currency) ?? zero,
                    input.Money(prices, "spot", true, currency) ?? zero),
            LeadTimeDays = input.Int(f, "lead_time_days", true) ?? 0,
            AvailableFrom = input.Date(f, "available_from", true) ?? NoDate,
        };
    }

    private static Platform PlaceholderPlatform(Currency currency) => new()
    {
        Id = new PlatformId(""), Name = "", Vendor = "", GpusPerUnit = 1, ScaleUpDomainGpus = 1, UnitKw = 1m,
        Cooling = Cooling.Air, CapexPerUnit = Money.Zero(currency),
        Prices = new PriceList(Money.Zero(currency), Money.Zero(currency), Money.Zero(currency)),
        LeadTimeDays = 0, AvailableFrom = NoDate,
    };

    private Region ReadRegion(YamlNode node, string path)
    {
        var f = input.Open(node, path, RegionKeys);
        if (f is null) return new Region { Id = new RegionId(""), Name = "" };
        return new Region { Id = new RegionId(input.Str(f, "id", true) ?? ""), Name = input.Str(f, "name", true) ?? "" };
    }

    private Site ReadSite(YamlNode node, string path)
    {
        var f = input.Open(node, path, SiteKeys);
        if (f is null) return new Site { Id = new SiteId(""), Name = "", Region = new RegionId(""), Cooling = [], Power = [] };
        var cooling = new List<Cooling>();
        var coolingNodes = input.List(f, "cooling", true, scalarAsList: true);
        for (var i = 0; i < coolingNodes.Count; i++)
        {
            var text = input.Item(coolingNodes[i], $"{path}.cooling[{i}]");
            if (text is null) continue;
            var k = Array.IndexOf(CoolingNames, text);
            if (k >= 0) cooling.Add(CoolingValues[k]);
            else input.Error($"{path}.cooling[{i}]", coolingNodes[i], $"'{text}' is not one of {string.Join(", ", CoolingNames)}");
        }
        var power = new List<PowerStep>();
        var stepNodes = input.List(f, "power", false);
        for (var i = 0; i < stepNodes.Count; i++)
        {
            var s = input.Open(stepNodes[i], $"{path}.power[{i}]", StepKeys);
            if (s is null)
            {
                power.Add(new PowerStep(Never, NoLimitMw));
                continue;
            }
            power.Add(new PowerStep(input.Date(s, "from", true) ?? Never, input.Dec(s, "mw", true) ?? NoLimitMw));
        }
        return new Site
        {
            Id = new SiteId(input.Str(f, "id", true) ?? ""),
            Name = input.Str(f, "name", true) ?? "",
            Region = new RegionId(input.Str(f, "region", true) ?? ""),
            Cooling = cooling,
            Power = power,
        };
    }

    private Fabric ReadFabric(YamlNode node, string path)
    {
        var f = input.Open(node, path, FabricKeys);
        if (f is null) return new Fabric { Id = new FabricId(""), Site = new SiteId(""), Platform = new PlatformId(""), MaxUnits = 1 };
        return new Fabric
        {
            Id = new FabricId(input.Str(f, "id", true) ?? ""),
            Site = new SiteId(input.Str(f, "site", true) ?? ""),
            Platform = new PlatformId(ResolvePlatform(input.Str(f, "platform", true))),
            MaxUnits = input.Int(f, "max_units", true) ?? int.MaxValue,
        };
    }

    private Delivery ReadDelivery(YamlNode node, string path)
    {
        var f = input.Open(node, path, DeliveryKeys);
        if (f is null)
            return new Delivery { Id = new DeliveryId(""), Fabric = new FabricId(""), Units = 0, Status = DeliveryStatus.Planned, AcceptanceDate = Never };
        return new Delivery
        {
            Id = new DeliveryId(input.Str(f, "id", true) ?? ""),
            Fabric = new FabricId(input.Str(f, "fabric", true) ?? ""),
            Units = input.Int(f, "units", true) ?? 0,
            Status = input.Enum(f, "status", true, StatusNames, StatusValues) ?? DeliveryStatus.Planned,
            OrderedOn = input.Date(f, "ordered_on", false),
            AcceptanceDate = input.Date(f, "acceptance_date", true) ?? Never,
            OriginalAcceptanceDate = input.Date(f, "original_acceptance_date", false),
        };
    }

    private Customer ReadCustomer(YamlNode node, string path)
    {
        var f = input.Open(node, path, CustomerKeys);
        if (f is null) return new Customer { Id = new CustomerId(""), Name = "" };
        return new Customer { Id = new CustomerId(input.Str(f, "id", true) ?? ""), Name = input.Str(f, "name", true) ?? "" };
    }

    private Period? ReadPeriod(Fields owner, string key, bool required)
    {
        var path = YamlInput.Join(owner.Path, key);
        var f = input.Open(input.Get(owner, key, required), path, PeriodKeys);
        if (f is null) return required ? NoPeriod : null;
        var start = input.Date(f, "start", true);
        var end = input.Date(f, "end", true);
        if (start is null || end is null) return NoPeriod;
        if (end.Value <= start.Value)
        {
            input.Error($"{path}.end", input.Node(f, "end"),
                $"the period ends {ModelText.Date(end.Value)}, not after its start {ModelText.Date(start.Value)} (end is exclusive)");
            return NoPeriod;
        }
        return new Period(start.Value, end.Value);
    }

    private SlaTier ReadTier(YamlNode node, string path)
    {
        var f = input.Open(node, path, TierKeys);
        return f is null ? new SlaTier(0m, 0m) : new SlaTier(input.Dec(f, "below", true) ?? 0m, input.Dec(f, "credit_fraction", true) ?? 0m);
    }

    private Contract ReadContract(YamlNode node, string path, Currency scenarioCurrency)
    {
        var f = input.Open(node, path, ContractKeys);
        if (f is null)
            return new Contract { Id = new ContractId(""), Customer = new CustomerId(""), SignedOn = NoDate, Currency = scenarioCurrency };
        var currency = input.CurrencyField(f, "currency") ?? scenarioCurrency;
        SlaTerms? sla = null;
        if (input.Open(input.Get(f, "sla", false), $"{path}.sla", SlaKeys) is { } s)
            sla = new SlaTerms(input.Dec(s, "availability_target", true) ?? 1m, input.Dec(s, "credit_fraction", true) ?? 0m, input.Dec(s, "credit_cap_fraction", true) ?? 0m)
            {
                Tiers = Each(s, "tiers", ReadTier),
                Degraded = input.Enum(s, "degraded", false, DegradedNames, DegradedValues) ?? DegradedPolicy.Available,
                MaintenanceNoticeDays = input.Int(s, "maintenance_notice_days", false) ?? SlaTerms.DefaultMaintenanceNoticeDays,
            };
        CancellationTerms? terms = null;
        if (input.Open(input.Get(f, "cancellation_terms", false), $"{path}.cancellation_terms", TermsKeys) is { } t)
            terms = new CancellationTerms(input.Dec(t, "fee_fraction", true) ?? 0m, input.Int(t, "notice_days", true) ?? 0);
        Cancellation? cancellation = null;
        if (input.Open(input.Get(f, "cancellation", false), $"{path}.cancellation", CancellationKeys) is { } c)
            cancellation = new Cancellation(input.Date(c, "effective_on", true) ?? NoDate, input.Money(c, "fee", true, currency) ?? Money.Zero(currency), input.Str(c, "reason", false));
        return new Contract
        {
            Id = new ContractId(input.Str(f, "id", true) ?? ""),
            Customer = new CustomerId(input.Str(f, "customer", true) ?? ""),
            SignedOn = input.Date(f, "signed_on", true) ?? NoDate,
            Currency = currency,
            Kind = input.Enum(f, "kind", false, KindNames, KindValues) ?? ContractKind.TakeOrPay,
            Title = input.Str(f, "title", false),
            HeadlineValue = input.Money(f, "headline_value", false, currency),
            Prepayment = input.Money(f, "prepayment", false, currency),
            BackstopCap = input.Money(f, "backstop_cap", false, currency),
            BackstopPeriod = ReadPeriod(f, "backstop_period", false),
            Sla = sla,
            CancellationTerms = terms,
            Cancellation = cancellation,
            LateDelivery = input.Enum(f, "late_delivery", false, LateDeliveryNames, LateDeliveryValues) ?? LateDeliveryRule.Extend,
            Lines = Each(f, "lines", (n, p) => ReadLine(n, p, currency)),
            Amendments = Each(f, "amendments", (n, p) => ReadAmendment(n, p, currency)),
        };
    }

    private ContractLine ReadLine(YamlNode node, string path, Currency currency)
    {
        var f = input.Open(node, path, LineKeys);
        if (f is null)
            return new ContractLine { Id = new LineId(""), Platform = new PlatformId(""), Gpus = GpuCount.Zero, Period = NoPeriod, PricePerGpuHour = Money.Zero(currency) };
        var pinned = new List<PlacedBlock>();
        var pinnedNodes = input.List(f, "pinned", false);
        for (var i = 0; i < pinnedNodes.Count; i++)
        {
            var b = input.Open(pinnedNodes[i], $"{path}.pinned[{i}]", PinnedKeys);
            pinned.Add(b is null
                ? new PlacedBlock(new FabricId(""), 1)
                : new PlacedBlock(new FabricId(input.Str(b, "fabric", true) ?? ""), input.Int(b, "units", true) ?? 1));
        }
        OptionTerms? option = null;
        if (input.Open(input.Get(f, "option", false), $"{path}.option", OptionKeys) is { } o)
        {
            var under = input.Str(o, "exercised_under", false);
            option = new OptionTerms
            {
                ExerciseBy = input.Date(o, "exercise_by", true) ?? NoDate,
                ExercisedOn = input.Date(o, "exercised_on", false),
                ExercisedUnder = under is null ? null : new ContractId(under),
            };
        }
        return new ContractLine
        {
            Id = new LineId(input.Str(f, "id", true) ?? ""),
            Platform = new PlatformId(ResolvePlatform(input.Str(f, "platform", true))),
            Gpus = Count(f, "gpus", true) ?? GpuCount.Zero,
            Period = ReadPeriod(f, "period", true) ?? NoPeriod,
            PricePerGpuHour = input.Money(f, "price_per_gpu_hour", true, currency) ?? Money.Zero(currency),
            Locality = input.Enum(f, "locality", false, LocalityNames, LocalityValues) ?? Locality.Any,
            BlockSize = Count(f, "block_size", false),
            MinSites = input.Int(f, "min_sites", false) ?? 1,
            Pinned = pinned,
            Option = option,
        };
    }

    /// <summary>A GPU count; negative ones are reported here because <see cref="GpuCount"/> cannot hold them.</summary>
    private GpuCount? Count(Fields f, string key, bool required)
    {
        var n = input.Int(f, key, required);
        if (n is null) return null;
        if (n.Value >= 0) return new GpuCount(n.Value);
        input.Error(YamlInput.Join(f.Path, key), input.Node(f, key), $"{key} must be greater than zero, not {ModelText.Int(n.Value)}");
        return GpuCount.Zero;
    }

    private Amendment ReadAmendment(YamlNode node, string path, Currency currency)
    {
        var f = input.Open(node, path, AmendmentKeys);
        if (f is null) return new Amendment { Sequence = 0, EffectiveOn = NoDate, Kind = AmendmentKind.Grow };
        var line = input.Str(f, "line", false);
        var before = input.Get(f, "before", false);
        var after = input.Get(f, "after", false);
        return new Amendment
        {
            Sequence = input.Int(f, "sequence", true) ?? 0,
            EffectiveOn = input.Date(f, "effective_on", true) ?? NoDate,
            Kind = input.Enum(f, "kind", true, AmendmentKindNames, AmendmentKindValues) ?? AmendmentKind.Grow,
            Line = line is null ? null : new LineId(line),
            Before = before is null ? null : ReadLine(before, $"{path}.before", currency),
            After = after is null ? null : ReadLine(after, $"{path}.after", currency),
            Note = input.Str(f, "note", false),
        };
    }
}
