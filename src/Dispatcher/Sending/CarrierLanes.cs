using System.Collections.Concurrent;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;
using Loa.Dispatcher.Bus;
using Loa.Storage.Lanes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Sending;

/// <summary>
/// One send lane in this process: the carrier's adapter, the gate that puts urgent work first, each
/// class's fair share between tenants, and the lane's rate.
/// </summary>
public sealed class SendLane(Lane lane, ICarrierAdapter adapter, CarrierOptions options, LaneRate rate, SentRate sent, Func<string, double>? weights = null, TimeProvider? time = null, LaneLease? lease = null)
{
    private readonly FairShare[] shares = Enum.GetValues<PriorityClass>()
        .Select(_ => new FairShare(weights ?? (_ => 1), time ?? TimeProvider.System)).ToArray();

    public Lane Lane => lane;

    public ICarrierAdapter Adapter => adapter;

    public CarrierOptions Options => options;

    public LaneGate Gate { get; } = new();

    public LaneRate Rate => rate;

    /// <summary>This process's hold on the lane among several dispatchers (always held when it is the only one).</summary>
    public LaneLease Lease { get; } = lease ?? LaneLease.Unshared();

    /// <summary>Whose batch of <paramref name="priorityClass"/> goes next when several tenants wait.</summary>
    public FairShare Share(PriorityClass priorityClass) => shares[(int)priorityClass];

    /// <summary>Parts this lane actually handed over, per second (for the lane rate gauge).</summary>
    public SentRate Sent => sent;
}

/// <summary>
/// The lanes of this process, built on first use: each with the adapter its carrier's <c>Adapter</c>
/// setting chooses (<see cref="CarrierAdapterFactory"/>), its share of the carrier's rate, and the gate
/// that puts urgent work first. A build that fails (a simulator not up yet, an SMSC that refuses the
/// bind) is forgotten, so the next batch tries again instead of the lane staying broken until restart.
/// </summary>
public sealed class CarrierLanes(
    CarrierAdapterFactory adapters,
    IOptionsMonitor<CarrierOptions> carriers,
    IOptions<DispatcherOptions> dispatcher,
    BusTopology topology,
    TimeProvider time,
    PushAdapterFactory pushAdapters,
    PushApps pushApps,
    IOptionsMonitor<PushAppOptions> pushOptions,
    LaneLeaseStore leases,
    ILoggerFactory loggers) : IDisposable
{
    // This process among the dispatchers that may read a lane's queues (one per container, so that
    // two dispatchers hosted in one test process are two holders).
    private readonly string holder = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():n}";

    private readonly ConcurrentDictionary<string, Lazy<Task<SendLane>>> lanes = new();

    // A lane is built for the process, not for the batch that asked first: one caller's cancellation
    // must not fail the build for every batch after it. Only disposal stops a build.
    private readonly CancellationTokenSource stopping = new();

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

    public async Task<SendLane> GetAsync(Lane lane, CancellationToken cancellationToken)
    {
        var entry = lanes.GetOrAdd(lane.Name, _ => new Lazy<Task<SendLane>>(() => CreateAsync(lane, stopping.Token)));
        try
        {
            return await entry.Value.WaitAsync(cancellationToken);
        }
        catch when (entry.Value.IsFaulted || entry.Value.IsCanceled)
        {
            // Only this failed build is removed: a newer one another caller started stays.
            lanes.TryRemove(KeyValuePair.Create(lane.Name, entry));
            throw;
        }
    }

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
        CarrierOptions options;
        ICarrierAdapter adapter;
        if (PushLanes.IsPush(lane.Carrier))
        {
            // A push app's lane: its adapter from the push factory (FCM or APNs by the app's Provider), its rate the app's.
            var app = PushLanes.App(pushApps, lane.Carrier);
            options = PushLanes.Options(pushOptions.Get(app));
            adapter = await pushAdapters.CreateAsync(app, cancellationToken);
        }
        else
        {
            options = carriers.Get(lane.Carrier);
            adapter = await adapters.CreateAsync(lane.Carrier, cancellationToken);
        }
        // Only RabbitMQ has standby dispatchers, one of which may have sent this lane's second just now.
        // In memory the lane is this process's alone: an emergency in its first second need not wait.
        var rate = new LaneRate(lane.Share(options.PartsPerSecond), dispatcher.Value.Rate, time, startsCold: topology.Transport == Transport.RabbitMq);
        var weights = dispatcher.Value.TenantWeights;
        // Quorum queues: a lane's class queues may have their active consumers in different processes,
        // so the one that sends holds the lane's lease. Elsewhere the lane is read by one consumer only.
        var lease = topology.QuorumQueues
            ? new LaneLease(leases, lane.Name, holder, rate, dispatcher.Value.LaneLease, time, loggers.CreateLogger<LaneLease>())
            : LaneLease.Unshared();
        return new SendLane(lane, adapter, options, rate, new SentRate(time), tenant => weights.GetValueOrDefault(tenant, 1), time, lease);
    }

    public void Dispose()
    {
        stopping.Cancel();
        foreach (var lane in Built)
        {
            lane.Lease.Dispose();
            lane.Rate.Dispose();
        }
        stopping.Dispose();
    }
}
