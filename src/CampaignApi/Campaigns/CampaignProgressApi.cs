using System.Globalization;
using System.Security.Claims;
using Loa.CampaignApi.Audit;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters.Routing;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Campaigns;
using Loa.Storage.Deliveries;
using Loa.Storage.Progress;
using Loa.Storage.Suppression;

namespace Loa.CampaignApi.Campaigns;

/// <summary>
/// What a campaign did: progress, failure reasons and throughput from the counters kept beside the
/// deliveries (a few hundred rows whatever the campaign's size), and its deliveries in keyset pages.
/// </summary>
public static class CampaignProgressApi
{
    public static RouteGroupBuilder MapCampaignProgressApiV1(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/progress", ProgressAsync);
        group.MapGet("/{id}/deliveries", DeliveriesAsync);
        group.MapGet("/{id}/failures", FailuresAsync);
        group.MapGet("/{id}/throughput", ThroughputAsync);
        return group;
    }

    /// <summary>Read from the counters kept with every status change: constant cost at any campaign size.</summary>
    public static async Task<IResult> ProgressAsync(
        string id, ClaimsPrincipal user, CampaignStore campaigns, DeliveryReads deliveries, TimeProvider time, CancellationToken ct)
    {
        var row = await CampaignsApi.VisibleAsync(id, user, campaigns, ct);
        if (row is null)
            return Problems.NotFound("campaign");
        var counts = await deliveries.ProgressAsync(id, ct);
        static bool IsSuppressed(string status) => status.StartsWith(SuppressionReason.ProgressPrefix, StringComparison.Ordinal);
        long Sum(string status) => counts.Where(c => c.Status == status).Sum(c => c.Count);
        var byCarrier = counts.GroupBy(c => c.Carrier).ToDictionary(g => g.Key, g =>
        {
            long S(string status) => g.Where(c => c.Status == status).Sum(c => c.Count);
            return new CarrierProgress(g.Sum(c => c.Count), S(DeliveryStatus.Queued), S(DeliveryStatus.Submitted), S(DeliveryStatus.Delivered),
                S(DeliveryStatus.Failed), S(DeliveryStatus.Expired), S(DeliveryStatus.Cancelled), g.Where(c => IsSuppressed(c.Status)).Sum(c => c.Count));
        });
        var suppressedByReason = counts.Where(c => IsSuppressed(c.Status))
            .GroupBy(c => c.Status[SuppressionReason.ProgressPrefix.Length..])
            .ToDictionary(g => g.Key, g => g.Sum(c => c.Count));
        var suppressed = suppressedByReason.Values.Sum();
        var total = counts.Sum(c => c.Count);
        var handed = total - Sum(DeliveryStatus.Queued) - Sum(DeliveryStatus.Cancelled) - suppressed;
        var end = row.CompletedAt ?? time.GetUtcNow().ToUnixTimeMilliseconds();
        var seconds = row.StartedAt is { } started ? Math.Max(1, (end - started) / 1000.0) : 0;
        // Acks and the fallback, from their own counters (campaign_push_counts): null for a campaign without push, or without a fallback.
        var pushCounts = await deliveries.PushCountsAsync(id, ct);
        long Pushed(string counter) => pushCounts.Where(c => c.Counter == counter).Sum(c => c.Count);
        var pushing = counts.Any(c => Dispatcher.Sending.PushLanes.IsPush(c.Carrier));
        long Accepted(Func<string, bool> carrier) => counts.Where(c => carrier(c.Carrier) && c.Status == DeliveryStatus.Delivered).Sum(c => c.Count);
        // The apps whose deliveries in this campaign were topic sends (the planner counts them: PushCounter.Topics).
        var topicApps = pushCounts.Where(c => c.Counter == PushCounter.Topics && c.Count > 0).Select(c => c.Carrier).ToHashSet(StringComparer.Ordinal);
        long OfTopics(string counter) => pushCounts.Where(c => c.Counter == counter && topicApps.Contains(c.Carrier)).Sum(c => c.Count);
        var push = pushing
            ? new PushProgress(Accepted(Dispatcher.Sending.PushLanes.IsPush), Pushed(PushCounter.Received), Pushed(PushCounter.Opened))
            {
                Topics = topicApps.Count == 0 ? null
                    : new TopicProgress(OfTopics(PushCounter.Topics), Accepted(topicApps.Contains), OfTopics(PushCounter.Received), OfTopics(PushCounter.Opened),
                        [.. topicApps.Select(c => c[Dispatcher.Sending.PushLanes.CarrierPrefix.Length..]).Order(StringComparer.Ordinal)]),
            }
            : null;
        var definition = System.Text.Json.JsonSerializer.Deserialize<CampaignDefinition>(row.Definition, LoaJson.Options);
        var fallback = definition?.Options?.Fallback is null
            ? null
            : new FallbackProgress(Pushed(PushCounter.Fallback), Pushed(PushCounter.Saved));
        return TypedResults.Ok(new ProgressView(
            row.Status, total, Sum(DeliveryStatus.Queued), Sum(DeliveryStatus.Submitted), Sum(DeliveryStatus.Delivered),
            Sum(DeliveryStatus.Failed), Sum(DeliveryStatus.Expired), Sum(DeliveryStatus.Cancelled), suppressed, suppressedByReason, byCarrier,
            seconds > 0 ? Math.Round(handed / seconds, 1) : 0, Clock.At(row.StartedAt), Clock.At(row.CompletedAt), push, fallback));
    }

    /// <summary>Why deliveries failed, per carrier and reason, most frequent first: read from counters kept with every failure.</summary>
    public static async Task<IResult> FailuresAsync(string id, ClaimsPrincipal user, CampaignStore campaigns, DeliveryReads deliveries, CancellationToken ct)
    {
        if (await CampaignsApi.VisibleAsync(id, user, campaigns, ct) is null)
            return Problems.NotFound("campaign");
        var rows = await deliveries.FailuresAsync(id, 50, ct);
        return TypedResults.Ok(new FailuresView(rows.Select(r => new FailureView(r.Carrier, r.Reason, r.Count)).ToList()));
    }

    /// <summary>
    /// Moves into submitted, delivered and failed per 10-second bucket over the last <c>minutes</c>
    /// (1–180, default 15), oldest first; buckets with nothing in them are left out.
    /// </summary>
    public static async Task<IResult> ThroughputAsync(
        string id, ClaimsPrincipal user, CampaignStore campaigns, DeliveryReads deliveries, TimeProvider time, string? minutes, CancellationToken ct)
    {
        var window = 15;
        if (minutes is not null
            && (!int.TryParse(minutes, NumberStyles.None, CultureInfo.InvariantCulture, out window) || window is < 1 or > 180))
        {
            return Problems.Validation("minutes", "minutes must be a whole number from 1 to 180.");
        }
        if (await CampaignsApi.VisibleAsync(id, user, campaigns, ct) is null)
            return Problems.NotFound("campaign");
        var bucket = DeliveryReads.ThroughputBucket;
        // The current bucket and the ones before it, minutes × 6 in all.
        var from = DeliveryReads.ThroughputBucketOf(time.Ms()) - (long)(TimeSpan.FromMinutes(window) - bucket).TotalMilliseconds;
        var rows = await deliveries.ThroughputAsync(id, from, ct);
        return TypedResults.Ok(new ThroughputView((int)bucket.TotalSeconds,
            rows.Select(r => new ThroughputBucketView(DateTimeOffset.FromUnixTimeMilliseconds(r.BucketStart), r.Submitted, r.Delivered, r.Failed)).ToList()));
    }

    /// <summary>Keyset paging by delivery id; numbers are masked unless an operator asks otherwise.</summary>
    public static async Task<IResult> DeliveriesAsync(
        string id, ClaimsPrincipal user, CampaignStore campaigns, DeliveryReads deliveries, AuditDetails audit,
        string? status, string? after, int? limit, bool? unmask, CancellationToken ct)
    {
        var row = await CampaignsApi.VisibleAsync(id, user, campaigns, ct);
        if (row is null)
            return Problems.NotFound("campaign");
        long afterId = 0;
        if (!string.IsNullOrEmpty(after) && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterId))
            return Problems.Validation("after", "after must be a cursor returned as 'next'.");
        if (status is not null && !(DeliveryStatus.IsFinal(status) || status is DeliveryStatus.Queued or DeliveryStatus.Submitted))
            return Problems.Validation("status", "Unknown delivery status.");
        var showNumbers = unmask == true;
        if (showNumbers)
            audit.Add("read", new { campaign = id, status, after, limit }); // what was asked, refused or not
        if (showNumbers && !user.IsInRole(Roles.Operator))
            return Problems.Forbidden("unmask", "Only an operator may see full numbers.");
        var take = Math.Clamp(limit ?? 1000, 1, 1000);
        var page = await deliveries.PageAsync(id, status, afterId, take, ct);
        var items = page.Select(d => new DeliveryView(
            // A push delivery's recipient is a device id, which tells nothing by itself (never the token).
            d.Id.ToString(CultureInfo.InvariantCulture), showNumbers || Dispatcher.Sending.PushLanes.IsPush(d.Carrier) ? d.Recipient : Msisdn.Mask(d.Recipient), d.Carrier, d.Status, d.Attempts, d.Error,
            Clock.At(d.SubmittedAt), d.Status == DeliveryStatus.Delivered ? Clock.At(d.FinalAt) : null)).ToList();
        if (showNumbers)
            audit.Add("read", new { campaign = id, status, after, limit = take, returned = items.Count });
        return TypedResults.Ok(new DeliveryPage(items, page.Count == take ? items[^1].Id : null));
    }
}
