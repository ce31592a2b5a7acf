using System.Security.Claims;
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

/// <summary>What a new campaign must satisfy, and what it will cost (the preview).</summary>
public sealed class CampaignRules(
    ListStore lists, SuppressionStore suppression, RouteTable routes, IOptionsMonitor<CarrierOptions> carriers, IOptionsMonitor<SafetyOptions> safety,
    Provinces units, TimeProvider time, DeviceAudience devices, PushApps pushApps, IOptionsMonitor<PushAppOptions> pushOptions,
    ResendPages resends, DeliveryReads deliveries, IOptionsMonitor<Verification.PublicAlertOptions> publicAlerts)
{
    public const int DefaultMaxSmsParts = 3;
    public const int MaxSmsCharacters = 1600;

    /// <summary>A notification's title as phones show it whole on the lock screen (about a line); FCM and APNs take more, phones cut it.</summary>
    public const int MaxPushTitleCharacters = 100;

    /// <summary>Well inside APNs' 4 KB payload with the title, link and campaign, in UTF-8 Vietnamese (up to 3 bytes a character).</summary>
    public const int MaxPushBodyCharacters = 1000;

    /// <summary>
    /// Most members the preview walks to count the numbers a campaign's lists share (every list but the
    /// largest is walked, probing the others by key): about a tenth of a second on SQLite. Beyond it the
    /// preview says <c>exact: false</c> rather than scan millions of rows on every create and read.
    /// </summary>
    public const long SharedMembersWalkLimit = 200_000;

    /// <param name="Measure">The text as the dearest target carrier bills it (its parts are the campaign's).</param>
    /// <param name="NormalizedFrom">What the text as written would have cost, when precomposing it (NFC) changed it.</param>
    /// <param name="SmsText">Null when the campaign sends no SMS (push only); then so is <paramref name="Measure"/>.</param>
    public sealed record Checked(string? SmsText, SmsMeasure? Measure, CampaignDefinition Definition, TextCost? NormalizedFrom = null);

    /// <summary>Returns the checked campaign, or the problem to answer with.</summary>
    /// <param name="fieldName">Renames fields in the errors (CAP intake names its own elements instead); unchanged when null.</param>
    public async Task<(Checked? Ok, IResult? Problem)> CheckAsync(
        CampaignDefinition request, ClaimsPrincipal user, DateTimeOffset now, CancellationToken ct, Func<string, string>? fieldName = null)
    {
        var errors = new Dictionary<string, string[]>();
        string Name(string field) => fieldName?.Invoke(field) ?? field;
        void Error(string field, string message) => errors[Name(field)] = [.. errors.GetValueOrDefault(Name(field)) ?? [], message];

        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
            Error("name", "A campaign needs a name of at most 200 characters.");
        if (request.Kind is null || !CampaignKind.All.Contains(request.Kind))
            Error("kind", "kind must be one of: emergency, warning, awareness, test.");
        var channels = request.Channels ?? [];
        if (channels.Count == 0)
            Error("channels", "Name at least one channel: sms, push.");
        foreach (var channel in channels.Where(c => c is not (Channels.Sms or Channels.Push)))
            Error("channels", $"Unknown channel '{channel}'.");

        var written = request.Message?.Sms;
        string? sms = null;
        // A push fallback sends the campaign's SMS: the text is measured, stored and refused like an sms campaign's.
        var fallback = request.Options?.Fallback;
        if (channels.Contains(Channels.Sms) && string.IsNullOrWhiteSpace(written))
            Error("message.sms", "An sms campaign needs message.sms.");
        else if (fallback is not null && string.IsNullOrWhiteSpace(written))
            Error("message.sms", "options.fallback sends message.sms to those who do not acknowledge the push: it is required.");
        else if (written is not null && written.Length > MaxSmsCharacters)
            Error("message.sms", $"The SMS text may be at most {MaxSmsCharacters} characters.");
        else if (written is not null && SmsText.Unsendable(written) is { } unsendable)
            Error("message.sms", $"The SMS text has {unsendable.Reason} at position {unsendable.Index} (UTF-16 units from 0).");
        else if (written is not null)
        {
            // Precomposed at the edge, so that what is measured, previewed, stored and sent is one text:
            // decomposed Vietnamese (a letter, then its marks) costs up to three units per letter.
            sms = SmsText.Precomposed(written);
            if (sms != written)
                request = request with { Message = request.Message! with { Sms = sms } };
        }

        var pushing = channels.Contains(Channels.Push);
        var push = request.Message?.Push;
        if (pushing)
        {
            if (string.IsNullOrWhiteSpace(push?.Title))
                Error("message.push.title", "A push campaign needs message.push.title.");
            else if (push.Title.Length > MaxPushTitleCharacters || SmsText.Unsendable(push.Title) is not null || push.Title.Contains('\n'))
                Error("message.push.title", $"The title is one line of at most {MaxPushTitleCharacters} characters, without control characters.");
            if (string.IsNullOrWhiteSpace(push?.Body))
                Error("message.push.body", "A push campaign needs message.push.body.");
            else if (push.Body.Length > MaxPushBodyCharacters || SmsText.Unsendable(push.Body) is not null)
                Error("message.push.body", $"The body is at most {MaxPushBodyCharacters} characters, without control characters other than line breaks.");
            else if (push is not null)
                request = request with { Message = request.Message! with { Push = push with { Title = SmsText.Precomposed(push.Title!.Trim()), Body = SmsText.Precomposed(push.Body) } } };
        }

        var audience = request.Audience;
        var listIds = audience?.Lists ?? [];
        var texting = channels.Contains(Channels.Sms);
        if (listIds.Count > 0 && !texting && channels.Count > 0)
            Error("audience.lists", "Lists are reached by SMS: add sms to channels, or leave the lists out.");
        if (audience?.Resend is not null)
        {
            // A re-send's audience is the original's deliveries (set by POST /campaigns/{id}/resend only).
            if (listIds.Count > 0)
                Error("audience.lists", "A re-send reaches the recipients of the campaign it re-sends, not lists.");
        }
        else if (listIds.Count == 0 && (texting || !pushing))
            Error("audience.lists", "Name at least one list: the sms channel reaches the lists' numbers.");
        else if (listIds.Count > 50)
            Error("audience.lists", "At most 50 lists per campaign.");
        else
        {
            // JSON's null passes the binding as a null string: refused here, before it reaches a query.
            var found = (await lists.GetManyAsync(listIds.OfType<string>().Distinct(), ct)).ToDictionary(l => l.Id);
            for (var i = 0; i < listIds.Count; i++)
            {
                if (listIds[i] is null)
                    Error($"audience.lists[{i}]", "A list id is a string, not null.");
                else if (!found.TryGetValue(listIds[i], out var list) || !user.CanSee(list.Tenant))
                    Error($"audience.lists[{i}]", "No such list is visible to you.");
            }
        }
        var carriers = audience?.Carriers ?? [];
        for (var i = 0; i < carriers.Count; i++)
        {
            if (carriers[i] is null)
                Error($"audience.carriers[{i}]", "A carrier is a string, not null.");
            else if (!CarrierIds.All.Contains(carriers[i]))
                Error("audience.carriers", $"Unknown carrier '{carriers[i]}'.");
        }
        var provinces = audience?.Provinces ?? [];
        var canonical = new List<string>(provinces.Count);
        for (var i = 0; i < provinces.Count; i++)
        {
            if (provinces[i] is null)
                Error($"audience.provinces[{i}]", "A province is a string, not null.");
            else if (units.Resolve(provinces[i]) is { } unit)
            {
                if (!canonical.Contains(unit.Code))
                    canonical.Add(unit.Code);
            }
            else
                Error($"audience.provinces[{i}]", $"'{(provinces[i].Length <= 20 ? provinces[i] : provinces[i][..20])}' is not a province Loa knows (GET /api/v1/provinces).");
        }
        // Stored and planned by today's codes: the planner compares them with its members' provinces, which
        // are canonical since migration 0018 and every upload after it (HN, HG and 01 all reach 01 and 92).
        if (provinces.Count > 0 && !canonical.SequenceEqual(provinces))
            request = request with { Audience = audience! with { Provinces = canonical } };
        audience = request.Audience;
        if (audience?.Devices == true && !pushing)
            Error("audience.devices", "Devices are reached by push: add push to channels.");
        else if (audience?.Devices != true && pushing)
            Error("audience.devices", "The push channel reaches registered devices: set audience.devices to true.");
        var apps = audience?.Apps ?? [];
        for (var i = 0; i < apps.Count; i++)
        {
            if (apps[i] is null)
                Error($"audience.apps[{i}]", "An app is a string, not null.");
            else if (!pushApps.Names.Contains(apps[i].Trim(), StringComparer.OrdinalIgnoreCase))
                Error($"audience.apps[{i}]", $"'{(apps[i].Length <= 40 ? apps[i] : apps[i][..40])}' is not a push app Loa is configured for (Loa:Push:Apps).");
        }
        var languages = audience?.Languages ?? [];
        for (var i = 0; i < languages.Count; i++)
        {
            if (languages[i] is null)
                Error($"audience.languages[{i}]", "A language is a string, not null.");
            else if (!DeviceFilter.AllLanguages.Contains(languages[i].Trim().ToLowerInvariant()))
                Error($"audience.languages[{i}]", "A language is 'vi' or 'en'.");
        }
        if ((apps.Count > 0 || languages.Count > 0) && audience?.Devices != true)
            Error(apps.Count > 0 ? "audience.apps" : "audience.languages", "apps and languages narrow the devices: set audience.devices to true.");
        if (pushing && audience?.Devices == true && pushApps.Names.Count == 0)
            Error("channels", "No push app is configured (Loa:Push:Apps), so push reaches nobody.");
        if (audience?.Include is not null || audience?.Exclude is not null)
        {
            request = request with { Audience = audience! with
            {
                Include = Filter(audience.Include, "audience.include", Error),
                Exclude = Filter(audience.Exclude, "audience.exclude", Error),
            } };
            audience = request.Audience;
        }

        var schedule = request.Schedule;
        var datesSane = true;
        if (schedule?.StartAt is { } startAt && !Dates.IsSane(startAt))
        {
            Error("schedule.startAt", $"startAt must be {Dates.Range}.");
            datesSane = false;
        }
        if (schedule?.ExpiresAt is { } expiry && !Dates.IsSane(expiry))
        {
            Error("schedule.expiresAt", $"expiresAt must be {Dates.Range}.");
            datesSane = false;
        }
        if (datesSane && schedule?.Recurrence is { } cron)
        {
            var from = schedule.StartAt is { } start && start > now ? start : now;
            if (Scheduling.Recurrence.Problem(cron, from, schedule.ExpiresAt) is { } cronProblem)
                Error("schedule.recurrence", cronProblem);
            else if (request.Kind is CampaignKind.Emergency)
                Error("schedule.recurrence", "An emergency happens once; schedule recurring warnings or awareness instead.");
        }
        if (schedule?.Window is not null)
        {
            if (request.Kind is not CampaignKind.Awareness)
                Error("schedule.window", "A sending window applies to awareness campaigns only; emergency and warning go out at any hour.");
            else if (SendingWindow.Parse(schedule.Window, out var windowError) is null)
                Error("schedule.window", windowError!);
        }
        if (datesSane && schedule?.ExpiresAt is { } expiresAt && expiresAt <= (schedule.StartAt is { } s && s > now ? s : now))
            Error("schedule.expiresAt", "expiresAt must be after the start time.");

        var maxParts = request.Options?.MaxSmsParts ?? DefaultMaxSmsParts;
        if (maxParts is < 1 or > 10)
            Error("options.maxSmsParts", "maxSmsParts must be between 1 and 10.");
        if (fallback is not null)
        {
            if (fallback.Channel != Channels.Sms)
                Error("options.fallback.channel", "The fallback channel is 'sms'.");
            if (FallbackDefinition.ParseAfter(fallback.After) is null)
                Error("options.fallback.after", "after is an ISO 8601 duration from PT1M to PT24H, e.g. PT5M.");
            if (!pushing || audience?.Devices != true)
                Error("options.fallback", "A fallback follows a push: it needs push in channels and audience.devices.");
            // A topic send cannot say which phones it missed, so the sweep passes topic deliveries without an SMS
            // (FallbackStore). A campaign whose every app is on topics would open a fallback that can never
            // send: refused, so the author is not promised one. A test campaign sends every app's devices one by one.
            else if (request.Kind is not CampaignKind.Test
                     && (audience.Apps is { Count: > 0 } appsNamed ? appsNamed.OfType<string>().Select(a => a.Trim()) : pushApps.Names)
                         .Select(a => pushApps.Names.FirstOrDefault(n => string.Equals(n, a, StringComparison.OrdinalIgnoreCase)))
                         .OfType<string>().ToList() is { Count: > 0 } reached
                     && reached.All(a => pushOptions.Get(a).UseTopics))
            {
                Error("options.fallback", "Every app this campaign reaches sends to topics (Loa:Push:Apps:<app>:UseTopics), and a topic send "
                    + "cannot say which phones it missed: no SMS could ever fall back. Leave options.fallback out, or add an app sent device by device.");
            }
        }

        if (errors.Count > 0)
            return (null, Problems.Validation(errors));

        // A province may only reach its own province (checked after the shape, so the error is precise).
        if (!user.IsNational() && (audience!.Provinces ?? []).Concat(audience.Include?.Provinces ?? []).Any(p => p != user.Tenant()))
            return (null, Problems.Forbidden("tenant", $"A {user.Tenant()} campaign may only target province {user.Tenant()}."));

        if (!texting && fallback is null)
            return (new Checked(null, null, request), null);

        // One code per campaign, drawn once: the text measured, previewed, stored and sent carries the same one.
        var code = request.Options?.VerifyCode == true ? Verification.VerifyCodes.New() : null;
        string ToSend(string message) => TextAsSent(message, request.Kind, request.Options, code);
        var text = ToSend(sms!);
        var targets = audience!.Carriers is { Count: > 0 } named ? named
            : audience.Include?.Carriers is { Count: > 0 } included ? included
            : CarrierIds.All;
        var measure = Billed(text, targets);
        TextCost? normalizedFrom = null;
        if (sms != written && Billed(ToSend(written!), targets) is var before && before.Length != measure.Length)
            normalizedFrom = new TextCost(before.Length, before.Parts);
        if (measure.Parts > maxParts)
        {
            var unit = measure.Encoding == CarrierAdapters.SmsEncoding.Gsm7 ? "GSM-7 characters" : "UCS-2 characters";
            return (null, Problems.Unprocessable(
                "sms-too-long", "SMS text too long",
                $"The text is {measure.Length} {unit} and needs {measure.Parts} parts; at most {maxParts} are allowed.",
                new Dictionary<string, string[]> { [Name("message.sms")] = [$"{measure.Length} {unit}, {measure.Parts} parts (max {maxParts})"] }));
        }
        return (new Checked(text, measure, request, normalizedFrom), null);
    }

    /// <summary>
    /// An include or exclude filter checked value by value (errors keyed <c>audience.include.tags[i]</c> and
    /// so on) and stored canonical: provinces by today's codes, tags lower case, repeats dropped.
    /// </summary>
    private AudienceFilter? Filter(AudienceFilter? filter, string field, Action<string, string> error)
    {
        if (filter is null)
            return null;
        List<string>? Each(IReadOnlyList<string>? values, string name, Func<string, (string? Value, string? Problem)> check)
        {
            if (values is null)
                return null;
            if (values.Count > MaxFilterValues)
                error($"{field}.{name}", $"At most {MaxFilterValues} values.");
            var kept = new List<string>(values.Count);
            for (var i = 0; i < values.Count && i < MaxFilterValues; i++)
            {
                if (values[i] is null)
                {
                    error($"{field}.{name}[{i}]", $"A value of {name} is a string, not null.");
                    continue;
                }
                var (value, problem) = check(values[i].Trim());
                if (problem is not null)
                    error($"{field}.{name}[{i}]", problem);
                else if (!kept.Contains(value!))
                    kept.Add(value!);
            }
            return kept;
        }
        static string Clip(string value) => value.Length <= 20 ? value : value[..20];
        return new AudienceFilter(
            Tags: Each(filter.Tags, "tags", t => SegmentTags.Problem(t.ToLowerInvariant()) is { } p ? (null, p) : (t.ToLowerInvariant(), null)),
            Provinces: Each(filter.Provinces, "provinces", p => units.Resolve(p) is { } unit
                ? (unit.Code, null)
                : (null, $"'{Clip(p)}' is not a province Loa knows (GET /api/v1/provinces).")),
            Communes: Each(filter.Communes, "communes", c => SegmentTags.IsCommune(c) ? (c, null) : (null, $"'{Clip(c)}' is not a commune code (5 digits).")),
            Carriers: Each(filter.Carriers, "carriers", c => CarrierIds.All.Contains(c) ? (c, null) : (null, $"Unknown carrier '{Clip(c)}'.")));
    }

    /// <summary>Most values one dimension of an include or exclude filter may name.</summary>
    public const int MaxFilterValues = 500;

    /// <summary>What is sent for a precomposed text: unaccented when asked, a test's marker before it, and the verification suffix after it when asked.</summary>
    /// <param name="code">The campaign's verification code; a stand-in of the same length when measuring a text not yet stored.</param>
    public string TextAsSent(string message, string? kind, OptionsDefinition? options, string? code = null)
    {
        var text = options?.StripDiacritics == true ? Unaccent.Strip(message) : message;
        if (options?.VerifyCode == true)
            text += Verification.VerifyCodes.Suffix(publicAlerts.CurrentValue.Host, code ?? Verification.VerifyCodes.Placeholder);
        // A test can never pass for a real alert: its marker is part of the text that is measured and sent.
        return kind == CampaignKind.Test && !text.StartsWith(safety.CurrentValue.TestMarker, StringComparison.Ordinal)
            ? safety.CurrentValue.TestMarker + text
            : text;
    }

    /// <summary>The text as the dearest of <paramref name="carrierIds"/> bills it: rate tokens and the part limit must never count fewer parts than a carrier bills.</summary>
    public SmsMeasure Billed(string text, IEnumerable<string> carrierIds) =>
        carrierIds.Select(id => SmsText.Measure(text, carriers.Get(id).SplitGraphemes)).MaxBy(m => m.Parts);

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
        foreach (var row in await lists.CountsAsync(listIds, ct))
        {
            if (InArea(row.Province, row.Commune, row.Tags) && Carried(row.Carrier))
                Add(row.Carrier, row.Recipients);
        }

        // Upload counted a ported number under its prefix's carrier; the planner routes it to the carrier it was ported to.
        var ported = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var list in listIds)
        {
            foreach (var (msisdn, province, to, commune, tags) in await lists.PortedMembersAsync(list, ct))
            {
                ported[msisdn] = to;
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
        string CarrierOf(string msisdn) => router.Route(msisdn, ported.GetValueOrDefault(msisdn)) ?? Unrouted.Carrier;

        var exact = await SubtractSharedAsync(listIds, InArea, number => Carried(CarrierOf(number)), number => Add(CarrierOf(number), -1), ct);

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
            var (devicesPreview, testSuppressed) = await PreviewDevicesAsync(tenant, kind, audience, ct);
            push = devicesPreview;
            if (kind == CampaignKind.Test)
                suppressed[SuppressionReason.NotTestNumber] = suppressed.GetValueOrDefault(SuppressionReason.NotTestNumber) + testSuppressed;
        }
        return Priced(byCarrier, suppressed, encoding, parts, smsText, exact, push);
    }

    /// <summary>
    /// A re-send's preview, exact as a list's is: the recipients are the original's final counters in the
    /// outcomes named (campaign_progress by carrier and status; an unknown outcome is the failed rows Loa
    /// gave its own reason, from campaign_failures), moved for numbers ported since and less those the
    /// planner will suppress, each read driven by the small table (ported numbers, opt-outs, the day's
    /// contacts, the test allow-list) probing the original's deliveries by key. Nothing counts deliveries.
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
        return Priced(byCarrier, suppressed, encoding, parts, smsText, exact: true);
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
    private async Task<(PushPreview Preview, long TestSuppressed)> PreviewDevicesAsync(string tenant, string kind, AudienceDefinition audience, CancellationToken ct)
    {
        var filter = DeviceFilter.Of(audience.Apps, audience.Provinces, audience.Languages,
            tenant == Roles.National ? null : tenant, pushApps.Names, units.Units.Select(u => u.Code));
        var counts = await devices.CountAsync(filter, cancellationToken: ct);
        var byApp = filter.Apps.ToDictionary(a => a, a => counts.Where(c => c.App == a).Sum(c => c.Devices), StringComparer.Ordinal);
        var byProvince = counts.GroupBy(c => c.Province, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(c => c.Devices), StringComparer.Ordinal);
        var total = byApp.Values.Sum();
        long testSuppressed = 0;
        if (kind == CampaignKind.Test)
        {
            var allowed = RouteTable.TestNumbers(safety.CurrentValue, await routes.GetAsync(ct));
            var linked = allowed.Count == 0 ? 0 : (await devices.CountAsync(filter, allowed, ct)).Sum(c => c.Devices);
            testSuppressed = total - linked;
        }
        // As the planner: an app on topics (not in a test, which sends devices one by one) is sent the topic of
        // each province and language that has a device; the counts above already say which have.
        var topicsByApp = kind == CampaignKind.Test ? new Dictionary<string, long>(StringComparer.Ordinal)
            : filter.Apps.Where(a => pushOptions.Get(pushApps.Names.FirstOrDefault(n => string.Equals(n, a, StringComparison.OrdinalIgnoreCase)) ?? a).UseTopics)
                .ToDictionary(a => a, a => (long)counts.Count(c => c.App == a && c.Devices > 0), StringComparer.Ordinal);
        return (new PushPreview(total, byApp, byProvince) { Topics = topicsByApp.Values.Sum(), TopicsByApp = topicsByApp }, testSuppressed);
    }

    /// <summary>
    /// Takes off the numbers the campaign's lists share: the planner writes one delivery per number, from
    /// the first list (in the campaign's order) whose row of it is inside the area. Every list but the
    /// largest is walked in keyset pages, each member probing the other lists by key, so a number outside
    /// the walked lists cannot be shared. False (nothing taken off) when the walk would pass
    /// <see cref="SharedMembersWalkLimit"/>.
    /// </summary>
    private async Task<bool> SubtractSharedAsync(
        IReadOnlyList<string> listIds, Func<string, string?, string?, bool> inArea, Func<string, bool> carried, Action<string> subtractOne, CancellationToken ct)
    {
        if (listIds.Count < 2)
            return true;
        var sizes = (await lists.GetManyAsync(listIds, ct)).ToDictionary(l => l.Id, l => l.Accepted);
        var largest = listIds.MaxBy(id => sizes.GetValueOrDefault(id));
        var walked = listIds.Where(id => id != largest).ToList();
        if (walked.Sum(id => sizes.GetValueOrDefault(id)) > SharedMembersWalkLimit)
            return false;
        var order = listIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i, StringComparer.Ordinal);
        const int page = 5_000;
        foreach (var list in walked)
        {
            var others = listIds.Where(id => id != list).ToList();
            var after = "";
            // Bounded: each turn moves the key forward through a list of at most SharedMembersWalkLimit members.
            while (true)
            {
                var (shared, last) = await lists.SharedMembersPageAsync(list, others, after, page, ct);
                if (last is null)
                    break;
                foreach (var number in shared.GroupBy(r => r.Msisdn, StringComparer.Ordinal))
                {
                    var first = number.First();
                    var rows = number.Select(r => (List: r.OtherList, Province: r.OtherProvince, Commune: r.OtherCommune, Tags: r.OtherTags))
                        .Append((List: list, first.Province, first.Commune, first.Tags)).ToList();
                    // Counted once, by the first walked list that holds the number.
                    if (rows.Where(r => r.List != largest).Min(r => order[r.List]) != order[list] || !carried(number.Key))
                        continue;
                    var reached = rows.Count(r => inArea(r.Province, r.Commune, r.Tags));
                    for (var i = 1; i < reached; i++)
                        subtractOne(number.Key);
                }
                after = last;
            }
        }
        return true;
    }
}
