using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;

namespace Loa.CampaignApi.Security;

public static class Roles
{
    public const string Author = "author";
    public const string Approver = "approver";
    public const string Operator = "operator";
    public const string Admin = "admin";
    public const string App = "app";

    /// <summary><c>carrier:&lt;carrier id&gt;</c>: a carrier's own key.</summary>
    public const string CarrierPrefix = "carrier:";

    public const string National = "national";
    public const string TenantClaim = "loa:tenant";

    /// <summary>The principal's stable id (<see cref="Who"/>): <c>key:&lt;key id&gt;</c> or <c>jwt:&lt;issuer&gt;|&lt;subject&gt;</c>.</summary>
    public const string PrincipalClaim = "loa:principal";

    /// <summary>The id of the API key that authenticated the request; absent for a JWT.</summary>
    public const string KeyIdClaim = "loa:key-id";

    private const string KeyPrefix = "key:";
    private const string JwtPrefix = "jwt:";
    private const string JwtHashedPrefix = JwtPrefix + "sha256:";
    private const string CapPrefix = "cap:";

    // created_by, approved_by, audit_log.who and the like hold up to 200 characters (SQL Server).
    private const int MaxPrincipalLength = 200;

    public static string Tenant(this ClaimsPrincipal user) => user.FindFirstValue(TenantClaim) ?? "";

    /// <summary>
    /// Who acts, as recorded and compared (createdBy, approvedBy, the two-person rule, the audit trail,
    /// rate-limit buckets): the key's id or the token's issuer and subject. Never a name: names are
    /// chosen by admins and two keys may carry the same one.
    /// </summary>
    public static string Who(this ClaimsPrincipal user) => user.FindFirstValue(PrincipalClaim) ?? "";

    /// <summary>The human label: the key's name or the token's subject. Shown, never compared.</summary>
    public static string Label(this ClaimsPrincipal user) => user.Identity?.Name ?? "";

    public static string? KeyId(this ClaimsPrincipal user) => user.FindFirstValue(KeyIdClaim);

    public static string KeyPrincipal(string keyId) => KeyPrefix + keyId;

    /// <summary>
    /// Issuer and subject: a subject is unique only within its issuer. Too long for the columns that
    /// record it, the pair is hashed rather than cut, so that two long subjects never become one.
    /// </summary>
    public static string JwtPrincipal(string issuer, string subject)
    {
        var id = $"{JwtPrefix}{issuer}|{subject}";
        return id.Length <= MaxPrincipalLength
            ? id
            : JwtHashedPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(issuer + "\n" + subject)));
    }

    /// <summary>Who approved a pre-approved CAP alert: its sender, cut to fit the column.</summary>
    public static string CapPrincipal(string sender) => CapPrefix + (sender.Length <= MaxPrincipalLength - CapPrefix.Length ? sender : sender[..(MaxPrincipalLength - CapPrefix.Length)]);

    /// <summary>The key id in a recorded <c>key:&lt;id&gt;</c>; null for anything else.</summary>
    public static string? KeyIdOf(string? recorded) =>
        recorded is not null && recorded.StartsWith(KeyPrefix, StringComparison.Ordinal) && recorded.Length > KeyPrefix.Length ? recorded[KeyPrefix.Length..] : null;

    /// <summary>
    /// The label a recorded principal carries in itself, without a lookup: a token's subject, a CAP
    /// sender, or the key's name of a row written before principals had ids (it holds nothing else).
    /// Null for a key id (its name is in the keys store) and for a hashed token id, whose subject
    /// cannot be read back.
    /// </summary>
    public static string? LabelOf(string? recorded)
    {
        if (string.IsNullOrEmpty(recorded) || recorded.StartsWith(KeyPrefix, StringComparison.Ordinal) || recorded.StartsWith(JwtHashedPrefix, StringComparison.Ordinal))
            return null;
        if (recorded.StartsWith(JwtPrefix, StringComparison.Ordinal))
        {
            // The issuer is a URL, where '|' is not written bare; a subject may hold one (auth0|5f7c…), so
            // the subject is everything after the first.
            var bar = recorded.IndexOf('|', JwtPrefix.Length);
            return bar < 0 || bar == recorded.Length - 1 ? null : recorded[(bar + 1)..];
        }
        if (recorded.StartsWith(CapPrefix, StringComparison.Ordinal))
            return recorded.Length > CapPrefix.Length ? recorded[CapPrefix.Length..] : null;
        return recorded;
    }

    /// <summary>
    /// True when <paramref name="recorded"/> (a createdBy, submittedBy…) names this principal. Rows written
    /// before principals had ids hold a key's name: those are matched by name too, so that an upgrade does
    /// not let an author approve a draft written the day before.
    /// </summary>
    public static bool IsRecordedAs(this ClaimsPrincipal user, string? recorded)
    {
        if (string.IsNullOrEmpty(recorded))
            return false;
        if (string.Equals(recorded, user.Who(), StringComparison.Ordinal))
            return true;
        var isId = recorded.StartsWith(KeyPrefix, StringComparison.Ordinal) || recorded.StartsWith(JwtPrefix, StringComparison.Ordinal);
        return !isId && string.Equals(recorded, user.Label(), StringComparison.Ordinal);
    }

    public static bool IsNational(this ClaimsPrincipal user) => user.Tenant() == National;

    /// <summary>A national principal sees every tenant; a province principal only its own.</summary>
    public static bool CanSee(this ClaimsPrincipal user, string tenant) =>
        user.IsNational() || string.Equals(user.Tenant(), tenant, StringComparison.OrdinalIgnoreCase);

    /// <summary>The tenant filter for listings: null means "all" (national).</summary>
    public static string? TenantFilter(this ClaimsPrincipal user) => user.IsNational() ? null : user.Tenant();
}
