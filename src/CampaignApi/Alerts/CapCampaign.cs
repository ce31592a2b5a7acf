using System.Text;
using System.Text.RegularExpressions;
using Loa.Contracts;

namespace Loa.CampaignApi.Alerts;

/// <summary>A province an alert targets, and the geocode element that named it (for error messages).</summary>
public sealed record CapProvince(string Province, string Element);

/// <summary>What Loa makes of an alert: which info it used, and the campaign definition (audience lists still empty).</summary>
public sealed record CapCampaignDraft(int InfoIndex, CampaignDefinition Definition, IReadOnlyList<CapProvince> Provinces);

/// <summary>
/// The mapping from a CAP alert (Alert or Update) to a campaign definition: kind from status,
/// severity and urgency; the Vietnamese info (else the first); its text as SMS and push; its
/// expiry; its geocodes as provinces.
/// </summary>
public static partial class CapCampaign
{
    public static (CapCampaignDraft? Draft, Dictionary<string, string[]> Errors) Map(CapAlert alert, ProvinceGeocodes geocodes, CapOptions options)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var index = ChooseInfo(alert.Infos);
        var info = alert.Infos[index];
        var path = $"alert.info[{index}]";

        // Precomposed (NFC) before anything measures it, as every text entering Loa is (CampaignRules).
        var sms = Loa.CarrierAdapters.Encoding.SmsText.Precomposed(Join(info.Headline, info.Description, info.Instruction));
        if (sms.Length == 0)
            errors[path + ".headline"] = ["The info needs a headline, description or instruction: together they are the SMS text."];

        var provinces = new List<CapProvince>();
        for (var j = 0; j < info.Areas.Count; j++)
        {
            var area = info.Areas[j];
            if (area.Geocodes.Count == 0)
            {
                // Without a geocode the area cannot be placed; taking it as "everywhere" would widen the audience.
                errors[$"{path}.area[{j}]"] = ["Loa places an area by its geocode; add a geocode (see the province table), or leave out area to mean the whole country."];
                continue;
            }
            for (var k = 0; k < area.Geocodes.Count; k++)
            {
                var geocode = area.Geocodes[k];
                var element = $"{path}.area[{j}].geocode[{k}]";
                if (geocodes.Find(geocode.ValueName, geocode.Value) is { } known)
                {
                    if (!provinces.Any(p => p.Province == known.Province))
                        provinces.Add(new CapProvince(known.Province, element));
                }
                else
                {
                    errors[element] = [$"Unknown geocode {geocode.ValueName} '{geocode.Value}'; Loa knows valueName(s) {string.Join(", ", geocodes.Rows.Select(r => r.ValueName).Distinct())} with the province codes of its table."];
                }
            }
        }
        if (errors.Count > 0)
            return (null, errors);

        var definition = new CampaignDefinition(
            Name: Clip("CAP: " + (info.Headline ?? info.Event), 200),
            Kind: Kind(alert.Status, info),
            Channels: [Channels.Sms],
            Message: new MessageDefinition(
                sms,
                // Kept with the campaign for when the push channel exists; only sms is sent today.
                new PushMessageDefinition(Collapse(info.Headline ?? info.Event), NullIfEmpty(Join(info.Description, info.Instruction)))),
            Audience: new AudienceDefinition([], provinces.Count == 0 ? null : provinces.Select(p => p.Province).ToList(), null),
            Schedule: new ScheduleDefinition(null, null, info.Expires, null),
            Options: new OptionsDefinition(options.StripDiacritics, options.MaxSmsParts));
        return (new CapCampaignDraft(index, definition, provinces), errors);
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

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    private static string Clip(string text, int max)
    {
        text = Collapse(text);
        return text.Length <= max ? text : text[..(max - 1)] + "…";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
