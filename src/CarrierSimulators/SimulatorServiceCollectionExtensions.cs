using Loa.CarrierAdapters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loa.CarrierSimulators;

public static class SimulatorServiceCollectionExtensions
{
    /// <summary>
    /// Binds <c>Loa:Simulators</c> and, when <c>Loa:Simulators:Enabled</c> is true in
    /// <paramref name="configuration"/>, runs the carrier simulators as a hosted service that is also
    /// resolvable as <see cref="CarrierSimulatorHost"/> and as the <see cref="ISimulatedCarriers"/> that serves
    /// carriers without a Url (one instance). Carrier options
    /// (<c>Loa:Carriers:&lt;id&gt;</c>) are bound too unless already configured. Safe to call twice.
    /// </summary>
    public static IServiceCollection AddCarrierSimulators(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        // The embedded default wires both the API's and the dispatcher's services into one container.
        if (services.Any(d => d.ServiceType == typeof(Registered)))
            return services;
        services.AddSingleton<Registered>();

        var section = configuration.GetSection(SimulatorOptions.Section);
        services.Configure<SimulatorOptions>(section);
        if (!section.GetValue<bool>(nameof(SimulatorOptions.Enabled)))
            return services;

        foreach (var id in CarrierIds.All)
        {
            if (!HasNamedOptions(services, id))
                services.Configure<CarrierOptions>(id, configuration.GetSection($"Loa:Carriers:{id}"));
        }

        services.AddSingleton<CarrierSimulatorHost>();
        services.AddSingleton<ISimulatedCarriers>(provider => provider.GetRequiredService<CarrierSimulatorHost>());
        services.AddHostedService(provider => provider.GetRequiredService<CarrierSimulatorHost>());

        // The simulated FCM and APNs (Loa:Simulators:Push), serving every push app configured without a BaseUrl.
        services.Configure<Push.PushSimulatorOptions>(configuration.GetSection(Push.PushSimulatorOptions.Section));
        services.AddSingleton(provider => new Push.PushSimulatorHost(
            provider.GetRequiredService<IOptions<Push.PushSimulatorOptions>>(),
            provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            provider.GetService<TimeProvider>()));
        services.AddHostedService(provider => provider.GetRequiredService<Push.PushSimulatorHost>());
        services.AddSingleton<IPostConfigureOptions<Loa.CarrierAdapters.Push.PushAppOptions>, Push.SimulatedPushApps>();
        return services;
    }

    private static bool HasNamedOptions(IServiceCollection services, string name) =>
        services.Any(d => d.ServiceType == typeof(IConfigureOptions<CarrierOptions>)
                          && d.ImplementationInstance is ConfigureNamedOptions<CarrierOptions> configure
                          && configure.Name == name);

    private sealed class Registered;
}
