namespace Loa.CarrierAdapters.Simulators;

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

    /// <summary>Receipt status for every accepted message: <c>delivered</c>, <c>failed</c>, <c>expired</c> or <c>rejected</c>.</summary>
    public string ReceiptStatus { get; set; } = "delivered";

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
}
