using Microsoft.Extensions.DependencyInjection;

namespace Loa.CarrierAdapters.HttpBatch;

/// <summary>
/// <c>Adapter = HttpBatch</c>: the carrier's <c>Url</c>, or the built-in simulator when it has none
/// and simulators run. Any server that speaks the batch interface just works.
/// </summary>
public sealed class HttpBatchProtocol(IHttpClientFactory http, IServiceProvider services) : ICarrierProtocol
{
    public const string AdapterName = "HttpBatch";

    public string Name => AdapterName;

    public async Task<ICarrierAdapter> CreateAsync(string carrierId, CarrierOptions options, CancellationToken cancellationToken)
    {
        Uri baseUrl;
        if (!string.IsNullOrWhiteSpace(options.Url))
            baseUrl = new Uri(options.Url);
        else if (services.GetService<ISimulatedCarriers>() is { } simulators) // registered only when simulators are enabled
            baseUrl = await simulators.HttpBaseUrlAsync(carrierId, cancellationToken);
        else
            throw new InvalidOperationException($"Carrier {carrierId} has no Loa:Carriers:{carrierId}:Url and simulators are off.");
        var client = http.CreateClient("carrier-" + carrierId);
        client.Timeout = Timeout.InfiniteTimeSpan; // the adapter enforces options.Timeout per call
        return new HttpBatchAdapter(carrierId, options, client, baseUrl);
    }
}
