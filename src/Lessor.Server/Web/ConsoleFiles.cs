using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Lessor.Server.Web;

/// <summary>Serves the web console (static ES modules embedded in this assembly) and its client-side routes.</summary>
public static class ConsoleFiles
{
    /// <summary>The pages the console routes in the browser; a reload or a typed URL must get index.html back.</summary>
    public static readonly IReadOnlyList<string> ClientRoutes =
    [
        "/estate", "/estate/{site}", "/contracts", "/contracts/{id}", "/deals", "/placement",
        "/invoices", "/revenue", "/kpis", "/deliveries", "/risk", "/claims", "/fleet", "/availability", "/keys", "/audit",
    ];

    /// <summary>The embedded wwwroot, with the folder structure the build's manifest recorded.</summary>
    public static IFileProvider Files { get; } = new ManifestEmbeddedFileProvider(typeof(ConsoleFiles).Assembly, "wwwroot");

    public static WebApplication UseConsole(this WebApplication app)
    {
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = Files });
        var options = new StaticFileOptions
        {
            FileProvider = Files,
            // The files change only with the binary; revalidating by ETag keeps reloads cheap and never stale.
            OnPrepareResponse = ctx => ctx.Context.Response.Headers[HeaderNames.CacheControl] = "no-cache",
        };
        app.UseStaticFiles(options);
        foreach (var route in ClientRoutes) app.MapFallbackToFile(route, "index.html", options).AllowAnonymous();
        // Any other path without a file extension is a console URL a person typed or kept: it gets the console (which
        // says "page not found") with status 404, so browsers show the console's page and HTTP clients still see 404.
        // API, OpenAPI and Scalar paths stay plain 404s, and so does a missing file.
        app.MapFallback("{*path:nonfile}", NotFoundPage).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task NotFoundPage(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "/";
        // Routing runs before the default-files rewrite, so the catch-all also sees "/": that one is the dashboard.
        http.Response.StatusCode = path == "/" ? StatusCodes.Status200OK : StatusCodes.Status404NotFound;
        if (path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase) || path.StartsWith("/openapi/", StringComparison.OrdinalIgnoreCase)
            || path.StartsWith("/scalar/", StringComparison.OrdinalIgnoreCase) || !HttpMethods.IsGet(http.Request.Method))
            return;
        var index = Files.GetFileInfo("index.html");
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers[HeaderNames.CacheControl] = "no-cache";
        await using var stream = index.CreateReadStream();
        await stream.CopyToAsync(http.Response.Body, http.RequestAborted);
    }
}
