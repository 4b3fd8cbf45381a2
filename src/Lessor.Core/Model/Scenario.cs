namespace Lessor.Core.Model;

/// <summary>
/// A whole estate and book of contracts: what a scenario file holds, what the store imports and exports,
/// and what the engines are built from.
/// </summary>
public sealed record Scenario
{
    public required string Name { get; init; }
    public string? Description { get; init; }
    public Currency Currency { get; init; } = Currency.Usd;
    public IReadOnlyList<Platform> Platforms { get; init; } = [];
    public IReadOnlyList<Region> Regions { get; init; } = [];
    public IReadOnlyList<Site> Sites { get; init; } = [];
    public IReadOnlyList<Fabric> Fabrics { get; init; } = [];
    public IReadOnlyList<Delivery> Deliveries { get; init; } = [];
    public IReadOnlyList<Customer> Customers { get; init; } = [];
    public IReadOnlyList<Contract> Contracts { get; init; } = [];

    /// <summary>What can slip or fail, for risk runs (<c>uncertainty:</c> in the file); null when the book has none.</summary>
    public Risk.UncertaintyModel? Uncertainty { get; init; }

    /// <summary>Resolves a platform by id or any alias (case-insensitive), as planners type them.</summary>
    public Platform? FindPlatform(string idOrAlias) =>
        Platforms.FirstOrDefault(p =>
            string.Equals(p.Id.Value, idOrAlias, StringComparison.OrdinalIgnoreCase)
            || string.Equals(p.Name, idOrAlias, StringComparison.OrdinalIgnoreCase)
            || p.Aliases.Any(a => string.Equals(a, idOrAlias, StringComparison.OrdinalIgnoreCase)));
}
