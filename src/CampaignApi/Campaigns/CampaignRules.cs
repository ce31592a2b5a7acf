using System.Security.Claims;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Encoding;
using Loa.Contracts;
using Loa.Dispatcher.Planning;
using Loa.Storage.Audiences;
using Loa.Storage.Suppression;
using Microsoft.Extensions.Options;

namespace Loa.CampaignApi.Campaigns;

/// <summary>What a new campaign must satisfy, and what it will cost (the preview).</summary>
public sealed class CampaignRules(
    ListStore lists, SuppressionStore suppression, RouteTable routes, IOptionsMonitor<CarrierOptions> carriers, IOptionsMonitor<SafetyOptions> safety)
{
    public const int DefaultMaxSmsParts = 3;
    public const int MaxSmsCharacters = 1600;

    public sealed record Checked(string SmsText, SmsMeasure Measure, CampaignDefinition Definition);

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
            Error("channels", "Name at least one channel: sms.");
        foreach (var channel in channels.Where(c => c is not (Channels.Sms or Channels.Push)))
            Error("channels", $"Unknown channel '{channel}'.");

        var sms = request.Message?.Sms;
        if (channels.Contains(Channels.Sms) && string.IsNullOrWhiteSpace(sms))
            Error("message.sms", "An sms campaign needs message.sms.");
        else if (sms is not null && sms.Length > MaxSmsCharacters)
            Error("message.sms", $"The SMS text may be at most {MaxSmsCharacters} characters.");

        var audience = request.Audience;
        var listIds = audience?.Lists ?? [];
        if (listIds.Count == 0)
            Error("audience.lists", "Name at least one list.");
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
        for (var i = 0; i < provinces.Count; i++)
        {
            if (provinces[i] is null)
                Error($"audience.provinces[{i}]", "A province is a string, not null.");
        }
        if (audience?.Devices == true)
            Error("audience.devices", "Device audiences need push, which is not available yet.");

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

        if (errors.Count > 0)
            return (null, Problems.Validation(errors));

        // A province may only reach its own province (checked after the shape, so the error is precise).
        if (!user.IsNational() && (audience!.Provinces ?? []).Any(p => !string.Equals(p, user.Tenant(), StringComparison.OrdinalIgnoreCase)))
            return (null, Problems.Forbidden("tenant", $"A {user.Tenant()} campaign may only target province {user.Tenant()}."));

        if (channels.Contains(Channels.Push))
        {
            return (null, Problems.Unprocessable(
                "channel-unavailable", "Channel not available",
                "The push channel has no adapters yet; send this campaign with channels [\"sms\"].",
                new Dictionary<string, string[]> { [Name("channels")] = ["push is not available yet"] }));
        }

        var text = request.Options?.StripDiacritics == true ? Unaccent.Strip(sms!) : sms!;
        // A test can never pass for a real alert: its marker is part of the text that is measured and sent.
        if (request.Kind == CampaignKind.Test && !text.StartsWith(safety.CurrentValue.TestMarker, StringComparison.Ordinal))
            text = safety.CurrentValue.TestMarker + text;
        var measure = SmsText.Measure(text);
        if (measure.Parts > maxParts)
        {
            var unit = measure.Encoding == CarrierAdapters.SmsEncoding.Gsm7 ? "GSM-7 characters" : "UCS-2 characters";
            return (null, Problems.Unprocessable(
                "sms-too-long", "SMS text too long",
                $"The text is {measure.Length} {unit} and needs {measure.Parts} parts; at most {maxParts} are allowed.",
                new Dictionary<string, string[]> { [Name("message.sms")] = [$"{measure.Length} {unit}, {measure.Parts} parts (max {maxParts})"] }));
        }
        return (new Checked(text, measure, request), null);
    }

    /// <summary>
    /// Recipients per carrier from the counts kept at upload (never a count over members). Lists that
    /// overlap are summed, so for several lists this is an upper bound; planning drops the repeats.
    /// </summary>
    /// <summary>
    /// Recipients per carrier from the lists' stored counts, and who will be left out and why: opted-out
    /// members for awareness, numbers off the allow-list for test. Lists that overlap are counted once
    /// per list (an upper bound); the frequency cap depends on the day's other campaigns and shows in progress.
    /// </summary>
    public async Task<Preview> PreviewAsync(string tenant, string kind, AudienceDefinition? audience, string? encoding, long parts, CancellationToken ct)
    {
        var counts = await lists.CountsAsync(audience?.Lists ?? [], ct);
        var provinces = audience?.Provinces is { Count: > 0 } p ? p.ToHashSet(StringComparer.OrdinalIgnoreCase) : null;
        var carrierFilter = audience?.Carriers is { Count: > 0 } c ? c.ToHashSet(StringComparer.OrdinalIgnoreCase) : null;
        var byCarrier = CarrierIds.All.ToDictionary(id => id, _ => 0L);
        foreach (var row in counts)
        {
            if (tenant != Roles.National && !string.Equals(row.Province, tenant, StringComparison.OrdinalIgnoreCase))
                continue;
            if (provinces is not null && !provinces.Contains(row.Province))
                continue;
            if (carrierFilter is not null && !carrierFilter.Contains(row.Carrier))
                continue;
            byCarrier[row.Carrier] = byCarrier.GetValueOrDefault(row.Carrier) + row.Recipients;
        }
        var seconds = byCarrier
            .Where(kv => kv.Key != Unrouted.Carrier && kv.Value > 0)
            .Select(kv => (double)kv.Value * parts / Math.Max(1, carriers.Get(kv.Key).PartsPerSecond))
            .DefaultIfEmpty(0)
            .Max();
        var recipients = byCarrier.Values.Sum();
        var suppressed = new Dictionary<string, long>();
        if (kind == CampaignKind.Awareness)
        {
            long optedOut = 0;
            foreach (var list in audience?.Lists ?? [])
                optedOut += await suppression.OptedOutInListAsync(list, ct);
            suppressed[SuppressionReason.OptedOut] = Math.Min(optedOut, recipients);
        }
        else if (kind == CampaignKind.Test)
        {
            var allowed = RouteTable.TestNumbers(safety.CurrentValue, await routes.GetAsync(ct));
            long reachable = 0;
            foreach (var list in audience?.Lists ?? [])
                reachable += await suppression.MembersAmongAsync(list, allowed, ct);
            suppressed[SuppressionReason.NotTestNumber] = Math.Max(0, recipients - reachable);
        }
        return new Preview(recipients, suppressed.Values.Sum(), suppressed, encoding, parts, byCarrier, (long)Math.Ceiling(seconds));
    }
}
