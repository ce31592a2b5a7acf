using System.Security.Claims;
using System.Text;
using Loa.CampaignApi.Security;
using Loa.Storage.Reports;

namespace Loa.CampaignApi.Reports;

/// <summary>
/// Reports for the yearly and quarterly returns the national plans ask for: delivery figures per
/// carrier, province, kind and period, read from the exact counters, never from the delivery rows.
/// </summary>
public static class ReportsApi
{
    public static RouteGroupBuilder MapReportsApiV1(this IEndpointRouteBuilder routes)
    {
        // Operators export reports (domain.md); approvers and admins answer for what went out. Authors
        // write campaigns and have no need of the figures. No named policy fits all three roles.
        var group = routes.MapGroup("/api/v1/reports").WithTags("Reports")
            .RequireAuthorization(p => p.RequireRole(Roles.Operator, Roles.Approver, Roles.Admin));
        group.MapGet("/deliveries", DeliveriesAsync)
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        return group;
    }

    /// <summary>
    /// One row per group of the campaigns started in [from, to): the group's columns, then total,
    /// submitted, delivered, failed, expired, cancelled, suppressed, queued, and the phones' received and
    /// opened (push lanes only, under province ''). A province principal sees only its own tenant's campaigns.
    /// </summary>
    public static async Task<IResult> DeliveriesAsync(
        HttpRequest request, ClaimsPrincipal user, ReportStore reports, Loa.Storage.Geography.Provinces provinces, TimeProvider time,
        string? from, string? to, string? groupBy, string? period, string? format, CancellationToken ct)
    {
        var asked = DeliveryReport.Parse(from, to, groupBy, period, format, PrefersCsv(request), time.GetUtcNow(), out var errors);
        if (asked is null)
            return Problems.Validation(errors);
        var counts = await reports.DeliveriesByMonthAsync(asked.From.ToUnixTimeMilliseconds(), asked.To.ToUnixTimeMilliseconds(), user.TenantFilter(), ct);
        var rows = DeliveryReport.RollUp(counts, asked, province => provinces.Resolve(province)?.Code ?? province);
        if (!asked.Csv)
            return TypedResults.Json(DeliveryReport.Json(asked, rows));
        var name = $"loa-deliveries-{asked.From.ToOffset(TimeSpan.FromHours(7)):yyyyMMdd}-{asked.To.ToOffset(TimeSpan.FromHours(7)):yyyyMMdd}.csv";
        return TypedResults.File(Encoding.UTF8.GetBytes(DeliveryReport.Csv(asked, rows)), "text/csv; charset=utf-8", name);
    }

    /// <summary>True when the caller's Accept ranks text/csv above JSON (or names only CSV).</summary>
    private static bool PrefersCsv(HttpRequest request)
    {
        double csv = 0, json = 0;
        foreach (var accept in request.GetTypedHeaders().Accept)
        {
            var quality = accept.Quality ?? 1;
            if (accept.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase))
                csv = Math.Max(csv, quality);
            else if (accept.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
                json = Math.Max(json, quality);
        }
        return csv > 0 && csv > json;
    }
}
