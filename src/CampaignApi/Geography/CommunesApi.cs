using System.Security.Claims;
using Loa.CampaignApi.Audiences;
using Loa.CampaignApi.Audit;
using Loa.CampaignApi.Security;
using Loa.Storage.Geography;
using Loa.Storage.Planning;
using Microsoft.AspNetCore.Http.HttpResults;
using Sylvan.Data.Csv;

namespace Loa.CampaignApi.Geography;

/// <summary>A commune of today; <c>Province</c> the canonical code of its unit.</summary>
public sealed record CommuneView(string Code, string Name, string Province);

/// <summary><c>Next</c> is the <c>after</c> of the next page; null on the last. <c>Loaded</c>: the whole table's size (0: none loaded).</summary>
public sealed record CommunePage(IReadOnlyList<CommuneView> Items, string? Next, int Loaded);

/// <summary>
/// Lists whose members the loaded commune table contradicts (members uploaded before it, checked for their form
/// only): <c>Lists</c> and <c>Members</c> in all, <c>Items</c> the largest first (at most 100).
/// </summary>
public sealed record CommuneReview(bool Loaded, int Lists, long Members, IReadOnlyList<ListToReview> Items);

/// <summary>
/// The commune table (issue 19), loaded by a national admin from a CSV file: Loa ships no commune data, none
/// being available from a source that could be checked. While it is empty, list uploads check a commune for
/// its form only; once loaded, a member's commune must be one of it and of the member's province, and CAP
/// geocodes of 5 digits are placed (docs/domain-geography.md, Communes).
/// </summary>
public static class CommunesApi
{
    /// <summary>Vietnam has 3,321 communes since July 2025; room for a later split, not for a wrong file.</summary>
    public const int MaxRows = 20_000;

    private const int MaxListedErrors = 100;

    public static RouteGroupBuilder MapCommunesApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/geography/communes").WithTags("Provinces").RequireAuthorization();
        group.MapPut("/", ReplaceAsync).Accepts<string>("text/csv").RequireAuthorization(Roles.Admin);
        group.MapDelete("/", ClearAsync).RequireAuthorization(Roles.Admin);
        group.MapGet("/", PageAsync);
        group.MapGet("/review", ReviewAsync);
        return group;
    }

    /// <summary>
    /// Replaces the whole table with the file's rows (<c>code,name,province</c>), all or nothing: a refusal names
    /// each bad cell by its line (the header is line 1), as the other CSV uploads do.
    /// </summary>
    public static async Task<IResult> ReplaceAsync(
        HttpRequest request, ClaimsPrincipal user, CommuneStore communes, Provinces provinces, AuditDetails audit, CancellationToken ct)
    {
        // One table for every tenant: a province would be redrawing the others' map.
        if (!user.IsNational())
            return Problems.Forbidden("tenant", "The commune table is loaded by national admins.");
        if (!CsvUpload.IsCsv(request))
            return Problems.UnsupportedMediaType("Upload the communes as text/csv with a header row: code,name,province.");
        var rows = new List<Commune>();
        var errors = new Dictionary<string, string[]>();
        var refused = 0;
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        long line = 0;
        void Refuse(string key, string message)
        {
            if (errors.Count < MaxListedErrors)
                errors[key] = [message];
        }
        try
        {
            using var text = CsvUpload.Text(request);
            await using var csv = await CsvUpload.OpenAsync(text, ct);
            line = 1;
            var columns = new[] { "code", "name", "province" }.ToDictionary(c => c, c => ListsApi.Column(csv, c));
            foreach (var missing in columns.Where(c => c.Value < 0))
                errors[missing.Key] = [$"The header row must name a '{missing.Key}' column (code, name, province)."];
            if (errors.Count > 0)
                return Problems.Validation(errors);
            while (await csv.ReadAsync(ct))
            {
                line++;
                if (rows.Count + refused == MaxRows)
                {
                    errors["rows"] = [$"Send 1 to {MaxRows} communes."];
                    break;
                }
                var bad = false;
                var code = csv.GetString(columns["code"]).Trim();
                var name = csv.GetString(columns["name"]).Trim();
                var given = csv.GetString(columns["province"]).Trim();
                if (!SegmentTags.IsCommune(code))
                {
                    bad = true;
                    Refuse($"line {line}.code", "A commune code is 5 digits, as the GSO numbers it (00004).");
                }
                else if (seen.TryGetValue(code, out var first))
                {
                    bad = true;
                    Refuse($"line {line}.code", $"Commune {code} is already on line {first}.");
                }
                else
                {
                    seen[code] = line;
                }
                if (name.Length is 0 or > 200)
                {
                    bad = true;
                    Refuse($"line {line}.name", "A commune needs a name of at most 200 characters.");
                }
                var province = provinces.Resolve(given);
                if (province is null)
                {
                    bad = true;
                    Refuse($"line {line}.province", "No province has this code (any code GET /api/v1/provinces/{code} reads).");
                }
                if (bad)
                    refused++;
                else
                    rows.Add(new Commune(code, name, province!.Code));
            }
        }
        catch (Exception ex) when (CsvUpload.IsUnreadable(ex))
        {
            return CsvUpload.Refusal(ex, line + 1);
        }
        if (rows.Count + refused == 0 && errors.Count == 0)
            errors["rows"] = [$"Send 1 to {MaxRows} communes."];
        if (refused > MaxListedErrors)
            errors["rows"] = [$"{refused} rows are refused; the first ones are listed."];
        if (errors.Count > 0)
            return Problems.Validation(errors, "Nothing was loaded: the table is replaced whole, by a file with no refused row.");
        await communes.ReplaceAsync(rows, ct);
        var byProvince = rows.GroupBy(r => r.Province).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
        // Members uploaded before this table were checked for their form only: the lists the new table contradicts are named now.
        var review = await ReviewOfAsync(communes, tenant: null, ct);
        audit.Add("communes", new { accepted = rows.Count, byProvince, review = new { review.Lists, review.Members } });
        return TypedResults.Ok(new { accepted = rows.Count, byProvince, review });
    }

    /// <summary>
    /// Empties the table (a wrong file loaded, or a source withdrawn): communes are checked for their form only
    /// again, as before any table, and CAP geocodes of 5 digits are no longer placed. Members keep their communes.
    /// <paramref name="confirm"/> is the size of the table the caller saw: a table loaded since by someone else
    /// is not cleared unseen (409), and a request that does not say what it removes removes nothing.
    /// </summary>
    public static async Task<IResult> ClearAsync(int? confirm, ClaimsPrincipal user, CommuneStore communes, AuditDetails audit, CancellationToken ct)
    {
        if (!user.IsNational())
            return Problems.Forbidden("tenant", "The commune table is cleared by national admins.");
        if (confirm is not >= 0)
            return Problems.Validation("confirm", "Say how many communes you are removing: confirm=N, the table's size as GET /api/v1/geography/communes answers it (loaded).");
        var (cleared, size) = await communes.ClearAsync(confirm.Value, ct);
        if (!cleared)
            return Problems.Conflict($"The table holds {size} communes, not {confirm}: it changed since you read it. Nothing was cleared.");
        audit.Add("communes", new { removed = size });
        return TypedResults.Ok(new { removed = size });
    }

    /// <summary>
    /// The caller's lists (every tenant's for a national key) whose members name a commune the loaded table does not
    /// hold or places in another province. Nothing is changed: a member keeps its commune until its list is uploaded
    /// again, and an audience filtered by commune simply does not reach it under another code.
    /// </summary>
    public static async Task<Ok<CommuneReview>> ReviewAsync(ClaimsPrincipal user, CommuneStore communes, CancellationToken ct) =>
        TypedResults.Ok(await ReviewOfAsync(communes, user.IsNational() ? null : user.Tenant(), ct));

    private static async Task<CommuneReview> ReviewOfAsync(CommuneStore communes, string? tenant, CancellationToken ct)
    {
        var lists = await communes.ListsToReviewAsync(tenant, ct);
        if (lists is null)
            return new CommuneReview(Loaded: false, 0, 0, []);
        return new CommuneReview(Loaded: true, lists.Count, lists.Sum(l => l.UnknownCommune + l.OtherProvince),
            lists.OrderByDescending(l => l.UnknownCommune + l.OtherProvince).ThenBy(l => l.ListId, StringComparer.Ordinal).Take(MaxListedErrors).ToList());
    }

    /// <summary>The table by code, one province's (any code Provinces reads) or all; empty while no table is loaded.</summary>
    public static async Task<IResult> PageAsync(string? province, string? after, int? limit, CommuneStore communes, Provinces provinces, CancellationToken ct)
    {
        string? unit = null;
        if (!string.IsNullOrWhiteSpace(province))
        {
            if (provinces.Resolve(province) is not { } resolved)
                return Problems.Validation("province", "No province has this code.");
            unit = resolved.Code;
        }
        var take = Math.Clamp(limit ?? 500, 1, 1000);
        var rows = await communes.PageAsync(unit, after ?? "", take, ct);
        return TypedResults.Ok(new CommunePage(
            rows.Select(r => new CommuneView(r.Code, r.Name, r.Province)).ToList(),
            rows.Count == take ? rows[^1].Code : null,
            (await communes.TableAsync(ct)).Count));
    }
}
