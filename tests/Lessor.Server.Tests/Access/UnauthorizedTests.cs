using System.Net;
using System.Text.Json;

namespace Lessor.Server.Tests.Access;

/// <summary>A 401 says what was wrong with the key and how to get one, not only "Unauthorized".</summary>
public sealed class UnauthorizedTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData(null, "No API key was sent.")]
    [InlineData("lsr_nope_nope", "The API key is malformed.")]
    public async Task Given_no_key_or_a_wrong_one_When_the_api_is_called_Then_401_says_why_and_how_to_make_a_key(string? key, string why)
    {
        using var client = server.ClientFor(null);
        if (key is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);

        var response = await client.GetAsync(new Uri("/api/v1/contracts", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Equal(
            $"{why} Send `Authorization: Bearer <key>`; create a key with `lessor keys create --role admin --db {server.DbPath}` (a key's secret is shown once).",
            problem.GetProperty("detail").GetString());
    }
}
