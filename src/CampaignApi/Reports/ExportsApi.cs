using System.Security.Claims;
using Loa.CampaignApi.Audit;
using Loa.CampaignApi.Campaigns;
using Loa.CampaignApi.Scheduling;
using Loa.CampaignApi.Security;
using Loa.Storage;
using Loa.Storage.Geography;
using Loa.Storage.Reports;
using Microsoft.Extensions.Options;
using Quartz;

namespace Loa.CampaignApi.Reports;

public sealed record ExportRequest(string? Period, string? Tenant);

/// <param name="From">Inclusive, Vietnam time.</param>
/// <param name="To">Exclusive, Vietnam time: the moment of generation for a period not yet over.</param>
/// <param name="Status">Always <c>ready</c>: an export is generated whole before it is listed.</param>
public sealed record ExportView(
    string Id, string Tenant, string Kind, string Period, DateTimeOffset From, DateTimeOffset To, string Origin, string CreatedBy, DateTimeOffset CreatedAt,
    string Status, long CsvBytes, long XlsxBytes, string Csv, string Xlsx)
{
    public static ExportView Of(ExportRow row) => new(
        row.Id, row.Tenant, row.Kind, row.Period, Vietnam(row.PeriodFrom), Vietnam(row.PeriodTo), row.Origin, row.CreatedBy,
        DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), "ready", row.CsvBytes, row.XlsxBytes,
        $"/api/v1/reports/exports/{row.Id}/file?format=csv", $"/api/v1/reports/exports/{row.Id}/file?format=xlsx");

    private static DateTimeOffset Vietnam(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToOffset(TimeSpan.FromHours(7));
}

public sealed record ExportPage(IReadOnlyList<ExportView> Items, string? Next);

public sealed record ScheduleRequest(string? Yearly, string? Quarterly);

/// <param name="Next">The next firing, in Vietnam time; null when the schedule is off.</param>
public sealed record ScheduleView(string Tenant, string Kind, string Cron, string TimeZone, DateTimeOffset? Next, string Source, string? UpdatedBy, DateTimeOffset? UpdatedAt);

public sealed record ScheduleList(IReadOnlyList<ScheduleView> Items);

/// <summary>
/// The kept reports (issue 19, scheduled exports): listed and downloaded by the tenant they belong to, generated on
/// demand by operators and admins, and the provinces' own dates for them.
/// </summary>
public static class ExportsApi
{
    public const int MaxLimit = 500;

    public static void MapExportsApiV1(this IEndpointRouteBuilder routes)
    {
        // The same readers as the reports the files are made of (ReportsApi); writing needs operator or admin.
        var group = routes.MapGroup("/api/v1/reports").WithTags("Reports")
            .RequireAuthorization(p => p.RequireRole(Roles.Operator, Roles.Approver, Roles.Admin));
        group.MapGet("/exports", ListAsync);
        group.MapGet("/exports/{id}", GetAsync);
        group.MapGet("/exports/{id}/file", FileAsync)
            .WithMetadata(AuditServedReads.Instance)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .Produces(StatusCodes.Status200OK, contentType: ExportFiles.XlsxType);
        group.MapPost("/exports", CreateAsync).RequireAuthorization(Policies.OperatorOrAdmin);
        group.MapGet("/schedules", SchedulesAsync);
        group.MapPut("/schedules/{tenant}", PutScheduleAsync).RequireAuthorization(Policies.OperatorOrAdmin);
    }

    public static async Task<IResult> ListAsync(ClaimsPrincipal user, ExportStore exports, string? after, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
            return Problems.Validation("limit", $"limit is 1 to {MaxLimit}.");
        if (after is { Length: > 0 } && !IsId(after))
            return Problems.Validation("after", "after is the next cursor of a previous page.");
        var take = limit ?? 100;
        var rows = await exports.PageAsync(user.TenantFilter(), after ?? "", take, ct);
        return TypedResults.Ok(new ExportPage(rows.Select(ExportView.Of).ToList(), rows.Count == take ? rows[^1].Id : null));
    }

    public static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, ExportStore exports, CancellationToken ct) =>
        IsId(id) && await exports.FindAsync(id, user.TenantFilter(), ct) is { } row ? TypedResults.Ok(ExportView.Of(row)) : Problems.NotFound("export");

    /// <summary>The stored file as it was generated; another tenant's export is 404, as one that does not exist.</summary>
    public static async Task<IResult> FileAsync(string id, string? format, ClaimsPrincipal user, ExportStore exports, AuditDetails audit, CancellationToken ct)
    {
        var xlsx = format?.Trim().ToLowerInvariant() switch
        {
            null or "" or "xlsx" => true,
            "csv" => false,
            _ => (bool?)null,
        };
        if (xlsx is null)
            return Problems.Validation("format", "format is csv or xlsx.");
        if (!IsId(id) || await exports.FindAsync(id, user.TenantFilter(), ct) is not { } row)
            return Problems.NotFound("export");
        var file = await exports.FileAsync(id, user.TenantFilter(), xlsx.Value, ct);
        if (file is null)
            return Problems.NotFound("export");
        var extension = xlsx.Value ? "xlsx" : "csv";
        audit.Add("download", new { format = extension, bytes = file.Length, row.Tenant, row.Kind, row.Period });
        var name = $"loa-{row.Kind}-{row.Tenant}-{row.Period}-{DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt).ToOffset(TimeSpan.FromHours(7)):yyyyMMdd-HHmm}.{extension}";
        return TypedResults.File(file, xlsx.Value ? ExportFiles.XlsxType : ExportFiles.CsvType, name);
    }

    /// <summary>
    /// Generates the report at once and answers 201 with it: the figures come from a few hundred counter rows, not
    /// from deliveries, so generation takes well under a second and a job queue would only add a status to poll.
    /// </summary>
    public static async Task<IResult> CreateAsync(
        ExportRequest request, ClaimsPrincipal user, ReportExporter exporter, Provinces provinces, TimeProvider time, AuditDetails audit, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var period = ExportPeriod.Parse(request.Period, time.GetUtcNow());
        if (period is null)
            errors["period"] = [$"period is a year (2026) or a quarter (2026-Q3) that has begun, {Dates.Range}."];
        string tenant;
        if (string.IsNullOrWhiteSpace(request.Tenant))
            tenant = user.Tenant();
        else if (request.Tenant.Trim() == Roles.National)
            tenant = Roles.National;
        else if (provinces.Resolve(request.Tenant) is { } province)
            tenant = province.Code;
        else
        {
            errors["tenant"] = ["tenant is national or a province's code."];
            tenant = "";
        }
        if (errors.Count > 0)
            return Problems.Validation(errors);
        if (!user.CanSee(tenant))
            return Problems.Forbidden("tenant", "A province generates its own reports only.");
        var (row, _) = await exporter.GenerateAsync(tenant, period!, user.Who(), runKey: null, ct);
        audit.Add("export", new { id = row.Id, row.Tenant, row.Kind, row.Period, row.CsvBytes, row.XlsxBytes });
        return TypedResults.Created($"/api/v1/reports/exports/{row.Id}", ExportView.Of(row));
    }

    /// <summary>The national schedules (configuration) and the provinces' own; a province sees the national ones and its own.</summary>
    public static async Task<IResult> SchedulesAsync(
        ClaimsPrincipal user, ExportScheduleStore schedules, IOptions<ReportScheduleOptions> options, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var rows = await schedules.AllAsync(user.TenantFilter(), ct);
        var national = ReportTriggers.Wanted(options.Value, []).Select(s => View(s.Tenant, s.Kind, s.Cron, "configuration", null, null, now));
        var own = rows.Select(r => View(r.Tenant, r.Kind, r.Cron, "province", r.UpdatedBy, r.UpdatedAt, now));
        return TypedResults.Ok(new ScheduleList(national.Concat(own).ToList()));
    }

    /// <summary>
    /// Replaces a province's own schedules: <c>yearly</c> and <c>quarterly</c> crons, either null to have none. A
    /// province sets its own; national operators and admins any province's. The national ones are configuration.
    /// </summary>
    public static async Task<IResult> PutScheduleAsync(
        string tenant, ScheduleRequest request, ClaimsPrincipal user, Provinces provinces, ExportScheduleStore schedules,
        IOptions<ReportScheduleOptions> options, IServiceProvider services, TimeProvider time, AuditDetails audit, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var province = provinces.Resolve(tenant);
        if (tenant.Trim() == Roles.National)
            errors["tenant"] = [$"The national schedules are configuration: {ReportScheduleOptions.Section}:Yearly and :Quarterly."];
        else if (province is null)
            errors["tenant"] = ["tenant is a province's code."];
        var now = time.GetUtcNow();
        if (request.Yearly is not null && ReportCron.Problem(request.Yearly, now: now) is { } yearly)
            errors["yearly"] = [yearly];
        if (request.Quarterly is not null && ReportCron.Problem(request.Quarterly, now: now) is { } quarterly)
            errors["quarterly"] = [quarterly];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        if (!user.CanSee(province!.Code))
            return Problems.Forbidden("tenant", "A province sets its own report dates only.");

        var rows = new List<ScheduleRow>();
        if (request.Yearly is not null)
            rows.Add(new ScheduleRow(province.Code, ExportPeriod.Yearly, request.Yearly.Trim(), user.Who(), time.Ms()));
        if (request.Quarterly is not null)
            rows.Add(new ScheduleRow(province.Code, ExportPeriod.Quarterly, request.Quarterly.Trim(), user.Who(), time.Ms()));
        await schedules.PutAsync(province.Code, rows, ct);
        // A host with scheduling off keeps the rows only; the next scheduling host to start sets the triggers from them.
        if (services.GetService<ISchedulerFactory>() is { } factory)
        {
            var scheduler = await factory.GetScheduler(ct);
            await ReportTriggers.SyncAsync(scheduler, rows.Select(r => new ReportSchedule(r.Tenant, r.Kind, r.Cron)).ToList(), province.Code, ct);
        }
        audit.Add("schedules", new { tenant = province.Code, yearly = request.Yearly, quarterly = request.Quarterly });
        return TypedResults.Ok(new ScheduleList(rows.Select(r => View(r.Tenant, r.Kind, r.Cron, "province", r.UpdatedBy, r.UpdatedAt, now)).ToList()));
    }

    private static ScheduleView View(string tenant, string kind, string cron, string source, string? by, long? at, DateTimeOffset now) =>
        new(tenant, kind, cron, "Asia/Ho_Chi_Minh", Recurrence.Next(cron, now)?.ToOffset(TimeSpan.FromHours(7)), source, by, Clock.At(at));

    private static bool IsId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);
}
