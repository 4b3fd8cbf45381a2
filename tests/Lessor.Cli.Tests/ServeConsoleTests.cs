using System.Net;
using System.Text;

namespace Lessor.Cli.Tests;

/// <summary>`lessor serve` serves the web console from its own output: the files travel inside the server assembly.</summary>
public sealed class ServeConsoleTests
{
    /// <summary>Captures what serve writes to stderr and reports the URL it listens on.</summary>
    private sealed class ListeningWriter : TextWriter
    {
        private readonly StringBuilder _text = new();
        public TaskCompletionSource<Uri> Url { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_text) _text.Append(value);
        }

        public override void WriteLine(string? value)
        {
            lock (_text) _text.AppendLine(value);
            const string marker = "listening on ";
            if (value is not null && value.Contains(marker, StringComparison.Ordinal))
            {
                var rest = value[(value.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..];
                Url.TrySetResult(new Uri(rest.Split(' ')[0]));
            }
        }

        public override string ToString()
        {
            lock (_text) return _text.ToString();
        }
    }

    [Fact]
    public async Task Given_lessor_serve_on_a_free_port_When_the_console_is_requested_Then_its_pages_and_chart_library_are_served()
    {
        var db = CliRunner.TempDb();
        var import = await CliRunner.RunAsync("scenario", "import", CliRunner.Fixture("scenarios/valid/annotated.yaml"), "--db", db);
        Assert.True(import.ExitCode == 0, import.Err);
        var key = (await CliRunner.RunAsync("keys", "create", "--role", "finance", "--db", db)).Out.Trim();
        using var stdout = new StringWriter();
        using var stderr = new ListeningWriter();
        using var stop = new CancellationTokenSource();
        var serve = LessorCli.RunAsync(["serve", "--db", db, "--port", "0"], stdout, stderr, stop.Token, interactive: false);

        var started = await Task.WhenAny(stderr.Url.Task, serve);
        Assert.True(started == stderr.Url.Task, $"lessor serve ended before listening:\n{stderr}");
        using var client = new HttpClient { BaseAddress = await stderr.Url.Task };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        try
        {
            using var index = await client.GetAsync(new Uri("/", UriKind.Relative));
            using var route = await client.GetAsync(new Uri("/contracts/meta-1", UriKind.Relative));
            using var chart = await client.GetAsync(new Uri("/vendor/chart.umd.js", UriKind.Relative));
            using var series = await client.GetAsync(new Uri("/api/v1/dashboard/power", UriKind.Relative));

            Assert.Equal(HttpStatusCode.OK, index.StatusCode);
            Assert.Contains("<title>Lessor console</title>", await index.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, route.StatusCode);
            Assert.Equal("text/html", route.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.OK, chart.StatusCode);
            Assert.Equal("text/javascript", chart.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.OK, series.StatusCode);
        }
        finally
        {
            await stop.CancelAsync();
            var code = await serve;
            Assert.True(code == 0, $"lessor serve exited {code} when stopped:\n{stderr}");
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                if (File.Exists(db + suffix)) File.Delete(db + suffix);
            }
        }
    }
}
