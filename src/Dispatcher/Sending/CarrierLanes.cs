using System.Collections.Concurrent;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;
using Loa.CarrierAdapters.Simulators;
using Loa.Dispatcher.Bus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Sending;

/// <summary>One send lane in this process: the carrier's adapter, the gate that puts urgent work first, and the lane's rate.</summary>
public sealed class SendLane(Lane lane, ICarrierAdapter adapter, CarrierOptions options, LaneRate rate, SentRate sent)
{
    public Lane Lane => lane;

    public ICarrierAdapter Adapter => adapter;

    public CarrierOptions Options => options;

    public LaneGate Gate { get; } = new();

    public LaneRate Rate => rate;

    /// <summary>Parts this lane actually handed over, per second (for the lane rate gauge).</summary>
    public SentRate Sent => sent;
}

/// <summary>
/// The lanes of this process, built on first use. A carrier with no URL is served by the built-in
/// simulator when simulators run; otherwise the configured URL is used as is, so any server that
/// speaks the batch interface just works.
/// </summary>
public sealed class CarrierLanes(
    IServiceProvider services,
    IOptionsMonitor<CarrierOptions> carriers,
    IOptions<DispatcherOptions> dispatcher,
    IHttpClientFactory http,
    BusTopology topology,
    TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<SendLane>>> lanes = new();

    /// <summary>The lanes built so far (for metrics and tests).</summary>
    public IEnumerable<SendLane> Built =>
        lanes.Values.Where(l => l.IsValueCreated && l.Value.IsCompletedSuccessfully).Select(l => l.Value.Result);

    /// <summary>
    /// An urgent batch at a saturated lane waits for the bulk batch already in the lane (its pacing) and
    /// then for that batch's tokens to come back: about two batches' worth of the lane's time. Batches of
    /// a whole lane-second made that a second (issue 7 measured 1.08 s p99 at 1,000 parts/s); a quarter
    /// second keeps it near half a second, at the cost of more, smaller submits on slow lanes only (fast
    /// lanes are capped by MaxBatchSize long before).
    /// </summary>
    public const int DefaultBurstShare = 4;

    public Task<SendLane> GetAsync(Lane lane, CancellationToken cancellationToken) =>
        lanes.GetOrAdd(lane.Name, _ => new Lazy<Task<SendLane>>(() => CreateAsync(lane, cancellationToken))).Value;

    /// <summary>
    /// Most messages per batch for a campaign whose SMS has <paramref name="parts"/> parts: by default a
    /// quarter of what its lane may send in a second (<see cref="DefaultBurstShare"/>), never more than a second.
    /// </summary>
    public static int BatchSize(CarrierOptions options, int parts)
    {
        var laneShare = Math.Max(1, options.PartsPerSecond / Math.Clamp(options.Lanes, 1, 64));
        var burst = options.BurstParts is > 0 and var b ? Math.Min(laneShare, b) : Math.Max(1, laneShare / DefaultBurstShare);
        return Math.Clamp(burst / Math.Max(1, parts), 1, Math.Max(1, options.MaxBatchSize));
    }

    private async Task<SendLane> CreateAsync(Lane lane, CancellationToken cancellationToken)
    {
        var options = carriers.Get(lane.Carrier);
        if (!string.Equals(options.Adapter, "HttpBatch", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Carrier {lane.Carrier}: adapter '{options.Adapter}' is not available (HttpBatch is).");
        Uri baseUrl;
        if (!string.IsNullOrWhiteSpace(options.Url))
            baseUrl = new Uri(options.Url);
        else if (services.GetService<CarrierSimulatorHost>() is { } simulators) // registered only when simulators are enabled
            baseUrl = await simulators.GetBaseUrlAsync(lane.Carrier, cancellationToken);
        else
            throw new InvalidOperationException($"Carrier {lane.Carrier} has no Loa:Carriers:{lane.Carrier}:Url and simulators are off.");
        var client = http.CreateClient("carrier-" + lane.Carrier);
        client.Timeout = Timeout.InfiniteTimeSpan; // the adapter enforces options.Timeout per call
        // Only RabbitMQ has standby dispatchers, one of which may have sent this lane's second just now.
        // In memory the lane is this process's alone: an emergency in its first second need not wait.
        var rate = new LaneRate(lane.Share(options.PartsPerSecond), dispatcher.Value.Rate, time, startsCold: topology.Transport == Transport.RabbitMq);
        return new SendLane(lane, new HttpBatchAdapter(lane.Carrier, options, client, baseUrl), options, rate, new SentRate(time));
    }

    public void Dispose()
    {
        foreach (var lane in Built)
            lane.Rate.Dispose();
    }
}
