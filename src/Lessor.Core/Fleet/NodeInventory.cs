using Lessor.Core.Claims;
using Lessor.Core.Model;

namespace Lessor.Core.Fleet;

/// <summary>
/// One physical node: a compute tray of a rack-scale unit, or a whole HGX server. <see cref="Id"/> places it (fabric,
/// unit, tray), <see cref="Serial"/> names it on the wire; <see cref="Delivery"/> brought its unit, due or accepted on
/// <see cref="ArrivesOn"/>.
/// </summary>
public sealed record FleetNode(string Serial, NodeId Id, PlatformId Platform, SiteId Site, int Gpus, DeliveryId Delivery, DateTime ArrivesOn);

/// <summary>
/// The nodes a scenario's deliveries bring, each with a stable serial. Units are numbered per fabric from 0 in delivery
/// order (acceptance date, then delivery id), the order in which <see cref="ClaimableUnits"/> and the ledger count supply,
/// so unit k of a fabric is the same hardware in every component. Deterministic; no I/O.
/// </summary>
public static class NodeInventory
{
    /// <summary>The serial of a node: <c>{fabric}-u{unit:00000}-t{tray:00}</c>, e.g. <c>atl1-f1-u00042-t07</c>.</summary>
    public static string Serial(NodeId id) => $"{id.Fabric.Value}-u{id.Unit:D5}-t{id.Tray:D2}";

    /// <summary>
    /// The nodes of deliveries with the given statuses (all of them when <paramref name="statuses"/> is null), in fabric
    /// order (ordinal by id), then unit, then tray. A fabric's units beyond its <see cref="Fabric.MaxUnits"/> are left out.
    /// </summary>
    public static IReadOnlyList<FleetNode> Nodes(Scenario scenario, IReadOnlySet<DeliveryStatus>? statuses = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var platforms = scenario.Platforms.ToDictionary(p => p.Id);
        var byFabric = scenario.Deliveries
            .GroupBy(d => d.Fabric)
            .ToDictionary(g => g.Key, g => g.OrderBy(d => d.AcceptanceDate).ThenBy(d => d.Id.Value, StringComparer.Ordinal).ToList());
        var result = new List<FleetNode>();
        foreach (var fabric in scenario.Fabrics.OrderBy(f => f.Id.Value, StringComparer.Ordinal))
        {
            if (!byFabric.TryGetValue(fabric.Id, out var deliveries) || !platforms.TryGetValue(fabric.Platform, out var platform)) continue;
            var trays = NodeShape.NodesPerUnit(platform);
            var gpusPerNode = platform.GpusPerUnit / trays;
            var unit = 0;
            foreach (var d in deliveries)
            {
                for (var u = 0; u < d.Units && unit < fabric.MaxUnits; u++, unit++)
                {
                    if (statuses is not null && !statuses.Contains(d.Status)) continue;
                    for (var t = 0; t < trays; t++)
                    {
                        var id = new NodeId(fabric.Id, unit, t);
                        result.Add(new FleetNode(Serial(id), id, platform.Id, fabric.Site, gpusPerNode, d.Id, d.AcceptanceDate));
                    }
                }
            }
        }
        return result;
    }
}
