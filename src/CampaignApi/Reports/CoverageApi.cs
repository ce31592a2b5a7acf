using System.Globalization;
using System.Security.Claims;
using Loa.CampaignApi.Audit;
using Loa.CampaignApi.Campaigns;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters;
using Loa.Storage.Coverage;
using Loa.Storage.Geography;
using Loa.Storage.Planning;

namespace Loa.CampaignApi.Reports;

public sealed record BaseInput(string? Province, string? Carrier, string? Tag, string? AsOf, long? Subscribers, string? Source);

public sealed record BaseRequest(IReadOnlyList<BaseInput>? Rows);

public sealed record TargetsRequest(IReadOnlyList<TargetRow>? Rows);

/// <param name="Share">reached / base, 0 to 1; null when no base is entered for the group.</param>
/// <param name="Met">share ≥ target; null when there is no base or no target.</param>
/// <param name="Tag">The target group (groupBy=tag); null otherwise. Its base and target are those entered for the tag.</param>
public sealed record CoverageItem(
    string? Province, string? ProvinceName, string? Carrier, long Reached, long? Base, string? BaseAsOf, double? Share, double? TargetPercent, bool? Met,
    string? Tag = null, string? TargetName = null);

/// <param name="Exact">Always true: reach is counted exactly (see docs/api.md, Coverage).</param>
/// <param name="Pending">Reaches receipted but not yet in the figures (being folded); 0 when the figures include every receipt so far.</param>
public sealed record CoverageReport(
    string From, string To, IReadOnlyList<string> GroupBy, bool Exact, string? Target, double? TargetPercent, IReadOnlyList<CoverageItem> Items, CoverageItem Total,
    long Pending);

/// <summary>A period's reach counters, bases and targets, read once for every grouping built from them (<see cref="CoverageApi.Build"/>).</summary>
public sealed record CoverageData(
    DateOnly First, DateOnly Last, IReadOnlyList<ReachedRow> Reached, IReadOnlyList<BaseRow> Bases, IReadOnlyList<TargetRow> Targets, long Pending);

/// <summary>
/// Coverage against the plans' targets (issue 19): distinct people reached (an SMS delivered at least once; push
/// reaches devices, not people counted against the base) in a run of months, against the subscriber base operators enter. Reach comes from the
/// counters <see cref="ReachedTally"/> keeps as deliveries become delivered, never from delivery rows.
/// </summary>
public static class CoverageApi
{
    public const int MaxBaseRows = 10_000;

    public static void MapCoverageApiV1(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/reports/coverage", ReportAsync).WithTags("Reports")
            .RequireAuthorization(p => p.RequireRole(Roles.Operator, Roles.Approver, Roles.Admin));
        var group = routes.MapGroup("/api/v1/coverage").WithTags("Reports").RequireAuthorization(Policies.OperatorOrAdmin);
        group.MapPut("/base", PutBaseAsync);
        group.MapPost("/base", UploadBaseAsync).Accepts<string>("text/csv");
        group.MapGet("/base", GetBaseAsync);
        group.MapGet("/targets", async (CoverageStore coverage, CancellationToken ct) => TypedResults.Ok(await coverage.TargetsAsync(ct)));
        group.MapPut("/targets", PutTargetsAsync);
    }

    public static async Task<IResult> PutBaseAsync(BaseRequest request, ClaimsPrincipal user, CoverageStore coverage, Provinces provinces, AuditDetails audit, CancellationToken ct)
    {
        if (!user.IsNational())
            return Problems.Forbidden("tenant", "The subscriber base is entered by national operators.");
        var input = request.Rows ?? [];
        var errors = new Dictionary<string, string[]>();
        if (input.Count is 0 or > MaxBaseRows)
            errors["rows"] = [$"Send 1 to {MaxBaseRows} rows."];
        return await KeepBaseAsync(input.Take(MaxBaseRows).ToList(), i => $"rows[{i}]", errors, user, coverage, provinces, audit, ct);
    }

    /// <summary>
    /// The same rows as a CSV file (<c>province,carrier,tag,asOf,subscribers,source</c>; <c>tag</c> may be left
    /// out), as statistics offices hand them over: all or nothing, each refusal named by its line (the header is line 1).
    /// </summary>
    public static async Task<IResult> UploadBaseAsync(HttpRequest request, ClaimsPrincipal user, CoverageStore coverage, Provinces provinces, AuditDetails audit, CancellationToken ct)
    {
        if (!user.IsNational())
            return Problems.Forbidden("tenant", "The subscriber base is entered by national operators.");
        if (!Audiences.CsvUpload.IsCsv(request))
            return Problems.UnsupportedMediaType("Upload the base as text/csv with a header row: province,carrier,tag,asOf,subscribers,source.");
        var input = new List<BaseInput>();
        var errors = new Dictionary<string, string[]>();
        long line = 0;
        try
        {
            using var text = Audiences.CsvUpload.Text(request);
            await using var csv = await Audiences.CsvUpload.OpenAsync(text, ct);
            line = 1;
            var columns = new[] { "province", "carrier", "tag", "asOf", "subscribers", "source" }.ToDictionary(c => c, c => Audiences.ListsApi.Column(csv, c));
            foreach (var missing in columns.Where(c => c.Value < 0 && c.Key != "tag"))
                errors[missing.Key] = [$"The header row must name a '{missing.Key}' column (province, carrier, tag, asOf, subscribers, source; tag may be left out)."];
            if (errors.Count > 0)
                return Problems.Validation(errors);
            string? Cell(string column) => columns[column] < 0 ? null : csv.GetString(columns[column]).Trim();
            while (await csv.ReadAsync(ct))
            {
                line++;
                if (input.Count == MaxBaseRows)
                {
                    errors["rows"] = [$"Send 1 to {MaxBaseRows} rows."];
                    break;
                }
                long? subscribers = long.TryParse(Cell("subscribers"), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : null;
                input.Add(new BaseInput(Cell("province"), Cell("carrier"), Cell("tag"), Cell("asOf"), subscribers, Cell("source")));
            }
        }
        catch (Exception ex) when (Audiences.CsvUpload.IsUnreadable(ex))
        {
            return Audiences.CsvUpload.Refusal(ex, line + 1);
        }
        if (input.Count == 0 && errors.Count == 0)
            errors["rows"] = [$"Send 1 to {MaxBaseRows} rows."];
        return await KeepBaseAsync(input, i => $"line {i + 2}", errors, user, coverage, provinces, audit, ct);
    }

    /// <summary>Checks every row (<paramref name="where"/> names row i in the errors) and keeps them all, or none.</summary>
    private static async Task<IResult> KeepBaseAsync(
        IReadOnlyList<BaseInput> input, Func<int, string> where, Dictionary<string, string[]> errors,
        ClaimsPrincipal user, CoverageStore coverage, Provinces provinces, AuditDetails audit, CancellationToken ct)
    {
        var rows = new List<BaseRow>();
        for (var i = 0; i < input.Count; i++)
        {
            var row = input[i];
            var at = where(i);
            if (row is null)
            {
                errors[at] = ["A row is an object, not null."];
                continue;
            }
            var province = provinces.Resolve(row.Province);
            if (province is null)
                errors[$"{at}.province"] = ["No province has this code."];
            if (row.Carrier is null || !CarrierIds.All.Contains(row.Carrier))
                errors[$"{at}.carrier"] = [$"carrier must be one of: {string.Join(", ", CarrierIds.All)}."];
            // A group's base must name the tag as members carry it, or groupBy=tag never finds it.
            var tag = (row.Tag ?? "").Trim().ToLowerInvariant();
            if (tag.Length > 0 && SegmentTags.Problem(tag) is { } problem)
                errors[$"{at}.tag"] = [$"{problem}; '' or absent is every subscriber."];
            if (!DateOnly.TryParseExact(row.AsOf, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var asOf) || asOf.Year is < Dates.FirstYear or > Dates.LastYear)
                errors[$"{at}.asOf"] = [$"asOf is the date the figure is true on, yyyy-MM-dd, {Dates.Range}."];
            if (row.Subscribers is not (>= 0 and <= 1_000_000_000))
                errors[$"{at}.subscribers"] = ["subscribers is a count from 0 to 1,000,000,000."];
            if (string.IsNullOrWhiteSpace(row.Source) || row.Source.Length > 400)
                errors[$"{at}.source"] = ["Say where the figure comes from (at most 400 characters)."];
            if (errors.Count == 0)
                rows.Add(new BaseRow(province!.Code, row.Carrier!, tag, row.AsOf!, row.Subscribers!.Value, row.Source!.Trim()));
        }
        if (errors.Count > 0)
            return Problems.Validation(errors);
        await coverage.PutBaseAsync(rows, user.Who(), ct);
        audit.Add("base", new { rows = rows.Count, dates = rows.Select(r => r.AsOf).Distinct().ToList() });
        return TypedResults.Ok(new { accepted = rows.Count });
    }

    /// <summary>The base as true on <paramref name="asOf"/>; a province reads its own rows only, as its coverage report does.</summary>
    public static async Task<IResult> GetBaseAsync(string? asOf, ClaimsPrincipal user, CoverageStore coverage, TimeProvider time, CancellationToken ct)
    {
        var tenant = user.TenantFilter();
        var rows = await coverage.BaseAsync(asOf ?? time.GetUtcNow().ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ct);
        return TypedResults.Ok(tenant is null ? rows : rows.Where(r => r.Province == tenant).ToList());
    }

    public static async Task<IResult> PutTargetsAsync(TargetsRequest request, ClaimsPrincipal user, CoverageStore coverage, AuditDetails audit, CancellationToken ct)
    {
        if (!user.IsNational())
            return Problems.Forbidden("tenant", "The plans' targets are set by national operators.");
        // The whole set replaces the last: it must be named, so a body without rows never clears the targets ([] does, on purpose).
        if (request.Rows is not { } rows)
            return Problems.Validation(new Dictionary<string, string[]> { ["rows"] = ["Send the whole set of targets as rows ([] clears them)."] });
        var errors = new Dictionary<string, string[]>();
        if (rows.Count > 100)
            errors["rows"] = ["At most 100 targets."];
        for (var i = 0; i < rows.Count && i < 100; i++)
        {
            if (rows[i] is null)
            {
                errors[$"rows[{i}]"] = ["A target is an object, not null."];
                continue;
            }
            if (rows[i].Tag is null || (rows[i].Tag.Length > 0 && SegmentTags.Problem(rows[i].Tag) is not null))
                errors[$"rows[{i}].tag"] = ["tag is '' (every subscriber) or a target group as members carry it (lower-case letters, digits and '-', at most 32)."];
            if (string.IsNullOrWhiteSpace(rows[i].Name) || rows[i].Name.Length > 200)
                errors[$"rows[{i}].name"] = ["Name the target (at most 200 characters)."];
            if (rows[i].Percent is < 0 or > 100 || double.IsNaN(rows[i].Percent))
                errors[$"rows[{i}].percent"] = ["percent is from 0 to 100."];
        }
        if (errors.Count == 0 && rows.Select(r => r.Tag).Distinct(StringComparer.Ordinal).Count() != rows.Count)
            errors["rows"] = ["One target per tag."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        await coverage.PutTargetsAsync(rows, ct);
        audit.Add("targets", rows);
        return TypedResults.Ok(rows);
    }

    /// <summary>
    /// <c>from</c> and <c>to</c> are months (yyyy-MM, both included) of one year; the run must start at a
    /// bucket's start (January, a quarter's first month, or be a single month), so that the figure is exact.
    /// </summary>
    public static async Task<IResult> ReportAsync(
        ClaimsPrincipal user, CoverageStore coverage, Provinces provinces, string? from, string? to, string? groupBy, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var ok1 = DateOnly.TryParseExact(from, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first);
        var ok2 = DateOnly.TryParseExact(to ?? from, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var last);
        if (!ok1 || first.Year is < Dates.FirstYear or > Dates.LastYear)
            errors["from"] = [$"from is the first month, yyyy-MM, {Dates.Range}."];
        if (!ok2 || last.Year is < Dates.FirstYear or > Dates.LastYear)
            errors["to"] = [$"to is the last month (included), yyyy-MM, {Dates.Range}."];
        var groups = (groupBy ?? "province").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        foreach (var g in groups.Where(g => g is not ("province" or "carrier" or "tag")))
            errors["groupBy"] = [$"Unknown group '{g}': province, carrier, tag."];
        string? bucket = null;
        if (errors.Count == 0)
        {
            if (first.Year != last.Year || last < first)
                errors["to"] = ["from and to are months of the same year, to not before from."];
            else if ((bucket = Bucket(first, last)) is null)
                errors["from"] = ["Reach is kept exactly per month, quarter and year: the period starts in January, at a quarter's first month (and ends within it), or is one month."];
        }
        if (errors.Count > 0)
            return Problems.Validation(errors);

        return TypedResults.Ok(await BuildAsync(coverage, provinces, user.TenantFilter(), first, last, bucket!, groups, ct));
    }

    /// <summary>
    /// The counters' bucket that answers the months <paramref name="first"/> to <paramref name="last"/> (one year) exactly:
    /// the year from January, a quarter from its first month, or a single month; null for any other run.
    /// </summary>
    public static string? Bucket(DateOnly first, DateOnly last)
    {
        if (first.Year != last.Year || last < first)
            return null;
        if (first.Month == 1)
            return ReachedTally.YearBucket(first.Year);
        if ((first.Month - 1) % 3 == 0 && (last.Month - 1) / 3 == (first.Month - 1) / 3)
            return ReachedTally.QuarterBucket(first.Year, (first.Month - 1) / 3 + 1);
        return first.Month == last.Month ? ReachedTally.MonthBucket(first.Year, first.Month) : null;
    }

    /// <summary>
    /// The report itself, for the API and for the kept exports alike, so that a file holds the very figures
    /// the API answers. <paramref name="tenant"/> null: every province; else that province only.
    /// </summary>
    public static async Task<CoverageReport> BuildAsync(
        CoverageStore coverage, Provinces provinces, string? tenant, DateOnly first, DateOnly last, string bucket, IReadOnlyList<string> groups, CancellationToken ct) =>
        Build(await ReadAsync(coverage, provinces, tenant, first, last, bucket, ct), provinces, groups);

    /// <summary>
    /// What every grouping of one period is built from: the reach counters (after folding what is pending),
    /// the bases and the targets. An export reads it once and groups it several ways.
    /// </summary>
    public static async Task<CoverageData> ReadAsync(
        CoverageStore coverage, Provinces provinces, string? tenant, DateOnly first, DateOnly last, string bucket, CancellationToken ct)
    {
        // Reaches the dispatchers' folder has not folded yet (normally a few seconds' worth) are folded now, bounded,
        // so that the figure includes every delivery receipted before the request; what is left is said.
        for (var chunk = 0; chunk < 4 && await coverage.FoldAsync(Loa.Dispatcher.Receipts.CoverageFolder.ChunkRows, ct) == Loa.Dispatcher.Receipts.CoverageFolder.ChunkRows; chunk++)
            ct.ThrowIfCancellationRequested();
        var pending = await coverage.PendingAsync(ct);
        var periodEnd = new DateOnly(last.Year, last.Month, 1).AddMonths(1).AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var reached = (await coverage.ReachedAsync(bucket, first.Month, last.Month, ct))
            .Select(r => r with { Province = provinces.Resolve(r.Province)?.Code ?? r.Province })
            .Where(r => tenant is null || r.Province == tenant)
            .ToList();
        var bases = (await coverage.BaseAsync(periodEnd, ct)).Where(b => tenant is null || b.Province == tenant).ToList();
        return new CoverageData(first, last, reached, bases, await coverage.TargetsAsync(ct), pending);
    }

    /// <summary>One grouping of <paramref name="data"/>: pure, so that an export's several groupings read the database once.</summary>
    public static CoverageReport Build(CoverageData data, Provinces provinces, IReadOnlyList<string> groups)
    {
        var (reached, bases, targets) = (data.Reached, data.Bases, data.Targets);
        var byProvince = groups.Contains("province");
        var byCarrier = groups.Contains("carrier");
        var byTag = groups.Contains("tag");
        (string? Province, string? Carrier, string? Tag) Key(string province, string carrier, string tag) =>
            (byProvince ? province : null, byCarrier ? carrier : null, byTag ? tag : null);

        // By tag, a reach stands under each tag of the set it was first reached under (a person in two target
        // groups counts in both, once each); otherwise everyone stands under '' (every subscriber), whose base
        // and target are the rows of tag ''.
        var under = reached.SelectMany(r => byTag
            ? SegmentTags.Split(r.Tags).Select(tag => (Tag: tag, Row: r))
            : [(Tag: "", Row: r)]).ToLookup(u => Key(u.Row.Province, u.Row.Carrier, u.Tag), u => u.Row);
        var groupBases = bases.Where(b => byTag ? b.Tag != "" : b.Tag == "").ToLookup(b => Key(b.Province, b.Carrier, b.Tag));
        var keys = under.Select(g => g.Key).Concat(groupBases.Select(g => g.Key)).Distinct()
            .OrderBy(k => k.Province, StringComparer.Ordinal).ThenBy(k => k.Carrier, StringComparer.Ordinal).ThenBy(k => k.Tag, StringComparer.Ordinal).ToList();
        CoverageItem Item((string? Province, string? Carrier, string? Tag) key, IEnumerable<ReachedRow> r, IReadOnlyList<BaseRow> b)
        {
            var target = targets.FirstOrDefault(t => t.Tag == (key.Tag ?? ""));
            var count = r.Sum(x => x.Reached);
            long? subscribers = b.Count == 0 ? null : b.Sum(x => x.Subscribers);
            double? share = subscribers is > 0 ? (double)count / subscribers.Value : null;
            bool? met = share is null || target is null ? null : share.Value * 100 >= target.Percent;
            return new CoverageItem(key.Province, key.Province is null ? null : provinces.Resolve(key.Province)?.Name, key.Carrier, count, subscribers,
                b.Count == 0 ? null : b.Max(x => x.AsOf), share, target?.Percent, met, key.Tag, target?.Name);
        }
        var items = keys.Select(k => Item(k, under[k], groupBases[k].ToList())).ToList();
        var total = Item((null, null, null), reached, bases.Where(b => b.Tag == "").ToList());
        var wholeTarget = targets.FirstOrDefault(t => t.Tag == "");
        return new CoverageReport(data.First.ToString("yyyy-MM", CultureInfo.InvariantCulture), data.Last.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            groups, true, wholeTarget?.Name, wholeTarget?.Percent, items, total, data.Pending);
    }
}
