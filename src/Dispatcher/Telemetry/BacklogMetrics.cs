using System.Diagnostics.Metrics;
using Loa.CarrierAdapters;
using Loa.Storage.Backlog;
using Microsoft.Extensions.Logging;

namespace Loa.Dispatcher.Telemetry;

/// <summary>
/// <c>loa_backlog_deliveries{carrier}</c> and <c>loa_backlog_oldest_seconds{carrier}</c>: database-wide
/// figures, so every instance that reports them reports the same value (aggregate with max, not sum).
/// A scrape reads the database at most once per <see cref="MaxAge"/>; a failed read reports nothing
/// rather than stale or zero figures.
/// </summary>
public sealed class BacklogMetrics
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly BacklogStore store;
    private readonly TimeProvider time;
    private readonly ILogger<BacklogMetrics> logger;
    private readonly Lock sync = new();
    private IReadOnlyList<CarrierBacklog> last = [];
    private DateTimeOffset readAt = DateTimeOffset.MinValue;
    private bool lastFailed;

    public BacklogMetrics(IMeterFactory meters, BacklogStore store, TimeProvider time, ILogger<BacklogMetrics> logger)
    {
        this.store = store;
        this.time = time;
        this.logger = logger;
        var meter = meters.Create(LoaTelemetry.MeterName);
        meter.CreateObservableGauge("loa_backlog_deliveries",
            () => Read().Select(b => new Measurement<long>(b.Queued, new KeyValuePair<string, object?>("carrier", b.Carrier))),
            description: "Deliveries planned and not yet submitted, for running campaigns.");
        meter.CreateObservableGauge("loa_backlog_oldest_seconds",
            () => Read().Select(b => new Measurement<double>(b.OldestDueAt is { } at ? Math.Max(0, (Now - at) / 1000.0) : 0, new KeyValuePair<string, object?>("carrier", b.Carrier))),
            description: "Seconds the longest-waiting batch that may be sent now has been waiting (0 when none).");
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private IReadOnlyList<CarrierBacklog> Read()
    {
        lock (sync)
        {
            var now = time.GetUtcNow();
            if (now - readAt < MaxAge)
                return lastFailed ? [] : last;
            readAt = now;
            try
            {
                // Gauge callbacks are synchronous; the read is two small indexed queries.
                var read = store.ByCarrierAsync().GetAwaiter().GetResult();
                // Every carrier is reported, at zero when idle, so that an alert sees "nothing waiting" rather than no series.
                last = read.Concat(CarrierIds.All.Where(c => read.All(b => b.Carrier != c)).Select(c => new CarrierBacklog(c, 0, null))).ToList();
                lastFailed = false;
            }
            catch (Exception e)
            {
                lastFailed = true;
                logger.LogWarning(e, "Could not read the backlog for metrics");
            }
            return lastFailed ? [] : last;
        }
    }
}
