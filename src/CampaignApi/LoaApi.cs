using Loa.CampaignApi.Alerts;
using Loa.CampaignApi.Audit;
using Loa.CampaignApi.Audiences;
using Loa.CampaignApi.Campaigns;
using Loa.CampaignApi.Dashboard;
using Loa.CampaignApi.Devices;
using Loa.CampaignApi.Geography;
using Loa.CampaignApi.Receipts;
using Loa.CampaignApi.Reference;
using Loa.CampaignApi.Reports;
using Loa.CampaignApi.Scheduling;
using Loa.CampaignApi.Security;
using Loa.CampaignApi.Verification;
using Loa.CampaignApi.WebConsole;
using Loa.CampaignApi.Templates;
using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators;
using Loa.Dispatcher;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Devices;
using Loa.Dispatcher.Planning;
using Loa.Dispatcher.Sending;
using Loa.Dispatcher.Telemetry;
using Loa.Storage;
using Loa.Storage.Geography;
using Loa.Storage.Keys;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Loa.CampaignApi;

/// <summary>
/// How the API host is put together. Program.cs and the tests both build it here, so that a test
/// runs the same host a user runs (Kestrel, SQLite file, bus, dispatcher, simulators).
/// </summary>
public static class LoaApi
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(LoaDefaults.HostArgs(args));
        builder.Configuration.AddLoaDefaults();
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
            builder.WebHost.UseUrls(DefaultUrl);
        configure?.Invoke(builder);
        // With the simulators on and no push app configured, the host has app loa on the simulated FCM
        // (SimulatedPushApps fills it in), so the embedded default sends push out of the box. Set here,
        // not in appsettings.Development.json, which a standalone dispatcher in Development would read
        // too and then refuse to start without FCM credentials.
        if (builder.Configuration.GetValue("Loa:Simulators:Enabled", false) && !builder.Configuration.GetSection(PushAppOptions.Section).GetChildren().Any())
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"{PushAppOptions.Section}:loa:Provider"] = "Fcm" });
        AddServices(builder.Services, builder.Configuration);
        ProductionChecks.Enforce(builder.Configuration, builder.Environment);
        if (CapOptions.Problems(builder.Configuration) is { Count: > 0 } cap)
            throw new InvalidOperationException("Refusing to start: " + string.Join(" ", cap));
        var app = builder.Build();
        MapEndpoints(app);
        return app;
    }

    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<ClientFaults>();
        // A body the binding cannot read throws (in every environment, not only Development), so that
        // ClientFaults answers it with the field's path instead of a bare 400.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never);
        services.AddOpenApi(o => o.AddApiReference());

        services.AddLoaRequestLimits(configuration);
        services.AddPublicAlerts(configuration);
        services.AddLoaAuthentication(configuration);
        services.AddScoped<AuditDetails>();
        services.AddOptions<AuditAnchorOptions>().Bind(configuration.GetSection(AuditAnchorOptions.Section));
        services.AddSingleton<AuditAnchor>();
        services.AddHostedService<AuditAnchorTimer>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Author, p => p.RequireRole(Roles.Author))
            .AddPolicy(Roles.Approver, p => p.RequireRole(Roles.Approver))
            .AddPolicy(Roles.Operator, p => p.RequireRole(Roles.Operator))
            .AddPolicy(Roles.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Roles.App, p => p.RequireRole(Roles.App))
            .AddPolicy(Policies.OperatorOrApprover, p => p.RequireRole(Roles.Operator, Roles.Approver))
            .AddPolicy(Policies.OperatorOrAdmin, p => p.RequireRole(Roles.Operator, Roles.Admin));

        services.AddLoaStorage(configuration);
        services.AddLoaCarriers(configuration);
        services.AddDispatcherOptions(configuration);
        services.AddOptions<ListOptions>().Bind(configuration.GetSection("Loa:Lists"));
        services.AddHostedService<AbandonedImportSweeper>();
        services.AddSingleton<SharedNumbers>();
        services.AddHostedService<SharedNumbersWalker>();
        services.AddSingleton<RouteTable>();
        services.AddSingleton<CampaignRules>();
        services.AddSingleton<CampaignPreview>();
        services.AddOptions<CapOptions>().Bind(configuration.GetSection(CapOptions.Section));
        services.AddSingleton(sp => ProvinceGeocodes.Load(sp.GetRequiredService<IOptions<CapOptions>>().Value.GeocodeTable, sp.GetRequiredService<Provinces>()));
        services.AddSingleton<ICampaignLauncher, CampaignLauncher>();
        services.AddSingleton<SystemAudit>();
        services.AddSingleton<ReportExporter>();
        services.AddLoaDevices(configuration);
        services.AddLoaPush(configuration); // the push apps a campaign may name (audience.apps) and their rates (preview)

        // The embedded default runs the dispatcher in this process; with RabbitMQ it can run apart
        // (Loa:Dispatcher:InProcess=false and `dotnet run --project src/Dispatcher`).
        if (configuration.GetValue("Loa:Dispatcher:InProcess", true))
            services.AddLoaDispatcher(configuration);
        else
            services.AddLoaBus(configuration, withDispatcher: false);
        services.AddCarrierSimulators(configuration);
        services.AddLoaScheduling(configuration, StorageSetup.ReadOptions(configuration));

        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        AddTelemetry(services, configuration);
    }

    /// <summary>The shared telemetry plus what only the API has: server spans, HTTP server metrics, the backlog gauges and /metrics.</summary>
    private static void AddTelemetry(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<BacklogMetrics>();
        services.AddLoaTelemetry(configuration, "loa-api")
            .WithTracing(t => t.AddAspNetCoreInstrumentation(o =>
            {
                // Scrapes and probes every few seconds would drown the traces that matter.
                o.Filter = context => !context.Request.Path.StartsWithSegments("/metrics") && !context.Request.Path.StartsWithSegments("/healthz")
                    && !context.Request.Path.StartsWithSegments("/readyz");
                // The route template names the span; the raw path may hold a number (opt-outs).
                o.EnrichWithHttpRequest = (activity, request) => activity.SetTag("url.path", TelemetrySetup.MaskNumbers(request.Path.Value ?? ""));
            }))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddInstrumentation(sp => sp.GetRequiredService<BacklogMetrics>())
                .AddPrometheusExporter());
    }

    public static void MapEndpoints(WebApplication app)
    {
        // A body that breaks a Kestrel limit or its framing, or that the binding cannot read, throws; it
        // is the client's error, answered by ClientFaults with its own status (413 too large, 408 too
        // slow, 400 malformed) and a problem, not a 500.
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = Problems.StatusOf });
        app.Use(ClientBody.Wrap);
        app.UseStatusCodePages();
        app.UseAuthentication();
        // A flood answered 429 is not written down row by row; everything past the limiter is.
        app.UseRateLimiter();
        // Before authorization, so that refusals (401, 403) are on the record too.
        app.UseMiddleware<AuditTrail>();
        app.UseAuthorization();
        app.Use(ClientFaults.RefuseUnknownCharset);

        app.MapOpenApi("/openapi/{documentName}.json");
        // Counts and rates only, no personal data: open to the scraper like the probes.
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).WithTags("Operations").AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        app.MapListsApiV1();
        app.MapOptOutsApiV1();
        app.MapDevicesApiV1();
        app.MapRepliesApiV1();
        app.MapCampaignsApiV1();
        app.MapAlertsApiV1();
        app.MapReceiptsApiV1();
        app.MapKeysApiV1();
        app.MapAuditApiV1();
        app.MapReportsApiV1();
        app.MapProvincesApiV1();
        app.MapCommunesApiV1();
        app.MapTemplatesApiV1();
        app.MapCoverageApiV1();
        app.MapExportsApiV1();
        app.MapDashboard();
        app.MapConsole();
        app.MapApiReference();
        app.MapPublicAlerts();
    }

    /// <summary>
    /// Before the host starts: schema, routing seed, the province tables, development keys. After it starts: the public
    /// URL carriers post receipts to, when not configured, is this server's own address.
    /// </summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        await DispatcherHost.PrepareAsync(app.Services, cancellationToken);
        await app.Services.GetRequiredService<ProvinceStore>().MirrorAsync(app.Services.GetRequiredService<Provinces>(), cancellationToken);
        await DevKeys.ApplyAsync(app.Services.GetRequiredService<ApiKeyStore>(), app.Environment.IsDevelopment(), cancellationToken);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (app.Services.GetService<ReceiptAddress>() is not { IsKnown: false } receipts)
                return; // no dispatcher in this process, or Loa:Dispatcher:PublicUrl is configured
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (address is not null)
            {
                receipts.Learn(address.Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal)
                    .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
                    .Replace("://+", "://127.0.0.1", StringComparison.Ordinal));
            }
        });
    }
}
