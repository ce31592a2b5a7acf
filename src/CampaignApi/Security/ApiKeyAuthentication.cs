using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Loa.Storage.Geography;
using Loa.Storage.Keys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Loa.CampaignApi.Security;

/// <summary>
/// Key lookups, cached briefly so that a busy client does not cost a query per request, while a
/// key revoked through this process stops working at once (<see cref="Forget"/>) and one revoked
/// elsewhere (another instance, the database) within the cache time.
/// </summary>
public sealed class ApiKeyCache(ApiKeyStore keys, TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (ApiKeyRow? Row, DateTimeOffset Until)> cache = new();

    public async Task<ApiKeyRow?> FindAsync(string key, CancellationToken cancellationToken)
    {
        var hash = ApiKeyStore.Hash(key);
        var now = time.GetUtcNow();
        if (!cache.TryGetValue(hash, out var cached) || cached.Until < now)
        {
            cached = (await keys.FindAsync(key, cancellationToken), now + CacheFor);
            cache[hash] = cached;
        }
        return cached.Row;
    }

    /// <summary>Drops a revoked key at once, rather than when its cached lookup expires.</summary>
    public void Forget(string hash) => cache.TryRemove(hash, out _);
}

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>: the key is hashed and looked up; a found key becomes a
/// principal with its tenant and roles.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyCache cache,
    Provinces provinces) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var key = header["Bearer ".Length..].Trim();
        if (key.Length == 0 || key.Length > 512)
            return AuthenticateResult.Fail("Malformed bearer key.");

        if (await cache.FindAsync(key, Context.RequestAborted) is not { } row)
            return AuthenticateResult.Fail("Unknown or revoked key.");

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, row.Id),
            new(Roles.PrincipalClaim, Roles.KeyPrincipal(row.Id)),
            new(Roles.KeyIdClaim, row.Id),
            new(ClaimTypes.Name, row.Name),
            // Canonical, so that a key stored under an old code (before migration 0018, or restored from
            // a backup) is the same tenant as its unit everywhere tenants are compared.
            new(Roles.TenantClaim, provinces.Tenant(row.Tenant)),
        };
        claims.AddRange(row.Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(r => new Claim(ClaimTypes.Role, r)));
        var identity = new ClaimsIdentity(claims, SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Problems.Unauthorized("A valid bearer key is required.").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Problems.Forbidden("role", "Your key does not have the role this action needs.").ExecuteAsync(Context);
    }
}
