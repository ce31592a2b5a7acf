using System.Buffers.Text;
using System.Data.Common;
using System.Security.Claims;
using System.Security.Cryptography;
using Loa.CampaignApi.Alerts;
using Loa.CarrierAdapters;
using Loa.Storage;
using Loa.Storage.Geography;
using Loa.Storage.Keys;
using Microsoft.Extensions.Options;

namespace Loa.CampaignApi.Security;

public sealed record CreateKeyRequest(string? Name, string? Tenant, IReadOnlyList<string>? Roles);

/// <summary>
/// A key without its secret; <c>PreApprovedSenders</c> are the CAP senders whose alerts it may launch
/// without a second person. <c>TenantName</c> is the province's name (null for national).
/// </summary>
public sealed record KeyView(
    string Id, string Name, string Tenant, string? TenantName, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt,
    IReadOnlyList<string> PreApprovedSenders)
{
    public static KeyView From(ApiKeyListing row, CapOptions cap, Provinces provinces)
    {
        var tenant = provinces.Tenant(row.Tenant);
        return new(
            row.Id, row.Name, tenant, provinces.Unit(tenant)?.Name, row.Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt),
            row.RevokedAt is { } revoked ? DateTimeOffset.FromUnixTimeMilliseconds(revoked) : null,
            cap.SendersFor(row.Id));
    }
}

/// <summary>
/// The answer to a create: the only time the secret is ever shown. <c>Tenant</c> is canonical whatever
/// the request named (<c>HN</c> → <c>01</c>); <c>TenantRemappedFrom</c> is what it named when that differed.
/// </summary>
public sealed record CreatedKeyView(
    string Id, string Name, string Tenant, string? TenantName, string? TenantRemappedFrom, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, string Key);

public sealed record KeyPage(IReadOnlyList<KeyView> Items, string? Next);

/// <summary>
/// Bearer keys, managed by admins: a province admin manages its own province's keys, a national
/// admin every key. Only the SHA-256 of a key is stored, so a lost key is revoked and replaced.
/// </summary>
public static class KeysApi
{
    public const string Prefix = "loa_";
    public const int MaxNameLength = 100;

    public static RouteGroupBuilder MapKeysApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/keys").WithTags("Keys").RequireAuthorization(Roles.Admin);
        group.MapPost("/", CreateAsync);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id}", GetAsync);
        group.MapDelete("/{id}", RevokeAsync);
        return group;
    }

    /// <summary>256 random bits, base64url; the prefix lets secret scanners and people recognise a Loa key.</summary>
    public static string NewKey() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static async Task<IResult> CreateAsync(CreateKeyRequest request, ClaimsPrincipal user, ApiKeyStore keys, Provinces provinces, CancellationToken ct)
    {
        var errors = Check(request, user, provinces, out var name, out var tenant, out var roles);
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var key = NewKey();
        ApiKeyListing row;
        try
        {
            row = await keys.CreateAsync(key, name, tenant, roles, ct);
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            // Unique per tenant (ignoring case), not across tenants: a province told that a national
            // key holds a name would learn it exists.
            return Problems.Duplicate($"Tenant {tenant} already has an active key named '{name}'; revoke it or choose another name.", "Name taken");
        }
        var given = request.Tenant?.Trim().ToUpperInvariant();
        return TypedResults.Created($"/api/v1/keys/{row.Id}", new CreatedKeyView(
            row.Id, row.Name, row.Tenant, provinces.Unit(row.Tenant)?.Name, row.Tenant == Roles.National || given == row.Tenant ? null : given,
            row.Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries), DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), key));
    }

    public static async Task<IResult> ListAsync(
        ClaimsPrincipal user, ApiKeyStore keys, IOptionsMonitor<CapOptions> cap, Provinces provinces, string? after, int? limit, CancellationToken ct)
    {
        var take = Math.Clamp(limit ?? 50, 1, 500);
        var rows = await keys.PageAsync(user.TenantFilter(), after ?? "", take, ct);
        return TypedResults.Ok(new KeyPage(rows.Select(r => KeyView.From(r, cap.CurrentValue, provinces)).ToList(), rows.Count == take ? rows[^1].Id : null));
    }

    public static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, ApiKeyStore keys, IOptionsMonitor<CapOptions> cap, Provinces provinces, CancellationToken ct) =>
        await keys.GetAsync(id, ct) is { } row && user.CanSee(provinces.Tenant(row.Tenant))
            ? TypedResults.Ok(KeyView.From(row, cap.CurrentValue, provinces))
            : Problems.NotFound("key");

    public static async Task<IResult> RevokeAsync(string id, ClaimsPrincipal user, ApiKeyStore keys, ApiKeyCache cache, Provinces provinces, CancellationToken ct)
    {
        if (await keys.GetAsync(id, ct) is not { } row || !user.CanSee(provinces.Tenant(row.Tenant)))
            return Problems.NotFound("key");
        if (await keys.RevokeAsync(id, ct) is { } hash)
            cache.Forget(hash);
        return TypedResults.NoContent();
    }

    private static Dictionary<string, string[]> Check(
        CreateKeyRequest request, ClaimsPrincipal user, Provinces provinces, out string name, out string tenant, out List<string> roles)
    {
        var errors = new Dictionary<string, string[]>();
        name = request.Name?.Trim() ?? "";
        tenant = request.Tenant?.Trim() ?? "";
        roles = [];

        if (name.Length == 0)
            errors["name"] = ["name is required."];
        else if (name.Length > MaxNameLength)
            errors["name"] = [$"name must be at most {MaxNameLength} characters."];

        // A key names its tenant by the canonical code, whatever the request called it (HN, 01, VN-HN).
        if (tenant != Roles.National && provinces.Resolve(tenant) is { } province)
            tenant = province.Code;
        if (tenant != Roles.National && provinces.Unit(tenant) is null)
            errors["tenant"] = ["tenant must be 'national' or a province: its 2-digit code (01, 92…), its alias (HN, CT…) or an old code Loa maps (HG, 93…); GET /api/v1/provinces lists them."];
        else if (!user.IsNational() && tenant != user.Tenant())
            errors["tenant"] = [$"A province admin may only create keys for its own tenant ({user.Tenant()})."];

        if (request.Roles is not { Count: > 0 })
        {
            errors["roles"] = ["roles must name at least one role."];
            return errors;
        }
        var wrong = new List<string>();
        foreach (var role in request.Roles)
        {
            if (!IsRole(role))
                wrong.Add($"'{role}' is not a role: use author, approver, operator, admin, app or carrier:<carrier id>.");
            else if (!roles.Contains(role))
                roles.Add(role);
        }
        if (wrong.Count > 0)
            errors["roles"] = [.. wrong];
        return errors;
    }

    private static bool IsRole(string? role) =>
        role is Roles.Author or Roles.Approver or Roles.Operator or Roles.Admin or Roles.App
        || (role is not null && role.StartsWith(Roles.CarrierPrefix, StringComparison.Ordinal) && CarrierIds.All.Contains(role[Roles.CarrierPrefix.Length..]));
}
