using Loa.CarrierAdapters.Routing;
using Loa.Storage;
using Loa.Storage.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.Dispatcher;

public static class DispatcherHost
{
    /// <summary>Brings the database to the current schema and seeds the routing data if it is empty.</summary>
    public static async Task PrepareAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await services.GetRequiredService<Migrator>().MigrateAsync(cancellationToken);
        await services.GetRequiredService<RoutingStore>().SeedPrefixesAsync(
            reader => CarrierRouter.ParseCsv(reader).Select(r => new PrefixRow(r.Prefix, r.Carrier)),
            cancellationToken);
    }
}
