using Loa.CampaignApi.Audit;
using Loa.CampaignApi.Reports;
using Quartz;

namespace Loa.CampaignApi.Scheduling;

/// <summary>
/// One firing of a report schedule (<see cref="ReportTriggers"/>): generates the tenant's report for the period its
/// firing was for and keeps it. The trigger carries the tenant and the kind; the period comes from the time Quartz
/// scheduled the firing, so a misfire run after downtime still reports the period it was due for.
/// </summary>
/// <remarks>
/// Not concurrent: two schedules due at the same minute take turns rather than read the same counters side by
/// side. A firing for a period already kept (recovered from a dead node, fired again after a restart) writes nothing:
/// the run key is unique in the table.
/// </remarks>
[DisallowConcurrentExecution]
public sealed partial class ReportExportJob(ReportExporter exporter, SystemAudit audit, ILogger<ReportExportJob> logger) : IJob
{
    public static readonly JobKey Key = new("report-export", "loa");

    public const string TenantData = "tenant";
    public const string KindData = "kind";

    /// <summary>The audit trail's action for a scheduled run (a request's is its method and route).</summary>
    public const string AuditAction = "JOB report-export";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var tenant = context.MergedJobDataMap.GetString(TenantData) ?? "";
        var kind = context.MergedJobDataMap.GetString(KindData) ?? "";
        var firedFor = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        var period = ExportPeriod.ForFiring(kind, firedFor);
        var runKey = ReportExporter.RunKey(tenant, period);
        try
        {
            var (row, created) = await exporter.GenerateAsync(tenant, period, SystemAudit.Scheduler, runKey, cancellationToken);
            if (!created)
            {
                LogAlreadyKept(runKey, row.Id);
                return;
            }
            LogGenerated(runKey, row.Id);
            await audit.RecordAsync(SystemAudit.Scheduler, tenant, AuditAction, row.Id, StatusCodes.Status201Created, new Dictionary<string, object?>
            {
                ["schedule"] = context.Trigger.Key.Name, ["kind"] = period.Kind, ["period"] = period.Label, ["firedFor"] = firedFor,
                ["csvBytes"] = row.CsvBytes, ["xlsxBytes"] = row.XlsxBytes,
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown: nothing was kept (the row and its files are one insert), and a firing that was under way is
            // recovered by the next node, or run after the restart as a misfire.
        }
        catch (Exception exception)
        {
            // A throwing job would count against the trigger; the report is generated on demand instead (docs/api.md).
            LogFailed(exception, runKey);
            await audit.RecordAsync(SystemAudit.Scheduler, tenant, AuditAction, null, StatusCodes.Status500InternalServerError, new Dictionary<string, object?>
            {
                ["schedule"] = context.Trigger.Key.Name, ["kind"] = period.Kind, ["period"] = period.Label, ["firedFor"] = firedFor,
                ["refused"] = exception.GetType().Name,
            });
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Report {RunKey} generated as export {Id}")]
    private partial void LogGenerated(string runKey, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Report {RunKey} was already kept as export {Id}; nothing written")]
    private partial void LogAlreadyKept(string runKey, string id);

    [LoggerMessage(Level = LogLevel.Error, Message = "Report {RunKey} failed; generate it on demand (POST /api/v1/reports/exports)")]
    private partial void LogFailed(Exception exception, string runKey);
}
