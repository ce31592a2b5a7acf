using Loa.CarrierAdapters.HttpBatch;
using Loa.CarrierAdapters.Smpp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters;

public static class CarrierSetup
{
    /// <summary>
    /// Carrier options by id (<c>Loa:Carriers:&lt;id&gt;</c>, over <see cref="CarrierOptions.Defaults"/>),
    /// the protocols, and the factory that chooses among them. Every host that names carriers calls it,
    /// so that the API host and a standalone dispatcher read the same defaults. A carrier whose
    /// <c>Adapter</c> no protocol answers to stops the host at start, naming the setting. Safe to call twice.
    /// </summary>
    public static IServiceCollection AddCarrierAdapters(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(Registered)))
            return services;
        services.AddSingleton<Registered>();

        foreach (var id in CarrierIds.All)
        {
            services.AddOptions<CarrierOptions>(id)
                .Configure(options => CarrierOptions.Defaults(id, options))
                .Bind(configuration.GetSection($"Loa:Carriers:{id}"))
                .ValidateOnStart();
        }
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CarrierOptions>, KnownAdapterValidation>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CarrierOptions>, SmppSettingsValidation>());
        services.AddHttpClient();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICarrierProtocol, HttpBatchProtocol>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICarrierProtocol, SmppProtocol>());
        services.TryAddSingleton<CarrierAdapterFactory>();
        return services;
    }

    private sealed class Registered;
}
