using System.Net;
using System.Text;
using System.Text.Json;

namespace Lessor.Server.Tests.Api;

/// <summary>
/// Every date a client sends, in a body or a query, outside the supported range [2000-01-01, 2200-01-01) is refused
/// with a field error and changes nothing (issue 11, items 4 and 5: such dates answered 500, or were signed and then
/// broke the dashboard for everyone).
/// </summary>
public sealed class DateRangeApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string FarDeal = """{"customer": "meta", "lines": [{"platform": "h100-hgx", "gpus": 8, "start": "9999-11-01", "end": "9999-12-31"}]}""";
    private const string Deal = """{"customer": "meta", "lines": [{"platform": "h100-hgx", "gpus": 8, "start": "2031-01-01", "end": "2031-02-01"}]}""";
    private const string Day9999 = "9999-12-31 is outside the supported range 2000-01-01 to 2200-01-01.";
    private const string Day0001 = "0001-01-01 is outside the supported range 2000-01-01 to 2200-01-01.";
    private const string Start9999 = "9999-11-01 is outside the supported range 2000-01-01 to 2200-01-01.";
    private const string Month9999 = "9999-12 is outside the supported range 2000-01 to 2199-12.";
    private const string Month1999 = "1999-12 is outside the supported range 2000-01 to 2199-12.";

    public static TheoryData<string, string, string?, string, string> Cases() => new()
    {
        { "GET", "/api/v1/finance/kpis?as_of=9999-12-31", null, "as_of", Day9999 },
        { "GET", "/api/v1/finance/kpis?as_of=0001-01-01", null, "as_of", Day0001 },
        { "GET", "/api/v1/finance/revenue?from=2027-01&to=9999-12", null, "to", Month9999 },
        { "GET", "/api/v1/finance/revenue?from=1999-12&to=2027-01", null, "from", Month1999 },
        { "GET", "/api/v1/customers/meta/schedule?from=1999-12", null, "from", Month1999 },
        { "GET", "/api/v1/customers/meta/schedule?to=9999-12", null, "to", Month9999 },
        { "GET", "/api/v1/customers/meta/invoices?month=9999-12", null, "month", Month9999 },
        { "GET", "/api/v1/invoices?month=9999-12", null, "month", Month9999 },
        { "POST", "/api/v1/invoices/run?month=9999-12", null, "month", Month9999 },
        { "GET", "/api/v1/fleet?at=9999-12-31", null, "at", Day9999 },
        { "POST", "/api/v1/deals/check", FarDeal, "lines[0].start", Start9999 },
        { "POST", "/api/v1/deals/largest", FarDeal, "lines[0].start", Start9999 },
        { "POST", "/api/v1/deals/earliest", $$"""{"deal": {{FarDeal}}}""", "lines[0].start", Start9999 },
        { "POST", "/api/v1/deals/earliest", $$"""{"deal": {{Deal}}, "not_before": "0001-01-01"}""", "not_before", Day0001 },
        { "POST", "/api/v1/deals/earliest", $$"""{"deal": {{Deal}}, "horizon_end": "9999-12-31"}""", "horizon_end", Day9999 },
        { "POST", "/api/v1/deals/sign", $$"""{"deal": {{FarDeal}}}""", "lines[0].start", Start9999 },
        { "POST", "/api/v1/deals/sign", $$"""{"deal": {{Deal}}, "signed_on": "0001-01-01"}""", "signed_on", Day0001 },
        { "POST", "/api/v1/deals/plan", $$"""{"deal": {{FarDeal}}}""", "deal.lines[0].start", Start9999 },
        { "POST", "/api/v1/deals/plan", $$"""{"deal": {{Deal}}, "today": "9999-12-31"}""", "today", Day9999 },
        { "POST", "/api/v1/deals/check-with-moves", $$"""{"deal": {{FarDeal}}}""", "deal.lines[0].start", Start9999 },
        { "POST", "/api/v1/deals/check-with-moves", $$"""{"deal": {{Deal}}, "as_of": "9999-12-31"}""", "as_of", Day9999 },
        { "POST", "/api/v1/deals/sign-with-moves", $$"""{"deal": {{FarDeal}}}""", "deal.lines[0].start", Start9999 },
        { "POST", "/api/v1/deals/sign-with-moves", $$"""{"deal": {{Deal}}, "signed_on": "9999-12-31"}""", "signed_on", Day9999 },
        { "POST", "/api/v1/deals/sign-with-moves", $$"""{"deal": {{Deal}}, "as_of": "9999-12-31"}""", "as_of", Day9999 },
        { "POST", "/api/v1/placement/optimize", """{"as_of": "9999-12-31"}""", "as_of", Day9999 },
        { "POST", "/api/v1/placement/optimize", """{"as_of": "2027-01-01", "until": "9999-12-31"}""", "until", Day9999 },
        { "POST", "/api/v1/contracts/meta-1/amend", """{"line": "training", "effective": "9999-12-31", "gpus": 72}""", "effective", Day9999 },
        { "POST", "/api/v1/contracts/meta-1/amend", """{"line": "training", "effective": "2030-01-01", "end": "9999-12-31"}""", "end", Day9999 },
        { "POST", "/api/v1/contracts/meta-1/cancel", """{"effective": "0001-01-01"}""", "effective", Day0001 },
        { "POST", "/api/v1/deliveries/d-iad1-vr-1/slip", """{"to": "9999-12-31"}""", "to", Day9999 },
        { "POST", "/api/v1/deliveries/d-iad1-vr-1/slip-preview", """{"to": "9999-12-31"}""", "to", Day9999 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Given_a_date_outside_the_supported_range_When_sent_Then_a_field_error_names_it_and_nothing_changes(
        string method, string path, string? body, string field, string message)
    {
        var revision = await server.State.Store.RevisionAsync(CancellationToken.None);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), text);
        Assert.Contains(message, messages.EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(revision, await server.State.Store.RevisionAsync(CancellationToken.None));
    }
}
