using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Loa.CampaignApi.Security;
using Loa.Storage;
using Loa.Storage.Audit;

namespace Loa.CampaignApi.Audit;

public sealed record AuditView(
    string Id, DateTimeOffset At, string Who, string Tenant, string Action, string? Target, string? From, int Outcome,
    JsonElement? Details, string PrevHash, string Hash);

public sealed record AuditPage(IReadOnlyList<AuditView> Items, string? Next);

/// <summary>The audit trail, for national admins: read it page by page (oldest first), and check its chain.</summary>
public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/audit").WithTags("Audit").RequireAuthorization(Roles.Admin);
        group.MapGet("/", PageAsync);
        group.MapGet("/verify", VerifyAsync);
        return group;
    }

    /// <summary>Keyset paging by id, oldest first: <c>next</c> is the <c>after</c> for the following page.</summary>
    public static async Task<IResult> PageAsync(ClaimsPrincipal user, AuditStore audit, string? after, int? limit, CancellationToken ct)
    {
        if (!user.IsNational())
            return NationalOnly();
        long afterId = 0;
        if (!string.IsNullOrEmpty(after) && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterId))
            return Problems.Validation("after", "after must be a cursor returned as 'next'.");
        var take = Math.Clamp(limit ?? 100, 1, 1000);
        var rows = await audit.PageAsync(afterId, take, ct);
        var items = rows.Select(r => new AuditView(
            r.Id.ToString(CultureInfo.InvariantCulture), Clock.At(r.At)!.Value, r.Who, r.Tenant, r.Action, r.Target, r.FromIp, r.Outcome,
            r.Details is null ? null : JsonDocument.Parse(r.Details).RootElement.Clone(), r.PrevHash, r.Hash)).ToList();
        return TypedResults.Ok(new AuditPage(items, rows.Count == take ? items[^1].Id : null));
    }

    public static async Task<IResult> VerifyAsync(ClaimsPrincipal user, AuditStore audit, CancellationToken ct)
    {
        if (!user.IsNational())
            return NationalOnly();
        var check = await audit.VerifyAsync(ct);
        return check.Ok
            ? TypedResults.Ok<object>(new { ok = true, rows = check.Rows })
            : TypedResults.Ok<object>(new { ok = false, rows = check.Rows, brokenAt = check.BrokenAt, reason = check.Reason });
    }

    /// <summary>One chain holds every tenant's rows, so a province admin neither reads nor walks it.</summary>
    private static IResult NationalOnly() =>
        Problems.Forbidden("tenant", "The audit log spans every tenant: only a national admin reads it.");
}
