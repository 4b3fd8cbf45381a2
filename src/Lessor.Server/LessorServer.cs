using System.Diagnostics;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Lessor.Server.Access;
using Lessor.Server.Api;
using Lessor.Server.Desk;
using Lessor.Server.Json;
using Lessor.Server.Replication;
using Lessor.Server.Web;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Scalar.AspNetCore;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lessor.Server;

/// <summary>Builds the `lessor serve` host: opens the store, seeds it when empty, loads the model, maps the API.</summary>
public static class LessorServer
{
    /// <summary>The OpenAPI security scheme every operation requires: an API key as a bearer token.</summary>
    public const string BearerScheme = "bearer";

    public static async Task<WebApplication> BuildAsync(ServerOptions options, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://{(options.Host.Contains(':', StringComparison.Ordinal) ? $"[{options.Host}]" : options.Host)}:{options.Port}");
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.ConfigureHttpJsonOptions(o => LessorJson.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails();
        ServerTelemetry.Add(builder);
        builder.Services.AddExceptionHandler<FleetLeaseProblems>();
        builder.Services.AddExceptionHandler<UnexpectedErrors>();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        builder.Services.AddAuthorization(o =>
        {
            foreach (var (policy, roles) in Policies.RolesOf) o.AddPolicy(policy, p => p.RequireRole(roles));
            // Secure by default: an endpoint that names no policy is for admins only.
            o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireRole(Roles.Admin).Build();
        });
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, TenantHidesForbidden>();
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                RateLimitPartition.GetTokenBucketLimiter(
                    context.User.FindFirstValue(Roles.KeyClaim) ?? "anonymous:" + context.Connection.RemoteIpAddress,
                    _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.RateLimitPerSecond,
                        TokensPerPeriod = options.RateLimitPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
        });
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Lessor API";
            document.Info.Version = "v1";
            document.Info.Description = "The control plane of a GPU cloud: estate, contracts, deal desk, finance. Send `Authorization: Bearer <API key>`.";
            document.Servers?.Clear();
            // One scheme for the whole API (/health ignores it): Scalar's "Test Request" then has a field for the key.
            document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "lsr_<id>_<secret>",
                Description = "An API key: `lessor keys create --role admin --db PATH` prints one (shown once).",
            };
            document.Security = [new Microsoft.OpenApi.OpenApiSecurityRequirement { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
            return Task.CompletedTask;
        }));

        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var logger = loggerFactory.CreateLogger("Lessor.Server");
        var state = await OpenStateAsync(options, logger, ct);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(TimeProvider.System);
        var keyRegistry = new KeyRegistry(state.Store, TimeProvider.System);
        builder.Services.AddSingleton(keyRegistry);
        var audit = new AuditWriter(state.Store);
        builder.Services.AddSingleton(audit);
        // The claim desk works from the deal desk's book: the ledger is built once at start, not once per desk.
        // One fleet desk for both ingestion paths: the HTTP batch endpoint and the NATS consumer resolve IHealthSink.
        // Opened before the claim desk: it tells the deal desk which units claims must leave to lines and spares.
        // One writer of the fleet per store (docs/deploy.md, "The fleet lease"): taken now when free, so a lone server
        // writes from its first request; renewed by the keeper; fleet writes elsewhere answer 503.
        var lease = new Fleet.FleetLease(state.Store, options.FleetLease, standalone: false);
        await lease.RenewAsync(ct);
        var fleet = await Fleet.FleetDesk.OpenAsync(state.Desk, state.Store, TimeProvider.System, options.Fleet, lease, ct);
        builder.Services.AddSingleton(lease);
        builder.Services.AddSingleton(fleet);
        // Registered before the NATS consumer: stopped after it, so the lease is let go once the consumer has stopped.
        builder.Services.AddHostedService(services => new Fleet.FleetLeaseKeeper(lease, fleet, options.FleetLease.FollowInterval,
            services.GetRequiredService<ILogger<Fleet.FleetLeaseKeeper>>(), services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        builder.Services.AddSingleton<Fleet.IHealthSink>(fleet);
        // Roles follow the book as lines are signed, start, end or are cancelled and deliveries are accepted (docs/fleet.md).
        builder.Services.AddHostedService<Fleet.FleetAssignmentLoop>();
        var claims = await Claims.ClaimDesk.OpenAsync(state.Desk, state.Store, TimeProvider.System, ct);
        builder.Services.AddSingleton(claims);
        // Keeps the book and the claim pool current without a request: woken by other servers' commits (PostgreSQL), else polling.
        builder.Services.AddSingleton(services => new Replication.ReplicaLoop(state.Desk, state.Store,
            options.PollInterval ?? Replication.ReplicaLoop.DefaultPollInterval(state.Store),
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Lessor.Server.Replication"), claims, keyRegistry.Invalidate));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(services => new Fleet.FleetIngestMetrics(TimeProvider.System, services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        if (options.Nats is { } nats)
        {
            // The consumer feeds the IHealthSink registered above (the fleet desk).
            builder.Services.AddSingleton(nats);
            builder.Services.AddHostedService<Fleet.NatsHealthConsumer>();
        }

        var app = builder.Build();
        // UnexpectedErrors logs each one with the request id; the middleware's own log line would repeat it.
        app.UseExceptionHandler(new ExceptionHandlerOptions { SuppressDiagnosticsCallback = _ => true });
        app.UseStatusCodePages();
        app.UseConsole();
        app.UseCutOffGate(options, TimeProvider.System);
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAudit();
        app.UseAuthorization();
        app.UseRevisions(options);
        app.MapOpenApi().AllowAnonymous();
        ServerTelemetry.Map(app);
        // Fully offline: no fonts from a CDN, no hosted AI agent, MCP, telemetry or cloud client buttons.
        app.MapScalarApiReference(o => o
            .WithTitle("Lessor API")
            .DisableDefaultFonts()
            .DisableAgent()
            .DisableMcp()
            .DisableTelemetry()
            .HideClientButton()
            .HideDeveloperTools()
            .AddPreferredSecuritySchemes([BearerScheme])).AllowAnonymous();
        // Each area gets its own tag (an untagged lambda would be tagged with the host's assembly name, which differs
        // between `lessor serve` and the test host).
        app.MapGroup("").WithTags("Health").MapHealthApi();
        app.MapGroup("").WithTags("Access").MapAccessApi();
        app.MapGroup("").WithTags("Estate").MapEstateApi();
        app.MapGroup("").WithTags("Contracts").MapContractsApi();
        app.MapGroup("").WithTags("Deals").MapDealsApi();
        app.MapGroup("").WithTags("Deals").MapPlanApi();
        app.MapGroup("").WithTags("Placement").MapPlacementApi();
        app.MapGroup("").WithTags("Finance").MapFinanceApi();
        app.MapGroup("").WithTags("Finance").MapBillingApi();
        app.MapGroup("").WithTags("Operations").MapOperationsApi();
        app.MapGroup("").WithTags("Dashboard").MapDashboardApi();
        app.MapGroup("").WithTags("Claims").MapClaimsApi();
        app.MapGroup("").WithTags("Risk").MapRiskApi();
        app.MapGroup("").WithTags("Fleet").MapFleetApi();
        app.MapGroup("").WithTags("Fleet").MapFleetSummaryApi();
        app.MapGroup("").WithTags("Fleet").MapFleetIngestApi();
        app.MapGroup("").WithTags("SLA").MapSlaApi();
        var replica = app.Services.GetRequiredService<Replication.ReplicaLoop>();
        replica.Start();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            replica.DisposeAsync().AsTask().GetAwaiter().GetResult();
            audit.DisposeAsync().AsTask().GetAwaiter().GetResult();
            state.Store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        });
        return app;
    }

    /// <summary>
    /// Once listening, builds what the first questions after a restart would otherwise pay for (the finance book, the
    /// ledger's query paths) in the background: readiness does not wait for it. `lessor serve` calls it after it has
    /// said where it listens.
    /// </summary>
    public static void WarmUpInBackground(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var state = app.Services.GetRequiredService<LessorState>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Lessor.Server");
        var json = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var url = app.Urls.FirstOrDefault();
        _ = Task.Run(async () =>
        {
            state.Desk.WarmUp(logger);
            try
            {
                // The first request of a process also pays for the HTTP pipeline and the JSON contracts of a deal check:
                // read a deal body and write a check's answer with the server's own options, then send two requests to
                // ourselves (health, and a check without a key, which is refused before it reads the book).
                var scenario = state.Desk.Scenario;
                var platform = scenario.Platforms.FirstOrDefault(p => scenario.Fabrics.Any(f => f.Platform == p.Id));
                var start = new DateTime(DateTime.UtcNow.Year + 1, 1, 1, 0, 0, 0, DateTimeKind.Utc);
                var body = new DealBody
                {
                    Customer = scenario.Customers.Count > 0 ? scenario.Customers[0].Id.Value : "warm-up",
                    Lines = platform is null ? [] : [new DealLineBody { Platform = platform.Id.Value, Gpus = platform.GpusPerUnit, Start = start, End = start.AddYears(1) }],
                };
                var text = System.Text.Json.JsonSerializer.Serialize(body, json);
                if (DealInput.Build(scenario, System.Text.Json.JsonSerializer.Deserialize<DealBody>(text, json)).Deal is { } deal)
                {
                    var fit = state.Desk.Check(deal);
                    System.Text.Json.JsonSerializer.Serialize(new DealsApi.CheckResponse(fit.Fits, fit, DealsApi.ImpactView.Of(state.Desk.Impact(deal))), json);
                }
                if (url is not null)
                {
                    using var http = new HttpClient { BaseAddress = new Uri(url) };
                    (await http.GetAsync(new Uri("/health", UriKind.Relative))).Dispose();
                    using var content = new StringContent(text, System.Text.Encoding.UTF8, "application/json");
                    (await http.PostAsync(new Uri("/api/v1/deals/check", UriKind.Relative), content)).Dispose();
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.WarmUpFailed(logger, e);
            }
        });
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

            var keys = await store.ListApiKeysAsync(ct);
            if (keys.Count == 0)
            {
                // A fresh store has no way in: make one admin key and say it once, as a first run should.
                var admin = await ApiKeys.CreateAsync(store, Roles.Admin, null, "bootstrap admin (created by lessor serve)", DateTime.UtcNow, ct);
                Log.BootstrapKey(logger, admin.Key);
            }
            else if (!keys.Any(k => k.Role == Roles.Admin && k.RevokedAt is null))
            {
                // Keys exist (say a tenant's, made before the first start), so no admin key is made: say how to get one.
                Log.NoAdminKey(logger, options.Store is StoreLocation.Sqlite s ? s.Path : "\"<connection string>\"");
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
