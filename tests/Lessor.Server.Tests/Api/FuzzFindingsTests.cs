using System.Net;
using System.Text;
using System.Text.Json;

namespace Lessor.Server.Tests.Api;

/// <summary>
/// Requests the API fuzzer (<see cref="ApiFuzzTests"/>) found answering 500, each pinned as the field error it answers now.
/// </summary>
public sealed class FuzzFindingsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    public static TheoryData<string, string, string, string> Findings() => new()
    {
        // A null line: DealInput read its fields and threw (NullReferenceException).
        { "/api/v1/deals/check", """{"customer": "meta", "lines": [null]}""", "lines[0]", "required: a line with platform, gpus, start and end." },
        { "/api/v1/deals/sign", """{"deal": {"customer": "meta", "lines": [null]}}""", "lines[0]", "required: a line with platform, gpus, start and end." },
        // Two lines with one id: the ledger refused the deal with an ArgumentException.
        { "/api/v1/deals/check", """{"customer": "meta", "lines": [{"id": "a", "platform": "h100-hgx", "gpus": 8, "start": "2031-01-01", "end": "2031-02-01"}, {"id": "a", "platform": "h100-hgx", "gpus": 8, "start": "2031-01-01", "end": "2031-02-01"}]}""", "lines[1].id", "'a' is also the id of lines[0]." },
    };

    [Theory]
    [MemberData(nameof(Findings))]
    public async Task Given_a_request_the_fuzzer_found_When_sent_Then_a_field_error_answers_it(string path, string body, string field, string message)
    {
        using var response = await server.Client.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal([message], JsonDocument.Parse(text).RootElement.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()));
    }
}
