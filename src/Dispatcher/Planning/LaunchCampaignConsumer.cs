using System.Globalization;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;
using Loa.Contracts;
using Loa.Dispatcher.Sending;
using Loa.Dispatcher.Telemetry;
using Loa.Storage;
using Loa.Storage.Campaigns;
using Loa.Storage.Devices;
using Loa.Storage.Fallback;
using Loa.Storage.Geography;
using Loa.Storage.Planning;
using Loa.Storage.Suppression;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Planning;

/// <summary>
/// Plans a campaign: streams its audience in keyset pages, routes each number (ported table, then
/// prefix table), and writes deliveries and batches page by page, publishing each page's batches
/// after its commit. The keyset position is stored with every page, so a planner that dies is
/// resumed where it stopped, and the unique delivery index makes a replayed page harmless.
/// After the lists come the devices (<c>audience.devices</c>, channel push): one slice per app, province
/// and language (<see cref="DeviceFilter"/>), each walked in id order; the keyset position is then
/// (lists + slice index, last device id). An app on topics gets one delivery per slice that has devices,
/// its topic (<see cref="PushTopics"/>), instead of one per device.
/// </summary>
public sealed class LaunchCampaignConsumer(
    CampaignStore campaigns,
    AudiencePages audiences,
    ResendPages resends,
    PlanWriter plans,
    RouteTable routes,
    BatchPublisher publisher,
    IOptionsMonitor<CarrierOptions> carriers,
    SuppressionStore suppression,
    IOptionsMonitor<SafetyOptions> safety,
    IOptions<DispatcherOptions> options,
    TimeProvider time,
    DispatcherMetrics metrics,
    ILogger<LaunchCampaignConsumer> logger,
    DeviceAudience devices,
    PushApps pushApps,
    IOptionsMonitor<PushAppOptions> pushOptions,
    Provinces units,
    FallbackStore fallbacks) : IConsumer<LaunchCampaign>
{
    public async Task Consume(ConsumeContext<LaunchCampaign> context)
    {
        var ct = context.CancellationToken;
        var settings = options.Value;
        var campaign = await campaigns.LeasePlanningAsync(context.Message.CampaignId, settings.PlanLease, ct);
        if (campaign is null)
            return; // already planned, no longer running, or another planner holds it

        var definition = JsonSerializer.Deserialize<CampaignDefinition>(campaign.Definition, LoaJson.Options)!;
        var audience = definition.Audience ?? new AudienceDefinition([], [], []);
        // A re-send reads its sources in place of lists. By SMS two: the original's SMS deliveries in the outcomes
        // named, then the numbers linked to its push deliveries that ended so (none for an SMS campaign). Through
        // push one: the devices linked to those SMS recipients.
        var resend = audience.Resend;
        var resendStates = resend is null ? null : ResendStates.Of(resend.Statuses);
        var listIds = resend is null ? audience.Lists ?? [] : resend.ThroughPush ? [resend.Campaign] : [resend.Campaign, resend.Campaign];
        // Provinces, communes, tags and carriers named, included or excluded: the preview applies the same predicate.
        var segment = AudienceSegment.Of(audience);
        var tenant = campaign.Tenant == "national" ? null : campaign.Tenant;
        var router = await routes.GetAsync(ct);
        var priority = CampaignKind.Priority(campaign.Kind);
        var awareness = campaign.Kind == CampaignKind.Awareness;
        var rules = safety.CurrentValue;
        var testNumbers = campaign.Kind == CampaignKind.Test ? RouteTable.TestNumbers(rules, router) : null;
        if (awareness)
            await suppression.PruneContactsAsync(ct);
        var parts = (int)(campaign.SmsParts ?? 1);
        // The preview counts through the same filter (CampaignPreview.PreviewDevicesAsync).
        var slices = audience.Devices
            ? DeviceFilter.Of(audience.Apps, audience.Provinces, audience.Languages, tenant, pushApps.Names, units.Units.Select(u => u.Code)).Slices()
            : [];
        var stages = listIds.Count + slices.Count;
        // Opened before the first page is written, so that no page's end can complete the campaign while SMS may still be owed.
        if (audience.Devices && FallbackDefinition.ParseAfter(definition.Options?.Fallback?.After) is { } fallbackAfter)
            await fallbacks.OpenAsync(campaign.Id, fallbackAfter, ct);

        // An app on topics (Loa:Push:Apps:<app>:UseTopics) is sent one notification per province and language,
        // not one per device. Not in a test campaign: a topic reaches every phone subscribed to it, and a test
        // must reach only the test numbers' devices, so there the app's devices are planned one by one as any app's.
        var onTopics = slices.Select(s => s.App).Distinct(StringComparer.Ordinal)
            .Where(app => testNumbers is null && pushOptions.Get(PushLanes.App(pushApps, PushAdapterFactory.CarrierIdOf(app))).UseTopics)
            .ToHashSet(StringComparer.Ordinal);

        // One keyset page of devices from (slice, after id): empty slices are passed over here, not written as empty pages.
        async Task<PageToWrite> ReadDevicesAsync(int index, string after)
        {
            // The topics of an app on topics, one page for the run of its slices (they are consecutive: app first).
            // Which topics: those of the slices (the audience's provinces x languages, already filtered) that have
            // at least one registered device, one seek of ix_devices_audience each (at most 34 x 2 per app), so no
            // device is read into memory and nothing is counted. Sending every slice's topic blindly would record
            // deliveries, "accepted" in progress, for topics nobody subscribed to; a DISTINCT over the app's index
            // range would read all its entries (SQLite skips through an index only with ANALYZE statistics).
            var topics = new List<PlannedRecipient>();
            for (; index < stages && onTopics.Contains(slices[index - listIds.Count].App); index++, after = "")
            {
                var slice = slices[index - listIds.Count];
                if (await devices.AnyAsync(slice, ct))
                    topics.Add(new PlannedRecipient(PushTopics.Name(slice.App, slice.Province, slice.Language), slice.Province, PushAdapterFactory.CarrierIdOf(slice.App)));
            }
            if (topics.Count > 0)
                return new PageToWrite(topics, index, "", index >= stages, Channels.Push);

            // Bounded: each turn moves to the next of at most apps x 34 x 2 slices.
            for (; index < stages; index++, after = "")
            {
                var slice = slices[index - listIds.Count];
                if (onTopics.Contains(slice.App))
                    return await ReadDevicesAsync(index, ""); // a topic app's run after empty device slices
                var page = await devices.PageAsync(slice, after.Length == 0 ? 0 : long.Parse(after, CultureInfo.InvariantCulture), settings.PageSize, ct);
                if (page.Count == 0)
                    continue;
                var carrier = PushAdapterFactory.CarrierIdOf(slice.App);
                var planned = page.Select(d => new PlannedRecipient(
                    d.Id.ToString(CultureInfo.InvariantCulture), d.Province, carrier,
                    testNumbers is not null && (d.Msisdn is null || !testNumbers.Contains(d.Msisdn)) ? SuppressionReason.NotTestNumber
                    : awareness && d.RefusesAwareness ? SuppressionReason.OptedOut
                    : null)).ToList();
                return page.Count == settings.PageSize
                    ? new PageToWrite(planned, index, page[^1].Id.ToString(CultureInfo.InvariantCulture), false, Channels.Push)
                    : new PageToWrite(planned, index + 1, "", index + 1 >= stages, Channels.Push);
            }
            return new PageToWrite([], stages, "", true, Channels.Push);
        }

        // A re-send through push: one keyset page of the original's unreached numbers, as their devices. Each device
        // is sent to itself, an app on topics too (as in a test): a topic would reach every phone subscribed to it.
        async Task<PageToWrite> ReadResendDevicesAsync(int listIndex, string after)
        {
            var (found, last, read) = await resends.ReadDevicesAsync(resend!.Campaign, resendStates!, after, settings.PageSize, ct);
            var planned = new List<PlannedRecipient>(found.Count);
            foreach (var device in found)
            {
                if (tenant is not null && !string.Equals(device.Province, tenant, StringComparison.OrdinalIgnoreCase))
                    continue;
                // An app no longer configured has no lane; the preview leaves it out alike.
                if (pushApps.Names.FirstOrDefault(n => string.Equals(n, device.App, StringComparison.OrdinalIgnoreCase)) is not { } app)
                    continue;
                planned.Add(new PlannedRecipient(
                    device.Id.ToString(CultureInfo.InvariantCulture), device.Province, PushAdapterFactory.CarrierIdOf(app),
                    testNumbers is not null && !testNumbers.Contains(device.Msisdn) ? SuppressionReason.NotTestNumber
                    : awareness && device.RefusesAwareness ? SuppressionReason.OptedOut
                    : null));
            }
            return read == settings.PageSize
                ? new PageToWrite(planned, listIndex, last!, false, Channels.Push)
                : new PageToWrite(planned, listIndex + 1, "", listIndex + 1 >= stages, Channels.Push);
        }

        // One keyset page of the audience from (list, after), routed and filtered; the position after it.
        async Task<PageToWrite> ReadPageAsync(int listIndex, string after)
        {
            if (listIndex >= stages)
                return new PageToWrite([], listIndex, "", true);
            if (listIndex >= listIds.Count)
                return await ReadDevicesAsync(listIndex, after);
            if (resend is { ThroughPush: true })
                return await ReadResendDevicesAsync(listIndex, after);
            // Opt-outs and the frequency cap (the 24 hours before this page) apply to awareness only; an alert reaches everyone it names.
            var checks = awareness
                ? new SuppressionChecks(OptOuts: true, rules.AwarenessPerDay, (time.GetUtcNow() - TimeSpan.FromDays(1)).ToUnixTimeMilliseconds())
                : SuppressionChecks.None;
            AudiencePage audiencePage;
            string? last;
            int read;
            if (resend is not null && listIndex == 1)
            {
                (audiencePage, last, read) = await resends.ReadLinkedAsync(resend.Campaign, resendStates!, after, settings.PageSize, checks, ct);
            }
            else
            {
                audiencePage = resend is null
                    ? await audiences.ReadAsync(listIds[listIndex], after, settings.PageSize, checks, ct)
                    : await resends.ReadAsync(resend.Campaign, resendStates!, after, settings.PageSize, checks, ct);
                (last, read) = (audiencePage.Members.Count == 0 ? null : audiencePage.Members[^1].Msisdn, audiencePage.Members.Count);
            }
            var page = audiencePage.Members;
            var routed = new List<PlannedRecipient>(page.Count);
            foreach (var member in page)
            {
                // A province campaign reaches only its own province, whatever the list holds.
                if (tenant is not null && !string.Equals(member.Province, tenant, StringComparison.OrdinalIgnoreCase))
                    continue;
                if (!segment.Member(member.Province, member.Commune, member.Tags))
                    continue;
                var carrier = router.Route(member.Msisdn, audiencePage.Ported.GetValueOrDefault(member.Msisdn)) ?? Unrouted.Carrier;
                if (!segment.Carried(carrier))
                    continue;
                var suppressed =
                    testNumbers is not null && !testNumbers.Contains(member.Msisdn) ? SuppressionReason.NotTestNumber
                    : audiencePage.OptedOut.Contains(member.Msisdn) ? SuppressionReason.OptedOut
                    : audiencePage.Capped.Contains(member.Msisdn) ? SuppressionReason.FrequencyCap
                    : null;
                routed.Add(new PlannedRecipient(member.Msisdn, member.Province, carrier, suppressed, member.Tags));
            }
            return read == settings.PageSize
                ? new PageToWrite(routed, listIndex, last!, false)
                : new PageToWrite(routed, listIndex + 1, "", listIndex + 1 >= stages);
        }

        // The next page is read and routed while this one waits for its turn at the write lock and is
        // written: reads do not need the lock (SQLite WAL), so the planner's own work overlaps it.
        var pending = ReadPageAsync((int)campaign.PlanList, campaign.PlanAfter);
        var planned = 0L;
        var batches = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var page = await pending;
            if (!page.Last)
                pending = ReadPageAsync(page.NextList, page.NextAfter);

            var push = page.Channel == Channels.Push;
            var written = await plans.WriteAsync(new PlanPage(
                campaign.Id, priority, push ? 1 : parts, page.Recipients,
                id => push ? CarrierLanes.BatchSize(PushLanes.Options(pushOptions.Get(PushLanes.App(pushApps, id))), 1) : CarrierLanes.BatchSize(carriers.Get(id), parts),
                page.NextList, page.NextAfter, page.Last, settings.PlanLease, CountsTowardAwarenessCap: awareness && !push) { Channel = page.Channel }, ct);
            if (written is null)
            {
                logger.LogInformation("Campaign {CampaignId} was cancelled while planning; {Recipients} recipients planned", campaign.Id, planned);
                if (!page.Last)
                    await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // nothing is left reading in the background
                return;
            }
            await publisher.PublishAsync(written, ct);
            planned += page.Recipients.Count;
            metrics.Planned(campaign.Kind, page.Recipients.Count);
            batches += written.Count;
            if (page.Last)
                break;
        }
        logger.LogInformation("Planned campaign {CampaignId}: {Recipients} recipients in {Batches} batches", campaign.Id, planned, batches);
    }

    private sealed record PageToWrite(IReadOnlyList<PlannedRecipient> Recipients, int NextList, string NextAfter, bool Last, string Channel = Channels.Sms);
}
