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
    public static IApplicationBuilder UseAudit(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var requestId = context.Request.Headers["X-Request-Id"].ToString() is { Length: > 0 and <= 128 } given ? given : context.TraceIdentifier;
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
                var state = context.RequestServices.GetService(typeof(LessorState)) as LessorState;
                var clock = context.RequestServices.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System;
                if (state is not null)
                {
                    await state.Store.AppendAuditAsync(new AuditEntry(
                        0, clock.GetUtcNow().UtcDateTime, context.User.FindFirstValue(Roles.KeyClaim), context.User.FindFirstValue(ClaimTypes.Role),
                        context.Request.Method, path + context.Request.QueryString, context.Response.StatusCode, requestId,
                        context.Request.Headers.IdempotencyKey()), CancellationToken.None);
                }
            }
        }
    });

    private static string? IdempotencyKey(this IHeaderDictionary headers) =>
        headers["Idempotency-Key"].ToString() is { Length: > 0 } key ? $"idempotency-key={key}" : null;
}
