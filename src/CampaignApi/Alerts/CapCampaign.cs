using System.Text;
using System.Text.RegularExpressions;
using Loa.CampaignApi.Campaigns;
using Loa.CarrierAdapters.Encoding;
using Loa.Contracts;
using Loa.Storage.Geography;

namespace Loa.CampaignApi.Alerts;

/// <summary>A province an alert targets, and the geocode element that named it (for error messages).</summary>
public sealed record CapProvince(string Province, string Element);

/// <summary>What Loa makes of an alert: which info it used, and the campaign definition (audience lists still empty).</summary>
public sealed record CapCampaignDraft(int InfoIndex, CampaignDefinition Definition, IReadOnlyList<CapProvince> Provinces);

/// <summary>
/// The draft, or why there is none: <see cref="Errors"/> alone is invalid input (400); with
/// <see cref="TooLong"/> (the detail) the alert is valid but no text of it fits the SMS limit (422).
/// </summary>
public sealed record CapMapping(CapCampaignDraft? Draft, Dictionary<string, string[]> Errors, string? TooLong = null);

/// <summary>
/// The mapping from a CAP alert (Alert or Update) to a campaign definition: kind from status,
/// severity and urgency; the Vietnamese info (else the first); its text for SMS (its own short text
/// first) and push; its start and expiry; the provinces of the geocodes Loa knows.
/// </summary>
public static partial class CapCampaign
{
    /// <param name="testMarker">What the campaign rules put before a test's text (Loa:Safety:TestMarker): part of what is measured.</param>
    /// <param name="now">Before it, <c>effective</c> and <c>onset</c> have passed and the campaign starts on approval.</param>
    /// <param name="communes">The commune table operators loaded: a GSO geocode of 5 digits it knows is placed (see <see cref="Communes"/>).</param>
    public static CapMapping Map(
        CapAlert alert, ProvinceGeocodes geocodes, CapOptions options, string testMarker, DateTimeOffset now, CommuneTable? communes = null)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var index = ChooseInfo(alert.Infos);
        var info = alert.Infos[index];
        var path = $"alert.info[{index}]";
        var kind = Kind(alert.Status, info);

        var provinces = new List<CapProvince>();
        var placedCommunes = new List<(Commune Commune, string Element)>();
        var unknown = new List<CapUnknownGeocode>();
        var unplaced = new List<CapUnplacedArea>();
        for (var j = 0; j < info.Areas.Count; j++)
        {
            var area = info.Areas[j];
            if (area.Geocodes.Count == 0)
            {
                // Without a geocode the area cannot be placed; taking it as "everywhere" would widen the audience.
                errors[$"{path}.area[{j}]"] = ["Loa places an area by its geocode; add a geocode (see the province table), or leave out area to mean the whole country."];
                continue;
            }
            var placed = false;
            for (var k = 0; k < area.Geocodes.Count; k++)
            {
                var geocode = area.Geocodes[k];
                var element = $"{path}.area[{j}].geocode[{k}]";
                if (geocodes.Find(geocode.ValueName, geocode.Value) is { } known)
                {
                    placed = true;
                    if (!provinces.Any(p => p.Province == known.Province))
                        provinces.Add(new CapProvince(known.Province, element));
                }
                else if (geocodes.FindCommune(geocode.ValueName, geocode.Value, communes) is { } commune)
                {
                    placed = true;
                    if (!placedCommunes.Any(c => c.Commune.Code == commune.Code))
                        placedCommunes.Add((commune, element));
                }
                else
                {
                    unknown.Add(new CapUnknownGeocode(element, area.AreaDesc, geocode.ValueName, geocode.Value));
                }
            }
            if (!placed)
                unplaced.Add(new CapUnplacedArea($"{path}.area[{j}]", area.AreaDesc));
        }
        var include = Communes(provinces, placedCommunes);
        if (info.Areas.Count > 0 && provinces.Count == 0 && errors.Count == 0)
        {
            // Other schemes beside a known code only leave their own areas out; with none known, sending
            // would reach nobody the alert meant (or, taken as everywhere, everybody).
            var known = string.Join(", ", geocodes.ValueNames);
            foreach (var geocode in unknown)
                errors[geocode.Element] = [$"Unknown geocode {geocode.ValueName} '{geocode.Value}'; Loa knows valueName(s) {known} with the province codes of its table."];
            errors[path + ".area"] = [$"Loa knows none of this alert's areas: name at least one by a geocode of its table ({known}), or leave out area to mean the whole country."];
        }
        if (errors.Count > 0)
            return new CapMapping(null, errors);

        // Precomposed (NFC) before anything measures them, as every text entering Loa is (CampaignRules).
        var candidates = CapText.Candidates(info, options.TextParameters())
            .Select(c => c with { Text = SmsText.Precomposed(c.Text) })
            .ToList();
        if (candidates.Count == 0)
        {
            errors[path + ".headline"] = ["The info needs a headline, description or instruction (or a short text parameter such as CMAMtext): they are the SMS text."];
            return new CapMapping(null, errors);
        }
        var sms = candidates.FirstOrDefault(c => Fits(c.Text, kind, options, testMarker));
        if (sms is null)
        {
            errors[path] = candidates.Select(c => $"{c.Described}: {Measured(c.Text, kind, options, testMarker)}").ToArray();
            return new CapMapping(null, errors,
                $"No text of this alert fits in {options.MaxSmsParts} SMS parts, and Loa never cuts one. Give the alert a short text " +
                $"(a parameter {string.Join(" or ", options.TextParameters())}), or a shorter headline and instruction; or raise Loa:Cap:MaxSmsParts.");
        }

        var (startAt, startSource) = Start(info, now);
        var definition = new CampaignDefinition(
            Name: Clip("CAP: " + FirstText(info.Headline, info.Event), 200),
            Kind: kind,
            Channels: [Channels.Sms],
            Message: new MessageDefinition(
                sms.Text,
                // Kept with the campaign for when the push channel exists; only sms is sent today.
                new PushMessageDefinition(FirstText(info.Headline, info.Event), NullIfEmpty(Join(CapText.Plain(info.Description), CapText.Plain(info.Instruction))))),
            Audience: new AudienceDefinition([], provinces.Count == 0 ? null : provinces.Select(p => p.Province).ToList(), null, Include: include),
            Schedule: new ScheduleDefinition(startAt, null, info.Expires, null),
            Options: new OptionsDefinition(options.StripDiacritics, options.MaxSmsParts),
            Cap: new CapOrigin(alert.Sender, alert.Identifier, alert.Sent, sms.Source, startSource, unknown, unplaced));
        return new CapMapping(new CapCampaignDraft(index, definition, provinces), errors);
    }

    /// <summary>
    /// Places the alert's communes. The campaign's provinces are those the alert names whole and those
    /// its communes lie in; <c>audience.include</c> then narrows them to exactly what the alert drew: the
    /// whole provinces named, and the communes (the places included are one area, their union). An alert
    /// placed by communes alone reaches those communes only.
    /// </summary>
    private static AudienceFilter? Communes(List<CapProvince> provinces, List<(Commune Commune, string Element)> communes)
    {
        if (communes.Count == 0)
            return null;
        var whole = provinces.Select(p => p.Province).ToList();
        foreach (var (commune, element) in communes)
        {
            if (!provinces.Any(p => p.Province == commune.Province))
                provinces.Add(new CapProvince(commune.Province, element));
        }
        return new AudienceFilter(Provinces: whole.Count > 0 ? whole : null, Communes: communes.Select(c => c.Commune.Code).ToList());
    }

    /// <summary>
    /// When sending starts: at <c>effective</c> if it is still ahead; else, when the alert has no
    /// <c>effective</c>, at an <c>onset</c> still ahead; else on approval (null). An <c>effective</c> that
    /// has passed means "in effect now", whatever the onset: a warning ahead of its event goes out now.
    /// </summary>
    public static (DateTimeOffset? StartAt, string? Source) Start(CapInfo info, DateTimeOffset now)
    {
        if (info.Effective is { } effective)
            return effective > now ? (effective, "effective") : (null, null);
        if (info.Onset is { } onset && onset > now)
            return (onset, "onset");
        return (null, null);
    }

    /// <summary>Actual: emergency when the threat is grave and near, else warning. Exercise and Test: test.</summary>
    public static string Kind(string status, CapInfo info) => status switch
    {
        CapReader.Statuses.Actual when info.Severity is "Extreme" or "Severe" && info.Urgency is "Immediate" or "Expected" => CampaignKind.Emergency,
        CapReader.Statuses.Actual => CampaignKind.Warning,
        _ => CampaignKind.Test,
    };

    /// <summary>The first info in Vietnamese (vi, vi-VN, any vi-*), else the first.</summary>
    public static int ChooseInfo(IReadOnlyList<CapInfo> infos)
    {
        for (var i = 0; i < infos.Count; i++)
        {
            var language = infos[i].Language;
            if (language.Equals("vi", StringComparison.OrdinalIgnoreCase) || language.StartsWith("vi-", StringComparison.OrdinalIgnoreCase))
                return i;
        }
        return 0;
    }

    /// <summary>
    /// Sentences for an SMS: each part trimmed with its runs of white space (CAP text is often wrapped
    /// and indented) made one space; parts joined by a space after closing punctuation, else by ". ".
    /// </summary>
    public static string Join(params string?[] parts)
    {
        var text = new StringBuilder();
        foreach (var raw in parts)
        {
            var part = Collapse(raw);
            if (part.Length == 0)
                continue;
            if (text.Length > 0)
                text.Append(text[^1] is '.' or '!' or '?' or ':' or ';' or '…' ? " " : ". ");
            text.Append(part);
        }
        return text.ToString();
    }

    private static string Collapse(string? text) => text is null ? "" : WhiteSpace().Replace(text, " ").Trim();

    /// <summary>The first of the texts that is not empty once plain (a headline of markup alone is no headline).</summary>
    private static string FirstText(params string?[] texts) =>
        texts.Select(CapText.Plain).FirstOrDefault(t => t.Length > 0) ?? "";

    private static bool Fits(string text, string kind, CapOptions options, string testMarker) =>
        text.Length <= CampaignRules.MaxSmsCharacters && AsSent(text, kind, options, testMarker).Parts <= options.MaxSmsParts;

    private static string Measured(string text, string kind, CapOptions options, string testMarker)
    {
        var measure = AsSent(text, kind, options, testMarker);
        var unit = measure.Encoding == CarrierAdapters.SmsEncoding.Gsm7 ? "GSM-7" : "UCS-2";
        return $"{measure.Length} {unit} characters, {measure.Parts} parts (max {options.MaxSmsParts})";
    }

    /// <summary>
    /// Measured as CampaignRules.CheckAsync will send it (diacritics stripped when configured, a test's
    /// marker in front), so that the text chosen here is not then refused there. CheckAsync stays the judge.
    /// </summary>
    private static SmsMeasure AsSent(string text, string kind, CapOptions options, string testMarker)
    {
        var sent = options.StripDiacritics ? Unaccent.Strip(text) : text;
        if (kind == CampaignKind.Test && !sent.StartsWith(testMarker, StringComparison.Ordinal))
            sent = testMarker + sent;
        // The dearer split rule (grapheme clusters kept whole), as no carrier bills more: a text chosen
        // here is never one CheckAsync then refuses for the carrier that counts most.
        return SmsText.Measure(sent, splitGraphemes: true);
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    private static string Clip(string text, int max)
    {
        text = Collapse(text);
        return text.Length <= max ? text : text[..(max - 1)] + "…";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
