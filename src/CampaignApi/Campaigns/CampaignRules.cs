using System.Security.Claims;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Encoding;
using Loa.CarrierAdapters.Push;
using Loa.Contracts;
using Loa.Dispatcher.Planning;
using Loa.Storage.Audiences;
using Loa.Storage.Devices;
using Loa.Storage.Geography;
using Loa.Storage.Planning;
using Microsoft.Extensions.Options;

namespace Loa.CampaignApi.Campaigns;

/// <summary>What a new campaign must satisfy; what it will reach and cost is <see cref="CampaignPreview"/>.</summary>
public sealed class CampaignRules(
    ListStore lists, IOptionsMonitor<CarrierOptions> carriers, IOptionsMonitor<SafetyOptions> safety,
    Provinces units, PushApps pushApps, IOptionsMonitor<PushAppOptions> pushOptions,
    IOptionsMonitor<Verification.PublicAlertOptions> publicAlerts)
{
    public const int DefaultMaxSmsParts = 3;
    public const int MaxSmsCharacters = 1600;

    /// <summary>A notification's title as phones show it whole on the lock screen (about a line); FCM and APNs take more, phones cut it.</summary>
    public const int MaxPushTitleCharacters = 100;

    /// <summary>Well inside APNs' 4 KB payload with the title, link and campaign, in UTF-8 Vietnamese (up to 3 bytes a character).</summary>
    public const int MaxPushBodyCharacters = 1000;

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
            // The verification suffix the SMS carries is pushed at the end of the body too (PushBatches): it counts.
            var suffix = request.Options?.VerifyCode == true
                ? Verification.VerifyCodes.Suffix(publicAlerts.CurrentValue.Host, Verification.VerifyCodes.Placeholder).Length : 0;
            if (string.IsNullOrWhiteSpace(push?.Body))
                Error("message.push.body", "A push campaign needs message.push.body.");
            else if (push.Body.Length + suffix > MaxPushBodyCharacters || SmsText.Unsendable(push.Body) is not null)
                Error("message.push.body", $"The body is at most {MaxPushBodyCharacters - suffix} characters, without control characters other than line breaks.");
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
        else if (audience?.Devices != true && pushing && audience?.Resend is null)
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

        // One code per campaign, drawn once: the text measured, previewed, stored and sent carries the same one.
        var code = request.Options?.VerifyCode == true ? Verification.VerifyCodes.New() : null;
        if (!texting && fallback is null)
        {
            // No SMS text to carry the code: the campaign keeps its suffix for the push lane and the public page.
            var suffix = code is null || !pushing ? null : Verification.VerifyCodes.Suffix(publicAlerts.CurrentValue.Host, code);
            return (new Checked(null, null, request with { PushVerification = suffix }), null);
        }
        request = request with { PushVerification = null };
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
}
