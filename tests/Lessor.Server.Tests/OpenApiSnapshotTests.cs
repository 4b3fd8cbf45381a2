using System.Text.Json;

namespace Lessor.Server.Tests;

/// <summary>
/// The OpenAPI document is a public surface: the one the server generates must equal docs/openapi.json, committed.
/// After an intended API change, regenerate it with `LESSOR_UPDATE_OPENAPI=1 dotnet test --filter OpenApi` and review the diff.
/// </summary>
public sealed class OpenApiSnapshotTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Given_the_running_server_When_its_openapi_document_is_fetched_Then_it_equals_the_committed_one()
    {
        using var anonymous = server.ClientFor(null);
        var served = await anonymous.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var pretty = JsonSerializer.Serialize(JsonDocument.Parse(served).RootElement, new JsonSerializerOptions { WriteIndented = true }).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
        var path = Path.Combine(RepositoryRoot(), "docs", "openapi.json");
        if (Environment.GetEnvironmentVariable("LESSOR_UPDATE_OPENAPI") == "1") await File.WriteAllTextAsync(path, pretty);

        Assert.True(File.Exists(path), $"{path} is missing: run with LESSOR_UPDATE_OPENAPI=1 once and commit it.");
        Assert.Equal(await File.ReadAllTextAsync(path), pretty);
    }

    [Fact]
    public async Task Given_the_openapi_document_Then_every_operation_is_tagged_by_its_area_never_by_the_host_and_asks_for_a_bearer_key()
    {
        using var anonymous = server.ClientFor(null);
        var document = JsonDocument.Parse(await anonymous.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative))).RootElement;
        string[] areas = ["Access", "Claims", "Contracts", "Dashboard", "Deals", "Estate", "Finance", "Fleet", "Health", "Operations", "Placement", "Risk"];

        // An untagged endpoint is tagged with the host assembly's name ("testhost" here, "lessor" when served), so the
        // committed document would differ from the live one.
        var tags = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject())
            .Select(o => o.Value.GetProperty("tags").EnumerateArray().Single().GetString()!)
            .Order(StringComparer.Ordinal).Distinct().ToList();
        Assert.Equal(areas, tags);
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.True(document.GetProperty("security")[0].TryGetProperty("bearer", out _));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lessor.slnx"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("Lessor.slnx not found above " + AppContext.BaseDirectory);
    }
}
