using Loa.CampaignApi.Reports;
using Loa.CampaignApi.Security;
using Loa.Contracts;
using Loa.Storage.Reports;
using Microsoft.Extensions.Options;
using Quartz;

namespace Loa.CampaignApi.Scheduling;

/// <summary>A report schedule: whose report, which kind, and its cron (Asia/Ho_Chi_Minh).</summary>
public sealed record ReportSchedule(string Tenant, string Kind, string Cron);

/// <summary>
/// Keeps one Quartz cron trigger per report schedule (the national ones from <see cref="ReportScheduleOptions"/>, the
/// provinces' from <c>report_schedules</c>) in the persistent store, each firing <see cref="ReportExportJob"/>.
/// </summary>
/// <remarks>
/// A trigger whose cron has not changed is left alone, never replaced: a replaced trigger forgets the firing it missed
/// while the hosts were down and computes its next one from now, so a host down over 1 December 07:00 would skip the
/// year's report. Left alone, Quartz finds the missed firing at start and, as its misfire instruction says, runs it
/// once (FireAndProceed), however many were missed.
/// </remarks>
public static class ReportTriggers
{
    public const string Group = "report-exports";

    public static TriggerKey KeyOf(string tenant, string kind) => new($"{tenant}:{kind}", Group);

    /// <summary>Makes the store's report triggers exactly <paramref name="wanted"/>; with <paramref name="tenant"/>, only that tenant's.</summary>
    public static async Task SyncAsync(IScheduler scheduler, IReadOnlyList<ReportSchedule> wanted, string? tenant = null, CancellationToken cancellationToken = default)
    {
        var keys = wanted.Select(s => KeyOf(s.Tenant, s.Kind)).ToHashSet();
        foreach (var key in await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(Group), cancellationToken))
        {
            if (!keys.Contains(key) && (tenant is null || key.Name.StartsWith(tenant + ":", StringComparison.Ordinal)))
                await scheduler.UnscheduleJob(key, cancellationToken);
        }
        foreach (var schedule in wanted)
        {
            var key = KeyOf(schedule.Tenant, schedule.Kind);
            var existing = await scheduler.GetTrigger(key, cancellationToken);
            if (existing is ICronTrigger cron && cron.CronExpressionString == schedule.Cron && cron.TimeZone.Id == SendingWindow.Vietnam.Id)
                continue;
            var trigger = TriggerBuilder.Create()
                .WithIdentity(key)
                .ForJob(ReportExportJob.Key)
                .WithDescription($"{schedule.Kind} report of {schedule.Tenant}")
                .UsingJobData(ReportExportJob.TenantData, schedule.Tenant)
                .UsingJobData(ReportExportJob.KindData, schedule.Kind)
                .WithCronSchedule(schedule.Cron, c => c.InTimeZone(SendingWindow.Vietnam).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
                .Build();
            if (existing is null)
                await scheduler.ScheduleJob(trigger, cancellationToken: cancellationToken);
            else
                await scheduler.RescheduleJob(key, trigger, cancellationToken);
        }
    }

    /// <summary>The national schedules that are on (a non-empty cron), then every province's own.</summary>
    public static IReadOnlyList<ReportSchedule> Wanted(ReportScheduleOptions options, IEnumerable<ScheduleRow> provinces)
    {
        var wanted = new List<ReportSchedule>();
        if (!string.IsNullOrWhiteSpace(options.Yearly))
            wanted.Add(new ReportSchedule(Roles.National, ExportPeriod.Yearly, options.Yearly.Trim()));
        if (!string.IsNullOrWhiteSpace(options.Quarterly))
            wanted.Add(new ReportSchedule(Roles.National, ExportPeriod.Quarterly, options.Quarterly.Trim()));
        wanted.AddRange(provinces.Select(p => new ReportSchedule(p.Tenant, p.Kind, p.Cron)));
        return wanted;
    }
}

/// <summary>
/// At start, before Quartz's hosted service starts the scheduler, brings the report triggers in line with the
/// configuration and the provinces' rows, so that a missed firing is judged against the schedule in force.
/// </summary>
/// <remarks>
/// A host put together without Loa's storage (a scheduling spec's) has no provinces' rows to read: it sets the national
/// triggers only and leaves the provinces' as they are.
/// </remarks>
public sealed class ReportTriggerSync(ISchedulerFactory schedulers, IServiceProvider services, IOptions<ReportScheduleOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        if (services.GetService<ExportScheduleStore>() is not { } schedules)
        {
            await ReportTriggers.SyncAsync(scheduler, ReportTriggers.Wanted(options.Value, []), Roles.National, cancellationToken);
            return;
        }
        await ReportTriggers.SyncAsync(scheduler, ReportTriggers.Wanted(options.Value, await schedules.AllAsync(null, cancellationToken)), null, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
