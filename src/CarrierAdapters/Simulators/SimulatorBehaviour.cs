namespace Loa.CarrierAdapters.Simulators;

/// <summary>
/// How one simulated carrier acts. The submit handler and the receipt sender read the current value
/// once per batch, so a test can swap it mid-run with <see cref="CarrierSimulatorHost.SetBehaviour"/>.
/// Fault injection (latency, 5xx and timeout ratios, throttling above a rate, receipt outcome
/// ratios) belongs here as further properties whose defaults keep today's behaviour.
/// </summary>
public sealed record SimulatorBehaviour
{
    public static readonly IReadOnlyList<string> ReceiptStatuses = ["delivered", "failed", "expired", "rejected"];

    public TimeSpan ReceiptDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary><c>delivered</c>, <c>failed</c>, <c>expired</c> or <c>rejected</c>.</summary>
    public string ReceiptStatus
    {
        get;
        init => field = ReceiptStatuses.Contains(value)
            ? value
            : throw new ArgumentException($"Receipt status must be one of {string.Join(", ", ReceiptStatuses)}.", nameof(value));
    } = "delivered";

    public static SimulatorBehaviour From(SimulatorOptions options) => new()
    {
        ReceiptDelay = options.ReceiptDelay < TimeSpan.Zero ? TimeSpan.Zero : options.ReceiptDelay,
        ReceiptStatus = options.ReceiptStatus,
    };
}
