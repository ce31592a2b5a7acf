namespace Loa.Contracts;

// A campaign as its author wrote it (api.md, POST /api/v1/campaigns). Stored as JSON with the
// campaign row; the planner reads the audience from it.

public sealed record CampaignDefinition(
    string? Name,
    string? Kind,
    IReadOnlyList<string>? Channels,
    MessageDefinition? Message,
    AudienceDefinition? Audience,
    ScheduleDefinition? Schedule,
    OptionsDefinition? Options,
    CapOrigin? Cap = null,
    string? FromTemplate = null,
    string? Joins = null,
    string? PushVerification = null)
{
    // PushVerification: the verification suffix (VerificationSuffix) a campaign that pushes without an SMS text
    // carries when options.verifyCode asks for one: set by the campaign rules only (an SMS text carries its own).
}

public sealed record MessageDefinition(string? Sms, PushMessageDefinition? Push);

public sealed record PushMessageDefinition(string? Title, string? Body);

/// <param name="Lists">The lists whose numbers get the SMS.</param>
/// <param name="Provinces">Narrows lists and devices alike.</param>
/// <param name="Carriers">Narrows the lists' numbers (SMS only).</param>
/// <param name="Devices">Registered devices get the push (channel <c>push</c>).</param>
/// <param name="Apps">Narrows the devices to these push apps (<c>Loa:Push:Apps:&lt;app&gt;</c>); every configured app when empty.</param>
/// <param name="Languages">Narrows the devices to these languages (<c>vi</c>, <c>en</c>).</param>
public sealed record AudienceDefinition(
    IReadOnlyList<string>? Lists,
    IReadOnlyList<string>? Provinces,
    IReadOnlyList<string>? Carriers,
    bool Devices = false,
    IReadOnlyList<string>? Apps = null,
    IReadOnlyList<string>? Languages = null,
    AudienceFilter? Include = null,
    AudienceFilter? Exclude = null,
    ResendAudience? Resend = null);

/// <summary>
/// A segment of the lists' members (api.md, Audience filters). In <c>include</c>, each dimension named
/// keeps the members matching any of its values, and the dimensions are and-ed, except that provinces
/// and communes are one dimension, the places (a member in any province or any commune named); in <c>exclude</c>, a
/// member matching any value of any dimension is left out. Empty or null means no condition.
/// </summary>
public sealed record AudienceFilter(
    IReadOnlyList<string>? Tags = null,
    IReadOnlyList<string>? Provinces = null,
    IReadOnlyList<string>? Communes = null,
    IReadOnlyList<string>? Carriers = null);

/// <summary>
/// The audience of a re-send: the recipients of <c>Campaign</c> whose delivery ended in one of
/// <c>Statuses</c> (<c>failed</c>, <c>expired</c>, <c>unknown</c>). By <c>sms</c> (the default, null) those
/// numbers and the numbers linked to its devices whose push ended so; by <c>push</c> the devices linked to
/// those numbers. Written by POST /campaigns/{id}/resend only: POST /api/v1/campaigns ignores it, so an author
/// cannot aim a campaign at another's recipients.
/// </summary>
public sealed record ResendAudience(string Campaign, IReadOnlyList<string> Statuses, string? Channel = null)
{
    public bool ThroughPush => Channel == Channels.Push;
}

/// <summary>The outcomes a re-send can aim at.</summary>
public static class ResendStatus
{
    public const string Failed = "failed";
    public const string Expired = "expired";

    /// <summary>Failed with an unknown outcome: the dispatcher stopped before the carrier's answer was recorded (DeliveryReason.UnknownAfterCrash).</summary>
    public const string Unknown = "unknown";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Failed, Expired, Unknown };
}

public sealed record ScheduleDefinition(
    DateTimeOffset? StartAt,
    string? Recurrence,
    DateTimeOffset? ExpiresAt,
    WindowDefinition? Window);

public sealed record WindowDefinition(string? From, string? To);

/// <param name="VerifyCode">Appends " Xac thuc: &lt;host&gt;/a/&lt;code&gt;" to the SMS, a code a citizen can check on Loa's public page (counted in the parts).</param>
/// <param name="Fallback">The SMS for recipients a push reached who did not acknowledge it in time (api.md, options.fallback).</param>
public sealed record OptionsDefinition(bool StripDiacritics = false, int? MaxSmsParts = null, bool VerifyCode = false, FallbackDefinition? Fallback = null);

/// <param name="Channel">The channel of the fallback: only <c>sms</c>.</param>
/// <param name="After">An ISO 8601 duration, <c>PT1M</c> to <c>PT24H</c>: how long a push may go unacknowledged.</param>
public sealed record FallbackDefinition(string? Channel, string? After)
{
    public static readonly TimeSpan MinAfter = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxAfter = TimeSpan.FromHours(24);

    /// <summary>The wait as a span, or null when <paramref name="after"/> is not an ISO 8601 duration from PT1M to PT24H.</summary>
    public static TimeSpan? ParseAfter(string? after)
    {
        if (string.IsNullOrWhiteSpace(after) || !after.StartsWith('P'))
            return null;
        try
        {
            var span = System.Xml.XmlConvert.ToTimeSpan(after.Trim());
            return span >= MinAfter && span <= MaxAfter ? span : null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}

/// <summary>
/// What the approver needs to know of the CAP alert a campaign was made from (Alerts/README.md). Written by
/// CAP intake only: POST /api/v1/campaigns ignores it, so an author cannot make a campaign look like an alert.
/// </summary>
/// <param name="TextSource">Where <c>message.sms</c> came from: <c>parameter:&lt;valueName&gt;</c>, the elements
/// joined (e.g. <c>headline+description+instruction</c>, <c>headline+instruction</c>), or <c>correction</c>.</param>
/// <param name="StartSource"><c>effective</c> or <c>onset</c> when <c>schedule.startAt</c> came from it; null when the alert starts on approval.</param>
/// <param name="UnknownGeocodes">Geocodes Loa's table does not know; nobody is reached through them.</param>
/// <param name="UnplacedAreas">Areas none of whose geocodes Loa knows: nobody there is reached.</param>
public sealed record CapOrigin(
    string Sender,
    string Identifier,
    DateTimeOffset Sent,
    string TextSource,
    string? StartSource,
    IReadOnlyList<CapUnknownGeocode> UnknownGeocodes,
    IReadOnlyList<CapUnplacedArea> UnplacedAreas);

/// <param name="Element">The geocode's place in the document, e.g. <c>alert.info[0].area[1].geocode[0]</c>.</param>
public sealed record CapUnknownGeocode(string Element, string AreaDesc, string ValueName, string Value);

public sealed record CapUnplacedArea(string Element, string AreaDesc);

public static class LoaJson
{
    /// <summary>The one JSON options instance for Loa's own documents: camelCase, as api.md says.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Options =
        new(System.Text.Json.JsonSerializerDefaults.Web);
}
