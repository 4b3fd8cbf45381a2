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
        var accepted = new Dictionary<FabricId, int>();
        foreach (var d in scenario.Deliveries)
        {
            if (d.Status != DeliveryStatus.Accepted || d.AcceptanceDate > now) continue;
            accepted[d.Fabric] = checked(accepted.GetValueOrDefault(d.Fabric) + d.Units);
        }
        // The ledger counts whole minutes: widen the window outwards to them so no reserved minute is missed.
        var start = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        var endTicks = (now + guard).Ticks;
        var end = new DateTime(endTicks % TimeSpan.TicksPerMinute == 0 ? endTicks : endTicks - endTicks % TimeSpan.TicksPerMinute + TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        var window = new Period(start, end);
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
}
