using Loa.Dispatcher.Sending;

namespace Loa.Dispatcher;

/// <summary><c>Loa:Dispatcher</c>: how the planner pages and how long leases and retries last.</summary>
public sealed class DispatcherOptions
{
    /// <summary>Recipients per planner page: one transaction and one set of batches per page.</summary>
    public int PageSize { get; set; } = 5000;

    /// <summary>A planner that stops renewing this long is presumed dead; another resumes its campaign.</summary>
    public TimeSpan PlanLease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A lane that holds a batch this long without a result is presumed dead.</summary>
    public TimeSpan SendLease { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How often the sweeper looks for committed-but-unfinished work.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A batch published this long ago that no lane has taken is published again (its message was lost
    /// or dead-lettered). Long enough that a batch waiting behind a national backlog is rarely doubled.
    /// </summary>
    public TimeSpan RepublishAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long messages a carrier accepted wait for their delivery receipts. Whatever is still
    /// submitted then ends <c>expired</c> ("no delivery receipt …"), so a carrier that loses receipts
    /// cannot keep a campaign running forever. Fixed per batch when its results are recorded.
    /// </summary>
    public TimeSpan ReceiptTimeout { get; set; } = Loa.Storage.Batches.BatchLedger.DefaultReceiptTimeout;

    /// <summary>A launch no planner picked up within this time is sent again.</summary>
    public TimeSpan LaunchGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Backoff before each retry of a batch after a timeout, 5xx or connection error (jittered ±20 %).</summary>
    public TimeSpan[] RetrySchedule { get; set; } =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(5)];

    /// <summary>
    /// The campaign kinds whose messages are sent again after an unknown outcome (written to the
    /// carrier, never answered: SMPP has no idempotency key, so the carrier may have it). For these a
    /// duplicate is better than a miss; every other kind ends such a message <c>failed</c> with the
    /// reason "unknown outcome: …". Replaces, not extends, the default when configured.
    /// </summary>
    public string[] ResendUnknownKinds { get; set; } = [Loa.Contracts.CampaignKind.Emergency];

    /// <summary>Submits of one batch before its messages fail with the last reason.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>
    /// Each tenant's weight in its lanes' fair share (<c>Loa:Dispatcher:TenantWeights:&lt;tenant&gt;</c>, the
    /// tenant being <c>national</c> or a province code): when several tenants' campaigns of one priority
    /// class wait at a carrier's lane, each gets parts in proportion to its weight. A tenant not named,
    /// or named with a weight that is not positive, weighs 1. Urgent work still goes before bulk whatever the weights.
    /// </summary>
    public Dictionary<string, double> TenantWeights { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How lanes slow down when a carrier throttles, and speed up again.</summary>
    public LaneRateSettings Rate { get; set; } = new();

    /// <summary>
    /// How a lane's lease among several dispatchers behaves on quorum queues (<c>Loa:Dispatcher:LaneLease</c>):
    /// only the process holding it sends on the lane.
    /// </summary>
    public LaneLeaseSettings LaneLease { get; set; } = new();

    /// <summary>Base URL carriers post receipts to (e.g. https://loa.example.gov.vn). The API host fills it from its own address when empty.</summary>
    public string? PublicUrl { get; set; }
}
