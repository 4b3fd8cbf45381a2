using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lessor.Server;

/// <summary>
/// The last line of defence: an exception no endpoint turned into a result (a bug, or a stored row the code cannot read)
/// is logged once with the request id and answered as a 500 ProblemDetails with a fixed sentence: never a stack trace,
/// never the exception's message (it may quote stored data). Causes are fixed where they are; this keeps the answer safe
/// until they are.
/// </summary>
internal sealed class UnexpectedErrors(ILogger<UnexpectedErrors> logger, IProblemDetailsService problems) : IExceptionHandler
{
    public const string Title = "The server could not answer this request.";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // The response was cleared before this runs (its X-Request-Id too): the id is read from the request again.
        var requestId = Access.Audit.RequestId(httpContext);
        httpContext.Response.Headers["X-Request-Id"] = requestId;
        Log.Unexpected(logger, httpContext.Request.Method, httpContext.Request.Path.Value ?? "", requestId, exception);
        httpContext.Response.StatusCode = StatusCodes.Status500InternalServerError;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = Title,
                Detail = $"An unexpected error was logged under request id {requestId}; quote it when reporting this.",
                Extensions = { ["request_id"] = requestId },
            },
        });
    }
}
