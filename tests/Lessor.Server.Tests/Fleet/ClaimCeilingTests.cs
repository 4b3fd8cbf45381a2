using System.Net.Http.Json;
using Lessor.Server.Access;
using Lessor.Server.Fleet;
using Microsoft.Extensions.DependencyInjection;

namespace Lessor.Server.Tests.Fleet;

/// <summary>On-demand claims and the fleet's spares never share a node: claims stay below every unit that serves a line or waits as a spare.</summary>
public sealed class ClaimCeilingTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Given_the_bundled_fleet_with_spare_pools_When_counting_claimable_units_Then_no_spare_or_serving_node_is_claimable()
    {
        var fleet = server.Services.GetRequiredService<FleetDesk>();
        var held = fleet.Nodes(null, null, null).Where(n => n.Role != "free").ToList();
        Assert.Contains(held, n => n.Role == "spare");
        var book = await server.State.Desk.ClaimableBookAsync(DateTime.UtcNow, CancellationToken.None);

        // Claims take units [0, claimable) of a fabric: every spare or serving node must sit at or above that bound.
        var crossing = held.Where(n => n.Unit < book.Claimable.GetValueOrDefault(new Lessor.Core.Model.FabricId(n.Fabric))).ToList();
        Assert.True(crossing.Count == 0, $"{crossing.Count} spare or serving nodes are claimable, e.g. {string.Join(", ", crossing.Take(3).Select(n => $"{n.Serial} ({n.Role})"))}");
        Assert.Contains(book.Claimable.Values, v => v > 0);
    }

    [Fact]
    public async Task Given_a_fabric_with_spares_When_claiming_every_free_node_of_its_platform_Then_no_claimed_node_is_a_spare()
    {
        var fleet = server.Services.GetRequiredService<FleetDesk>();
        var spare = fleet.Nodes(null, null, null).First(n => n.Role == "spare");
        var platform = server.State.Scenario.Fabrics.Single(f => f.Id.Value == spare.Fabric).Platform.Value;
        using var op = server.ClientFor(Roles.Operator);
        var pool = await op.GetFromJsonAsync<List<PoolRow>>("/api/v1/claims/pool", Json.LessorJson.Options);
        var free = pool!.Single(p => p.Platform == platform).FreeNodes;
        Assert.True(free > 0, $"no free {platform} node to claim");
        var customer = server.State.Scenario.Customers[0].Id.Value;

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/claims", UriKind.Relative))
        {
            Content = JsonContent.Create(new { customer, platform, nodes = free, scope = "fabric" }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var claimed = await op.SendAsync(request);
        // All free nodes of a platform may span fabrics and be refused within one; claim fabric by fabric then.
        var nodes = new List<string>();
        if (claimed.IsSuccessStatusCode) nodes.AddRange(Serials(await claimed.Content.ReadFromJsonAsync<ClaimRow>(Json.LessorJson.Options)));
        else
        {
            for (var i = 0; i < 10_000; i++)
            {
                using var one = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/claims", UriKind.Relative))
                {
                    Content = JsonContent.Create(new { customer, platform, nodes = 1, scope = "fabric" }),
                };
                one.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
                using var answer = await op.SendAsync(one);
                if (!answer.IsSuccessStatusCode) break;
                nodes.AddRange(Serials(await answer.Content.ReadFromJsonAsync<ClaimRow>(Json.LessorJson.Options)));
            }
        }
        Assert.NotEmpty(nodes);
        var roles = fleet.Nodes(null, null, null).ToDictionary(n => n.Serial, n => n.Role);
        Assert.All(nodes, serial => Assert.Equal("free", roles[serial]));
    }

    private static IEnumerable<string> Serials(ClaimRow? claim) =>
        claim!.Nodes.Select(n => Lessor.Core.Fleet.NodeInventory.Serial(new Lessor.Core.Claims.NodeId(new Lessor.Core.Model.FabricId(n.Fabric), n.Unit, n.Tray)));

    private sealed record PoolRow(string Platform, int FreeNodes);

    private sealed record NodeRow(string Fabric, int Unit, int Tray);

    private sealed record ClaimRow(string Id, List<NodeRow> Nodes);
}
