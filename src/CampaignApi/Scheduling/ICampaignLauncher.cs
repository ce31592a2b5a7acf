namespace Loa.CampaignApi.Scheduling;

/// <summary>
/// Claims the campaigns whose start time has come and sends <c>LaunchCampaign</c> for each.
/// The Quartz job only decides when to call this; what "due" means lives with the campaigns.
/// </summary>
public interface ICampaignLauncher
{
    /// <returns>How many campaigns were launched.</returns>
    Task<int> LaunchDueAsync(CancellationToken cancellationToken);
}
