using System.Diagnostics.Metrics;

namespace Loa.Storage;

/// <summary>
/// Instruments moved by the stores, after their transaction commits (a rolled-back move is never
/// counted). Static, because the stores build their own per-transaction state; the meter has no
/// callbacks, so nothing here outlives a host.
/// </summary>
public static class DeliveryMetrics
{
    public const string MeterName = "Loa";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Exported as <c>loa_deliveries_total{carrier,kind,status}</c>: deliveries entering a status.</summary>
    public static readonly Counter<long> Deliveries = Meter.CreateCounter<long>(
        "loa_deliveries", description: "Deliveries entering a status (queued, submitted, delivered, failed, expired, cancelled, suppressed).");

    /// <summary>Exported as <c>loa_receipt_latency_seconds{carrier}</c>: from the carrier's acceptance to the final receipt.</summary>
    public static readonly Histogram<double> ReceiptLatency = Meter.CreateHistogram<double>(
        "loa_receipt_latency_seconds", description: "Seconds from submit to the final receipt of a delivery.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600] });
}
