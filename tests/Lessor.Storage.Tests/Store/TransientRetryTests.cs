using Lessor.Storage.Store;
using Npgsql;

namespace Lessor.Storage.Tests.Store;

/// <summary>Which database failures are retried, and how often.</summary>
public sealed class TransientRetryTests
{
    private static readonly PostgresDialect Postgres = new("Host=127.0.0.1;Database=unused");

    [Theory]
    [InlineData("40001", true)] // serialization_failure
    [InlineData("40P01", true)] // deadlock_detected
    [InlineData("57P03", true)] // cannot_connect_now (server starting)
    [InlineData("53300", true)] // too_many_connections
    [InlineData("23505", false)] // unique_violation: a real conflict, retrying cannot help
    [InlineData("42P01", false)] // undefined_table: a bug
    public void Given_a_postgres_error_When_classified_Then_only_transient_states_are_retried(string sqlState, bool transient)
    {
        Assert.Equal(transient, Postgres.IsTransient(new PostgresException("failure", "ERROR", "ERROR", sqlState)));
    }

    [Fact]
    public void Given_a_failure_that_is_not_from_the_database_When_classified_Then_it_is_not_retried()
    {
        Assert.False(Postgres.IsTransient(new InvalidOperationException("bug")));
    }

    [Fact]
    public async Task Given_a_transaction_that_fails_transiently_twice_When_run_Then_the_third_attempt_result_is_returned()
    {
        var attempts = 0;
        var waits = new List<int>();

        var result = await TransientRetry.RunAsync(
            _ => ++attempts < 3 ? throw new PostgresException("conflict", "ERROR", "ERROR", "40001") : Task.FromResult(attempts),
            Postgres.IsTransient,
            failed => { waits.Add(failed); return TimeSpan.Zero; },
            CancellationToken.None);

        Assert.Equal(3, result);
        Assert.Equal([1, 2], waits);
    }

    [Fact]
    public async Task Given_a_transaction_that_always_fails_transiently_When_run_Then_it_gives_up_after_the_bounded_attempts_with_the_last_error()
    {
        var attempts = 0;

        var error = await Assert.ThrowsAsync<PostgresException>(() => TransientRetry.RunAsync<int>(
            _ => { attempts++; throw new PostgresException("deadlock", "ERROR", "ERROR", "40P01"); },
            Postgres.IsTransient,
            _ => TimeSpan.Zero,
            CancellationToken.None));

        Assert.Equal(TransientRetry.MaxAttempts, attempts);
        Assert.Equal("40P01", error.SqlState);
    }

    [Fact]
    public async Task Given_a_permanent_failure_When_run_Then_it_is_not_retried()
    {
        var attempts = 0;

        await Assert.ThrowsAsync<PostgresException>(() => TransientRetry.RunAsync<int>(
            _ => { attempts++; throw new PostgresException("duplicate", "ERROR", "ERROR", "23505"); },
            Postgres.IsTransient,
            _ => TimeSpan.Zero,
            CancellationToken.None));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public void Given_the_backoff_Then_it_doubles_from_20_ms()
    {
        Assert.Equal([20, 40, 80, 160], Enumerable.Range(1, 4).Select(n => TransientRetry.Backoff(n).TotalMilliseconds));
    }
}
