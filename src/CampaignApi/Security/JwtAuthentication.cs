using System.Security.Claims;
using System.Text;
using Loa.Storage.Geography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Loa.CampaignApi.Security;

/// <summary><c>Loa:Jwt</c>: tokens from an identity provider, as an alternative to API keys.</summary>
public sealed class JwtSettings
{
    public const string Section = "Loa:Jwt";

    /// <summary>The issuer's base URL; its OIDC discovery document gives the signing keys and the issuer.</summary>
    public string? Authority { get; set; }

    /// <summary>A shared HMAC-SHA256 secret (at least 32 bytes), for tests and development in place of an authority.</summary>
    public string? SigningKey { get; set; }

    public string? Issuer { get; set; }

    public string? Audience { get; set; }

    /// <summary>The claim that carries the tenant (<c>national</c> or a province code).</summary>
    public string TenantClaim { get; set; } = "loa_tenant";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(SigningKey);
}

/// <summary>
/// One default scheme that forwards each request: a bearer credential shaped like a JWT (three
/// dot-separated parts) to JwtBearer when JWT is configured, anything else to the API key handler,
/// so that both kinds of caller end up as the same principal (name, <c>loa:tenant</c>, roles).
/// </summary>
public static class LoaAuthentication
{
    public const string SchemeName = "Loa";

    public static IServiceCollection AddLoaAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        var jwt = configuration.GetSection(JwtSettings.Section).Get<JwtSettings>() ?? new JwtSettings();
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<PrincipalNames>();
        var authentication = services.AddAuthentication(SchemeName)
            .AddPolicyScheme(SchemeName, "API key or JWT", o => o.ForwardDefaultSelector = context =>
                jwt.IsConfigured && LooksLikeJwt(context.Request.Headers.Authorization.ToString())
                    ? JwtBearerDefaults.AuthenticationScheme
                    : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        if (jwt.IsConfigured)
            authentication.AddJwtBearer(o => Configure(o, jwt));
        return services;
    }

    private static bool LooksLikeJwt(string header) =>
        header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.AsSpan("Bearer ".Length).Trim().Count('.') == 2;

    private static void Configure(JwtBearerOptions options, JwtSettings jwt)
    {
        if (string.IsNullOrWhiteSpace(jwt.Audience))
            throw new InvalidOperationException("Loa:Jwt:Audience must be set when JWT bearer authentication is configured.");
        // Claim names as the token has them (sub, roles), not the long WS-* names they would be mapped to.
        options.MapInboundClaims = false;
        var parameters = new TokenValidationParameters
        {
            ValidateAudience = true,
            ValidAudience = jwt.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        };
        if (!string.IsNullOrWhiteSpace(jwt.Authority))
        {
            options.Authority = jwt.Authority;
            if (!string.IsNullOrWhiteSpace(jwt.Issuer))
                parameters.ValidIssuer = jwt.Issuer;
        }
        else
        {
            if (string.IsNullOrWhiteSpace(jwt.Issuer))
                throw new InvalidOperationException("Loa:Jwt:Issuer must be set when Loa:Jwt:SigningKey is.");
            var key = Encoding.UTF8.GetBytes(jwt.SigningKey!);
            if (key.Length < 32)
                throw new InvalidOperationException("Loa:Jwt:SigningKey must be at least 32 bytes.");
            parameters.ValidIssuer = jwt.Issuer;
            parameters.IssuerSigningKey = new SymmetricSecurityKey(key);
            parameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        }
        options.TokenValidationParameters = parameters;
        options.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                // Without a tenant a principal would fall between national and every province.
                if (string.IsNullOrEmpty(context.Principal!.FindFirstValue(jwt.TenantClaim)))
                    context.Fail($"The token has no '{jwt.TenantClaim}' claim.");
                else if (string.IsNullOrEmpty(context.Principal!.FindFirstValue("sub")))
                    context.Fail("The token has no 'sub': a principal is identified by its issuer and subject.");
                else
                    context.Principal = ToLoaPrincipal(context.Principal!, jwt.TenantClaim, context.HttpContext.RequestServices.GetRequiredService<Provinces>());
                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Problems.Unauthorized("A valid bearer key or token is required.").ExecuteAsync(context.HttpContext);
            },
            OnForbidden = async context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await Problems.Forbidden("role", "Your token does not have the role this action needs.").ExecuteAsync(context.HttpContext);
            },
        };
    }

    /// <summary>The same shape of principal the API key handler makes, so that the endpoints see no difference.</summary>
    private static ClaimsPrincipal ToLoaPrincipal(ClaimsPrincipal token, string tenantClaim, Provinces provinces)
    {
        // The acting user is the issuer and subject, not the display name: the principal is compared
        // (four eyes, CAP pre-approval) and recorded, and a display name is neither unique nor always
        // fixed by the identity provider; a subject is unique only within its issuer. The display
        // name is kept beside it.
        var subject = token.FindFirstValue("sub") ?? "";
        var issuer = token.FindFirstValue("iss") ?? token.FindFirst("sub")?.Issuer ?? "";
        var display = token.FindFirstValue("name") ?? "";
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, subject),
            new(Roles.PrincipalClaim, Roles.JwtPrincipal(issuer, subject)),
            new(ClaimTypes.Name, subject),
            new(ClaimTypes.GivenName, display),
            // An identity provider may still issue the old abbreviation (HN, HG): the tenant is its unit's code.
            new(Roles.TenantClaim, provinces.Tenant(token.FindFirstValue(tenantClaim) ?? "")),
        };
        claims.AddRange(token.FindAll(c => c.Type is "roles" or "role")
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Distinct()
            .Select(r => new Claim(ClaimTypes.Role, r)));
        var identity = new ClaimsIdentity(claims, JwtBearerDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role);
        return new ClaimsPrincipal(identity);
    }
}
