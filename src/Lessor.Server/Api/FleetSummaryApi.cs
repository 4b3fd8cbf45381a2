using Lessor.Server.Access;
using Lessor.Server.Fleet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>The fleet at a glance, for the console's fleet health page: nodes per fabric by state and by role, spares, lines short.</summary>
public static class FleetSummaryApi
{
    /// <summary>Node states in lifecycle order, the keys of <see cref="FabricHealth.States"/>.</summary>
    public static readonly IReadOnlyList<string> StateOrder = ["burn_in", "in_service", "degraded", "failed", "in_repair", "rma", "retired"];

    /// <summary>One fabric: where it is, its nodes and GPUs, nodes per state (every state present, zero included) and per role.</summary>
    public sealed record FabricHealth(
        string Fabric, string Site, string Platform, int Nodes, int Gpus, IReadOnlyDictionary<string, int> States,
        int Serving, int Spare, int Free, SparePoolView? Spares);

    /// <summary>The whole fleet: totals per state, fabrics (those with nodes), lines short now, and nodes out for repair or RMA.</summary>
    public sealed record FleetHealth(
        int Nodes, int Gpus, IReadOnlyDictionary<string, int> States, IReadOnlyList<FabricHealth> Fabrics, int LinesShort, int OpenRepairs);

    public static IEndpointRouteBuilder MapFleetSummaryApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/fleet").RequireAuthorization(Policies.FleetRead).MapGet("/summary", Summary);
        return app;
    }

    /// <summary>Counts from the fleet desk's memory (the same book the other fleet reads use); fabrics in id order.</summary>
    private static Ok<FleetHealth> Summary(FleetDesk desk, LessorState s)
    {
        var fabrics = s.Scenario.Fabrics.ToDictionary(f => f.Id.Value, StringComparer.Ordinal);
        var spares = desk.Spares().ToDictionary(p => p.Fabric, StringComparer.Ordinal);
        var totals = StateOrder.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);
        var rows = new List<FabricHealth>();
        int nodes = 0, gpus = 0;
        foreach (var group in desk.Nodes(null, null, null).GroupBy(n => n.Fabric).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var states = StateOrder.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);
            int serving = 0, spare = 0, free = 0, fabricGpus = 0, count = 0;
            foreach (var n in group)
            {
                states[n.State] = states.GetValueOrDefault(n.State) + 1;
                totals[n.State] = totals.GetValueOrDefault(n.State) + 1;
                switch (n.Role)
                {
                    case "serving": serving++; break;
                    case "spare": spare++; break;
                    default: free++; break;
                }
                fabricGpus += n.Gpus;
                count++;
            }
            fabrics.TryGetValue(group.Key, out var fabric);
            rows.Add(new FabricHealth(group.Key, fabric?.Site.Value ?? "", fabric?.Platform.Value ?? "", count, fabricGpus, states, serving, spare, free,
                spares.GetValueOrDefault(group.Key)));
            nodes += count;
            gpus += fabricGpus;
        }
        return TypedResults.Ok(new FleetHealth(nodes, gpus, totals, rows, desk.AtRisk().Count, totals["in_repair"] + totals["rma"]));
    }
}
