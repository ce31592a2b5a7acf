using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Devices;
using Loa.Dispatcher.Planning;
using Loa.Dispatcher.Recovery;
using Loa.Dispatcher.Sending;
using Loa.Dispatcher.Telemetry;
using Loa.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Loa.Dispatcher;

public static class DispatcherSetup
{
    /// <summary>Carrier options by id (<c>Loa:Carriers:&lt;id&gt;</c>) and their adapters, for every host that names carriers.</summary>
    public static IServiceCollection AddLoaCarriers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddCarrierAdapters(configuration);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SettingsReport>());
        return services;
    }

    /// <summary>
    /// <c>Loa:Dispatcher</c>, for the dispatcher and for the API host, which both ask for it. The
    /// configuration binder appends a configured array to the one the options already hold, so
    /// <c>RetrySchedule:0..n</c> would land after the five default steps (and once more for each
    /// Bind): a configured array (the schedule, the kinds resent after an unknown outcome) replaces the default instead.
    /// </summary>
    public static IServiceCollection AddDispatcherOptions(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Loa:Dispatcher");
        services.AddOptions<DispatcherOptions>()
            .Bind(section)
            .PostConfigure(options =>
            {
                if (section.GetSection(nameof(DispatcherOptions.RetrySchedule)).Get<TimeSpan[]>() is { Length: > 0 } configured)
                    options.RetrySchedule = configured;
                if (section.GetSection(nameof(DispatcherOptions.ResendUnknownKinds)).Get<string[]>() is { } kinds)
                    options.ResendUnknownKinds = kinds;
            });
        return services;
    }

    /// <summary>
    /// The dispatcher in this process: planner, one send lane per carrier, and the sweeper. Used by
    /// the standalone worker and by the API host in the embedded default.
    /// </summary>
    public static IServiceCollection AddLoaDispatcher(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddLoaStorage(configuration);
        services.AddLoaCarriers(configuration);
        services.AddDispatcherOptions(configuration);
        services.AddLoaDevices(configuration); // the send lane unprotects push tokens with the API's key ring
        services.AddLoaPush(configuration); // a push lane per app (Loa:Push:Apps:<app>), built through PushAdapterFactory
        services.TryAddSingleton<RouteTable>();
        services.TryAddSingleton<CarrierLanes>();
        services.TryAddSingleton<PushBatches>();
        services.TryAddSingleton<DispatcherMetrics>();
        services.TryAddSingleton<ReceiptAddress>();
        // Receipts and replies that come over a carrier's own connection (SMPP) land here.
        services.TryAddSingleton<ICarrierReceiptSink, Receipts.LedgerReceiptSink>();
        services.AddOptions<Replies.ReplyOptions>().Bind(configuration.GetSection("Loa:Replies")).PostConfigure(options =>
        {
            if (configuration.GetSection("Loa:Replies:OptOutKeywords").Get<string[]>() is { } keywords)
                options.OptOutKeywords = keywords;
        });
        services.TryAddSingleton<ICarrierReplySink, Replies.ReplyInbox>();
        services.TryAddScoped<BatchPublisher>();
        services.TryAddSingleton<Recovery.FallbackSweeper>();
        services.AddHostedService<OutboxSweeper>();
        services.AddHostedService<Receipts.CoverageFolder>();
        services.AddLoaBus(configuration, withDispatcher: true);
        return services;
    }
}
