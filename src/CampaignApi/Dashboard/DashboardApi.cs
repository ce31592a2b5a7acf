using System.Security.Claims;
using System.Security.Cryptography;
using Loa.CampaignApi.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Loa.CampaignApi.Dashboard;

/// <summary>Who a key belongs to: what the dashboard shows as "signed in" and uses to pick its buttons.</summary>
/// <summary>Id is the principal as recorded (createdBy, audit <c>who</c>); Name is its label (the key's name, the token's subject).</summary>
public sealed record MeView(string Id, string Name, string Tenant, IReadOnlyList<string> Roles);

/// <summary>
/// The operator dashboard: one static page with its script and style sheet, embedded in this
/// assembly so that they ship with the app however it is started (dotnet run, a test host whose
/// content root is elsewhere, a container), and <c>GET /api/v1/me</c>, the one piece of JSON the
/// page needs that the campaign API does not already give. The page and its assets hold no data and
/// are anonymous; everything it shows comes from the JSON API with the key the user types in.
/// </summary>
public static class DashboardApi
{
    // No inline script or style, nothing from anywhere but Loa, and the page may not be framed
    // (a framed dashboard with a pasted key is a clickjacking target for cancel).
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly IReadOnlyDictionary<string, EmbeddedAsset> Assets = new Dictionary<string, EmbeddedAsset>(StringComparer.Ordinal)
    {
        ["index.html"] = EmbeddedAsset.Load("Dashboard", "index.html", "text/html; charset=utf-8"),
        ["app.js"] = EmbeddedAsset.Load("Dashboard", "app.js", "text/javascript; charset=utf-8"),
        ["app.css"] = EmbeddedAsset.Load("Dashboard", "app.css", "text/css; charset=utf-8"),
    };

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", (HttpContext context) => Assets["index.html"].Serve(context, ContentSecurityPolicy))
            .AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/dashboard/{file}", (string file, HttpContext context) =>
                file is "app.js" or "app.css" ? Assets[file].Serve(context, ContentSecurityPolicy) : Problems.NotFound("dashboard file"))
            .AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/api/v1/me", Me).WithTags("Dashboard").RequireAuthorization();
        return routes;
    }

    public static Ok<MeView> Me(ClaimsPrincipal user) =>
        TypedResults.Ok(new MeView(
            user.Who(),
            user.Label(),
            user.Tenant(),
            user.FindAll(ClaimTypes.Role).Select(c => c.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()));
}
