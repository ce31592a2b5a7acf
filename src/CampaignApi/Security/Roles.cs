using System.Security.Claims;

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

    public static string Tenant(this ClaimsPrincipal user) => user.FindFirstValue(TenantClaim) ?? "";

    public static string Who(this ClaimsPrincipal user) => user.Identity?.Name ?? "";

    public static bool IsNational(this ClaimsPrincipal user) => user.Tenant() == National;

    /// <summary>A national principal sees every tenant; a province principal only its own.</summary>
    public static bool CanSee(this ClaimsPrincipal user, string tenant) =>
        user.IsNational() || string.Equals(user.Tenant(), tenant, StringComparison.OrdinalIgnoreCase);

    /// <summary>The tenant filter for listings: null means "all" (national).</summary>
    public static string? TenantFilter(this ClaimsPrincipal user) => user.IsNational() ? null : user.Tenant();
}
