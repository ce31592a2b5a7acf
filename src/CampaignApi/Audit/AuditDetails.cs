namespace Loa.CampaignApi.Audit;

/// <summary>
/// What a handler knows that the audit trail cannot see from outside: a status before and after, the
/// counts of an upload, what an unmasked read returned. One per request; the audit trail writes it as
/// the row's details. Never put a whole phone number here: mask it with Msisdn.Mask.
/// </summary>
public sealed class AuditDetails
{
    private readonly Dictionary<string, object?> values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, object?> Values => values;

    public void Add(string key, object? value) => values[key] = value;

    /// <summary>A lifecycle change as <c>"status": {"before", "after"}</c>; <paramref name="after"/> null when refused.</summary>
    public void Status(string before, string? after) => values["status"] = new StatusChange(before, after);

    public sealed record StatusChange(string Before, string? After);
}
