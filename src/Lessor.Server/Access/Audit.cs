using System.Security.Claims;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lessor.Server.Access;

/// <summary>Marks a POST that changes nothing (a deal check, a plan, a slip preview): it is not a write to audit.</summary>
public sealed class ReadOnlyOperation
{
    public static readonly ReadOnlyOperation Instance = new();
}

/// <summary>
/// Writes every write (any method but GET/HEAD/OPTIONS, except POSTs marked <see cref="ReadOnlyOperation"/>) and every admin action (keys, audit) to the audit log in the
/// store: who (key, role), what (method, path, status), when, and the request id (X-Request-Id if the client sent one).
/// </summary>
public static class Audit
{
    /// <summary>The request's id: the client's X-Request-Id when it sent a usable one, else the server's own.</summary>
    public static string RequestId(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Request.Headers["X-Request-Id"].ToString() is { Length: > 0 and <= 128 } given ? given : context.TraceIdentifier;
    }

    public static IApplicationBuilder UseAudit(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var requestId = RequestId(context);
        context.Response.Headers["X-Request-Id"] = requestId;
        try
        {
            await next(context);
        }
        finally
        {
            var path = context.Request.Path.Value ?? "";
            var write = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method)
                && context.GetEndpoint()?.Metadata.GetMetadata<ReadOnlyOperation>() is null;
            var audited = write
                || path.StartsWith("/api/v1/keys", StringComparison.Ordinal) || path.StartsWith("/api/v1/audit", StringComparison.Ordinal);
            if (audited && path.StartsWith("/api/", StringComparison.Ordinal))
            {
                var writer = context.RequestServices.GetService(typeof(AuditWriter)) as AuditWriter;
                var clock = context.RequestServices.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System;
                if (writer is not null)
                {
                    writer.Append(new AuditEntry(
                        0, clock.GetUtcNow().UtcDateTime, context.User.FindFirstValue(Roles.KeyClaim), context.User.FindFirstValue(ClaimTypes.Role),
                        context.Request.Method, path + context.Request.QueryString, context.Response.StatusCode, requestId,
                        context.Request.Headers.IdempotencyKey()));
                }
            }
        }
    });

    private static string? IdempotencyKey(this IHeaderDictionary headers) =>
        headers["Idempotency-Key"].ToString() is { Length: > 0 } key ? $"idempotency-key={key}" : null;
}

/// <summary>
/// Writes audit entries off the request path: requests hand their entry over and go on; one background loop writes
/// whatever has queued up in one transaction, so auditing neither caps the write rate at the disk's commit rate nor
/// adds a commit to each request's latency. The loop lingers a few milliseconds after the first entry of a batch so that
/// concurrent requests share one durable commit (each commit is an fsync that the claims and signs also need); entries
/// are durable within about <see cref="Linger"/> plus one commit. Reading the log (<see cref="FlushAsync"/>) and stopping
/// the server first write everything queued.
/// </summary>
public sealed class AuditWriter : IAsyncDisposable
{
    /// <summary>How long the loop waits for more entries before committing a batch.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(10);

    private readonly LessorStore _store;
    private readonly System.Threading.Channels.Channel<AuditEntry> _queue =
        System.Threading.Channels.Channel.CreateUnbounded<AuditEntry>(new() { SingleReader = true });
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Task _loop;

    public AuditWriter(LessorStore store)
    {
        _store = store;
        _loop = Task.Run(LoopAsync);
    }

    public void Append(AuditEntry entry) => _queue.Writer.TryWrite(entry);

    /// <summary>Writes everything queued so far before returning.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        await _writing.WaitAsync(ct);
        try
        {
            await WriteQueuedAsync();
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task LoopAsync()
    {
        while (await _queue.Reader.WaitToReadAsync())
        {
            // Without the linger a busy server committed the audit log hundreds of times a second, a few entries each.
            await Task.Delay(Linger);
            await _writing.WaitAsync();
            try
            {
                await WriteQueuedAsync();
            }
            catch (Exception)
            {
                // The store refused (it is closing, or failing); the entries are lost with it, the server goes on.
            }
            finally
            {
                _writing.Release();
            }
        }
    }

    private async Task WriteQueuedAsync()
    {
        var batch = new List<AuditEntry>();
        while (batch.Count < 1000 && _queue.Reader.TryRead(out var e)) batch.Add(e);
        if (batch.Count > 0) await _store.AppendAuditAsync(batch, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        await FlushAsync(CancellationToken.None);
    }
}
