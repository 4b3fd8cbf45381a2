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

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lessor.slnx"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("Lessor.slnx not found above " + AppContext.BaseDirectory);
    }
}
