using Loa.CarrierAdapters;
using Loa.Contracts;
using Loa.Dispatcher.Planning;
using Loa.Dispatcher.Sending;
using Loa.Storage;
using Loa.Storage.Fallback;
using Loa.Storage.Planning;
using Loa.Storage.Suppression;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Recovery;

/// <summary>
/// The push fallback (api.md, <c>options.fallback</c>): each sweep walks every open fallback's push
/// deliveries from its stored position, a keyset page at a time, and plans the campaign's SMS for the
/// recipients a push reached (accepted by FCM or APNs at least <c>after</c> ago) who have not acknowledged
/// it and whose device has a linked number. Those planned go through <see cref="PlanWriter"/> as any SMS
/// page does, routed by the prefix and ported tables; a number the campaign already holds an SMS delivery
/// for (its own sms channel, another device of the same number, a page replayed after a crash) is dropped
/// by the unique delivery index, so nobody gets the fallback twice. The walk stops at the first delivery
/// not yet settled and takes it up again next sweep.
/// </summary>
public sealed class FallbackSweeper(
    FallbackStore fallbacks,
    PlanWriter plans,
    RouteTable routes,
    IOptionsMonitor<CarrierOptions> carriers,
    IOptions<DispatcherOptions> options,
    IOptionsMonitor<SafetyOptions> safety,
    TimeProvider time,
    ILogger<FallbackSweeper> logger)
{
    /// <summary>Pages one campaign may take per sweep, so that one large campaign does not hold the others' sweep.</summary>
    public const int PagesPerSweep = 20;

    public async Task SweepAsync(BatchPublisher publisher, CancellationToken cancellationToken)
    {
        var open = await fallbacks.OpenOnesAsync(cancellationToken);
        foreach (var fallback in open)
        {
            if (fallback.Status is not (CampaignStatus.Running or CampaignStatus.Paused))
            {
                // Cancelled or superseded: what was not planned is owed to nobody now. (A campaign is not
                // completed while its fallback is open: CampaignCompletion waits for it.)
                await fallbacks.CloseAsync(fallback.CampaignId, cancellationToken);
                continue;
            }
            await SweepCampaignAsync(fallback, publisher, cancellationToken);
        }
    }

    private async Task SweepCampaignAsync(OpenFallback fallback, BatchPublisher publisher, CancellationToken cancellationToken)
    {
        var pageSize = options.Value.PageSize;
        var parts = (int)(fallback.SmsParts ?? 1);
        var priority = CampaignKind.Priority(fallback.Kind);
        var awareness = fallback.Kind == CampaignKind.Awareness;
        var position = fallback.Position;
        var planned = fallback.Planned;
        for (var turn = 0; turn < PagesPerSweep; turn++)
        {
            // The frequency cap counts the 24 hours before this page, as the planner's pages do.
            var cap = awareness ? safety.CurrentValue.AwarenessPerDay : 0;
            var page = await fallbacks.PageAsync(fallback.CampaignId, position, pageSize,
                cap, (time.GetUtcNow() - TimeSpan.FromDays(1)).ToUnixTimeMilliseconds(), cancellationToken);
            var (owed, step) = FallbackStore.Settle(page, position, pageSize, fallback.AfterMs, time.Ms(), planned);
            if (step.To == step.From && !step.Done)
                return; // nothing settled yet: the next sweep looks again

            var router = await routes.GetAsync(cancellationToken);
            var recipients = owed.Select(r => new PlannedRecipient(
                r.Msisdn!, r.Province, router.Route(r.Msisdn!, r.Ported) ?? Unrouted.Carrier,
                // An awareness campaign's SMS respects opt-outs and the frequency cap as its planner does
                // (the row is kept, suppressed with the reason); an alert reaches everyone.
                !awareness ? null
                : r.OptedOut ? SuppressionReason.OptedOut
                : r.Capped ? SuppressionReason.FrequencyCap
                : null)).ToList();
            var written = await plans.WriteFallbackAsync(new PlanPage(
                fallback.CampaignId, priority, parts, recipients, id => CarrierLanes.BatchSize(carriers.Get(id), parts),
                NextList: 0, NextAfter: "", Last: step.Done, options.Value.PlanLease, CountsTowardAwarenessCap: awareness), step, cancellationToken);
            if (written is null)
                return; // stopped meanwhile, or another sweeper moved the position first
            await publisher.PublishAsync(written, cancellationToken);
            if (owed.Count > 0 || step.Saved > 0)
            {
                logger.LogInformation("Campaign {CampaignId}: {Owed} unacknowledged or failed pushes get the SMS, {Saved} acknowledged (SMS saved)",
                    fallback.CampaignId, owed.Count, step.Saved);
            }
            if (step.Done)
            {
                logger.LogInformation("Campaign {CampaignId}: push fallback done", fallback.CampaignId);
                return;
            }
            position = step.To;
            if (page.Count < pageSize)
                return;
        }
    }
}
