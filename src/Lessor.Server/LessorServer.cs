using System.Diagnostics;
using Lessor.Server.Api;
using Lessor.Server.Desk;
using Lessor.Server.Json;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lessor.Server;

/// <summary>Builds the `lessor serve` host: opens the store, seeds it when empty, loads the model, maps the API.</summary>
public static class LessorServer
{
    public static async Task<WebApplication> BuildAsync(ServerOptions options, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.ConfigureHttpJsonOptions(o => LessorJson.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails();

        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var logger = loggerFactory.CreateLogger("Lessor.Server");
        var state = await OpenStateAsync(options, logger, ct);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(await Claims.ClaimDesk.OpenAsync(state.Store, TimeProvider.System, ct));

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthApi();
        app.MapEstateApi();
        app.MapContractsApi();
        app.MapDealsApi();
        app.MapFinanceApi();
        app.MapClaimsApi();
        app.Lifetime.ApplicationStopped.Register(() => state.Store.DisposeAsync().AsTask().GetAwaiter().GetResult());
        return app;
    }

    private static async Task<LessorState> OpenStateAsync(ServerOptions options, ILogger logger, CancellationToken ct)
    {
        var store = await LessorStore.OpenAsync(options.Store, ct);
        try
        {
            if (options.SeedScenarioPath is { } path && await store.IsEmptyAsync(ct))
            {
                var parsed = ScenarioFile.Load(path);
                if (!parsed.IsValid)
                    throw new InvalidDataException($"The seed scenario {path} is invalid:{Environment.NewLine}{string.Join(Environment.NewLine, parsed.Errors)}");
                await store.ImportAsync(parsed.Scenario!, ct);
                Log.Seeded(logger, parsed.Scenario!.Name, path);
            }

            var watch = Stopwatch.StartNew();
            var desk = await DealDesk.OpenAsync(store, ct);
            var scenario = desk.Scenario;
            Log.Loaded(logger, scenario.Contracts.Count, scenario.Fabrics.Count, scenario.Deliveries.Count, watch.ElapsedMilliseconds);
            return new LessorState(store, desk);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }
}
