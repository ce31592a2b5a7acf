using Loa.CarrierAdapters;

namespace Loa.CarrierSimulators;

/// <summary>
/// The built-in fake carriers, bound from <c>Loa:Simulators</c>. Every default describes a carrier
/// that accepts and delivers every message.
/// </summary>
public sealed class SimulatorOptions
{
    public const string Section = "Loa:Simulators";

    /// <summary>Whether the host is registered at all; the embedded default turns it on in Development.</summary>
    public bool Enabled { get; set; }

    /// <summary>Loopback port for all five carriers; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>How long after accepting a batch its receipts are posted.</summary>
    public TimeSpan ReceiptDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Receipt status for every accepted message: <c>delivered</c>, <c>failed</c>, <c>expired</c> or
    /// <c>rejected</c>, as long as no outcome weight is set.
    /// </summary>
    public string ReceiptStatus { get; set; } = "delivered";

    // The fault controls of SimulatorBehaviour, for every carrier; each property there says what it does.

    public TimeSpan LatencyMedian { get; set; }

    public TimeSpan LatencyP99 { get; set; }

    public double ServerErrorRatio { get; set; }

    public int ServerErrorStatus { get; set; } = 503;

    public double TimeoutRatio { get; set; }

    public TimeSpan TimeoutHold { get; set; } = TimeSpan.FromSeconds(30);

    public int MaxPartsPerSecond { get; set; }

    public double DeliveredWeight { get; set; }

    public double FailedWeight { get; set; }

    public double ExpiredWeight { get; set; }

    public double RejectedWeight { get; set; }

    public double DuplicateReceiptRatio { get; set; }

    public TimeSpan DuplicateReceiptDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public double OutOfOrderReceiptRatio { get; set; }

    public TimeSpan OutOfOrderHold { get; set; } = TimeSpan.FromSeconds(5);

    public double EarlyReceiptRatio { get; set; }

    public int? Seed { get; set; }

    /// <summary>
    /// One carrier's own behaviour settings (<c>Loa:Simulators:Carriers:&lt;id&gt;:&lt;Field&gt;</c>), each
    /// overriding the global one of the same name, so that one carrier can start throttled or failing.
    /// </summary>
    public Dictionary<string, SimulatedCarrierOptions> Carriers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Accepted batches remembered per carrier in the arrival log, oldest forgotten first.</summary>
    public int ArrivalsKept { get; set; } = 100_000;

    /// <summary>Attempts per receipt post (connection error or non-2xx answer) before it is given up.</summary>
    public int ReceiptAttempts { get; set; } = 5;

    /// <summary>Wait before the second attempt; it doubles for each attempt after that.</summary>
    public TimeSpan ReceiptRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long one receipt post may take.</summary>
    public TimeSpan ReceiptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Receipt posts in flight at once, across carriers, so a burst does not flood the webhook.</summary>
    public int MaxConcurrentReceiptPosts { get; set; } = 16;

    /// <summary>
    /// Idempotency keys remembered per carrier, oldest forgotten first. A crashed sender repeats a
    /// recent batch, so a window is enough and keeps a long run's memory flat.
    /// </summary>
    public int IdempotencyKeysKept { get; set; } = 10_000;

    /// <summary>The carrier's own settings, whatever the case of its id in the configuration.</summary>
    public SimulatedCarrierOptions? CarrierSettings(string carrierId)
    {
        foreach (var (id, settings) in Carriers)
        {
            if (string.Equals(id, carrierId, StringComparison.OrdinalIgnoreCase))
                return settings;
        }
        return null;
    }
}

/// <summary>
/// One simulated carrier's behaviour settings under <c>Loa:Simulators:Carriers:&lt;id&gt;</c>. A field
/// left out keeps the global <c>Loa:Simulators</c> value; the names are those of <see cref="SimulatorBehaviour"/>.
/// </summary>
public sealed class SimulatedCarrierOptions
{
    public TimeSpan? LatencyMedian { get; set; }

    public TimeSpan? LatencyP99 { get; set; }

    public double? ServerErrorRatio { get; set; }

    public int? ServerErrorStatus { get; set; }

    public double? TimeoutRatio { get; set; }

    public TimeSpan? TimeoutHold { get; set; }

    public int? MaxPartsPerSecond { get; set; }

    public TimeSpan? ReceiptDelay { get; set; }

    public string? ReceiptStatus { get; set; }

    public double? DeliveredWeight { get; set; }

    public double? FailedWeight { get; set; }

    public double? ExpiredWeight { get; set; }

    public double? RejectedWeight { get; set; }

    public double? DuplicateReceiptRatio { get; set; }

    public TimeSpan? DuplicateReceiptDelay { get; set; }

    public double? OutOfOrderReceiptRatio { get; set; }

    public TimeSpan? OutOfOrderHold { get; set; }

    public double? EarlyReceiptRatio { get; set; }

    public int? Seed { get; set; }

    /// <summary>The carrier's simulated SMSC (<c>Loa:Simulators:Carriers:&lt;id&gt;:Smsc</c>), for a carrier on <c>Adapter = Smpp</c>.</summary>
    public Loa.CarrierSimulators.Smsc.SmscSettings? Smsc { get; set; }

    public SimulatorBehaviour ApplyTo(SimulatorBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        return behaviour with
        {
            LatencyMedian = LatencyMedian ?? behaviour.LatencyMedian,
            LatencyP99 = LatencyP99 ?? behaviour.LatencyP99,
            ServerErrorRatio = ServerErrorRatio ?? behaviour.ServerErrorRatio,
            ServerErrorStatus = ServerErrorStatus ?? behaviour.ServerErrorStatus,
            TimeoutRatio = TimeoutRatio ?? behaviour.TimeoutRatio,
            TimeoutHold = TimeoutHold ?? behaviour.TimeoutHold,
            MaxPartsPerSecond = MaxPartsPerSecond ?? behaviour.MaxPartsPerSecond,
            ReceiptDelay = ReceiptDelay ?? behaviour.ReceiptDelay,
            ReceiptStatus = ReceiptStatus ?? behaviour.ReceiptStatus,
            DeliveredWeight = DeliveredWeight ?? behaviour.DeliveredWeight,
            FailedWeight = FailedWeight ?? behaviour.FailedWeight,
            ExpiredWeight = ExpiredWeight ?? behaviour.ExpiredWeight,
            RejectedWeight = RejectedWeight ?? behaviour.RejectedWeight,
            DuplicateReceiptRatio = DuplicateReceiptRatio ?? behaviour.DuplicateReceiptRatio,
            DuplicateReceiptDelay = DuplicateReceiptDelay ?? behaviour.DuplicateReceiptDelay,
            OutOfOrderReceiptRatio = OutOfOrderReceiptRatio ?? behaviour.OutOfOrderReceiptRatio,
            OutOfOrderHold = OutOfOrderHold ?? behaviour.OutOfOrderHold,
            EarlyReceiptRatio = EarlyReceiptRatio ?? behaviour.EarlyReceiptRatio,
            Seed = Seed ?? behaviour.Seed,
        };
    }
}
