using Loa.Contracts;
using Loa.Storage.Deliveries;
using Loa.Storage.Suppression;

namespace Loa.Storage.Planning;

/// <param name="Suppressed">Why this recipient gets nothing (a <see cref="SuppressionReason"/>), or null.</param>
/// <param name="Tags">The list member's tag set (<see cref="SegmentTags"/>), kept on the delivery for coverage by target group; null: none.</param>
public sealed record PlannedRecipient(string Msisdn, string Province, string Carrier, string? Suppressed = null, string? Tags = null);

/// <summary>One keyset page of a campaign's audience, routed, ready to become deliveries and batches.</summary>
public sealed record PlanPage(
    string CampaignId,
    int Priority,
    int PartsPerMessage,
    IReadOnlyList<PlannedRecipient> Recipients,
    Func<string, int> MaxBatchSize,
    long NextList,
    string NextAfter,
    bool Last,
    TimeSpan Lease,
    bool CountsTowardAwarenessCap = false)
{
    /// <summary>The deliveries' channel: <c>sms</c> (recipients are numbers) or <c>push</c> (recipients are device ids).</summary>
    public string Channel { get; init; } = Channels.Sms;
}

/// <summary>A delivery row of a plan page: in a batch (queued), or closed at once (suppressed, unrouted).</summary>
public sealed record PlannedRow(PlannedRecipient Recipient, long? BatchId, string Status, string? Error, long? FinalAt);

/// <summary>A progress counter a plan page moves: per carrier, province and status (and failure reason).</summary>
public readonly record struct PlanCounter(string Carrier, string Province, string Status, string? Reason);

/// <summary>
/// What a plan page becomes, worked out in memory before the write lock is taken: the rows closed
/// at once (suppressed with their reason, unrouted numbers failed), the batches each carrier's
/// recipients fill, and the counters as they move when every row goes in (the usual case), one
/// entry per carrier, province and status rather than one move per row.
/// </summary>
public sealed class PagePlan
{
    private PagePlan(List<PlannedRow> closed, List<(string Carrier, PlannedRecipient[] Recipients)> batches, Dictionary<PlanCounter, long> counts)
    {
        Closed = closed;
        Batches = batches;
        Counts = counts;
    }

    /// <summary>Rows that get no batch: suppressed recipients and numbers no carrier serves.</summary>
    public IReadOnlyList<PlannedRow> Closed { get; }

    /// <summary>The page's batches, per carrier, each at most that carrier's batch size.</summary>
    public IReadOnlyList<(string Carrier, PlannedRecipient[] Recipients)> Batches { get; }

    /// <summary>The counters if every row goes in.</summary>
    public IReadOnlyDictionary<PlanCounter, long> Counts { get; }

    /// <param name="now">Unix ms: when the closed rows ended.</param>
    public static PagePlan Of(IReadOnlyList<PlannedRecipient> recipients, Func<string, int> maxBatchSize, long now)
    {
        // A number met twice in one page (the same number at the end of one list and the start of the
        // next) keeps its first row, as the unique index would; SQL Server's insert needs it unique.
        var seen = new HashSet<string>(recipients.Count, StringComparer.Ordinal);
        var unique = recipients.Where(r => seen.Add(r.Msisdn)).ToList();
        var closed = new List<PlannedRow>();
        foreach (var r in unique)
        {
            if (r.Suppressed is not null) // kept as rows with the reason, so reports and progress can say who was left out and why
                closed.Add(new PlannedRow(r, null, DeliveryStatus.Suppressed, r.Suppressed, now));
            else if (r.Carrier == Unrouted.Carrier) // nobody can carry these numbers: they fail now, with the reason, instead of waiting forever
                closed.Add(new PlannedRow(r, null, DeliveryStatus.Failed, DeliveryReason.Unrouted, now));
        }
        var batches = unique.Where(r => r.Suppressed is null && r.Carrier != Unrouted.Carrier)
            .GroupBy(r => r.Carrier)
            .SelectMany(group => group.Chunk(Math.Max(1, maxBatchSize(group.Key))).Select(chunk => (Carrier: group.Key, Recipients: chunk)))
            .ToList();

        var counts = new Dictionary<PlanCounter, long>();
        foreach (var row in closed)
            Count(counts, row.Recipient.Carrier, row.Recipient.Province, row.Status, row.Error);
        foreach (var (_, chunk) in batches)
        {
            foreach (var r in chunk)
                Count(counts, r.Carrier, r.Province, DeliveryStatus.Queued, null);
        }
        return new PagePlan(closed, batches, counts);
    }

    /// <summary>
    /// One row into <paramref name="counts"/>: a suppressed row counts as <c>suppressed:&lt;reason&gt;</c>
    /// (so progress says why), a failed one keeps its reason for the failure counters.
    /// </summary>
    public static void Count(Dictionary<PlanCounter, long> counts, string carrier, string province, string status, string? error)
    {
        var key = status == DeliveryStatus.Suppressed
            ? new PlanCounter(carrier, province, SuppressionReason.ProgressPrefix + error, null)
            : new PlanCounter(carrier, province, status, error);
        counts[key] = counts.GetValueOrDefault(key) + 1;
    }
}
