using Loa.Storage.Audiences;
using Microsoft.Extensions.Options;

namespace Loa.CampaignApi.Audiences;

/// <summary>
/// Deletes the members of list uploads that a crashed process left behind (see
/// <see cref="ListStore.SweepAbandonedImportsAsync"/>): invisible to every reader, but disk nobody
/// gets back otherwise. Every API process may run it: a second delete finds nothing.
/// </summary>
public sealed class AbandonedImportSweeper(ListStore lists, IOptions<ListOptions> options, ILogger<AbandonedImportSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await lists.SweepAbandonedImportsAsync(options.Value.AbandonedAfter, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The next pass tries again; a sweeper that died would leave the rows for good.
                logger.LogError(e, "Sweeping abandoned list uploads failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
