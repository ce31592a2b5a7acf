using System.Globalization;
using System.Security.Claims;
using Loa.CampaignApi.Campaigns;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters.Routing;
using Loa.Dispatcher.Planning;
using Loa.Storage;
using Loa.Storage.Replies;

namespace Loa.CampaignApi.Audiences;

public sealed record ReplyView(string Id, string Carrier, string Msisdn, string To, string Text, bool OptedOut, DateTimeOffset ReceivedAt);

public sealed record ReplyPage(IReadOnlyList<ReplyView> Items, string? Next);

/// <summary>
/// What subscribers sent back over the carriers' SMPP binds, newest first: what an operator reads
/// when a number complains, and the evidence behind an opt-out that came by SMS. Replies come from
/// anyone on any carrier, so only the national tenant reads them; numbers are masked.
/// </summary>
public static class RepliesApi
{
    public static RouteGroupBuilder MapRepliesApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/replies").WithTags("Audiences").RequireAuthorization(Policies.OperatorOrAdmin);
        group.MapGet("/", PageAsync);
        return group;
    }

    /// <summary>Keyset paging by id, newest first: <c>next</c> is the <c>before</c> for the following page.</summary>
    public static async Task<IResult> PageAsync(
        ClaimsPrincipal user, ReplyStore store, RouteTable routes, string? msisdn, string? before, int? limit, CancellationToken ct)
    {
        if (!user.IsNational())
            return Problems.Forbidden("tenant", "Replies come from subscribers of every province: only the national tenant reads them.");
        string? number = null;
        if (!string.IsNullOrWhiteSpace(msisdn))
        {
            if (!Msisdn.TryNormalize(msisdn, await routes.GetAsync(ct), out var e164, out var reason))
                return Problems.Validation("msisdn", reason);
            number = e164;
        }
        long? beforeId = null;
        if (!string.IsNullOrEmpty(before))
        {
            if (!long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                return Problems.Validation("before", "before must be a cursor returned as 'next'.");
            beforeId = id;
        }
        var take = Math.Clamp(limit ?? 100, 1, 1000);
        var rows = await store.PageAsync(number, beforeId, take, ct);
        var items = rows.Select(r => new ReplyView(
            r.Id.ToString(CultureInfo.InvariantCulture), r.Carrier, Msisdn.Mask(r.Msisdn), r.ToAddress, r.Text, r.OptedOut, Clock.At(r.ReceivedAt)!.Value)).ToList();
        return TypedResults.Ok(new ReplyPage(items, rows.Count == take ? items[^1].Id : null));
    }
}
