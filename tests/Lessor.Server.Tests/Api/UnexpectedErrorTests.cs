using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lessor.Server.Tests.Api;

/// <summary>
/// The safety net under every endpoint (issue 11, item 5): an exception an endpoint did not turn into a result answers a
/// 500 ProblemDetails with a fixed sentence and the request id (no stack trace, no exception message) and is logged once.
/// </summary>
public sealed class UnexpectedErrorTests
{
    private sealed class Captured : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, EventId Id, string Message, Exception? Exception)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(Captured sink, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) sink.Entries.Enqueue((category, eventId, formatter(state, exception), exception));
            }
        }
    }

    [Fact]
    public async Task Given_an_endpoint_that_throws_When_called_Then_500_problem_details_with_a_fixed_sentence_and_one_log_entry()
    {
        await using var app = await LessorServer.BuildAsync(new ServerOptions
        {
            Store = new StoreLocation.Sqlite(Path.Combine(Path.GetTempPath(), $"lessor-boom-{Guid.NewGuid():N}.db")),
            Port = 0,
        }, CancellationToken.None);
        var logs = new Captured();
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        app.MapGet("/api/v1/test-only/boom", IResult () => throw new InvalidOperationException("stored secret 'acme-42' is unreadable")).AllowAnonymous();
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/test-only/boom");
        request.Headers.Add("X-Request-Id", "boom-1");

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("The server could not answer this request.", problem.GetProperty("title").GetString());
        Assert.Equal("boom-1", problem.GetProperty("request_id").GetString());
        Assert.DoesNotContain("acme-42", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        var logged = Assert.Single(logs.Entries);
        Assert.Equal(1004, logged.Id.Id);
        Assert.Contains("GET /api/v1/test-only/boom (request boom-1)", logged.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(logged.Exception);
    }
}
