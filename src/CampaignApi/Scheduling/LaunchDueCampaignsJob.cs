using Quartz;

namespace Loa.CampaignApi.Scheduling;

/// <summary>
/// The one recurring job: asks <see cref="ICampaignLauncher"/> to launch whatever is due. Schedules live in the
/// campaign rows, so this job carries no data and is the same on every firing.
/// </summary>
/// <remarks>
/// Not concurrent, so that in a cluster only one node at a time is claiming due campaigns; the launcher's
/// claim must still be safe to race, since a firing recovered from a dead node can overlap a late one.
/// </remarks>
[DisallowConcurrentExecution]
public sealed partial class LaunchDueCampaignsJob(ICampaignLauncher launcher, ILogger<LaunchDueCampaignsJob> logger) : IJob
{
    public static readonly JobKey Key = new("launch-due-campaigns", "loa");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var launched = await launcher.LaunchDueAsync(cancellationToken);
            if (launched > 0)
                LogLaunched(launched);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown interrupted the look; whatever was not claimed is still due for the next host.
        }
        catch (Exception exception)
        {
            // A throwing job would count against the trigger (Quartz parks a trigger that keeps failing in
            // ERROR), and a database blip must not stop launches for good: the next poll simply tries again.
            LogFailed(exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Launched {Count} due campaign(s)")]
    private partial void LogLaunched(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Looking for due campaigns failed; the next poll retries")]
    private partial void LogFailed(Exception exception);
}
