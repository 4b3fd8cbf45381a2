using Microsoft.Extensions.Logging;

namespace Lessor.Server;

/// <summary>The server's log events, source-generated, with stable ids.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Store was empty: imported scenario '{Name}' from {Path}")]
    public static partial void Seeded(ILogger logger, string name, string path);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "No API key existed: created an admin key, shown this once: {Key}  (more with `lessor keys create`)")]
    public static partial void BootstrapKey(ILogger logger, string key);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Unexpected error answering {Method} {Path} (request {RequestId}); answered 500")]
    public static partial void Unexpected(ILogger logger, string method, string path, string requestId, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "No active admin key in this store: create one with `lessor keys create --role admin --db {Db}`")]
    public static partial void NoAdminKey(ILogger logger, string db);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Loaded {Contracts} contracts, {Fabrics} fabrics and {Deliveries} deliveries from the store in {Ms} ms")]
    public static partial void Loaded(ILogger logger, int contracts, int fabrics, int deliveries, long ms);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Warmed up in the background in {Ms} ms (finance book built, ledger questions compiled)")]
    public static partial void WarmedUp(ILogger logger, long ms);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Background warm-up failed; the first questions will pay for it")]
    public static partial void WarmUpFailed(ILogger logger, Exception exception);
}
