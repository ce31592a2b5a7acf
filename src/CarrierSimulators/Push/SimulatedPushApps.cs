using Loa.CarrierAdapters.Push;
using Microsoft.Extensions.Options;

namespace Loa.CarrierSimulators.Push;

/// <summary>
/// With the simulators on, a push app configured without a <c>BaseUrl</c> is served by the push simulator,
/// as a carrier without a <c>Url</c> is served by the carrier simulators: its provider's address and the
/// throwaway credentials the simulator wrote are filled in when the app's settings are first read (which
/// starts the simulator if nothing has yet). Production refuses to start so (ProductionChecks).
/// </summary>
internal sealed class SimulatedPushApps(PushSimulatorHost host, PushApps apps) : IPostConfigureOptions<PushAppOptions>
{
    public void PostConfigure(string? name, PushAppOptions options)
    {
        if (name is null || !apps.Names.Contains(name, StringComparer.OrdinalIgnoreCase) || !string.IsNullOrWhiteSpace(options.BaseUrl))
            return;
        // Options are built synchronously; the start is a Kestrel bind on loopback, once per process.
        var endpoints = host.StartOnceAsync().GetAwaiter().GetResult();
        if (options.Provider == PushProvider.Apns)
        {
            options.BaseUrl = endpoints.ApnsBaseUrl.AbsoluteUri;
            options.TeamId = endpoints.SigningKey.TeamId;
            options.KeyId = endpoints.SigningKey.KeyId;
            options.KeyFile = endpoints.SigningKey.File;
            options.BundleId = endpoints.BundleId;
        }
        else
        {
            options.BaseUrl = endpoints.FcmBaseUrl.AbsoluteUri;
            options.ProjectId = endpoints.ServiceAccount.ProjectId;
            options.ServiceAccountFile = endpoints.ServiceAccount.File;
        }
    }
}
