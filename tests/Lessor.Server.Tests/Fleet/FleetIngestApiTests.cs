using System.Net;
using System.Text.Json;
using Lessor.Server.Access;

namespace Lessor.Server.Tests.Fleet;

/// <summary>GET /api/v1/fleet/ingest on a server started without --nats: it answers, and says the consumer is off.</summary>
public sealed class FleetIngestApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Without_nats_the_status_says_the_consumer_is_off_and_has_counted_nothing()
    {
        using var client = server.ClientFor(Roles.Operator);
        using var response = await client.GetAsync(new Uri("/api/v1/fleet/ingest", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        Assert.False(root.GetProperty("enabled").GetBoolean());
        Assert.False(root.GetProperty("connected").GetBoolean());
        Assert.Equal(0, root.GetProperty("consumed").GetInt64());
        Assert.Equal(0, root.GetProperty("applied").GetInt64());
        Assert.Equal(0, root.GetProperty("lag").GetInt64());
    }
}
