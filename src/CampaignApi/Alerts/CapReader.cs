using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Loa.CampaignApi.Alerts;

/// <summary>The parts of a CAP 1.2 alert Loa reads. Elements Loa does not use are not kept.</summary>
public sealed record CapAlert(
    string Identifier, string Sender, DateTimeOffset Sent, string Status, string MsgType, string Scope,
    IReadOnlyList<CapReference> References, IReadOnlyList<CapInfo> Infos);

/// <summary>One entry of <c>references</c>: "sender,identifier,sent".</summary>
public sealed record CapReference(string Sender, string Identifier, DateTimeOffset Sent)
{
    public override string ToString() => $"{Sender},{Identifier},{Sent.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)}";
}

public sealed record CapInfo(
    string Language, string Event, string Urgency, string Severity, string Certainty, DateTimeOffset? Expires,
    string? Headline, string? Description, string? Instruction, IReadOnlyList<CapArea> Areas,
    DateTimeOffset? Effective = null, DateTimeOffset? Onset = null, IReadOnlyList<CapParameter>? Parameters = null);

/// <summary>A <c>parameter</c> of an info: system-specific data such as <c>CMAMtext</c>, the alert's own short text.</summary>
public sealed record CapParameter(string ValueName, string Value);

public sealed record CapArea(string AreaDesc, IReadOnlyList<CapGeocode> Geocodes);

public sealed record CapGeocode(string ValueName, string Value);

/// <summary>
/// Reads a CAP 1.2 document safely and checks it against the parts of the standard Loa relies on.
/// Safety first: no DTD (so no entity can be declared, expanded or fetched), no resolver, bounded
/// size, characters and depth. Errors are keyed by the CAP element they concern
/// (<c>alert.identifier</c>, <c>alert.info[0].expires</c>), as the sender wrote the document.
/// </summary>
public static partial class CapReader
{
    public const string Namespace = "urn:oasis:names:tc:emergency:cap:1.2";

    /// <summary>alert / info / area / geocode / value is depth 4; anything much deeper is not CAP.</summary>
    public const int MaxDepth = 16;

    public const int MaxReferences = 100;

    /// <summary>CAP 1.2 is silent on length; 200 keeps the key (sender, identifier, sent) indexable on SQL Server.</summary>
    public const int MaxKeyLength = 200;

    public static class Statuses
    {
        public const string Actual = "Actual";
        public const string Exercise = "Exercise";
        public const string System = "System";
        public const string Test = "Test";
        public const string Draft = "Draft";
        public static readonly string[] All = [Actual, Exercise, System, Test, Draft];
    }

    public static class MsgTypes
    {
        public const string Alert = "Alert";
        public const string Update = "Update";
        public const string Cancel = "Cancel";
        public const string Ack = "Ack";
        public const string Error = "Error";
        public static readonly string[] All = [Alert, Update, Cancel, Ack, Error];
    }

    public static readonly string[] Scopes = ["Public", "Restricted", "Private"];
    public static readonly string[] Categories = ["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"];
    public static readonly string[] Urgencies = ["Immediate", "Expected", "Future", "Past", "Unknown"];
    public static readonly string[] Severities = ["Extreme", "Severe", "Moderate", "Minor", "Unknown"];
    public static readonly string[] Certainties = ["Observed", "Likely", "Possible", "Unlikely", "Unknown"];

    private static readonly XNamespace Cap = Namespace;

    /// <summary>The alert, or the errors that stop it (never both).</summary>
    public static (CapAlert? Alert, Dictionary<string, string[]> Errors) Read(byte[] body)
    {
        var errors = new Errors();
        var document = Load(body, errors);
        if (document is null)
            return (null, errors.ToDictionary());

        var root = document.Root!;
        if (root.Name != Cap + "alert")
        {
            errors.Add("alert", root.Name.NamespaceName == Namespace
                ? $"The root element must be 'alert', not '{root.Name.LocalName}'."
                : $"The root element must be 'alert' in the CAP 1.2 namespace {Namespace}; this document has '{root.Name.LocalName}' in '{root.Name.NamespaceName}'.");
            return (null, errors.ToDictionary());
        }

        var identifier = Key(root, "identifier", "alert.identifier", errors);
        var sender = Key(root, "sender", "alert.sender", errors);
        var sent = Time(Text(root, "sent"), "alert.sent", required: true, errors);
        var status = OneOf(root, "status", "alert.status", Statuses.All, errors);
        var msgType = OneOf(root, "msgType", "alert.msgType", MsgTypes.All, errors);
        var scope = OneOf(root, "scope", "alert.scope", Scopes, errors);
        var references = References(Text(root, "references"), errors);
        if (msgType is MsgTypes.Update or MsgTypes.Cancel && references.Count == 0 && !errors.Has("alert.references"))
            errors.Add("alert.references", $"An {msgType} must name the alerts it refers to: \"sender,identifier,sent\" separated by spaces.");

        var infos = new List<CapInfo>();
        var infoElements = root.Elements(Cap + "info").ToList();
        if (infoElements.Count == 0 && msgType is MsgTypes.Alert or MsgTypes.Update)
            errors.Add("alert.info", $"An {msgType} needs at least one info block: it holds the text and the area.");
        for (var i = 0; i < infoElements.Count; i++)
        {
            if (Info(infoElements[i], $"alert.info[{i}]", errors) is { } info)
                infos.Add(info);
        }

        if (errors.Count > 0)
            return (null, errors.ToDictionary());
        return (new CapAlert(identifier!, sender!, sent!.Value, status!, msgType!, scope!, references, infos), errors.ToDictionary());
    }

    private static XDocument? Load(byte[] body, Errors errors)
    {
        try
        {
            // First pass: bounds only (depth), with the same refusing reader; the second builds the tree.
            using (var scan = XmlReader.Create(new MemoryStream(body, writable: false), Settings(body.Length)))
            {
                while (scan.Read())
                {
                    if (scan.Depth > MaxDepth)
                    {
                        errors.Add("alert", $"Elements are nested deeper than {MaxDepth} levels; a CAP alert needs far fewer.");
                        return null;
                    }
                }
            }
            using var reader = XmlReader.Create(new MemoryStream(body, writable: false), Settings(body.Length));
            return XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException e)
        {
            errors.Add("alert", DeclaresDtd(body)
                ? "The document has a DTD (<!DOCTYPE ...>). DTDs and entity declarations are refused: CAP 1.2 needs neither."
                : $"The document is not well-formed XML: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// DtdProcessing.Prohibit makes any DOCTYPE an error before a single declaration is read, so no
    /// entity is ever expanded (billion laughs) or resolved (XXE); the null resolver is a second lock.
    /// </summary>
    private static XmlReaderSettings Settings(int bytes) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = Math.Max(1024, bytes),
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = true,
    };

    private static bool DeclaresDtd(byte[] body) => body.AsSpan().IndexOf("<!DOCTYPE"u8) >= 0;

    private static CapInfo? Info(XElement element, string path, Errors errors)
    {
        var before = errors.Count;
        var language = Text(element, "language") ?? "en-US";
        var categories = element.Elements(Cap + "category").Select(c => c.Value.Trim()).ToList();
        if (categories.Count == 0)
            errors.Add(path + ".category", "Required (at least one): " + string.Join(", ", Categories) + ".");
        foreach (var category in categories.Where(c => !Categories.Contains(c, StringComparer.Ordinal)))
            errors.Add(path + ".category", $"'{Clip(category)}' is not a CAP category; one of {string.Join(", ", Categories)}.");
        var @event = Text(element, "event");
        if (@event is null)
            errors.Add(path + ".event", "Required: the type of event (e.g. a scam wave).");
        var urgency = OneOf(element, "urgency", path + ".urgency", Urgencies, errors);
        var severity = OneOf(element, "severity", path + ".severity", Severities, errors);
        var certainty = OneOf(element, "certainty", path + ".certainty", Certainties, errors);
        var expires = Time(Text(element, "expires"), path + ".expires", required: false, errors);
        var effective = Time(Text(element, "effective"), path + ".effective", required: false, errors);
        var onset = Time(Text(element, "onset"), path + ".onset", required: false, errors);

        // Parameters are free-form: one without a valueName or a value carries nothing Loa could use.
        var parameters = element.Elements(Cap + "parameter")
            .Select(p => (Name: Text(p, "valueName"), Value: Text(p, "value")))
            .Where(p => p.Name is not null && p.Value is not null)
            .Select(p => new CapParameter(p.Name!, p.Value!))
            .ToList();

        var areas = new List<CapArea>();
        var areaElements = element.Elements(Cap + "area").ToList();
        for (var j = 0; j < areaElements.Count; j++)
        {
            var areaPath = $"{path}.area[{j}]";
            var areaDesc = Text(areaElements[j], "areaDesc");
            if (areaDesc is null)
                errors.Add(areaPath + ".areaDesc", "Required: a text description of the area.");
            var geocodes = new List<CapGeocode>();
            var geocodeElements = areaElements[j].Elements(Cap + "geocode").ToList();
            for (var k = 0; k < geocodeElements.Count; k++)
            {
                var valueName = Text(geocodeElements[k], "valueName");
                var value = Text(geocodeElements[k], "value");
                if (valueName is null || value is null)
                    errors.Add($"{areaPath}.geocode[{k}]", "A geocode needs both valueName and value.");
                else
                    geocodes.Add(new CapGeocode(valueName, value));
            }
            areas.Add(new CapArea(areaDesc ?? "", geocodes));
        }

        if (errors.Count > before)
            return null;
        return new CapInfo(language, @event!, urgency!, severity!, certainty!, expires,
            Text(element, "headline"), Text(element, "description"), Text(element, "instruction"), areas,
            effective, onset, parameters);
    }

    private static List<CapReference> References(string? text, Errors errors)
    {
        var references = new List<CapReference>();
        if (text is null)
            return references;
        var entries = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (entries.Length > MaxReferences)
        {
            errors.Add("alert.references", $"At most {MaxReferences} references.");
            return references;
        }
        foreach (var entry in entries)
        {
            var parts = entry.Split(',');
            var at = parts.Length == 3 ? ParseTime(parts[2]) : null;
            if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0 || at is null)
            {
                errors.Add("alert.references", $"'{Clip(entry)}' is not \"sender,identifier,sent\" (sent with its offset, e.g. 2026-11-23T10:00:00+07:00).");
                continue;
            }
            references.Add(new CapReference(parts[0], parts[1], at.Value));
        }
        return references;
    }

    /// <summary>identifier and sender: no spaces, commas or the restricted characters &lt; and &amp; (CAP 1.2, 3.2.1).</summary>
    private static string? Key(XElement parent, string name, string path, Errors errors)
    {
        var value = Text(parent, name);
        if (value is null)
            errors.Add(path, "Required.");
        else if (value.Length > MaxKeyLength)
            errors.Add(path, $"At most {MaxKeyLength} characters.");
        else if (value.Any(c => char.IsWhiteSpace(c) || c is ',' or '<' or '&'))
            errors.Add(path, "Must not contain spaces, commas, '<' or '&' (CAP 1.2).");
        else
            return value;
        return null;
    }

    private static string? OneOf(XElement parent, string name, string path, string[] allowed, Errors errors)
    {
        var value = Text(parent, name);
        if (value is null)
            errors.Add(path, $"Required: one of {string.Join(", ", allowed)}.");
        else if (!allowed.Contains(value, StringComparer.Ordinal))
            errors.Add(path, $"'{Clip(value)}' is not one of {string.Join(", ", allowed)}.");
        else
            return value;
        return null;
    }

    private static DateTimeOffset? Time(string? text, string path, bool required, Errors errors)
    {
        if (text is null)
        {
            if (required)
                errors.Add(path, "Required: a time with its offset, e.g. 2026-11-23T10:00:00+07:00.");
            return null;
        }
        if (ParseTime(text) is { } at)
        {
            if (Dates.IsSane(at))
                return at;
            errors.Add(path, $"'{Clip(text)}' must be {Dates.Range}.");
            return null;
        }
        errors.Add(path, text.EndsWith('Z')
            ? $"'{Clip(text)}': CAP 1.2 writes UTC as -00:00, not Z."
            : $"'{Clip(text)}' is not a time with its offset, e.g. 2026-11-23T10:00:00+07:00.");
        return null;
    }

    /// <summary>CAP 1.2 dateTime: always with a numeric offset ("Z" is not allowed; UTC is -00:00).</summary>
    private static DateTimeOffset? ParseTime(string text) =>
        CapTime().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at : null;

    private static string? Text(XElement parent, string name)
    {
        var value = parent.Element(Cap + name)?.Value.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static string Clip(string value) => value.Length <= 60 ? value : value[..60] + "…";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?[+-]\d{2}:\d{2}$")]
    private static partial Regex CapTime();

    private sealed class Errors
    {
        private readonly Dictionary<string, List<string>> byField = new(StringComparer.Ordinal);

        public int Count => byField.Count;

        public bool Has(string field) => byField.ContainsKey(field);

        public void Add(string field, string message)
        {
            if (!byField.TryGetValue(field, out var messages))
                byField[field] = messages = [];
            messages.Add(message);
        }

        public Dictionary<string, string[]> ToDictionary() => byField.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
    }
}
