using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// <c>Adapter = Smpp</c>: the carrier's SMSC at <c>Loa:Carriers:&lt;id&gt;:Smpp:Host</c>. The bind is made
/// on the first submit, so a host starts while an SMSC is down and its lane retries.
/// </summary>
public sealed class SmppProtocol(IServiceProvider services) : ICarrierProtocol
{
    public const string AdapterName = "Smpp";

    public string Name => AdapterName;

    public Task<ICarrierAdapter> CreateAsync(string carrierId, CarrierOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The embedded default starting an SMSC simulator for a carrier without a host is not built yet.
        if (string.IsNullOrWhiteSpace(options.Smpp.Host))
            throw new InvalidOperationException($"Carrier {carrierId} is on SMPP but has no Loa:Carriers:{carrierId}:Smpp:Host.");
        if (string.IsNullOrWhiteSpace(options.Smpp.SystemId))
            throw new InvalidOperationException($"Carrier {carrierId} is on SMPP but has no Loa:Carriers:{carrierId}:Smpp:SystemId.");
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger<SmppAdapter>();
        ICarrierAdapter adapter = new SmppAdapter(carrierId, options, services.GetService<ICarrierReceiptSink>(), logger,
            services.GetService<TimeProvider>());
        return Task.FromResult(adapter);
    }
}
