using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Lessor.Server.Web;

/// <summary>Serves the web console (static ES modules embedded in this assembly) and its client-side routes.</summary>
public static class ConsoleFiles
{
    /// <summary>The pages the console routes in the browser; a reload or a typed URL must get index.html back.</summary>
    private static readonly string[] ClientRoutes = ["/estate", "/contracts", "/contracts/{id}", "/deals", "/placement"];

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
        // Explicit routes rather than a catch-all: an unknown /api path must stay a 404, not become the console.
        foreach (var route in ClientRoutes) app.MapFallbackToFile(route, "index.html", options).AllowAnonymous();
        return app;
    }
}
