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
    OptionsDefinition? Options);

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

public static class LoaJson
{
    /// <summary>The one JSON options instance for Loa's own documents: camelCase, as api.md says.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Options =
        new(System.Text.Json.JsonSerializerDefaults.Web);
}
