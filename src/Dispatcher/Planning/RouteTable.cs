using Loa.CarrierAdapters.Routing;
using Loa.Contracts;
using Loa.Storage.Routing;

namespace Loa.Dispatcher.Planning;

/// <summary>
/// The prefix table as a router, reloaded from the database at most once a minute so that an
/// operator's edit takes effect without a restart and a campaign does not reload it per page.
/// </summary>
public sealed class RouteTable(RoutingStore store, TimeProvider time)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim gate = new(1, 1);
    private CarrierRouter? router;
    private DateTimeOffset loadedAt;

    public async Task<CarrierRouter> GetAsync(CancellationToken cancellationToken)
    {
        if (router is not null && time.GetUtcNow() - loadedAt < MaxAge)
            return router;
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (router is null || time.GetUtcNow() - loadedAt >= MaxAge)
            {
                var rows = await store.PrefixesAsync(cancellationToken);
                router = new CarrierRouter(rows.Select(r => new PrefixRoute(r.Prefix, r.Carrier)));
                loadedAt = time.GetUtcNow();
            }
            return router;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The test allow-list (<c>Loa:Safety:TestNumbers</c>) in E.164, normalised like uploads are, so
    /// that the preview and the planner agree; an entry that is not a number reaches nobody.
    /// </summary>
    public static HashSet<string> TestNumbers(SafetyOptions safety, CarrierRouter router) =>
        safety.TestNumbers.Select(n => Msisdn.TryNormalize(n, router, out var e164, out _) ? e164 : null).OfType<string>().ToHashSet(StringComparer.Ordinal);
}
