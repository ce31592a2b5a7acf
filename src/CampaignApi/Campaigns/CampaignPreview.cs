using Loa.CampaignApi.Security;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Encoding;
using Loa.CarrierAdapters.Push;
using Loa.Contracts;
using Loa.Dispatcher.Planning;
using Loa.Storage.Audiences;
using Loa.Storage.Deliveries;
using Loa.Storage.Devices;
using Loa.Storage.Geography;
using Loa.Storage.Planning;
using Loa.Storage.Suppression;
using Microsoft.Extensions.Options;

namespace Loa.CampaignApi.Campaigns;

/// <summary>
/// What a checked campaign will reach and cost before anyone approves it (issue 19: exact, from the
/// counters kept at upload). Apart from <see cref="CampaignRules"/>, which says whether it may exist at all.
/// </summary>
public sealed class CampaignPreview(
    ListStore lists, SuppressionStore suppression, RouteTable routes, IOptionsMonitor<CarrierOptions> carriers, IOptionsMonitor<SafetyOptions> safety,
    Provinces units, TimeProvider time, DeviceAudience devices, PushApps pushApps, IOptionsMonitor<PushAppOptions> pushOptions,
    ResendPages resends, DeliveryReads deliveries, SharedNumbers shared)
{

    /// <summary>
    /// What the run will do, figure for figure, when nothing changes in between: the planner's rules
    /// (LaunchCampaignConsumer) applied to what a few indexed reads can tell. Recipients per carrier come
    /// from the counts kept at upload, moved for ported numbers (the ported table drives that join);
    /// numbers the lists share are counted once, as the planner writes one delivery per number; the
    /// suppressed are the opted-out members (awareness), those at the frequency cap (awareness: the last
    /// 24 hours' contacts, probed in the lists by key) and the members off the test allow-list (test),
    /// each inside the campaign's provinces, carriers and tenant, with the planner's precedence.
    /// </summary>
    /// <param name="smsText">The text as sent, for each carrier's parts; without it every carrier is shown <paramref name="parts"/>.</param>
    public async Task<Preview> PreviewAsync(
        string tenant, string kind, AudienceDefinition? audience, string? encoding, long parts, CancellationToken ct, string? smsText = null)
    {
        if (audience?.Resend is { ThroughPush: true } throughPush)
            return await ResendThroughPushPreviewAsync(tenant, kind, throughPush, ct);
        if (audience?.Resend is { } resend)
            return await ResendPreviewAsync(kind, resend, encoding, parts, ct, smsText);
        var listIds = (audience?.Lists ?? []).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var segment = AudienceSegment.Of(audience);
        var router = await routes.GetAsync(ct);
        // The planner's filters, in its order: the tenant's own province, then the segment (provinces, communes
        // and tags named, included or excluded), then the carriers. Every row read below carries the member's
        // whole segment (the counters are keyed by it), so each filter is applied exactly, never estimated.
        bool InArea(string province, string? commune, string? tags) =>
            (tenant == Roles.National || string.Equals(province, tenant, StringComparison.OrdinalIgnoreCase))
            && segment.Member(province, commune, tags);
        bool Carried(string carrier) => segment.Carried(carrier);

        var byCarrier = CarrierIds.All.ToDictionary(id => id, _ => 0L);
        void Add(string carrier, long n) => byCarrier[carrier] = byCarrier.GetValueOrDefault(carrier) + n;
        // Counters folded in SQL to the dimensions the segment reads: exact, and 170 rows instead of 8,500 at 10M when it reads none.
        var detail = (segment.ReadsCommunes ? CounterDetail.Communes : CounterDetail.None) | (segment.ReadsTags ? CounterDetail.Tags : CounterDetail.None);
        foreach (var row in await lists.CountsAsync(listIds, detail, ct))
        {
            if (InArea(row.Province, row.Commune, row.Tags) && Carried(row.Carrier))
                Add(row.Carrier, row.Recipients);
        }

        // Upload counted a ported number under its prefix's carrier; the planner routes it to the carrier it was ported to.
        var ported = new Dictionary<string, (string To, List<SharedRow> Rows)>(StringComparer.Ordinal);
        foreach (var list in listIds)
        {
            foreach (var (msisdn, province, to, commune, tags) in await lists.PortedMembersAsync(list, ct))
            {
                if (!ported.TryGetValue(msisdn, out var number))
                    ported[msisdn] = number = (to, []);
                number.Rows.Add(new SharedRow(list, province, commune, tags));
                var counted = router.Route(msisdn) ?? Unrouted.Carrier;
                var routed = router.Route(msisdn, to) ?? Unrouted.Carrier;
                if (counted == routed || !InArea(province, commune, tags))
                    continue;
                if (Carried(counted))
                    Add(counted, -1);
                if (Carried(routed))
                    Add(routed, 1);
            }
        }
        string CarrierOf(string msisdn) => router.Route(msisdn, ported.TryGetValue(msisdn, out var number) ? number.To : null) ?? Unrouted.Carrier;

        // Numbers the lists share are written once: their repeats come off, by their prefix's carrier, then a
        // ported one's move to the carrier it went to. No shapes yet (a large set walked in the background): an upper bound.
        var exact = true;
        if (listIds.Count > 1)
        {
            var groups = await shared.ForPreviewAsync(listIds, router, ct);
            exact = groups is not null;
            if (groups is not null)
            {
                SharedNumbers.Apply(groups, InArea, Carried, Add);
                var order = listIds.Select((list, i) => (list, i)).ToDictionary(x => x.list, x => x.i, StringComparer.Ordinal);
                foreach (var (counted, routed, repeats) in SharedNumbers.PortedRepeats(ported, router, order, InArea))
                {
                    if (Carried(counted))
                        Add(counted, repeats.Count);
                    if (Carried(routed))
                        Add(routed, -repeats.Count);
                }
            }
        }

        // The distinct numbers among some lists' rows that the planner reaches (a row inside the area, on a carrier named).
        async Task<HashSet<string>> ReachedAsync(Func<string, Task<IReadOnlyList<(string Msisdn, string Province, string? Commune, string? Tags)>>> rows)
        {
            var reached = new HashSet<string>(StringComparer.Ordinal);
            foreach (var list in listIds)
            {
                foreach (var (msisdn, province, commune, tags) in await rows(list))
                {
                    if (InArea(province, commune, tags) && Carried(CarrierOf(msisdn)))
                        reached.Add(msisdn);
                }
            }
            return reached;
        }

        var recipients = byCarrier.Values.Sum();
        var suppressed = new Dictionary<string, long>();
        if (kind == CampaignKind.Awareness)
        {
            var optedOut = await ReachedAsync(list => suppression.OptedOutMembersAsync(list, ct));
            suppressed[SuppressionReason.OptedOut] = optedOut.Count;
            var cap = safety.CurrentValue.AwarenessPerDay;
            if (cap > 0)
            {
                var since = (time.GetUtcNow() - TimeSpan.FromDays(1)).ToUnixTimeMilliseconds();
                var capped = await ReachedAsync(list => suppression.CappedMembersAsync(list, cap, since, ct));
                capped.ExceptWith(optedOut); // the planner names the opt-out first
                suppressed[SuppressionReason.FrequencyCap] = capped.Count;
            }
        }
        else if (kind == CampaignKind.Test)
        {
            var allowed = RouteTable.TestNumbers(safety.CurrentValue, router);
            var reachable = await ReachedAsync(list => suppression.MembersAmongAsync(list, allowed, ct));
            suppressed[SuppressionReason.NotTestNumber] = Math.Max(0, recipients - reachable.Count);
        }

        PushPreview? push = null;
        if (audience?.Devices == true)
        {
            var (devicesPreview, devicesSuppressed) = await PreviewDevicesAsync(tenant, kind, audience, ct);
            push = devicesPreview;
            foreach (var (reason, n) in devicesSuppressed)
                suppressed[reason] = suppressed.GetValueOrDefault(reason) + n;
        }
        return Priced(byCarrier, suppressed, encoding, parts, smsText, exact, push);
    }

    /// <summary>
    /// A re-send's preview, exact as a list's is: the recipients are the original's final counters in the
    /// outcomes named (campaign_progress by carrier and status; an unknown outcome is the failed rows Loa
    /// gave its own reason, from campaign_failures), moved for numbers ported since and less those the
    /// planner will suppress, each read driven by the small table (ported numbers, opt-outs, the day's
    /// contacts, the test allow-list) probing the original's deliveries by key. The numbers linked to its push
    /// deliveries have no counters: those are read from the push rows in the outcomes named, in one streamed pass.
    /// </summary>
    private async Task<Preview> ResendPreviewAsync(string kind, ResendAudience resend, string? encoding, long parts, CancellationToken ct, string? smsText)
    {
        var states = ResendStates.Of(resend.Statuses);
        var byCarrier = CarrierIds.All.ToDictionary(id => id, _ => 0L);
        void Add(string carrier, long n) => byCarrier[carrier] = byCarrier.GetValueOrDefault(carrier) + n;
        // campaign_failures keys a reason by its first 200 characters: Loa's own is shorter, so it is the key as is.
        var unknownReason = DeliveryReason.UnknownAfterCrash;
        var unknown = (await deliveries.FailuresAsync(resend.Campaign, int.MaxValue, ct))
            .Where(f => f.Reason == unknownReason).ToDictionary(f => f.Carrier, f => f.Count);
        foreach (var row in await deliveries.ProgressAsync(resend.Campaign, ct))
        {
            // A push lane's rows are devices: their numbers are counted below, one by one.
            if (row.Carrier.StartsWith(Channels.PushLanePrefix, StringComparison.Ordinal))
                continue;
            if (row.Status == DeliveryStatus.Expired && states.Expired)
                Add(row.Carrier, row.Count);
            else if (row.Status == DeliveryStatus.Failed)
            {
                var unknownHere = unknown.GetValueOrDefault(row.Carrier);
                if (states.Unknown)
                    Add(row.Carrier, unknownHere);
                if (states.Failed)
                    Add(row.Carrier, row.Count - unknownHere);
            }
        }
        var router = await routes.GetAsync(ct);
        foreach (var (msisdn, carrier, portedTo) in await resends.PortedAsync(resend.Campaign, states, ct))
        {
            var routed = router.Route(msisdn, portedTo) ?? Unrouted.Carrier;
            if (routed == carrier)
                continue;
            Add(carrier, -1);
            Add(routed, 1);
        }
        var suppressed = new Dictionary<string, long>();
        if (kind == CampaignKind.Awareness)
        {
            var optedOut = (await resends.OptedOutAsync(resend.Campaign, states, ct)).ToHashSet(StringComparer.Ordinal);
            suppressed[SuppressionReason.OptedOut] = optedOut.Count;
            var cap = safety.CurrentValue.AwarenessPerDay;
            if (cap > 0)
            {
                var since = (time.GetUtcNow() - TimeSpan.FromDays(1)).ToUnixTimeMilliseconds();
                var capped = (await resends.CappedAsync(resend.Campaign, states, cap, since, ct)).ToHashSet(StringComparer.Ordinal);
                capped.ExceptWith(optedOut);
                suppressed[SuppressionReason.FrequencyCap] = capped.Count;
            }
        }
        else if (kind == CampaignKind.Test)
        {
            var allowed = RouteTable.TestNumbers(safety.CurrentValue, router);
            var reachable = await resends.AmongAsync(resend.Campaign, states, allowed, ct);
            suppressed[SuppressionReason.NotTestNumber] = Math.Max(0, byCarrier.Values.Sum() - reachable.Count);
        }

        // The numbers linked to the original's push deliveries in those outcomes, each once, less those its SMS
        // reached or holds already; suppressed by the planner's precedence (a test number first, then opt-out, cap).
        var awareness = kind == CampaignKind.Awareness;
        var capPerDay = awareness ? safety.CurrentValue.AwarenessPerDay : 0;
        var capSince = (time.GetUtcNow() - TimeSpan.FromDays(1)).ToUnixTimeMilliseconds();
        var testNumbers = kind == CampaignKind.Test ? RouteTable.TestNumbers(safety.CurrentValue, router) : null;
        await foreach (var linked in resends.LinkedNumbersAsync(resend.Campaign, states, capPerDay, capSince, ct))
        {
            Add(router.Route(linked.Msisdn!, linked.Ported) ?? Unrouted.Carrier, 1);
            var reason = testNumbers is not null && !testNumbers.Contains(linked.Msisdn!) ? SuppressionReason.NotTestNumber
                : awareness && linked.OptedOut ? SuppressionReason.OptedOut
                : linked.Capped ? SuppressionReason.FrequencyCap
                : null;
            if (reason is not null)
                suppressed[reason] = suppressed.GetValueOrDefault(reason) + 1;
        }
        return Priced(byCarrier, suppressed, encoding, parts, smsText, exact: true);
    }

    /// <summary>
    /// A re-send through push: the devices linked to the original's SMS recipients in the outcomes named, as the
    /// planner reaches them (its tenant's province, apps still configured, a test's numbers), counted exactly as they
    /// are streamed: one probe of the devices per such recipient, nothing held.
    /// </summary>
    private async Task<Preview> ResendThroughPushPreviewAsync(string tenant, string kind, ResendAudience resend, CancellationToken ct)
    {
        var testNumbers = kind == CampaignKind.Test ? RouteTable.TestNumbers(safety.CurrentValue, await routes.GetAsync(ct)) : null;
        var byApp = new Dictionary<string, long>(StringComparer.Ordinal);
        var byProvince = new Dictionary<string, long>(StringComparer.Ordinal);
        long notTest = 0, refused = 0;
        await foreach (var device in resends.DevicesOfNumbersAsync(resend.Campaign, ResendStates.Of(resend.Statuses), ct))
        {
            if (tenant != Roles.National && !string.Equals(device.Province, tenant, StringComparison.OrdinalIgnoreCase))
                continue;
            if (pushApps.Names.FirstOrDefault(n => string.Equals(n, device.App, StringComparison.OrdinalIgnoreCase)) is not { } app)
                continue;
            byApp[app] = byApp.GetValueOrDefault(app) + 1;
            byProvince[device.Province] = byProvince.GetValueOrDefault(device.Province) + 1;
            if (testNumbers is not null && !testNumbers.Contains(device.Msisdn))
                notTest++;
            else if (kind == CampaignKind.Awareness && device.RefusesAwareness)
                refused++;
        }
        var suppressed = new Dictionary<string, long>();
        if (kind == CampaignKind.Test)
            suppressed[SuppressionReason.NotTestNumber] = notTest;
        if (kind == CampaignKind.Awareness)
            suppressed[SuppressionReason.OptedOut] = refused;
        return Priced(CarrierIds.All.ToDictionary(id => id, _ => 0L), suppressed, null, 0, null, exact: true,
            new PushPreview(byApp.Values.Sum(), byApp, byProvince));
    }

    private Preview Priced(
        Dictionary<string, long> byCarrier, Dictionary<string, long> suppressed, string? encoding, long parts, string? smsText, bool exact,
        PushPreview? push = null)
    {
        var recipients = byCarrier.Values.Sum();
        // Each carrier bills by its own split rule; the campaign pays (and its lanes take tokens for) the dearest.
        var partsByCarrier = CarrierIds.All.ToDictionary(
            id => id, id => smsText is null ? parts : SmsText.Measure(smsText, carriers.Get(id).SplitGraphemes).Parts);
        var seconds = byCarrier
            .Where(kv => kv.Key != Unrouted.Carrier && kv.Value > 0)
            .Select(kv => (double)kv.Value * Math.Max(parts, partsByCarrier.GetValueOrDefault(kv.Key)) / Math.Max(1, carriers.Get(kv.Key).PartsPerSecond))
            .DefaultIfEmpty(0)
            .Max();

        if (push is not null)
        {
            foreach (var (app, devicesOfApp) in push.ByApp)
            {
                // What the run writes a delivery for: an app on topics, its topics; any other, its devices.
                var count = push.TopicsByApp.TryGetValue(app, out var topics) ? topics : devicesOfApp;
                recipients += count;
                byCarrier[PushAdapterFactory.CarrierIdOf(app)] = count;
                seconds = Math.Max(seconds, (double)count / Math.Max(1, pushOptions.Get(pushApps.Names.FirstOrDefault(n => string.Equals(n, app, StringComparison.OrdinalIgnoreCase)) ?? app).EffectiveRatePerSecond));
            }
        }
        return new Preview(
            recipients, suppressed.Values.Sum(), suppressed, encoding, parts, byCarrier, (long)Math.Ceiling(seconds), partsByCarrier, exact)
        {
            Push = push,
        };
    }

    /// <summary>
    /// The devices the planner will reach (LaunchCampaignConsumer, through the same <see cref="DeviceFilter"/>):
    /// counted per app, province and language from the devices' audience index, never from deliveries. A test
    /// campaign reaches only devices linked to a test number; the others are what it suppresses.
    /// </summary>
    private async Task<(PushPreview Preview, Dictionary<string, long> Suppressed)> PreviewDevicesAsync(string tenant, string kind, AudienceDefinition audience, CancellationToken ct)
    {
        var filter = DeviceFilter.Of(audience.Apps, audience.Provinces, audience.Languages,
            tenant == Roles.National ? null : tenant, pushApps.Names, units.Units.Select(u => u.Code));
        var counts = await devices.CountAsync(filter, cancellationToken: ct);
        var byApp = filter.Apps.ToDictionary(a => a, a => counts.Where(c => c.App == a).Sum(c => c.Devices), StringComparer.Ordinal);
        var byProvince = counts.GroupBy(c => c.Province, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(c => c.Devices), StringComparer.Ordinal);
        var total = byApp.Values.Sum();
        var suppressed = new Dictionary<string, long>();
        if (kind == CampaignKind.Test)
        {
            var allowed = RouteTable.TestNumbers(safety.CurrentValue, await routes.GetAsync(ct));
            var linked = allowed.Count == 0 ? 0 : (await devices.CountAsync(filter, allowed, ct)).Sum(c => c.Devices);
            suppressed[SuppressionReason.NotTestNumber] = total - linked;
        }
        // As the planner: an app on topics (not in a test, which sends devices one by one) is sent the topic of
        // each province and language that has a device; the counts above already say which have.
        var topicsByApp = kind == CampaignKind.Test ? new Dictionary<string, long>(StringComparer.Ordinal)
            : filter.Apps.Where(a => pushOptions.Get(pushApps.Names.FirstOrDefault(n => string.Equals(n, a, StringComparison.OrdinalIgnoreCase)) ?? a).UseTopics)
                .ToDictionary(a => a, a => (long)counts.Count(c => c.App == a && c.Devices > 0), StringComparer.Ordinal);
        // The devices whose owners refused awareness, as the planner suppresses them; an app on topics sends its
        // topics whatever each phone chose (the notification's data says its kind, for the app to drop it).
        if (kind == CampaignKind.Awareness)
            suppressed[SuppressionReason.OptedOut] = counts.Where(c => !topicsByApp.ContainsKey(c.App)).Sum(c => c.OptedOut);
        return (new PushPreview(total, byApp, byProvince) { Topics = topicsByApp.Values.Sum(), TopicsByApp = topicsByApp }, suppressed);
    }
}
