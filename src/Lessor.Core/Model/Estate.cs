namespace Lessor.Core.Model;

/// <summary>A geographic region that groups sites (for locality "region").</summary>
public sealed record Region
{
    public required RegionId Id { get; init; }
    public required string Name { get; init; }
}

/// <summary>From <see cref="From"/> on (until the next step), the site has <see cref="Mw"/> of energized critical IT power.</summary>
public sealed record PowerStep(DateTime From, decimal Mw);

/// <summary>A data-center campus: a power envelope over time, the cooling it offers, and its fabrics.</summary>
public sealed record Site
{
    public required SiteId Id { get; init; }
    public required string Name { get; init; }
    public required RegionId Region { get; init; }
    public required IReadOnlyList<Cooling> Cooling { get; init; }

    /// <summary>Energized critical IT MW as a step function, ordered by date; zero before the first step.</summary>
    public required IReadOnlyList<PowerStep> Power { get; init; }

    /// <summary>MW energized at instant t.</summary>
    public decimal MwAt(DateTime t)
    {
        var mw = 0m;
        foreach (var step in Power)
        {
            if (step.From > t) break;
            mw = step.Mw;
        }
        return mw;
    }

    /// <summary>Contracted power: the envelope once every signed step is energized.</summary>
    public decimal ContractedMw => Power.Count == 0 ? 0m : Power.Max(p => p.Mw);
}

/// <summary>A scale-out network domain of one platform inside a site, holding at most <see cref="MaxUnits"/> units.</summary>
public sealed record Fabric
{
    public required FabricId Id { get; init; }
    public required SiteId Site { get; init; }
    public required PlatformId Platform { get; init; }
    public required int MaxUnits { get; init; }
}

/// <summary>Where a delivery stands. Only accepted units serve customers, but planned supply counts for planning.</summary>
public enum DeliveryStatus
{
    Planned,
    Ordered,
    Delivered,
    Accepted,
}

/// <summary>
/// Units of a fabric's platform entering service on <see cref="AcceptanceDate"/> (actual once accepted,
/// expected before). A slip moves the date and keeps the first one in <see cref="OriginalAcceptanceDate"/>.
/// </summary>
public sealed record Delivery
{
    public required DeliveryId Id { get; init; }
    public required FabricId Fabric { get; init; }
    public required int Units { get; init; }
    public required DeliveryStatus Status { get; init; }
    public DateTime? OrderedOn { get; init; }
    public required DateTime AcceptanceDate { get; init; }

    /// <summary>The date first promised, when the delivery has slipped since.</summary>
    public DateTime? OriginalAcceptanceDate { get; init; }

    public bool HasSlipped => OriginalAcceptanceDate is { } o && o != AcceptanceDate;
}
