using Dapper;
using Loa.CampaignApi.Scheduling;
using Loa.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using Xunit.Abstractions;
using SchedulingOptions = Loa.CampaignApi.Scheduling.SchedulingOptions; // Quartz has a SchedulingOptions too

namespace Loa.CampaignApi.Tests.Scheduling;

public sealed class LaunchDueCampaignsSpecs(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly ScratchDatabase database = new();
    private readonly LogRecorder logs = new(output);

    public void Dispose() => database.Dispose();

    [Fact]
    public async Task Migrating_twice_creates_the_quartz_tables_once()
    {
        await database.MigrateAsync();
        await database.MigrateAsync();

        await using var connection = await database.Database.OpenAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM schema_version WHERE version = 2"));
        var tables = (await connection.QueryAsync<string>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'QRTZ!_%' ESCAPE '!'")).ToHashSet();
        Assert.Superset(
            new HashSet<string> { "QRTZ_JOB_DETAILS", "QRTZ_TRIGGERS", "QRTZ_SIMPLE_TRIGGERS", "QRTZ_FIRED_TRIGGERS", "QRTZ_LOCKS", "QRTZ_SCHEDULER_STATE", "QRTZ_PAUSED_JOB_GRPS" },
            tables);
    }

    [Fact]
    public async Task The_launcher_is_polled_repeatedly_and_a_restarted_host_keeps_polling_from_the_same_store()
    {
        await database.MigrateAsync();

        var first = new CountingLauncher();
        var host = SchedulingHosts.Build(database, first, logs, SchedulingHosts.PollEvery(Poll));
        await host.StartAsync();
        var polled = await SchedulingHosts.Eventually(() => first.Calls >= 3, Patience);
        await SchedulingHosts.StopAsync(host);
        Assert.True(polled, $"first host polled {first.Calls} time(s) in {Patience}");

        // Same file, new process in all but name: the job and trigger are already stored, and registering them
        // again must replace them rather than fail.
        var second = new CountingLauncher();
        host = SchedulingHosts.Build(database, second, logs, SchedulingHosts.PollEvery(Poll));
        await host.StartAsync();
        polled = await SchedulingHosts.Eventually(() => second.Calls >= 3, Patience);
        await SchedulingHosts.StopAsync(host);
        Assert.True(polled, $"second host polled {second.Calls} time(s) in {Patience}");

        await using var connection = await database.Database.OpenAsync();
        var job = await connection.QuerySingleAsync<string>(
            "SELECT JOB_CLASS_NAME FROM QRTZ_JOB_DETAILS WHERE SCHED_NAME = 'Loa' AND JOB_NAME = @Name AND JOB_GROUP = @Group",
            new { LaunchDueCampaignsJob.Key.Name, LaunchDueCampaignsJob.Key.Group });
        Assert.Contains(nameof(LaunchDueCampaignsJob), job, StringComparison.Ordinal);
        var trigger = await connection.QuerySingleAsync<(long MisfireInstruction, bool FixedDelay)>(
            "SELECT MISFIRE_INSTR, FIXED_DELAY FROM QRTZ_TRIGGERS WHERE SCHED_NAME = 'Loa' AND JOB_NAME = @Name AND JOB_GROUP = @Group",
            new { LaunchDueCampaignsJob.Key.Name, LaunchDueCampaignsJob.Key.Group });
        Assert.Equal((long)SimpleTriggerMisfireInstruction.NowWithExistingCount, trigger.MisfireInstruction);
        Assert.True(trigger.FixedDelay);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_failing_poll_is_logged_and_the_next_poll_retries()
    {
        await database.MigrateAsync();
        var launcher = new CountingLauncher(call => call <= 2 ? throw new InvalidOperationException("database unavailable") : 0);

        var host = SchedulingHosts.Build(database, launcher, logs, SchedulingHosts.PollEvery(Poll));
        await host.StartAsync();
        var polled = await SchedulingHosts.Eventually(() => launcher.Calls >= 5, Patience);
        await SchedulingHosts.StopAsync(host);

        Assert.True(polled, $"polled {launcher.Calls} time(s) in {Patience}");
        var jobLogs = logs.Entries.Where(e => e.Category == typeof(LaunchDueCampaignsJob).FullName).ToList();
        Assert.Equal(2, jobLogs.Count(e => e.Level == LogLevel.Error && e.Exception is InvalidOperationException));
        // Polls that launched nothing stay silent.
        Assert.DoesNotContain(jobLogs, e => e.Level == LogLevel.Information);
    }

    [Fact]
    public async Task A_poll_that_launched_something_says_how_many()
    {
        await database.MigrateAsync();
        var launcher = new CountingLauncher(call => call == 2 ? 3 : 0);

        var host = SchedulingHosts.Build(database, launcher, logs, SchedulingHosts.PollEvery(Poll));
        await host.StartAsync();
        var polled = await SchedulingHosts.Eventually(() => launcher.Calls >= 3, Patience);
        await SchedulingHosts.StopAsync(host);

        Assert.True(polled, $"polled {launcher.Calls} time(s) in {Patience}");
        var launched = Assert.Single(logs.Entries, e => e.Category == typeof(LaunchDueCampaignsJob).FullName && e.Level == LogLevel.Information);
        Assert.Contains("3", launched.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scheduling_switched_off_adds_no_scheduler()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{SchedulingOptions.Section}:Enabled"] = "false" })
            .Build();
        var services = new ServiceCollection();

        services.AddLoaScheduling(configuration, database.Options);

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IHostedService));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(ISchedulerFactory));
    }

    [Theory]
    [InlineData(DatabaseProvider.SqlServer, true)]
    [InlineData(DatabaseProvider.Sqlite, false)] // Quartz refuses to cluster on SQLite
    public void The_store_is_clustered_on_SQL_Server_only(DatabaseProvider provider, bool clustered)
    {
        var services = new ServiceCollection().AddLogging();
        var options = new DatabaseOptions
        {
            Provider = provider,
            ConnectionString = provider == DatabaseProvider.Sqlite ? database.Options.ConnectionString : "Server=db.invalid;Database=loa",
        };

        services.AddLoaScheduling(new ConfigurationBuilder().Build(), options);

        using var container = services.BuildServiceProvider();
        Assert.Equal(clustered, container.GetRequiredService<IOptions<ClusteringOptions>>().Value.Enabled);
    }
}
