namespace Lessor.Storage.Store;

/// <summary>Runs a whole transaction again when it failed for a reason a fresh attempt may not meet (a bounded number of times).</summary>
internal static class TransientRetry
{
    /// <summary>Attempts in all, the first included.</summary>
    public const int MaxAttempts = 5;

    /// <summary>Waits 20, 40, 80, 160 ms between attempts: long enough for a deadlock victim's rival to commit.</summary>
    public static TimeSpan Backoff(int failedAttempts) => TimeSpan.FromMilliseconds(10 << failedAttempts);

    public static async Task<T> RunAsync<T>(
        Func<CancellationToken, Task<T>> attempt,
        Func<Exception, bool> isTransient,
        Func<int, TimeSpan> backoff,
        CancellationToken ct)
    {
        for (var failed = 0; ; failed++)
        {
            try
            {
                return await attempt(ct);
            }
            catch (Exception e) when (failed + 1 < MaxAttempts && isTransient(e) && !ct.IsCancellationRequested)
            {
                var wait = backoff(failed + 1);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            }
        }
    }
}
