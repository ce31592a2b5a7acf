using Loa.CampaignApi.Scheduling;
using Loa.Contracts;
using Loa.Dispatcher.Bus;
using Loa.Storage.Campaigns;
using MassTransit;

namespace Loa.CampaignApi.Campaigns;

/// <summary>Moves due scheduled campaigns to running and hands each to the planner.</summary>
public sealed class CampaignLauncher(CampaignStore campaigns, BusTopology topology, IServiceScopeFactory scopes, ILogger<CampaignLauncher> logger) : ICampaignLauncher
{
    public async Task<int> LaunchDueAsync(CancellationToken cancellationToken)
    {
        var due = await campaigns.ClaimDueAsync(cancellationToken);
        var runs = await campaigns.ClaimDueRunsAsync(Recurrence.Next, cancellationToken);
        if (due.Count + runs.Count == 0)
            return 0;
        await using var scope = scopes.CreateAsyncScope();
        var endpoint = await scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>().GetSendEndpoint(topology.LaunchAddress);
        foreach (var id in due)
        {
            logger.LogInformation("Campaign {CampaignId} reached its start time", id);
            await endpoint.Send(new LaunchCampaign(id), cancellationToken);
        }
        foreach (var id in runs)
        {
            logger.LogInformation("Run {CampaignId} of a recurring campaign is due", id);
            await endpoint.Send(new LaunchCampaign(id), cancellationToken);
        }
        return due.Count + runs.Count;
    }
}
