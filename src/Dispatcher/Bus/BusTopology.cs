using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;
using Microsoft.Extensions.Configuration;

namespace Loa.Dispatcher.Bus;

/// <summary>
/// One send lane: a carrier, or one of k slices of it (<c>Loa:Carriers:&lt;id&gt;:Lanes</c>), each
/// with its own queue, its own single active consumer and limit/k of the carrier's rate.
/// </summary>
public sealed record Lane(string Carrier, int Index, int Count)
{
    public string Name => Count == 1 ? Carrier : $"{Carrier}-{Index + 1}";

    /// <summary>This lane's share of the carrier's contracted parts per second.</summary>
    public int Share(int carrierLimit) => Math.Max(1, carrierLimit / Count);
}

/// <summary>How RabbitMQ keeps Loa's durable queues (<c>Loa:Bus:QueueType</c>).</summary>
public enum QueueType
{
    /// <summary>Replicated over the cluster (Raft); a queue survives the loss of a minority of nodes. No priorities.</summary>
    Quorum,

    /// <summary>One node holds the queue; a lane is one priority queue.</summary>
    Classic,
}

/// <summary>
/// The queues of a Loa deployment: one planner queue and the send lanes. Every name starts with
/// <c>Loa:Bus:Prefix</c> (default <c>loa</c>) so that two deployments, or two tests, can share a broker.
/// Quorum queues have names of their own (<c>-launch-quorum</c>, a class after the lane), so a
/// deployment that changes <c>Loa:Bus:QueueType</c> never redeclares a classic queue as quorum (the
/// broker refuses that): the old queues are left to drain and be deleted (README, "The broker").
/// </summary>
public sealed class BusTopology
{
    private readonly string prefix;
    private readonly Dictionary<string, Lane[]> lanesByCarrier;

    public BusTopology(IConfiguration configuration)
    {
        prefix = configuration["Loa:Bus:Prefix"] is { Length: > 0 } p ? p : "loa";
        Transport = BusSetup.ReadTransport(configuration);
        var queueType = configuration["Loa:Bus:QueueType"];
        QueueType = string.IsNullOrEmpty(queueType) ? QueueType.Quorum
            : Enum.TryParse<QueueType>(queueType, ignoreCase: true, out var q) ? q
            : throw new InvalidOperationException($"Loa:Bus:QueueType must be Quorum or Classic, not '{queueType}'.");
        lanesByCarrier = CarrierIds.All.ToDictionary(
            id => id,
            id =>
            {
                var count = Math.Clamp(configuration.GetValue($"Loa:Carriers:{id}:Lanes", 1), 1, 64);
                return Enumerable.Range(0, count).Select(i => new Lane(id, i, count)).ToArray();
            });
        // Lanes per push app (Loa:Push:Apps:<app>:Lanes, default 1), carrier id push-<app>: each lane's single
        // active consumer keeps its share of the app's rate (FCM's project quota, or what Apple tolerates), as for a carrier.
        foreach (var app in configuration.GetSection(PushAppOptions.Section).GetChildren())
        {
            var id = PushAdapterFactory.CarrierIdOf(app.Key);
            var count = Math.Clamp(app.GetValue(nameof(PushAppOptions.Lanes), 1), 1, 64);
            lanesByCarrier[id] = Enumerable.Range(0, count).Select(i => new Lane(id, i, count)).ToArray();
        }
    }

    public Transport Transport { get; }

    /// <summary>Only on RabbitMQ; the in-memory transport has neither.</summary>
    public QueueType QueueType { get; }

    /// <summary>One priority queue per lane (classic RabbitMQ queues); otherwise a queue per lane and class.</summary>
    public bool PriorityQueues => Transport == Transport.RabbitMq && QueueType == QueueType.Classic;

    public bool QuorumQueues => Transport == Transport.RabbitMq && QueueType == QueueType.Quorum;

    public string Launch => QuorumQueues ? $"{prefix}-launch-quorum" : $"{prefix}-launch";

    /// <summary>
    /// On RabbitMQ the launch queue must exist before any dispatcher has started, so that a launch sent
    /// then waits in it instead of being dropped by an exchange with nothing bound to it. A classic one
    /// is declared by whoever sends (the address binds it; it has no arguments to disagree on); a quorum
    /// one by <see cref="LaunchQueue"/> when the bus starts, as a send address cannot carry queue arguments.
    /// </summary>
    public Uri LaunchAddress => PriorityQueues ? new($"exchange:{Launch}?bind=true&queue={Launch}") : Address(Launch);

    public IEnumerable<Lane> Lanes => lanesByCarrier.Values.SelectMany(l => l);

    /// <summary>Batches spread over a carrier's lanes by id, so a retry goes back to the same lane.</summary>
    public Lane LaneOf(string carrier, long batchId)
    {
        var lanes = lanesByCarrier.TryGetValue(carrier, out var l) ? l : throw new ArgumentException($"Unknown carrier '{carrier}'.", nameof(carrier));
        return lanes[(int)(batchId % lanes.Length)];
    }

    /// <summary>
    /// The queue a lane reads. With classic RabbitMQ queues a lane is one priority queue, so its single
    /// active consumer takes the most urgent batch first. Quorum queues and the in-memory transport have
    /// no such priorities, so there a lane reads a queue per class and its gate (see Sending/LaneGate)
    /// lets emergency work in first, then warnings, then bulk.
    /// </summary>
    public string Queue(Lane lane, PriorityClass? priorityClass = null) =>
        PriorityQueues || priorityClass is not { } c
            ? $"{prefix}-send-{lane.Name}"
            : $"{prefix}-send-{lane.Name}-{c.ToString().ToLowerInvariant()}";

    public Uri SendAddress(Lane lane, int priority) => Address(Queue(lane, PriorityClasses.Of(priority)));

    // Sending to the exchange (not "queue:") leaves the queue's declaration, with its
    // single-active-consumer and priority arguments, to the lane that consumes it. Until a lane has
    // declared its queue the broker returns what is sent to it (see Sending/BatchPublisher).
    private static Uri Address(string name) => new($"exchange:{name}");
}

/// <summary>The order a lane takes work in: every emergency batch, then every warning batch, then bulk.</summary>
public enum PriorityClass
{
    Emergency,
    Warning,
    Bulk,
}

/// <summary>Batch priorities: 0 emergency, 1 warning; 2 awareness, 3 test (bulk). Lower goes first.</summary>
public static class PriorityClasses
{
    public const int Lowest = 3;

    public static PriorityClass Of(int priority) => priority switch
    {
        <= 0 => PriorityClass.Emergency,
        1 => PriorityClass.Warning,
        _ => PriorityClass.Bulk,
    };

    /// <summary>The batch priorities of a class, lowest first (what <see cref="Of"/> maps to it).</summary>
    public static (int First, int Last) Range(PriorityClass priorityClass) => priorityClass switch
    {
        PriorityClass.Emergency => (int.MinValue, 0),
        PriorityClass.Warning => (1, 1),
        _ => (2, int.MaxValue),
    };

    /// <summary>RabbitMQ priorities run the other way: higher is delivered first.</summary>
    public static byte BrokerPriority(int priority) => (byte)(Lowest - Math.Clamp(priority, 0, Lowest));
}
