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

    public async Task<ICarrierAdapter> CreateAsync(string carrierId, CarrierOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Smpp.Host))
        {
            // No host: the carrier's simulated SMSC when simulators run (the embedded default), with its credentials.
            if (services.GetService<ISimulatedCarriers>() is not { } simulators)
                throw new InvalidOperationException($"Carrier {carrierId} is on SMPP but has no Loa:Carriers:{carrierId}:Smpp:Host and simulators are off.");
            var smsc = await simulators.SmscAsync(carrierId, cancellationToken);
            options = options.WithSmpp(smsc.Host, smsc.Port, smsc.SystemId, smsc.Password);
            // The simulator says whether it serves TLS, and with which certificate: the carrier's own
            // TLS settings name a real SMSC's, which this is not.
            options.Smpp = options.Smpp.Securing(smsc.TlsCaFile);
        }
        if (string.IsNullOrWhiteSpace(options.Smpp.SystemId))
            throw new InvalidOperationException($"Carrier {carrierId} is on SMPP but has no Loa:Carriers:{carrierId}:Smpp:SystemId.");
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger<SmppAdapter>();
        return new SmppAdapter(carrierId, options, services.GetService<ICarrierReceiptSink>(), logger,
            services.GetService<TimeProvider>(), services.GetService<ICarrierReplySink>());
    }
}
