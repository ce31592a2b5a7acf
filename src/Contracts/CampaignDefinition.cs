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
    string? Joins = null);

public sealed record MessageDefinition(string? Sms, PushMessageDefinition? Push);

public sealed record PushMessageDefinition(string? Title, string? Body);

public sealed record AudienceDefinition(
    IReadOnlyList<string>? Lists,
    IReadOnlyList<string>? Provinces,
    IReadOnlyList<string>? Carriers,
    bool Devices = false);

public sealed record ScheduleDefinition(
    DateTimeOffset? StartAt,
    string? Recurrence,
    DateTimeOffset? ExpiresAt,
    WindowDefinition? Window);

public sealed record WindowDefinition(string? From, string? To);

public sealed record OptionsDefinition(bool StripDiacritics = false, int? MaxSmsParts = null);

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
