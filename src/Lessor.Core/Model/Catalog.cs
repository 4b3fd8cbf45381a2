namespace Lessor.Core.Model;

/// <summary>How a site removes heat; a platform needs one its site offers.</summary>
public enum Cooling
{
    Air,
    Liquid,
}

/// <summary>List prices per GPU-hour for the three ways capacity is sold.</summary>
public sealed record PriceList(Money OnDemand, Money Reserved, Money Spot);

/// <summary>
/// A hardware SKU in the catalog. A unit is the smallest thing sold as reserved capacity: one scale-up
/// (NVLink) domain, an 8-GPU HGX node or an NVL72 rack. GPUs count packages; dies are kept apart because
/// vendors name racks both ways ("NVL144" counts the dies of a Vera Rubin NVL72).
/// </summary>
public sealed record Platform
{
    public required PlatformId Id { get; init; }
    public required string Name { get; init; }
    public required string Vendor { get; init; }

    /// <summary>Other names the vendor or the market uses for this SKU, e.g. "NVL144" for Vera Rubin NVL72.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>Accelerator packages in one unit (8 for an HGX node, 72 for an NVL72 rack).</summary>
    public required int GpusPerUnit { get; init; }

    /// <summary>Dies per package (2 for Blackwell and Rubin).</summary>
    public int DiesPerGpu { get; init; } = 1;

    /// <summary>GPUs in one scale-up (NVLink) domain; usually equal to <see cref="GpusPerUnit"/>.</summary>
    public required int ScaleUpDomainGpus { get; init; }

    /// <summary>IT power one unit draws, in kW.</summary>
    public required decimal UnitKw { get; init; }

    public required Cooling Cooling { get; init; }
    public required Money CapexPerUnit { get; init; }
    public required PriceList Prices { get; init; }

    /// <summary>Typical time from order to acceptance.</summary>
    public required int LeadTimeDays { get; init; }

    /// <summary>First date the vendor ships volume; no delivery may be accepted before it.</summary>
    public required DateTime AvailableFrom { get; init; }

    public GpuCount Unit => new(GpusPerUnit);
    public GpuCount GpusOf(int units) => new(checked(units * GpusPerUnit));
}
