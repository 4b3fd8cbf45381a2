using Lessor.Core.Model;

namespace Lessor.Core.Generation;

/// <summary>Turns the generator's working state into model records: ids, delivery statuses, stable order.</summary>
internal static class ScenarioAssembler
{
    public static Scenario Assemble(
        GeneratorOptions o, string name, string description, IReadOnlyList<Platform> platforms, EstateBuilder e,
        IReadOnlyList<Customer> customers, List<Contract> contracts)
    {
        var regions = new List<Region>();
        foreach (var s in e.Sites)
        {
            if (regions.Exists(r => r.Id == s.Region)) continue;
            regions.Add(new Region { Id = s.Region, Name = RegionNames.NameOf(s.Region) });
        }

        var sites = e.Sites.Select(s => new Site
        {
            Id = s.Id,
            Name = s.Name,
            Region = s.Region,
            Cooling = s.Cooling,
            Power = s.Power,
        }).ToList();

        var fabrics = e.Fabrics.Where(f => f.Delivered > 0).Select(f => new Fabric
        {
            Id = f.Id,
            Site = f.Site.Id,
            Platform = f.Platform.Platform.Id,
            MaxUnits = f.MaxUnits,
        }).ToList();

        // Per fabric, deliveries in date order; the sort is stable so equal dates keep creation order.
        var ordered = e.Deliveries.OrderBy(d => d.Fabric.Ordinal).ThenBy(d => d.Day).ToList();
        var deliveries = new List<Delivery>(ordered.Count);
        var asOf = o.AsOf;
        FabricSlot? current = null;
        var n = 0;
        foreach (var d in ordered)
        {
            if (!ReferenceEquals(current, d.Fabric)) { current = d.Fabric; n = 0; }
            var accepted = e.DateOf(d.Day);
            var lead = d.Fabric.Platform.Platform.LeadTimeDays;
            var orderedOn = accepted.AddDays(-lead);
            var status = accepted <= asOf ? DeliveryStatus.Accepted
                : accepted <= asOf.AddDays(30) ? DeliveryStatus.Delivered
                : orderedOn <= asOf ? DeliveryStatus.Ordered
                : DeliveryStatus.Planned;
            deliveries.Add(new Delivery
            {
                Id = new DeliveryId($"{d.Fabric.Id}-d{++n}"),
                Fabric = d.Fabric.Id,
                Units = d.Units,
                Status = status,
                OrderedOn = status == DeliveryStatus.Planned ? null : orderedOn,
                AcceptanceDate = accepted,
                OriginalAcceptanceDate = d.OriginalDay is { } od ? e.DateOf(od) : null,
            });
        }

        contracts.Sort((a, b) =>
        {
            var c = a.SignedOn.CompareTo(b.SignedOn);
            return c != 0 ? c : string.CompareOrdinal(a.Id.Value, b.Id.Value);
        });

        return new Scenario
        {
            Name = name,
            Description = description,
            Currency = o.Currency,
            Platforms = platforms,
            Regions = regions,
            Sites = sites,
            Fabrics = fabrics,
            Deliveries = deliveries,
            Customers = customers,
            Contracts = contracts,
        };
    }

    /// <summary>Pinned placement for a placed line, block by block.</summary>
    public static IReadOnlyList<PlacedBlock> Pins(List<(FabricSlot Fabric, int Units)> placed)
    {
        var pins = new PlacedBlock[placed.Count];
        for (var i = 0; i < placed.Count; i++) pins[i] = new PlacedBlock(placed[i].Fabric.Id, placed[i].Units);
        return pins;
    }
}

/// <summary>Region ids the generator uses, with display names and the cities its sites are named after.</summary>
internal static class RegionNames
{
    public static readonly (string Id, string Name, double Weight, string[] Cities)[] All =
    [
        ("us-east", "US East", 20, ["Secaucus NJ", "Kenilworth NJ", "Lancaster PA", "Ashburn VA", "Reston VA", "Manassas VA", "Harrisburg PA", "Chester VA", "Allentown PA", "Richmond VA", "Wilmington DE", "Scranton PA"]),
        ("us-central", "US Central", 18, ["Chicago IL", "Ellendale ND", "Jamestown ND", "Lincoln NE", "Des Moines IA", "Kansas City MO", "Omaha NE", "Fargo ND", "Minneapolis MN", "Sioux Falls SD", "Cedar Rapids IA"]),
        ("us-south", "US South", 14, ["Plano TX", "Denton TX", "Austin TX", "Dallas TX", "Atlanta GA", "Douglasville GA", "Muskogee OK", "Abilene TX", "Pecos TX"]),
        ("us-west", "US West", 12, ["Las Vegas NV", "Hillsboro OR", "Phoenix AZ", "Salt Lake City UT", "Reno NV", "Quincy WA"]),
        ("eu-north", "EU North", 8, ["Oslo NO", "Kristiansand NO", "Stockholm SE", "Lulea SE", "Helsinki FI"]),
        ("eu-west", "EU West", 8, ["Crawley UK", "London Docklands UK", "Barcelona ES", "Dublin IE", "Amsterdam NL"]),
        ("eu-central", "EU Central", 6, ["Frankfurt DE", "Munich DE", "Zurich CH", "Warsaw PL"]),
        ("ap-northeast", "Asia Pacific Northeast", 5, ["Tokyo JP", "Osaka JP", "Seoul KR"]),
        ("ap-southeast", "Asia Pacific Southeast", 4, ["Singapore SG", "Johor MY", "Sydney AU"]),
        ("ca-east", "Canada East", 5, ["Montreal QC", "Toronto ON", "Quebec City QC"]),
    ];

    public static string NameOf(RegionId id)
    {
        foreach (var r in All)
            if (r.Id == id.Value) return r.Name;
        return id.Value;
    }

    /// <summary>A site name: the region's n-th city, numbered once the list is used up.</summary>
    public static string SiteName(RegionId id, int n)
    {
        foreach (var r in All)
        {
            if (r.Id != id.Value) continue;
            var city = r.Cities[n % r.Cities.Length];
            return n < r.Cities.Length ? city : $"{city} {n / r.Cities.Length + 1}";
        }
        return $"{id.Value} {n + 1}";
    }
}

/// <summary>Deterministic, made-up customer names (no real company is implied outside the named facts).</summary>
internal static class CustomerNames
{
    private static readonly string[] First =
    [
        "Aster", "Boreal", "Cobalt", "Delta", "Ember", "Fathom", "Granite", "Helix", "Ion", "Juniper", "Kestrel",
        "Lumen", "Meridian", "Nimbus", "Onyx", "Polaris", "Quasar", "Ridge", "Sable", "Tidal", "Umbra", "Vertex",
        "Willow", "Xenon", "Yarrow", "Zephyr", "Atlas", "Beacon", "Cinder", "Drift", "Echo", "Flint",
    ];

    private static readonly string[] Second =
    [
        "Labs", "AI", "Robotics", "Analytics", "Systems", "Bio", "Research", "Media", "Capital", "Health", "Motors",
        "Games", "Vision", "Data", "Foundry", "Works", "Intelligence", "Compute", "Genomics", "Energy",
    ];

    public static string Of(int index)
    {
        var a = First[index % First.Length];
        var b = Second[index / First.Length % Second.Length];
        var round = index / (First.Length * Second.Length);
        return round == 0 ? $"{a} {b}" : $"{a} {b} {round + 1}";
    }
}
