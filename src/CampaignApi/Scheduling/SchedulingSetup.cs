using Loa.CampaignApi.Reports;
using Loa.Storage;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Quartz;

namespace Loa.CampaignApi.Scheduling;

public static class SchedulingSetup
{
    /// <summary>
    /// Quartz with its persistent store in Loa's own database, running <see cref="LaunchDueCampaignsJob"/> every
    /// <see cref="SchedulingOptions.PollInterval"/>. Quartz's tables come from the Migrator (0002_quartz), which
    /// must have run before the host starts.
    /// </summary>
    public static IServiceCollection AddLoaScheduling(this IServiceCollection services, IConfiguration configuration, DatabaseOptions database)
    {
        var section = configuration.GetSection(SchedulingOptions.Section);
        services.AddOptions<SchedulingOptions>()
            .Bind(section)
            .Validate(o => o.PollInterval > TimeSpan.Zero, $"{SchedulingOptions.Section}:PollInterval must be positive")
            .ValidateOnStart();

        // Checked on every host, scheduling or not: a cron that cannot fire is found at start, not on 1 December.
        services.AddOptions<ReportScheduleOptions>()
            .Bind(configuration.GetSection(ReportScheduleOptions.Section))
            .Validate(o => ReportCron.Problem(o.Yearly, allowEmpty: true) is null, $"{ReportScheduleOptions.Section}:Yearly is not a Quartz cron expression that fires")
            .Validate(o => ReportCron.Problem(o.Quarterly, allowEmpty: true) is null, $"{ReportScheduleOptions.Section}:Quarterly is not a Quartz cron expression that fires")
            .ValidateOnStart();

        var options = section.Get<SchedulingOptions>() ?? new SchedulingOptions();
        if (!options.Enabled)
            return services;

        // The prepared form, so Quartz and Loa open the very same file (Database creates ./data and sets the
        // busy timeout that lets Quartz's writes queue behind Loa's rather than fail).
        var connectionString = new Database(database).ConnectionString;

        services.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler =>
            {
                // SCHED_NAME in every QRTZ_ row: all nodes of one deployment must share it to form a cluster.
                scheduler.InstanceName = "Loa";
                // Quartz 4's spelling of instanceId = AUTO: a distinct id per process, which clustering needs.
                // A store that is not clustered (SQLite) keeps the fixed id NON_CLUSTERED whatever this says.
                scheduler.GenerateInstanceId = true;
            });

            quartz.UsePersistentStore(store =>
            {
                store.UseSystemTextJsonSerializer();
                // The Migrator owns the schema; Quartz only checks it and refuses to start on a missing column.
                store.ConfigureStore(o => o.SchemaProvisioning = SchemaProvisioning.Validate);

                if (database.Provider == DatabaseProvider.Sqlite)
                {
                    // No clustering and no lock handler named here, on purpose. SQLite has one writer per file
                    // and no row locks, so Quartz refuses to cluster on it ("SQLite cannot be used as clustered
                    // mode") and, on seeing SQLite, substitutes its internal SqliteLockHandler: one in-process gate
                    // in front of every store operation, serializable transactions, trigger acquisition inside
                    // the gate. Across processes only SQLite's file lock and the busy timeout serialize, so one
                    // scheduling process per SQLite file is the rule (the embedded mode runs exactly one).
                    store.UseSqlite(SqliteFactory.Instance, connectionString);
                }
                else
                {
                    store.UseSqlServer(SqlClientFactory.Instance, connectionString);
                    // Row locks on QRTZ_LOCKS make one node fire each poll cluster-wide. A node that dies mid-poll
                    // leaves the trigger held (the job is not concurrent) until a peer sees its check-ins stop, so
                    // interval + threshold is the longest launches can stall after a crash.
                    store.UseClustering(cluster =>
                    {
                        cluster.CheckinInterval = TimeSpan.FromSeconds(5);
                        cluster.CheckinMisfireThreshold = TimeSpan.FromSeconds(10);
                    });
                }
            });

            // Registered on every start: Quartz replaces the stored job and trigger of the same keys (its
            // OverwriteExistingData default), so a restart or a second node neither fails on "already exists"
            // nor keeps a stale interval.
            quartz.AddJob<LaunchDueCampaignsJob>(job => job
                .WithIdentity(LaunchDueCampaignsJob.Key)
                .WithDescription("Launches campaigns whose start time has come"));

            quartz.AddTrigger(trigger => trigger
                .ForJob(LaunchDueCampaignsJob.Key)
                .WithIdentity(LaunchDueCampaignsJob.Key.Name, LaunchDueCampaignsJob.Key.Group)
                .StartNow()
                .WithSimpleSchedule(schedule => schedule
                    .WithInterval(options.PollInterval)
                    .RepeatForever()
                    // A poll loop, not a clock: the next poll is due one interval after the last one finished.
                    // At a fixed rate, a slow poll or a stalled node leaves every slot inside the misfire
                    // threshold (a minute by default) to be fired back to back; measured from completion there
                    // is only ever one fire time, so a backlog is one poll.
                    .MeasureIntervalFromCompletion()
                    // Down for longer than the threshold: fire once now rather than waiting a further interval.
                    // Nothing is lost by collapsing the missed polls; the next one finds everything that is due.
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NowWithExistingCount)));

            // Durable: its triggers (ReportTriggers) come and go with the provinces' schedules, the job stays.
            quartz.AddJob<ReportExportJob>(job => job
                .WithIdentity(ReportExportJob.Key)
                .StoreDurably()
                .WithDescription("Generates and keeps a scheduled report"));
        });

        // Before Quartz's own hosted service, so the triggers are right before the scheduler looks for misfires.
        services.AddHostedService<ReportTriggerSync>();
        services.AddQuartzHostedService(hosted => hosted.WaitForJobsToComplete = true);
        return services;
    }
}
