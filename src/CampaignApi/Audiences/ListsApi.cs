using System.Security.Claims;
using System.Text;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters.Routing;
using Loa.Contracts;
using Loa.Dispatcher.Planning;
using Loa.Storage.Audiences;
using Loa.Storage.Geography;
using Loa.Storage.Planning;
using Microsoft.Extensions.Options;
using Sylvan.Data.Csv;

namespace Loa.CampaignApi.Audiences;

public sealed class ListOptions
{
    /// <summary>Most rows one upload may hold.</summary>
    public int MaxRows { get; set; } = 10_000_000;

    /// <summary>Largest upload body in bytes (the body is streamed, never held whole).</summary>
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>An upload that has written nothing for this long died with its process: its members are deleted.</summary>
    public TimeSpan AbandonedAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Most members a preview walks to find the numbers a campaign's lists share (every list but the largest is
    /// walked, probing the others by key). Beyond it the preview says <c>exact: false</c> and is an upper bound,
    /// rather than scan more on every create and read. Measured in perf/README ("Lists that share numbers").
    /// </summary>
    public long SharedWalkLimit { get; set; } = 200_000;
}

public sealed record ListError(long Line, string Reason);

/// <summary>
/// A province column value that was stored as another code: <c>To</c> the unit's canonical code, <c>Scheme</c>
/// how the value named it (<c>alias</c> its own abbreviation; <c>loa</c>, <c>gso</c>, <c>iso3166-2</c> an
/// old code of a province it absorbed), <c>Rows</c> how many accepted rows carried it.
/// </summary>
public sealed record ListRemap(string To, string Name, string Scheme, int Rows);

/// <summary><c>Remapped</c> is keyed by the value as uploaded (upper case): <c>{"HG": {"to": "92", …}}</c>.</summary>
public sealed record ListCreated(
    string Id, string Name, int Accepted, int Rejected, int Duplicates, IReadOnlyList<ListError> Errors,
    IReadOnlyDictionary<string, ListRemap> Remapped);

/// <summary>
/// <c>ProvinceNames</c> names each code of <c>ByProvince</c> that is a unit of today. <c>ByTag</c> counts the members
/// under each tag (a member with two tags counts under both; members without tags are not counted there);
/// <c>ByCommune</c> the members with each commune. Both are read from the counters kept at upload, so that an
/// author can target the groups a list holds without knowing them by heart.
/// </summary>
public sealed record ListDetails(
    string Id, string Name, string Tenant, string CreatedBy, DateTimeOffset CreatedAt, long Accepted, long Rejected, long Duplicates,
    IReadOnlyDictionary<string, long> ByCarrier, IReadOnlyDictionary<string, long> ByProvince, IReadOnlyDictionary<string, string> ProvinceNames)
{
    public IReadOnlyDictionary<string, long> ByTag { get; init; } = new Dictionary<string, long>();

    public IReadOnlyDictionary<string, long> ByCommune { get; init; } = new Dictionary<string, long>();
}

/// <summary>A list as <c>GET /api/v1/lists</c> names it: what was kept at upload, no member and no per-carrier count.</summary>
public sealed record ListSummary(
    string Id, string Name, string Tenant, string CreatedBy, DateTimeOffset CreatedAt, long Accepted, long Rejected, long Duplicates);

public sealed record ListPage(IReadOnlyList<ListSummary> Items, string? Next);

public static class ListsApi
{
    private const int MaxListedErrors = 100;

    public static RouteGroupBuilder MapListsApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/lists").WithTags("Audiences").RequireAuthorization(Roles.Author);
        group.MapPost("/", UploadAsync)
            .Accepts<string>("text/csv")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute());
        group.MapGet("/", PageAsync);
        group.MapGet("/{id}", GetAsync);
        return group;
    }

    /// <summary>
    /// Streams a CSV upload into a new list: each row is normalised and checked as it is read, and
    /// written a chunk at a time, each chunk its own short transaction (other writers get turns in
    /// between). The list appears only at commit and a failed upload deletes what it wrote, so it
    /// leaves nothing visible behind; memory stays at one chunk.
    /// </summary>
    public static async Task<IResult> UploadAsync(
        HttpRequest request, ClaimsPrincipal user, string? name,
        ListStore lists, RouteTable routes, Provinces provinces, CommuneStore communeStore, IOptions<ListOptions> options, Audit.AuditDetails audit,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
            return Problems.Validation("name", "A list needs a name (query parameter ?name=, at most 200 characters).");
        if (!CsvUpload.IsCsv(request))
            return Problems.UnsupportedMediaType("Upload the list as text/csv with a header row.");

        var limits = options.Value;
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limits.MaxBytes;

        var router = await routes.GetAsync(ct);
        // The commune table (some 3,300 rows) is read once for the whole upload and looked up in memory, never per member.
        var communes = await communeStore.TableAsync(ct);
        var tenant = user.Tenant();
        long line = 0; // the last line read whole; the header is line 1
        try
        {
            using var text = CsvUpload.Text(request);
            await using var csv = await CsvUpload.OpenAsync(text, ct);
            line = 1;
            var msisdnColumn = Column(csv, "msisdn");
            if (msisdnColumn < 0)
                return Problems.Validation("msisdn", "The header row must name a 'msisdn' column (optional: province, commune, tags, name).");
            var provinceColumn = Column(csv, "province");
            var tagsColumn = Column(csv, "tags");
            var communeColumn = Column(csv, "commune");
            var nameColumn = Column(csv, "name");

            await using var import = await lists.BeginImportAsync(tenant, name.Trim(), user.Who(), ct);
            int members = 0, rejected = 0; // members: rows handed to the import, new to the list or not
            var errors = new List<ListError>();
            var remapped = new Dictionary<string, (ResolvedProvince To, int Rows)>(StringComparer.Ordinal);
            while (await csv.ReadAsync(ct))
            {
                line++;
                if (members + rejected >= limits.MaxRows)
                    return Problems.Unprocessable("list-too-large", "List too large", $"A list may hold at most {limits.MaxRows} rows.");

                string? tags = null, commune = null;
                var reason = Row(csv, router, provinces, msisdnColumn, provinceColumn, user, tenant, out var msisdn, out var province)
                    ?? Segment(csv, tagsColumn, communeColumn, communes, provinces, ref province, out tags, out commune);
                if (reason is not null)
                {
                    rejected++;
                    if (errors.Count < MaxListedErrors)
                        errors.Add(new ListError(line, reason));
                    continue;
                }
                var carrier = router.Route(msisdn) ?? Unrouted.Carrier;
                var memberName = nameColumn >= 0 ? Clip(csv.GetString(nameColumn), 200) : null;
                await import.AddAsync(msisdn, province?.Code ?? "", carrier, tags, memberName, ct, commune);
                members++;
                if (province?.RemappedFrom is { } from)
                    remapped[from] = (province, remapped.GetValueOrDefault(from).Rows + 1);
            }
            // Which rows were new to the list is known as each chunk is written: the counts come from the import.
            var row = await import.CommitAsync(rejected, ct);
            int accepted = (int)row.Accepted, duplicates = (int)row.Duplicates;
            var remaps = remapped.ToDictionary(r => r.Key, r => new ListRemap(r.Value.To.Code, r.Value.To.Name, r.Value.To.Scheme, r.Value.Rows), StringComparer.Ordinal);
            audit.Add("upload", new { name = row.Name, accepted, rejected, duplicates, remapped = remaps.ToDictionary(r => r.Key, r => r.Value.To) });
            return TypedResults.Created($"/api/v1/lists/{row.Id}", new ListCreated(row.Id, row.Name, accepted, rejected, duplicates, errors, remaps));
        }
        catch (Exception e) when (CsvUpload.IsUnreadable(e))
        {
            // The import was disposed on the way out: the chunks it wrote are deleted.
            return CsvUpload.Refusal(e, line + 1);
        }
    }

    /// <summary>
    /// The lists the caller can see, newest first (the author picks the one just uploaded), paged by key:
    /// a province's own, every tenant's for a national caller. One indexed range read per page.
    /// </summary>
    public static async Task<IResult> PageAsync(ClaimsPrincipal user, ListStore lists, string? after, int? limit, CancellationToken ct)
    {
        var take = Math.Clamp(limit ?? 50, 1, 500);
        var rows = await lists.PageAsync(user.TenantFilter(), string.IsNullOrEmpty(after) ? ListStore.FirstPage : after, take, ct);
        var items = rows.Select(r => new ListSummary(
            r.Id, r.Name, r.Tenant, r.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.Accepted, r.Rejected, r.Duplicates)).ToList();
        return TypedResults.Ok(new ListPage(items, rows.Count == take ? rows[^1].Id : null));
    }

    public static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, ListStore lists, Provinces provinces, CancellationToken ct)
    {
        var list = await lists.GetAsync(id, ct);
        if (list is null || !user.CanSee(list.Tenant))
            return Problems.NotFound("list");
        var counts = await lists.CountsAsync([id], ct);
        var byProvince = counts.GroupBy(c => c.Province).ToDictionary(g => g.Key.Length == 0 ? "unknown" : g.Key, g => g.Sum(c => c.Recipients));
        return TypedResults.Ok(new ListDetails(
            list.Id, list.Name, list.Tenant, list.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(list.CreatedAt),
            list.Accepted, list.Rejected, list.Duplicates,
            counts.GroupBy(c => c.Carrier).ToDictionary(g => g.Key, g => g.Sum(c => c.Recipients)),
            byProvince,
            byProvince.Keys.Select(provinces.Unit).OfType<Province>().ToDictionary(p => p.Code, p => p.Name))
        {
            ByTag = counts.SelectMany(c => SegmentTags.Split(c.Tags).Select(tag => (Tag: tag, c.Recipients)))
                .GroupBy(t => t.Tag, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(t => t.Recipients)),
            ByCommune = counts.Where(c => c.Commune.Length > 0)
                .GroupBy(c => c.Commune, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(c => c.Recipients)),
        });
    }

    /// <param name="province">The member's unit; null for a national row without one (stored as '', unknown).</param>
    private static string? Row(
        CsvDataReader csv, CarrierRouter router, Provinces provinces, int msisdnColumn, int provinceColumn, ClaimsPrincipal user, string tenant,
        out string msisdn, out ResolvedProvince? province)
    {
        province = null;
        if (!Msisdn.TryNormalize(csv.GetString(msisdnColumn), router, out msisdn, out var reason))
            return reason;
        var given = provinceColumn >= 0 ? csv.GetString(provinceColumn).Trim().ToUpperInvariant() : "";
        // An old code (HG, 93, VN-73) is stored as its unit's and reported; one that maps to nothing is
        // refused rather than kept: a member Loa cannot place is one no province campaign would reach.
        if (given.Length > 0 && (province = provinces.Resolve(given)) is null)
            return $"'{Clip(given, 20)}' is not a province Loa knows";
        if (user.IsNational())
            return null;
        // A province uploads only its own people: no province means theirs, another province is refused.
        if (province is not null && province.Code != tenant)
            return $"province {given} is not yours ({tenant})";
        province ??= provinces.Resolve(tenant);
        return null;
    }

    /// <summary>
    /// The member's segment: its tags in their one stored form (SegmentTags) and its commune. A cell that
    /// cannot be either is the row's error, as a bad number is: a member filed under a tag it does not
    /// carry would be reached, or missed, by every segmented campaign. Once operators have loaded the
    /// commune table, a commune must be in it and in the member's province (a member with none is placed
    /// in the commune's); while it is empty a commune is checked for its form only.
    /// </summary>
    private static string? Segment(
        CsvDataReader csv, int tagsColumn, int communeColumn, CommuneTable communes, Provinces provinces,
        ref ResolvedProvince? province, out string? tags, out string? commune)
    {
        commune = tags = null;
        if (tagsColumn >= 0)
        {
            tags = SegmentTags.Normalize(csv.GetString(tagsColumn), out var problem);
            if (problem is not null)
                return problem;
        }
        var given = communeColumn >= 0 ? csv.GetString(communeColumn).Trim() : "";
        if (given.Length == 0)
            return null;
        if (!SegmentTags.IsCommune(given))
            return $"commune '{Clip(given, 20)}' is not a commune code (5 digits)";
        if (!communes.IsEmpty)
        {
            if (communes.Find(given) is not { } known)
                return $"commune '{given}' is not a known commune";
            if (province is null)
                province = provinces.Resolve(known.Province);
            else if (province.Code != known.Province)
                return $"commune '{given}' is not a commune of {province.Name} ({province.Code})";
        }
        commune = given;
        return null;
    }

    internal static int Column(CsvDataReader csv, string name)
    {
        for (var i = 0; i < csv.FieldCount; i++)
        {
            if (string.Equals(csv.GetName(i).Trim(), name, StringComparison.OrdinalIgnoreCase))
                return i;
        }
        return -1;
    }

    private static string? Clip(string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        value = value.Trim();
        return value.Length <= max ? value : value[..max];
    }
}
