using Loa.CampaignApi.Security;
using Loa.Storage;
using Loa.Storage.Coverage;
using Loa.Storage.Geography;
using Loa.Storage.Reports;

namespace Loa.CampaignApi.Reports;

/// <summary>
/// Generates a kept report: reads the coverage and delivery figures for a tenant and period through the same code
/// the API's reports answer from, writes both files and keeps them. Called by a schedule's firing and by an operator's request.
/// </summary>
public sealed class ReportExporter(CoverageStore coverage, ReportStore reports, ExportStore exports, Provinces provinces, TimeProvider time)
{
    public const string Scheduled = "scheduled";
    public const string OnDemand = "on-demand";

    /// <summary>The run key of a schedule's run: one per tenant, kind and period, whatever the cron or the number of firings.</summary>
    public static string RunKey(string tenant, ExportPeriod period) => $"scheduled:{tenant}:{period.Kind}:{period.Label}";

    /// <param name="tenant"><c>national</c> (every province's figures) or a province code (its own only, as its principals see them).</param>
    /// <param name="runKey">Null for an on-demand export, which never collides with another.</param>
    /// <returns>The export, and false when <paramref name="runKey"/> was already taken: then nothing new was kept.</returns>
    public async Task<(ExportRow Row, bool Created)> GenerateAsync(
        string tenant, ExportPeriod period, string createdBy, string? runKey, CancellationToken cancellationToken)
    {
        // A second firing for the same run (a recovered job, a misfire after a crash) stops before reading anything.
        if (runKey is not null && await exports.FindByRunKeyAsync(runKey, cancellationToken) is { } done)
            return (done, false);
        var filter = tenant == Roles.National ? null : tenant;
        var id = Guid.CreateVersion7().ToString("n");
        var now = time.GetUtcNow();
        var bucket = CoverageApi.Bucket(period.FirstMonth, period.LastMonth)
            ?? throw new InvalidOperationException($"Period {period.Label} ({period.FirstMonth}..{period.LastMonth}) is no run the coverage counters answer.");
        // Read once, grouped three ways: every part of the file holds the figures of the same moment.
        var data = await CoverageApi.ReadAsync(coverage, provinces, filter, period.FirstMonth, period.LastMonth, bucket, cancellationToken);
        var report = CoverageApi.Build(data, provinces, ["province", "carrier"]);
        // The plans' target groups (students, the elderly...): per province, then each group's whole.
        var groups = CoverageApi.Build(data, provinces, ["province", "tag"]);
        var groupTotals = CoverageApi.Build(data, provinces, ["tag"]);
        var counts = await reports.DeliveriesByMonthAsync(period.From.ToUnixTimeMilliseconds(), period.To.ToUnixTimeMilliseconds(), filter, cancellationToken);
        var request = new ReportRequest(period.From, period.To, ExportFiles.DeliveryGroups, "month", Csv: false);
        var rows = DeliveryReport.RollUp(counts, request, province => provinces.Resolve(province)?.Code ?? province);
        var content = new ExportContent(id, tenant, period, now, createdBy, report, rows, code => provinces.Resolve(code)?.Name,
            [.. groups.Items.Concat(groupTotals.Items).OrderBy(i => i.Tag, StringComparer.Ordinal).ThenBy(i => i.Province is null).ThenBy(i => i.Province, StringComparer.Ordinal)]);
        var row = new ExportRow(id, tenant, period.Kind, period.Label, period.From.ToUnixTimeMilliseconds(), period.To.ToUnixTimeMilliseconds(),
            runKey is null ? OnDemand : Scheduled, runKey ?? $"{OnDemand}:{id}", createdBy, now.ToUnixTimeMilliseconds(), 0, 0);
        return await exports.AddAsync(row, ExportFiles.Csv(content), ExportFiles.Xlsx(content), cancellationToken);
    }
}
