using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Core.Claims;

/// <summary>Per fabric, the units on-demand claims may use now: accepted units that no reserved commitment holds.</summary>
public static class ClaimableUnits
{
    /// <summary>
    /// Accepted units at <paramref name="now"/> minus the most units reserved lines hold over [now, now + guard).
    /// The ledger gives free = supply - committed per minute; supply only grows with time (a delivery adds units from
    /// its date on), so committed(t) &lt;= supply at the window's last minute - least free over the window. Using that
    /// bound never hands out a unit a reserved line needs; it is exact when no delivery lands inside the guard window.
    /// </summary>
    public static Dictionary<FabricId, int> Compute(Scenario scenario, CapacityLedger ledger, DateTime now, TimeSpan guard)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(ledger);
        if (now.Kind != DateTimeKind.Utc) throw new ArgumentException("Instant must be UTC.", nameof(now));
        if (guard < TimeSpan.FromMinutes(1)) throw new ArgumentOutOfRangeException(nameof(guard), "The guard window must be at least a minute.");
        var accepted = AcceptedUnits(scenario, now);
        var window = Window(now, guard);
        var last = window.End.AddMinutes(-1);
        var result = new Dictionary<FabricId, int>();
        foreach (var fabric in scenario.Fabrics)
        {
            var units = accepted.GetValueOrDefault(fabric.Id);
            if (units <= 0) continue;
            var reserved = ledger.SupplyUnits(fabric.Id, last) - ledger.FreeUnits(fabric.Id, window);
            result[fabric.Id] = Math.Clamp(units - reserved, 0, Math.Min(units, fabric.MaxUnits));
        }
        return result;
    }

    /// <summary>
    /// The guard window [now, now + guard), widened outwards to whole minutes (the ledger's grain) so no reserved minute
    /// is missed: reserved lines that hold units in it limit claims, and claims held now are guaranteed only over it.
    /// </summary>
    public static Period Window(DateTime now, TimeSpan guard)
    {
        if (now.Kind != DateTimeKind.Utc) throw new ArgumentException("Instant must be UTC.", nameof(now));
        if (guard < TimeSpan.FromMinutes(1)) throw new ArgumentOutOfRangeException(nameof(guard), "The guard window must be at least a minute.");
        var start = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        var endTicks = (now + guard).Ticks;
        var end = new DateTime(endTicks % TimeSpan.TicksPerMinute == 0 ? endTicks : endTicks - endTicks % TimeSpan.TicksPerMinute + TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        return new Period(start, end);
    }

    /// <summary>Units accepted by <paramref name="now"/> per fabric (fabrics without any are left out).</summary>
    public static Dictionary<FabricId, int> AcceptedUnits(Scenario scenario, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var accepted = new Dictionary<FabricId, int>();
        foreach (var d in scenario.Deliveries)
        {
            if (d.Status != DeliveryStatus.Accepted || d.AcceptanceDate > now) continue;
            accepted[d.Fabric] = checked(accepted.GetValueOrDefault(d.Fabric) + d.Units);
        }
        return accepted;
    }

    /// <summary>
    /// What the deal desk takes out of each fabric's free units over the guard window so that a line starting inside it
    /// leaves the units claims hold alone. Claims hold units [0, extent) of a fabric (<paramref name="extents"/>: highest
    /// claimed unit + 1); they stay claimable while <see cref="Compute"/> gives at least that, i.e. while
    /// committed(t) + extent + (supply at the window's last minute - accepted now) &lt;= supply(t) over the window. Holding
    /// that many units in the ledger makes its fit say exactly this. Fabrics without claims are left out.
    /// </summary>
    public static IReadOnlyList<(FabricId Fabric, int Units)> Holds(
        Scenario scenario, CapacityLedger ledger, DateTime now, TimeSpan guard, IReadOnlyDictionary<FabricId, int> extents)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(extents);
        var window = Window(now, guard);
        var last = window.End.AddMinutes(-1);
        var accepted = AcceptedUnits(scenario, now);
        var holds = new List<(FabricId, int)>();
        foreach (var fabric in scenario.Fabrics)
        {
            if (!extents.TryGetValue(fabric.Id, out var extent) || extent <= 0) continue;
            var arriving = Math.Max(0, ledger.SupplyUnits(fabric.Id, last) - accepted.GetValueOrDefault(fabric.Id));
            holds.Add((fabric.Id, checked(extent + arriving)));
        }
        return holds;
    }
}
