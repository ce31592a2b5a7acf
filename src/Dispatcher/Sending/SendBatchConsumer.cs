using System.Globalization;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.Contracts;
using System.Diagnostics;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Telemetry;
using Loa.Storage.Campaigns;
using Loa.Storage.Batches;
using Loa.Storage.Deliveries;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Sending;

/// <summary>
/// A send lane at work: enters the lane's gate (urgent first), claims a batch, waits for the
/// lane's tokens, submits, and records the per-message results. Transient failures give the batch
/// back to the outbox with a backoff, so a restart forgets no retry; permanent ones end the messages
/// with the carrier's reason.
/// </summary>
/// <remarks>
/// A <see cref="SendBatch"/> is a turn at the lane for its class, not an order to send that batch: when
/// several tenants wait, the turn goes to the tenant whose fair share is furthest behind
/// (<see cref="FairShare"/>), and the batch it names is sent by a later turn (that batch's own message
/// among them). The lane's queue is FIFO on both buses and a national campaign puts all its batches in
/// it first, so only the outbox, not the queue, can say who else waits. Every pending batch has a
/// message on its way (published, or the sweeper publishes it), so there are never fewer turns than batches.
/// </remarks>
public sealed class SendBatchConsumer(
    CampaignStore campaigns,
    BatchLedger batches,
    CarrierLanes lanes,
    BusTopology topology,
    ReceiptAddress receipts,
    IOptions<DispatcherOptions> options,
    TimeProvider time,
    DispatcherMetrics metrics,
    ILogger<SendBatchConsumer> logger,
    PushBatches pushBatches,
    TenantQueues tenants) : IConsumer<SendBatch>
{
    public async Task Consume(ConsumeContext<SendBatch> context)
    {
        var ct = context.CancellationToken;
        var settings = options.Value;
        var lane = await lanes.GetAsync(topology.LaneOf(context.Message.Carrier, context.Message.BatchId), ct);
        var receiptUrl = lane.Adapter.ReceiptsByWebhook ? await receipts.ForCarrierAsync(context.Message.Carrier, ct) : null;
        var priorityClass = PriorityClasses.Of(context.Message.Priority);
        using var pass = await lane.Gate.EnterAsync(priorityClass, ct);
        // Among several dispatchers only the lane's holder sends (quorum queues; see LaneLease).
        using var held = await lane.Lease.HoldAsync(priorityClass, ct);
        var batch = await ClaimTurnAsync(lane, priorityClass, context.Message.BatchId, settings.SendLease, ct);
        if (batch is null)
            return; // nothing of this class waits at the lane: the batch was done, or has a live lease elsewhere

        var campaign = await campaigns.GetAsync(batch.CampaignId, ct);
        if (campaign is null || await StoppedAsync(batch, campaign, ct))
            return;
        if (batch.SubmitStartedAt is not null && !lane.Adapter.RecognisesRepeats)
        {
            // The lane before this one died mid-submit to a carrier that cannot drop a repeat: what is
            // still queued may be at the carrier. Sent again only where a duplicate beats a miss.
            if (!settings.ResendUnknownKinds.Contains(campaign.Kind, StringComparer.OrdinalIgnoreCase))
            {
                logger.LogWarning("Batch {BatchId} for {Carrier} was being sent when its lane stopped: its queued messages end with an unknown outcome", batch.Id, batch.Carrier);
                await batches.FinishAsync(batch, DeliveryStatus.Failed, DeliveryReason.UnknownAfterCrash, batch.Attempts - 1, ct);
                return;
            }
            logger.LogWarning("Batch {BatchId} for {Carrier} was being sent when its lane stopped: its queued messages go again ({Kind})", batch.Id, batch.Carrier, campaign.Kind);
        }

        var messages = await batches.QueuedMessagesAsync(batch.Id, ct);
        if (messages.Count == 0)
        {
            await batches.RecordResultsAsync(batch, [], ct);
            return;
        }

        var encoding = campaign.SmsEncoding == "ucs2" ? SmsEncoding.Ucs2 : SmsEncoding.Gsm7;
        var parts = (int)(campaign.SmsParts ?? 1);
        CarrierBatch submit;
        // Push: recipients are devices, a notification is one "part", and the token is read only now.
        PushPrepared? push = null;
        if (PushLanes.IsPush(batch.Carrier))
        {
            parts = 1;
            push = await pushBatches.PrepareAsync(batch, campaign, messages, ct);
            submit = push.Batch;
            if (submit.Messages.Count == 0)
            {
                await batches.RecordResultsAsync(batch, push.Unsendable, ct);
                return;
            }
        }
        else
        {
            var outgoing = messages
                .Select(m => new OutgoingMessage(m.Id.ToString(CultureInfo.InvariantCulture), m.Recipient, campaign.SmsText ?? "", encoding, parts))
                .ToList();
            // The idempotency key names the batch across attempts, so a carrier that honours it drops a repeat.
            submit = new CarrierBatch($"{batch.CampaignId}-{batch.Id}", lane.Options.Sender, outgoing, receiptUrl)
            {
                Kind = campaign.Kind,
                ExpiresAt = campaign.ExpiresAt is { } until ? DateTimeOffset.FromUnixTimeMilliseconds(until) : null,
            };
        }
        var outgoingCount = submit.Messages.Count;
        SubmitOutcome outcome;
        using (var spend = await lane.Rate.AcquireAsync(parts * outgoingCount, ct))
        {
            // Waiting for tokens can take a while: a cancel or pause meanwhile wins over the submit. The row
            // is read again only when its status moved, for why it stopped (superseded, and by which campaign).
            if (await campaigns.StatusAsync(batch.CampaignId, ct) is { } now && now != campaign.Status
                && await StoppedAsync(batch, await campaigns.GetAsync(batch.CampaignId, ct) ?? campaign with { Status = now }, ct))
                return;
            if (!lane.Lease.Held)
            {
                // The lease could not be renewed while this batch waited for tokens (another dispatcher may
                // have the lane by now): the batch goes back to the outbox rather than out beside theirs.
                logger.LogWarning("Batch {BatchId} for {Carrier} goes back to the outbox: this dispatcher no longer holds lane {Lane}", batch.Id, batch.Carrier, lane.Lane.Name);
                await batches.ReleaseAsync(batch.Id, time.GetUtcNow(), "the lane passed to another dispatcher before the submit", countsAsAttempt: false, ct);
                return;
            }
            if (!lane.Adapter.RecognisesRepeats)
                await batches.MarkSubmittingAsync(batch.Id, ct);
            outcome = await SubmitAsync(lane, submit, batch, parts, ct);
            spend.Answered(outcome);
            // The tokens were spent whatever the answer: the tenant's share pays for them.
            lane.Share(priorityClass).Served(campaign.Tenant, (long)parts * outgoingCount);
            if (outcome is SubmitOutcome.Completed done)
            {
                var handed = (long)parts * done.Results.Count(r => r.Fate != MessageFate.NotTaken);
                lane.Sent.Add(handed);
                metrics.Sent(lane.Lane.Carrier, campaign.Tenant, handed);
            }
        }

        switch (outcome)
        {
            case SubmitOutcome.Completed completed:
                var (results, again) = Sort(completed.Results, campaign.Kind, settings);
                if (push is not null)
                {
                    // Push has no receipts: the provider's id is the only handle, so one is made when it gave none.
                    results = [.. results.Select(r => r.Accepted && r.CarrierMessageId is null ? r with { CarrierMessageId = $"loa-{r.DeliveryId}" } : r), .. push.Unsendable];
                }
                await batches.RecordResultsAsync(batch, results, settings.ReceiptTimeout, close: again is null, ct, takenIsFinal: push is not null);
                if (push is not null && await pushBatches.PruneAsync(push, completed.Results, ct) is > 0 and var pruned)
                    logger.LogInformation("Pruned {Devices} devices of {Carrier} whose tokens the provider reported unregistered or invalid", pruned, batch.Carrier);
                if (again is not null)
                    await RetryLaterAsync(batch, campaign, Backoff(settings, batch.Attempts), again, countsAsAttempt: true, ct);
                break;
            case SubmitOutcome.Throttled throttled:
                await RetryLaterAsync(batch, campaign, throttled.RetryAfter ?? settings.RetrySchedule[0], $"throttled: {throttled.Reason}", countsAsAttempt: false, ct);
                break;
            case SubmitOutcome.Transient transient:
                await RetryLaterAsync(batch, campaign, Backoff(settings, batch.Attempts), transient.Reason, countsAsAttempt: true, ct);
                break;
            case SubmitOutcome.Rejected rejected:
                logger.LogWarning("Carrier {Carrier} refused batch {BatchId}: {Reason}", batch.Carrier, batch.Id, rejected.Reason);
                await batches.FinishAsync(batch, DeliveryStatus.Failed, rejected.Reason, batch.Attempts, ct);
                break;
        }
    }

    /// <summary>
    /// Claims the batch this turn sends. With one tenant waiting (the lane's usual day) that is the batch
    /// the message names, as before fair share: one claim, no extra read. With several, the tenants are
    /// tried in their fair order, each by one seek for its next due batch of this class and lane. A turn
    /// whose own batch is gone (sent by an earlier turn) is used for whoever waits, never dropped.
    /// </summary>
    private async Task<BatchClaim?> ClaimTurnAsync(SendLane lane, PriorityClass priorityClass, long batchId, TimeSpan lease, CancellationToken ct)
    {
        var share = lane.Share(priorityClass);
        if (share.Stale)
            share.Read(await tenants.WaitingAsync(lane.Lane.Carrier, ct));
        if (share.Waiting <= 1)
        {
            if (await batches.ClaimAsync(batchId, lease, ct) is { } own)
                return own;
            share.Read(await tenants.WaitingAsync(lane.Lane.Carrier, ct));
        }
        var (first, last) = PriorityClasses.Range(priorityClass);
        foreach (var tenant in share.Order())
        {
            // Taken by another lane meanwhile (a standby that was active a moment ago): the next tenant's.
            if (await tenants.NextAsync(lane.Lane.Carrier, tenant, first, last, lane.Lane.Index, lane.Lane.Count, ct) is not { } next)
                share.Drained(tenant);
            else if (await batches.ClaimAsync(next, lease, ct) is { } claim)
                return claim;
        }
        return await batches.ClaimAsync(batchId, lease, ct);
    }

    /// <summary>
    /// The answers to record now, and why the rest stays queued for another attempt (null when nothing
    /// does): a message certainly not taken is always sent again; one whose outcome is unknown only for
    /// the kinds where a duplicate is better than a miss, and otherwise ends failed with that reason.
    /// </summary>
    public static (List<SubmitResult> Record, string? Again) Sort(IReadOnlyList<MessageResult> answers, string kind, DispatcherOptions settings)
    {
        var record = new List<SubmitResult>(answers.Count);
        string? again = null;
        var resendUnknown = settings.ResendUnknownKinds.Contains(kind, StringComparer.OrdinalIgnoreCase);
        foreach (var answer in answers)
        {
            var id = long.Parse(answer.Id, CultureInfo.InvariantCulture);
            switch (answer.Fate)
            {
                case MessageFate.Taken:
                    record.Add(new SubmitResult(id, true, answer.CarrierMessageId, null));
                    break;
                case MessageFate.NotTaken:
                    again ??= answer.Error ?? "not taken by the carrier";
                    break;
                case MessageFate.Unknown when resendUnknown:
                    again ??= $"sent again after {answer.Error ?? "an unknown outcome"}";
                    break;
                default: // refused, or unknown for a kind that would rather miss than repeat
                    record.Add(new SubmitResult(id, false, null, answer.Error ?? (answer.Fate == MessageFate.Unknown ? "unknown outcome" : null)));
                    break;
            }
        }
        return (record, again);
    }

    /// <summary>The carrier call, as its own span (the HTTP client span nests in it) and in the submit duration histogram.</summary>
    private async Task<SubmitOutcome> SubmitAsync(SendLane lane, CarrierBatch submit, BatchClaim batch, int parts, CancellationToken ct)
    {
        using var activity = LoaTelemetry.Source.StartActivity("carrier submit", ActivityKind.Internal);
        activity?.SetTag("loa.carrier", lane.Lane.Carrier);
        activity?.SetTag("loa.lane", lane.Lane.Name);
        activity?.SetTag("loa.campaign_id", batch.CampaignId);
        activity?.SetTag("loa.batch_id", batch.Id);
        activity?.SetTag("loa.messages", submit.Messages.Count);
        activity?.SetTag("loa.parts", (long)parts * submit.Messages.Count);
        var started = time.GetTimestamp();
        var outcome = await lane.Adapter.SubmitAsync(submit, ct);
        var name = outcome switch
        {
            SubmitOutcome.Completed => "completed",
            SubmitOutcome.Throttled => "throttled",
            SubmitOutcome.Transient => "transient",
            _ => "rejected",
        };
        metrics.Submitted(lane.Lane.Carrier, name, time.GetElapsedTime(started));
        activity?.SetTag("loa.outcome", name);
        if (outcome is not SubmitOutcome.Completed)
            activity?.SetStatus(ActivityStatusCode.Error, name);
        return outcome;
    }

    /// <returns>True when the campaign may not send now and the batch was dealt with (closed or held).</returns>
    private async Task<bool> StoppedAsync(BatchClaim batch, CampaignRow campaign, CancellationToken ct)
    {
        var submits = batch.Attempts - 1; // this claim ends before its submit
        if (campaign.Status == CampaignStatus.Cancelled)
        {
            // A superseded campaign's recipients get its correction instead: the reason says which.
            var reason = campaign.SupersededBy is { } correction ? $"superseded by {correction}" : "campaign cancelled";
            await batches.FinishAsync(batch, DeliveryStatus.Cancelled, reason, submits, ct);
            return true;
        }
        if (campaign.Status == CampaignStatus.Paused)
        {
            // Held aside, not retried: a long pause must not keep lanes busy cycling its batches.
            await batches.HoldAsync(batch.Id, ct);
            return true;
        }
        var now = time.GetUtcNow();
        if (campaign.ExpiresAt is { } expiresAt && expiresAt <= now.ToUnixTimeMilliseconds())
        {
            await batches.FinishAsync(batch, DeliveryStatus.Expired, "campaign expired before the message was sent", submits, ct);
            return true;
        }
        if (campaign.Kind == CampaignKind.Awareness
            && SendingWindow.Parse(JsonSerializer.Deserialize<CampaignDefinition>(campaign.Definition, LoaJson.Options)?.Schedule?.Window, out _) is { } window
            && window.NextOpening(now) is { } opening)
        {
            // Spread the morning's restart over a few seconds so every held batch does not land in the same sweep.
            var at = opening + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 5_000));
            if (campaign.ExpiresAt is { } until && at.ToUnixTimeMilliseconds() >= until)
                await batches.FinishAsync(batch, DeliveryStatus.Expired, "expired outside the sending window", submits, ct);
            else
                await batches.ReleaseAsync(batch.Id, at, "outside the sending window", countsAsAttempt: false, ct);
            return true;
        }
        return false;
    }

    private async Task RetryLaterAsync(BatchClaim batch, CampaignRow campaign, TimeSpan delay, string reason, bool countsAsAttempt, CancellationToken ct)
    {
        var settings = options.Value;
        if (countsAsAttempt && batch.Attempts >= settings.MaxAttempts)
        {
            logger.LogWarning("Batch {BatchId} for {Carrier} failed after {Attempts} attempts: {Reason}", batch.Id, batch.Carrier, batch.Attempts, reason);
            await batches.FinishAsync(batch, DeliveryStatus.Failed, $"gave up after {batch.Attempts} attempts: {reason}", batch.Attempts, ct);
            return;
        }
        var next = time.GetUtcNow() + delay;
        if (campaign.ExpiresAt is { } expiresAt && next.ToUnixTimeMilliseconds() >= expiresAt)
        {
            await batches.FinishAsync(batch, DeliveryStatus.Expired, $"expired while retrying: {reason}", batch.Attempts, ct);
            return;
        }
        logger.LogInformation("Batch {BatchId} for {Carrier} retries in {Delay}: {Reason}", batch.Id, batch.Carrier, delay, reason);
        await batches.ReleaseAsync(batch.Id, next, reason, countsAsAttempt, ct);
    }

    private static TimeSpan Backoff(DispatcherOptions settings, long attempts)
    {
        var schedule = settings.RetrySchedule;
        var step = schedule[(int)Math.Clamp(attempts - 1, 0, schedule.Length - 1)];
        var jitter = 0.8 + Random.Shared.NextDouble() * 0.4; // spread retries so that lanes do not retry in lockstep
        return TimeSpan.FromMilliseconds(step.TotalMilliseconds * jitter);
    }
}
