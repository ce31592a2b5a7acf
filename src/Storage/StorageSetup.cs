using Loa.Storage.Alerts;
using Loa.Storage.Audiences;
using Loa.Storage.Campaigns;
using Loa.Storage.Deliveries;
using Loa.Storage.Keys;
using Loa.Storage.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Loa.Storage;

public static class StorageSetup
{
    /// <summary>
    /// Registers the database and its stores. <c>Loa:Database</c> picks the dialect (Sqlite by default),
    /// <c>ConnectionStrings:Loa</c> the location (default: a SQLite file under ./data).
    /// </summary>
    public static IServiceCollection AddLoaStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var options = ReadOptions(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options);
        services.TryAddSingleton(sp => new Database(sp.GetRequiredService<DatabaseOptions>()));
        services.TryAddSingleton<Migrator>();
        services.TryAddSingleton<ApiKeyStore>();
        services.TryAddSingleton<ListStore>();
        services.TryAddSingleton<SharedWalkStore>();
        services.TryAddSingleton<RoutingStore>();
        services.TryAddSingleton<CampaignStore>();
        services.TryAddSingleton<Planning.AudiencePages>();
        services.TryAddSingleton<Planning.ResendPages>();
        services.TryAddSingleton<Planning.PlanWriter>();
        services.TryAddSingleton<Batches.BatchLedger>();
        services.TryAddSingleton<Batches.Outbox>();
        services.TryAddSingleton<Batches.TenantQueues>();
        services.TryAddSingleton<Lanes.LaneLeaseStore>();
        services.TryAddSingleton<Receipts.ReceiptLedger>();
        services.TryAddSingleton<Deliveries.DeliveryReads>();
        services.TryAddSingleton<Reports.ReportStore>();
        services.TryAddSingleton<CapAlertStore>();
        services.TryAddSingleton<Suppression.SuppressionStore>();
        services.TryAddSingleton<Replies.ReplyStore>();
        services.TryAddSingleton<Audit.AuditStore>();
        services.TryAddSingleton<Backlog.BacklogStore>();
        services.TryAddSingleton<Devices.DeviceStore>();
        services.TryAddSingleton<Devices.DeviceAudience>();
        services.TryAddSingleton<Devices.PushTargets>();
        services.TryAddSingleton<Acks.AckLedger>();
        services.TryAddSingleton<Fallback.FallbackStore>();
        services.TryAddSingleton<Geography.ProvinceStore>();
        services.TryAddSingleton<Geography.CommuneStore>();
        services.TryAddSingleton<Templates.TemplateStore>();
        services.TryAddSingleton<Coverage.CoverageStore>();
        services.TryAddSingleton<Reports.ExportStore>();
        services.TryAddSingleton<Reports.ExportScheduleStore>();
        // Read once: a malformed table stops the host at its first use with the file and line, rather than
        // mapping any code wrongly.
        services.TryAddSingleton(_ => Geography.Provinces.Load(new Geography.ProvinceOptions
        {
            UnitsFile = configuration[$"{Geography.ProvinceOptions.Section}:UnitsFile"],
            RemapFile = configuration[$"{Geography.ProvinceOptions.Section}:RemapFile"],
        }));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, SqliteCheckpointer>());
        // Bound once: the embedded default calls this from both hosts, and binding a list twice doubles it.
        if (!services.Any(d => d.ServiceType == typeof(Microsoft.Extensions.Options.IConfigureOptions<Contracts.SafetyOptions>)))
            services.AddOptions<Contracts.SafetyOptions>().Bind(configuration.GetSection(Contracts.SafetyOptions.Section));
        return services;
    }

    public static DatabaseOptions ReadOptions(IConfiguration configuration)
    {
        var options = new DatabaseOptions();
        if (Enum.TryParse<DatabaseProvider>(configuration["Loa:Database"], ignoreCase: true, out var provider))
            options.Provider = provider;
        var connectionString = configuration.GetConnectionString("Loa");
        if (!string.IsNullOrWhiteSpace(connectionString))
            options.ConnectionString = connectionString;
        else if (options.Provider == DatabaseProvider.SqlServer)
            throw new InvalidOperationException("Loa:Database is SqlServer but ConnectionStrings:Loa is not set.");
        return options;
    }
}
