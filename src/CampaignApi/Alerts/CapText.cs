using System.Net;
using System.Text.RegularExpressions;

namespace Loa.CampaignApi.Alerts;

/// <summary>A text an alert could be sent as, and where in the alert it came from (Alerts/README.md, "SMS text").</summary>
/// <param name="Source"><c>parameter:&lt;valueName&gt;</c>, or the elements joined with <c>+</c>.</param>
public sealed record CapSmsText(string Text, string Source)
{
    /// <summary>The source as a person reads it in an error: "parameter CMAMtext", "headline + instruction".</summary>
    public string Described => Source.StartsWith("parameter:", StringComparison.Ordinal)
        ? "parameter " + Source["parameter:".Length..]
        : Source.Replace("+", " + ", StringComparison.Ordinal);
}

/// <summary>
/// The texts of an alert as an SMS can carry them. Alerts are written for web pages and sirens as much as
/// for phones: descriptions hold HTML (escaped into the XML, sometimes twice, or in CDATA) and run to
/// more than a thousand characters, so Loa offers the alert's own short text first, then the whole text,
/// then the headline with the instruction; it never cuts one.
/// </summary>
public static partial class CapText
{
    /// <summary>
    /// The candidates in order of preference: the configured parameters (first of each name, the name
    /// compared ignoring case), then headline + description + instruction, then, when there is a
    /// description to leave out, the headline (else the event) + instruction. Empty texts are left out.
    /// </summary>
    public static IReadOnlyList<CapSmsText> Candidates(CapInfo info, IReadOnlyList<string> parameterNames)
    {
        var candidates = new List<CapSmsText>();
        foreach (var name in parameterNames)
        {
            var value = (info.Parameters ?? [])
                .Where(p => string.Equals(p.ValueName.Trim(), name, StringComparison.OrdinalIgnoreCase))
                .Select(p => Plain(p.Value))
                .FirstOrDefault(v => v.Length > 0);
            if (value is not null)
                candidates.Add(new CapSmsText(value, "parameter:" + name));
        }

        var headline = Plain(info.Headline);
        var description = Plain(info.Description);
        var instruction = Plain(info.Instruction);
        var whole = CapCampaign.Join(headline, description, instruction);
        if (whole.Length > 0)
            candidates.Add(new CapSmsText(whole, Label(("headline", headline), ("description", description), ("instruction", instruction))));
        if (description.Length > 0)
        {
            var (titleName, title) = headline.Length > 0 ? ("headline", headline) : ("event", Plain(info.Event));
            var brief = CapCampaign.Join(title, instruction);
            if (brief.Length > 0)
                candidates.Add(new CapSmsText(brief, Label((titleName, title), ("instruction", instruction))));
        }
        return candidates;
    }

    /// <summary>
    /// The text without markup: HTML entities decoded (until none is left, for feeds that escape twice),
    /// comments and tags removed, a line break made a space, and the blocks (paragraphs, list items,
    /// headings, cells) made sentences as <see cref="CapCampaign.Join"/> joins them. A '&lt;' that opens
    /// no tag ("&lt; 5 km") is text and stays.
    /// </summary>
    public static string Plain(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return "";
        for (var pass = 0; pass < 4; pass++)
        {
            var decoded = WebUtility.HtmlDecode(text);
            if (decoded == text)
                break;
            text = decoded;
        }
        text = Comment().Replace(text, " ");
        var blocks = Block().Split(text)
            .Select(block => Tag().Replace(LineBreak().Replace(block, " "), ""))
            .ToArray();
        return CapCampaign.Join(blocks);
    }

    private static string Label(params (string Name, string Text)[] parts) =>
        string.Join('+', parts.Where(p => p.Text.Length > 0).Select(p => p.Name));

    [GeneratedRegex("<!--.*?-->", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"<\s*/?\s*(?:p|div|li|ul|ol|dl|dt|dd|h[1-6]|table|tr|td|th|blockquote|section|article|header|footer|pre|hr)\b[^<>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Block();

    [GeneratedRegex(@"<\s*br\s*/?\s*>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreak();

    [GeneratedRegex(@"<\s*/?\s*[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?\s*>")]
    private static partial Regex Tag();
}
