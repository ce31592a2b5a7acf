using System.Diagnostics.Metrics;
using Loa.CarrierAdapters;
using Loa.Contracts;
using Loa.Storage.Backlog;
using Microsoft.Extensions.Logging;

namespace Loa.Dispatcher.Telemetry;

/// <summary>
/// Database-wide gauges, so every instance that reports them reports the same value (aggregate with
/// max, not sum): <c>loa_backlog_deliveries{carrier}</c>, <c>loa_backlog_oldest_seconds{carrier}</c> and
/// <c>loa_campaigns_failed_recent{kind}</c>. A scrape reads the database at most once per
/// <see cref="MaxAge"/>; a failed read reports nothing rather than stale or zero figures.
/// </summary>
public sealed class BacklogMetrics
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    /// <summary>How long a campaign that ended failed keeps <c>loa_campaigns_failed_recent</c> above zero.</summary>
    public static readonly TimeSpan FailedWindow = TimeSpan.FromHours(1);

    private readonly TimeProvider time;

    public BacklogMetrics(IMeterFactory meters, BacklogStore store, TimeProvider time, ILogger<BacklogMetrics> logger)
    {
        this.time = time;
        // Every carrier and every kind is reported, at zero when idle, so that an alert sees
        // "nothing waiting" or "nothing failed" rather than no series.
        var backlog = new Snapshot<IReadOnlyList<CarrierBacklog>>(time, logger, "the backlog", async () =>
        {
            var read = await store.ByCarrierAsync();
            return read.Concat(CarrierIds.All.Where(c => read.All(b => b.Carrier != c)).Select(c => new CarrierBacklog(c, 0, null))).ToList();
        });
        var failed = new Snapshot<IReadOnlyDictionary<string, long>>(time, logger, "failed campaigns", async () =>
        {
            var read = await store.FailedCampaignsSinceAsync(time.GetUtcNow() - FailedWindow);
            return CampaignKind.All.ToDictionary(k => k, k => read.GetValueOrDefault(k));
        });

        var meter = meters.Create(LoaTelemetry.MeterName);
        meter.CreateObservableGauge("loa_backlog_deliveries",
            () => (backlog.Read() ?? []).Select(b => new Measurement<long>(b.Queued, new KeyValuePair<string, object?>("carrier", b.Carrier))),
            description: "Deliveries planned and not yet submitted, for running campaigns.");
        meter.CreateObservableGauge("loa_backlog_oldest_seconds",
            () => (backlog.Read() ?? []).Select(b => new Measurement<double>(b.OldestDueAt is { } at ? Math.Max(0, (Now - at) / 1000.0) : 0, new KeyValuePair<string, object?>("carrier", b.Carrier))),
            description: "Seconds the longest-waiting batch that may be sent now has been waiting (0 when none).");
        meter.CreateObservableGauge("loa_campaigns_failed_recent",
            () => (failed.Read() ?? new Dictionary<string, long>()).Select(f => new Measurement<long>(f.Value, new KeyValuePair<string, object?>("kind", f.Key))),
            description: "Campaigns that ended failed (reached nobody they tried to) in the last hour.");
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>One database read shared by a scrape's callbacks, at most every <see cref="MaxAge"/>; null after a failed read.</summary>
    private sealed class Snapshot<T>(TimeProvider time, ILogger logger, string what, Func<Task<T>> read) where T : class
    {
        private readonly Lock sync = new();
        private T? last;
        private DateTimeOffset readAt = DateTimeOffset.MinValue;

        public T? Read()
        {
            lock (sync)
            {
                var now = time.GetUtcNow();
                if (now - readAt < MaxAge)
                    return last;
                readAt = now;
                try
                {
                    // Gauge callbacks are synchronous; each read is one or two small indexed queries.
                    last = read().GetAwaiter().GetResult();
                }
                catch (Exception e)
                {
                    last = null;
                    logger.LogWarning(e, "Could not read {What} for metrics", what);
                }
                return last;
            }
        }
    }
}
