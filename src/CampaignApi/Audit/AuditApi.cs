using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Loa.CampaignApi.Security;
using Loa.Storage;
using Loa.Storage.Audit;
using Microsoft.Extensions.Options;

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

    /// <summary>
    /// Walks the chain and, when anchoring is on, holds it against the signed checkpoints outside the
    /// database: a checkpoint that is not signed, a row whose hash is not the anchored one, or anchored
    /// rows that are gone all fail. <c>anchoredThrough</c> is the newest row a checkpoint vouches for;
    /// rows after it are covered only by the chain (see README, "Audit trail").
    /// </summary>
    public static async Task<IResult> VerifyAsync(
        ClaimsPrincipal user, AuditStore audit, AuditAnchor anchor, IOptions<AuditAnchorOptions> options, CancellationToken ct)
    {
        if (!user.IsNational())
            return NationalOnly();
        var anchors = await anchor.ReadAsync(ct);
        var check = await audit.VerifyAsync(anchor.IsEnabled ? anchors.Hashes : null, ct);
        if (check.Ok && anchors.Problems.Count > 0)
            check = check with { Ok = false, Reason = anchors.Problems[0] };
        if (check.Ok && anchor.IsEnabled && anchors.Hashes.Count == 0 && check.Rows > options.Value.EveryRows)
        {
            check = check with
            {
                Ok = false,
                Reason = $"No anchor vouches for the log although it has {check.Rows} rows: {AuditAnchor.FileName} was removed, or anchoring was only just turned on (the next audited call anchors).",
            };
        }
        return check.Ok
            ? TypedResults.Ok<object>(new { ok = true, rows = check.Rows, anchoredThrough = check.AnchoredThrough })
            : TypedResults.Ok<object>(new { ok = false, rows = check.Rows, brokenAt = check.BrokenAt, reason = check.Reason, anchoredThrough = check.AnchoredThrough });
    }

    /// <summary>One chain holds every tenant's rows, so a province admin neither reads nor walks it.</summary>
    private static IResult NationalOnly() =>
        Problems.Forbidden("tenant", "The audit log spans every tenant: only a national admin reads it.");
}
