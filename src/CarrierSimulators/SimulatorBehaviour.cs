using Loa.CarrierAdapters;

namespace Loa.CarrierSimulators;

/// <summary>
/// How one simulated carrier acts: how it answers submits (latency, 5xx, held answers, throttling)
/// and how it sends receipts (delay, outcome mixture, duplicates, out-of-order and early posts).
/// The submit handler reads the current value once per batch, so a test (or the admin endpoint)
/// can swap it mid-run with <see cref="CarrierSimulatorHost.SetBehaviour"/>. The defaults accept
/// every batch at once and deliver every message: the behaviour the simulators had before faults.
/// </summary>
public sealed record SimulatorBehaviour
{
    public static readonly IReadOnlyList<string> ReceiptStatuses = ["delivered", "failed", "expired", "rejected"];

    /// <summary>Longest any duration may be set to; Task.Delay refuses much beyond a month anyway.</summary>
    public static readonly TimeSpan LongestDuration = TimeSpan.FromDays(1);

    // z of the 99th percentile of the standard normal distribution.
    private const double Z99 = 2.3263478740408408;

    /// <summary>Median wait before a submit is answered; zero answers at once.</summary>
    public TimeSpan LatencyMedian { get; init; }

    /// <summary>
    /// 99th percentile of the answer latency, which is then log-normal around <see cref="LatencyMedian"/>
    /// (never more than ten times this). Zero (or equal to the median) makes every answer wait the median.
    /// </summary>
    public TimeSpan LatencyP99 { get; init; }

    /// <summary>Share of submits answered <see cref="ServerErrorStatus"/> without taking anything.</summary>
    public double ServerErrorRatio { get; init; }

    /// <summary>What a server error answers: 503 by default, any 5xx allowed.</summary>
    public int ServerErrorStatus { get; init; } = 503;

    /// <summary>
    /// Share of submits that are accepted and recorded but whose answer is held for
    /// <see cref="TimeoutHold"/> (or until the client hangs up), so that the client times out.
    /// </summary>
    public double TimeoutRatio { get; init; }

    public TimeSpan TimeoutHold { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// SMS parts this carrier takes per wall-clock second; a submit that would go above it is
    /// answered 429 with <c>Retry-After</c> and takes nothing. Zero is unlimited.
    /// </summary>
    public int MaxPartsPerSecond { get; init; }

    /// <summary>How long after accepting a batch its receipts are posted.</summary>
    public TimeSpan ReceiptDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// <c>delivered</c>, <c>failed</c>, <c>expired</c> or <c>rejected</c>: the status of every receipt
    /// while all four outcome weights are zero (the default). Any non-zero weight takes over.
    /// </summary>
    public string ReceiptStatus
    {
        get;
        init => field = ReceiptStatuses.Contains(value)
            ? value
            : throw new ArgumentException($"Receipt status must be one of {string.Join(", ", ReceiptStatuses)}.", nameof(value));
    } = "delivered";

    /// <summary>Relative weight of <c>delivered</c> when each receipt's status is drawn (weights need not add up to 1).</summary>
    public double DeliveredWeight { get; init; }

    public double FailedWeight { get; init; }

    public double ExpiredWeight { get; init; }

    public double RejectedWeight { get; init; }

    /// <summary>Share of receipts posted a second time, with the same content, <see cref="DuplicateReceiptDelay"/> after the first.</summary>
    public double DuplicateReceiptRatio { get; init; }

    public TimeSpan DuplicateReceiptDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Share of receipts held back (keeping their original <c>at</c>) until receipts of a later batch of
    /// this carrier have been posted, or <see cref="OutOfOrderHold"/> has passed, whichever comes first.
    /// </summary>
    public double OutOfOrderReceiptRatio { get; init; }

    public TimeSpan OutOfOrderHold { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Share of receipts posted, and acknowledged by the receipt URL, before the submit's answer is
    /// written: they reach Loa before it knows the carrier message ids. With
    /// <see cref="OutOfOrderReceiptRatio"/> it may add up to 1 at most.
    /// </summary>
    public double EarlyReceiptRatio { get; init; }

    /// <summary>Seeds the carrier's random draws when the behaviour is set, so that a run can be repeated exactly.</summary>
    public int? Seed { get; init; }

    /// <summary>True when the status of each receipt is drawn from the weights rather than fixed.</summary>
    public bool DrawsReceiptStatus => DeliveredWeight + FailedWeight + ExpiredWeight + RejectedWeight > 0;

    /// <summary>What is wrong with this behaviour, by property name; empty when it can be used.</summary>
    public IReadOnlyList<(string Property, string Problem)> Problems()
    {
        var problems = new List<(string, string)>();
        void Ratio(string property, double value)
        {
            if (!(value is >= 0 and <= 1))
                problems.Add((property, "must be between 0 and 1."));
        }
        void Weight(string property, double value)
        {
            if (!double.IsFinite(value) || value < 0)
                problems.Add((property, "must be a finite number of at least 0."));
        }
        void Duration(string property, TimeSpan value)
        {
            if (value < TimeSpan.Zero || value > LongestDuration)
                problems.Add((property, $"must be between 0 and {LongestDuration.TotalMilliseconds:0} ms."));
        }

        Duration(nameof(LatencyMedian), LatencyMedian);
        Duration(nameof(LatencyP99), LatencyP99);
        if (LatencyP99 > TimeSpan.Zero && LatencyP99 < LatencyMedian)
            problems.Add((nameof(LatencyP99), "must be 0 or at least the median latency."));
        if (LatencyP99 > TimeSpan.Zero && LatencyMedian == TimeSpan.Zero)
            problems.Add((nameof(LatencyP99), "needs a median latency above 0."));
        Ratio(nameof(ServerErrorRatio), ServerErrorRatio);
        if (ServerErrorStatus is < 500 or > 599)
            problems.Add((nameof(ServerErrorStatus), "must be a 5xx status code."));
        Ratio(nameof(TimeoutRatio), TimeoutRatio);
        Duration(nameof(TimeoutHold), TimeoutHold);
        if (MaxPartsPerSecond < 0)
            problems.Add((nameof(MaxPartsPerSecond), "must be at least 0 (0 is unlimited)."));
        Duration(nameof(ReceiptDelay), ReceiptDelay);
        Weight(nameof(DeliveredWeight), DeliveredWeight);
        Weight(nameof(FailedWeight), FailedWeight);
        Weight(nameof(ExpiredWeight), ExpiredWeight);
        Weight(nameof(RejectedWeight), RejectedWeight);
        Ratio(nameof(DuplicateReceiptRatio), DuplicateReceiptRatio);
        Duration(nameof(DuplicateReceiptDelay), DuplicateReceiptDelay);
        Ratio(nameof(OutOfOrderReceiptRatio), OutOfOrderReceiptRatio);
        Duration(nameof(OutOfOrderHold), OutOfOrderHold);
        Ratio(nameof(EarlyReceiptRatio), EarlyReceiptRatio);
        if (EarlyReceiptRatio + OutOfOrderReceiptRatio > 1 + 1e-9)
            problems.Add((nameof(OutOfOrderReceiptRatio), "plus the early receipt ratio must not exceed 1."));
        return problems;
    }

    /// <summary>The built-in defaults with the global <c>Loa:Simulators</c> settings applied.</summary>
    public static SimulatorBehaviour From(SimulatorOptions options) => From(options, carrierId: null);

    /// <summary>
    /// The global <c>Loa:Simulators</c> settings, then the carrier's own
    /// <c>Loa:Simulators:Carriers:&lt;id&gt;</c> settings over them.
    /// </summary>
    public static SimulatorBehaviour From(SimulatorOptions options, string? carrierId)
    {
        ArgumentNullException.ThrowIfNull(options);
        var behaviour = new SimulatorBehaviour
        {
            LatencyMedian = options.LatencyMedian,
            LatencyP99 = options.LatencyP99,
            ServerErrorRatio = options.ServerErrorRatio,
            ServerErrorStatus = options.ServerErrorStatus,
            TimeoutRatio = options.TimeoutRatio,
            TimeoutHold = options.TimeoutHold,
            MaxPartsPerSecond = options.MaxPartsPerSecond,
            // A negative delay was always read as "at once"; configurations that relied on it keep working.
            ReceiptDelay = options.ReceiptDelay < TimeSpan.Zero ? TimeSpan.Zero : options.ReceiptDelay,
            ReceiptStatus = options.ReceiptStatus,
            DeliveredWeight = options.DeliveredWeight,
            FailedWeight = options.FailedWeight,
            ExpiredWeight = options.ExpiredWeight,
            RejectedWeight = options.RejectedWeight,
            DuplicateReceiptRatio = options.DuplicateReceiptRatio,
            DuplicateReceiptDelay = options.DuplicateReceiptDelay,
            OutOfOrderReceiptRatio = options.OutOfOrderReceiptRatio,
            OutOfOrderHold = options.OutOfOrderHold,
            EarlyReceiptRatio = options.EarlyReceiptRatio,
            Seed = options.Seed,
        };
        return carrierId is not null && options.CarrierSettings(carrierId) is { } own ? own.ApplyTo(behaviour) : behaviour;
    }

    /// <summary>One answer's latency: log-normal with the configured median and 99th percentile.</summary>
    internal TimeSpan DrawLatency(Random random)
    {
        if (LatencyMedian <= TimeSpan.Zero)
            return TimeSpan.Zero;
        if (LatencyP99 <= LatencyMedian)
            return LatencyMedian;
        var sigma = Math.Log(LatencyP99.TotalMilliseconds / LatencyMedian.TotalMilliseconds) / Z99;
        var ms = LatencyMedian.TotalMilliseconds * Math.Exp(sigma * StandardNormal(random));
        // The log-normal tail is unbounded; a simulated carrier that stalls for hours helps nobody.
        return TimeSpan.FromMilliseconds(Math.Min(ms, 10 * LatencyP99.TotalMilliseconds));
    }

    internal string DrawReceiptStatus(Random random)
    {
        if (!DrawsReceiptStatus)
            return ReceiptStatus;
        ReadOnlySpan<double> weights = [DeliveredWeight, FailedWeight, ExpiredWeight, RejectedWeight];
        var point = random.NextDouble() * (DeliveredWeight + FailedWeight + ExpiredWeight + RejectedWeight);
        var last = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0)
                continue;
            if (point < weights[i])
                return ReceiptStatuses[i];
            point -= weights[i];
            last = i;
        }
        // Only rounding gets here; the last status with any weight is the one the point fell short of.
        return ReceiptStatuses[last];
    }

    private static double StandardNormal(Random random)
    {
        // Box-Muller; 1 - NextDouble() is in (0, 1], so the logarithm is finite.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
