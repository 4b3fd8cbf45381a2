using System.Net;

namespace Lessor.Server.Tests.Browser;

/// <summary>The console's files over plain HTTP: embedded in the server, client routes answered with index.html, the API left alone.</summary>
public sealed class ConsoleFilesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("/")]
    [InlineData("/estate")]
    [InlineData("/contracts")]
    [InlineData("/contracts/any-id")]
    [InlineData("/deals")]
    [InlineData("/estate/any-site")]
    [InlineData("/invoices")]
    [InlineData("/revenue")]
    [InlineData("/kpis")]
    [InlineData("/deliveries")]
    [InlineData("/risk")]
    [InlineData("/claims")]
    [InlineData("/keys")]
    [InlineData("/audit")]
    public async Task Given_a_console_route_When_requested_Then_index_html_is_served(string path)
    {
        using var response = await server.Client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script type=\"module\" src=\"/js/app.js\"></script>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/js/app.js", "text/javascript")]
    [InlineData("/js/pages/deals.js", "text/javascript")]
    [InlineData("/css/console.css", "text/css")]
    [InlineData("/vendor/chart.umd.js", "text/javascript")]
    public async Task Given_an_embedded_file_When_requested_Then_it_is_served_with_its_type(string path, string type)
    {
        using var response = await server.Client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Given_the_vendored_chart_library_When_served_Then_it_is_chart_js_4_6_1()
    {
        var script = await server.Client.GetStringAsync(new Uri("/vendor/chart.umd.js", UriKind.Relative));

        Assert.StartsWith("/*!\n * Chart.js v4.6.1\n", script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/no-such-thing")]
    [InlineData("/js/no-such-module.js")]
    [InlineData("/openapi/no-such.json")]
    public async Task Given_an_api_path_or_a_file_that_does_not_exist_When_requested_Then_404_not_the_console(string path)
    {
        using var response = await server.Client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotEqual("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/no-such-page")]
    [InlineData("/no-such-page/deeper")]
    [InlineData("/invoices/2026-10/extra")]
    public async Task Given_a_console_path_with_no_page_When_requested_without_a_key_Then_404_with_the_console_not_a_401(string path)
    {
        using var anonymous = server.ClientFor(null);
        using var response = await anonymous.GetAsync(new Uri(path, UriKind.Relative));

        // The status says "not found" to HTTP clients; the body is the console, whose router shows its own page.
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script type=\"module\" src=\"/js/app.js\"></script>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_the_seeded_store_When_asking_for_the_dashboard_series_Then_power_and_capacity_share_one_quarter_axis()
    {
        var power = await server.GetElement("/api/v1/dashboard/power");
        var capacity = await server.GetElement("/api/v1/dashboard/capacity");

        var quarters = power.GetProperty("quarters").EnumerateArray().Select(q => q.GetString()).ToList();
        Assert.NotEmpty(quarters);
        Assert.Equal(quarters, capacity.GetProperty("quarters").EnumerateArray().Select(q => q.GetString()));
        Assert.Equal(quarters.Count, power.GetProperty("drawn_mw").GetArrayLength());
        foreach (var platform in capacity.GetProperty("platforms").EnumerateArray())
        {
            Assert.Equal(quarters.Count, platform.GetProperty("supply_gpus").GetArrayLength());
            Assert.Equal(quarters.Count, platform.GetProperty("committed_gpus").GetArrayLength());
        }
    }
}
