using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;
using Loa.CarrierAdapters.Simulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Sending;

/// <summary>One carrier's lane in this process: its adapter and its token bucket (SMS parts per second).</summary>
public sealed class CarrierLane(ICarrierAdapter adapter, CarrierOptions options)
{
    private readonly TokenBucketRateLimiter bucket = new(new TokenBucketRateLimiterOptions
    {
        // Refilled ten times a second so that a second's worth of parts is spread out, not sent at once.
        TokenLimit = Math.Max(1, options.PartsPerSecond),
        TokensPerPeriod = Math.Max(1, options.PartsPerSecond / 10),
        ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    });

    public ICarrierAdapter Adapter => adapter;

    public CarrierOptions Options => options;

    /// <summary>Waits until the bucket holds <paramref name="parts"/> tokens (taken in bucket-sized bites).</summary>
    public async Task AcquireAsync(int parts, CancellationToken cancellationToken)
    {
        var remaining = parts;
        while (remaining > 0)
        {
            var take = Math.Min(remaining, Math.Max(1, options.PartsPerSecond));
            using var lease = await bucket.AcquireAsync(take, cancellationToken);
            if (!lease.IsAcquired)
                throw new InvalidOperationException("The lane's token bucket refused a request it should queue.");
            remaining -= take;
        }
    }
}

/// <summary>
/// The lanes of this process, one per carrier, built on first use. A carrier with no URL is served by
/// the built-in simulator when simulators run; otherwise the configured URL is used as is, so any
/// server that speaks the batch interface just works.
/// </summary>
public sealed class CarrierLanes(IServiceProvider services, IOptionsMonitor<CarrierOptions> carriers, IHttpClientFactory http)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<CarrierLane>>> lanes = new();

    public Task<CarrierLane> GetAsync(string carrier, CancellationToken cancellationToken) =>
        lanes.GetOrAdd(carrier, id => new Lazy<Task<CarrierLane>>(() => CreateAsync(id, cancellationToken))).Value;

    private async Task<CarrierLane> CreateAsync(string carrier, CancellationToken cancellationToken)
    {
        var options = carriers.Get(carrier);
        if (!string.Equals(options.Adapter, "HttpBatch", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Carrier {carrier}: adapter '{options.Adapter}' is not available (HttpBatch is).");
        Uri baseUrl;
        if (!string.IsNullOrWhiteSpace(options.Url))
            baseUrl = new Uri(options.Url);
        else if (services.GetService<CarrierSimulatorHost>() is { } simulators) // registered only when simulators are enabled
            baseUrl = await simulators.GetBaseUrlAsync(carrier, cancellationToken);
        else
            throw new InvalidOperationException($"Carrier {carrier} has no Loa:Carriers:{carrier}:Url and simulators are off.");
        var client = http.CreateClient("carrier-" + carrier);
        client.Timeout = Timeout.InfiniteTimeSpan; // the adapter enforces options.Timeout per call
        return new CarrierLane(new HttpBatchAdapter(carrier, options, client, baseUrl), options);
    }
}
