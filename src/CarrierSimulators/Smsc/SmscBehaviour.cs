using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierSimulators.Smsc;

public enum SmscReceiptForm
{
    /// <summary>Only the de-facto text in short_message.</summary>
    Text,

    /// <summary>receipted_message_id and message_state TLVs, short_message empty.</summary>
    Tlv,

    /// <summary>The text and the TLVs, as most SMSCs send them.</summary>
    Both,
}

/// <summary>
/// How the simulated SMSC acts: whom it binds, how it answers submit_sm, and what receipts it sends.
/// Read once per submit, so a test can swap it mid-run with <see cref="SmscSimulator.SetBehaviour"/>.
/// The defaults take every submit at once and deliver every message, one receipt per part.
/// </summary>
public sealed record SmscBehaviour
{
    /// <summary>Longest any duration may be set to, as for the HTTP simulators.</summary>
    public static readonly TimeSpan LongestDuration = SimulatorBehaviour.LongestDuration;

    /// <summary>The final states a receipt can carry by weight, in the order the weights are drawn.</summary>
    public static readonly IReadOnlyList<SmppMessageState> WeightedStates =
        [SmppMessageState.Delivered, SmppMessageState.Undeliverable, SmppMessageState.Expired, SmppMessageState.Rejected];

    // Shared, so that two default behaviours are equal records (a dictionary compares by reference).
    private static readonly IReadOnlyDictionary<uint, double> NoStatuses = new Dictionary<uint, double>();

    public string SystemId { get; init; } = "loa";

    public string Password { get; init; } = "secret";

    /// <summary>Wait before each submit_sm_resp; submits wait side by side, so a window fills up.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Submits taken per wall-clock second; above it, <see cref="SmppStatus.Throttled"/>. Zero is unlimited.</summary>
    public int MaxSubmitsPerSecond { get; init; }

    /// <summary>Share of submits answered ESME_RMSGQFUL.</summary>
    public double QueueFullRatio { get; init; }

    /// <summary>Share of submits answered with an error: <see cref="ErrorStatus"/>, or one drawn from <see cref="ErrorStatuses"/>.</summary>
    public double ErrorRatio { get; init; }

    public uint ErrorStatus { get; init; } = SmppStatus.InvalidDestinationAddress;

    /// <summary>
    /// Relative weights of the statuses an erring submit gets (need not add up to 1); when empty,
    /// every error is <see cref="ErrorStatus"/>. A real SMSC mixes permanent refusals (ESME_RINVDSTADR)
    /// with transient ones (ESME_RSYSERR), and the client must sort them.
    /// </summary>
    public IReadOnlyDictionary<uint, double> ErrorStatuses { get; init; } = NoStatuses;

    /// <summary>
    /// Submits taken normally before the connection that brings the next one is cut without a word
    /// (answers still waiting on <see cref="Latency"/> are never sent). Zero never drops. One drop per setting.
    /// </summary>
    public int DropAfterSubmits { get; init; }

    /// <summary>Delay of a receipt after the submit_sm_resp; null sends none.</summary>
    public TimeSpan? ReceiptDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public SmscReceiptForm ReceiptForm { get; init; } = SmscReceiptForm.Both;

    /// <summary>The state of every receipt while all four outcome weights are zero (the default).</summary>
    public SmppMessageState ReceiptState { get; init; } = SmppMessageState.Delivered;

    /// <summary>Relative weight of DELIVRD when each receipt's state is drawn; any non-zero weight overrides <see cref="ReceiptState"/>.</summary>
    public double DeliveredWeight { get; init; }

    /// <summary>Relative weight of UNDELIV.</summary>
    public double UndeliverableWeight { get; init; }

    /// <summary>Relative weight of EXPIRED.</summary>
    public double ExpiredWeight { get; init; }

    /// <summary>Relative weight of REJECTD.</summary>
    public double RejectedWeight { get; init; }

    /// <summary>Share of receipts that come late: after a delay drawn evenly between <see cref="LateReceiptDelay"/> and <see cref="LateReceiptDelayMax"/> instead of <see cref="ReceiptDelay"/>.</summary>
    public double LateReceiptRatio { get; init; }

    public TimeSpan LateReceiptDelay { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan LateReceiptDelayMax { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Share of asked-for receipts never sent, as for a handset that never comes back.</summary>
    public double MissingReceiptRatio { get; init; }

    /// <summary>Share of receipts sent a second time, same content, <see cref="DuplicateReceiptDelay"/> after the first.</summary>
    public double DuplicateReceiptRatio { get; init; }

    public TimeSpan DuplicateReceiptDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Share of receipts written before the submit_sm_resp that gives their message id: an SMSC that
    /// delivers at once and answers late does this, and the client must hold the receipt until it knows the id.
    /// With <see cref="LateReceiptRatio"/> it may add up to 1 at most.
    /// </summary>
    public double EarlyReceiptRatio { get; init; }

    /// <summary>
    /// One receipt per concatenated message, under its first part's id, once the last part is taken.
    /// Off by default: most SMSCs send one receipt per part, each under that part's own id.
    /// </summary>
    public bool ReceiptPerMessage { get; init; }

    /// <summary>
    /// The radix of message ids in submit_sm_resp and in receipts (the text's <c>id:</c> and receipted_message_id
    /// alike), as the client's <see cref="SmppOptions.ReceiptIds"/> names them: hex in both by default, or one
    /// in hex and the other in decimal, as many SMSCs do.
    /// </summary>
    public SmppReceiptIds ReceiptIds { get; init; }

    /// <summary>
    /// Serves TLS (1.2 or 1.3) with <see cref="SmscSimulator.Certificate"/>, a self-signed certificate made
    /// at start; a client trusts it through <c>Smpp:TlsCaFile</c> = <see cref="SmscCertificate.File"/>.
    /// Read as each connection is accepted.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>Reads data_coding 0 as packed septets (the client's <see cref="SmppOptions.PackGsm7"/>).</summary>
    public bool PackedGsm7 { get; init; }

    /// <summary>Reseeds the SMSC's random draws whenever this behaviour is set; null keeps the sequence going.</summary>
    public int? Seed { get; init; }

    /// <summary>True when each receipt's state is drawn from the weights rather than fixed.</summary>
    public bool DrawsReceiptState => DeliveredWeight + UndeliverableWeight + ExpiredWeight + RejectedWeight > 0;

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

        if (string.IsNullOrEmpty(SystemId) || SystemId.Length > 15)
            problems.Add((nameof(SystemId), "must be 1 to 15 characters (SMPP 3.4 system_id)."));
        if (Password is null || Password.Length > 8)
            problems.Add((nameof(Password), "must be at most 8 characters (SMPP 3.4 password)."));
        Duration(nameof(Latency), Latency);
        if (MaxSubmitsPerSecond < 0)
            problems.Add((nameof(MaxSubmitsPerSecond), "must be at least 0 (0 is unlimited)."));
        Ratio(nameof(QueueFullRatio), QueueFullRatio);
        Ratio(nameof(ErrorRatio), ErrorRatio);
        if (ErrorStatus == SmppStatus.Ok)
            problems.Add((nameof(ErrorStatus), "must not be ESME_ROK."));
        foreach (var (status, weight) in ErrorStatuses)
        {
            if (status == SmppStatus.Ok)
                problems.Add((nameof(ErrorStatuses), "must not name ESME_ROK."));
            if (!double.IsFinite(weight) || weight < 0)
                problems.Add((nameof(ErrorStatuses), $"weight of {SmppStatus.Name(status)} must be a finite number of at least 0."));
        }
        if (ErrorStatuses.Count > 0 && ErrorStatuses.Values.Sum() <= 0)
            problems.Add((nameof(ErrorStatuses), "needs a weight above 0, or no entries at all."));
        if (DropAfterSubmits < 0)
            problems.Add((nameof(DropAfterSubmits), "must be at least 0 (0 never drops)."));
        if (ReceiptDelay is { } delay)
            Duration(nameof(ReceiptDelay), delay);
        if (!Enum.IsDefined(ReceiptForm))
            problems.Add((nameof(ReceiptForm), "must be Text, Tlv or Both."));
        if (!Enum.IsDefined(ReceiptIds))
            problems.Add((nameof(ReceiptIds), "must be AsSubmitted, HexSubmittedDecimalReceipt or DecimalSubmittedHexReceipt."));
        if (!Enum.IsDefined(ReceiptState))
            problems.Add((nameof(ReceiptState), "must be an SMPP message_state."));
        Weight(nameof(DeliveredWeight), DeliveredWeight);
        Weight(nameof(UndeliverableWeight), UndeliverableWeight);
        Weight(nameof(ExpiredWeight), ExpiredWeight);
        Weight(nameof(RejectedWeight), RejectedWeight);
        Ratio(nameof(LateReceiptRatio), LateReceiptRatio);
        Duration(nameof(LateReceiptDelay), LateReceiptDelay);
        Duration(nameof(LateReceiptDelayMax), LateReceiptDelayMax);
        if (LateReceiptDelayMax < LateReceiptDelay)
            problems.Add((nameof(LateReceiptDelayMax), "must be at least the late receipt delay."));
        Ratio(nameof(MissingReceiptRatio), MissingReceiptRatio);
        Ratio(nameof(DuplicateReceiptRatio), DuplicateReceiptRatio);
        Duration(nameof(DuplicateReceiptDelay), DuplicateReceiptDelay);
        Ratio(nameof(EarlyReceiptRatio), EarlyReceiptRatio);
        if (EarlyReceiptRatio + LateReceiptRatio > 1 + 1e-9)
            problems.Add((nameof(LateReceiptRatio), "plus the early receipt ratio must not exceed 1."));
        return problems;
    }

    internal uint DrawErrorStatus(Random random)
    {
        if (ErrorStatuses.Count == 0)
            return ErrorStatus;
        // Sorted, so that the same seed draws the same status whatever order the dictionary was filled in.
        var weighted = ErrorStatuses.Where(e => e.Value > 0).OrderBy(e => e.Key).ToList();
        var point = random.NextDouble() * weighted.Sum(e => e.Value);
        foreach (var (status, weight) in weighted)
        {
            if (point < weight)
                return status;
            point -= weight;
        }
        return weighted[^1].Key;
    }

    internal SmppMessageState DrawReceiptState(Random random)
    {
        if (!DrawsReceiptState)
            return ReceiptState;
        ReadOnlySpan<double> weights = [DeliveredWeight, UndeliverableWeight, ExpiredWeight, RejectedWeight];
        var point = random.NextDouble() * (DeliveredWeight + UndeliverableWeight + ExpiredWeight + RejectedWeight);
        var last = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0)
                continue;
            if (point < weights[i])
                return WeightedStates[i];
            point -= weights[i];
            last = i;
        }
        // Only rounding gets here; the last state with any weight is the one the point fell short of.
        return WeightedStates[last];
    }
}
