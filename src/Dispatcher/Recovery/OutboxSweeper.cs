using Loa.Contracts;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Sending;
using Loa.Storage.Batches;
using Loa.Storage.Campaigns;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Recovery;

/// <summary>
/// Finds work that was committed but not finished and puts it back on the bus: batches never
/// published (a crash between commit and publish), batches whose lane died mid-send (lease run
/// out), batches due for a retry, and launches no planner picked up. It also ends messages whose
/// receipts never came (see <see cref="DispatcherOptions.ReceiptTimeout"/>) and plans the SMS a push
/// fallback owes (<see cref="FallbackSweeper"/>). Repeats are harmless: every
/// consumer claims its row first.
/// </summary>
public sealed class OutboxSweeper(
    Outbox outbox,
    BatchLedger batches,
    CampaignStore campaigns,
    BusTopology topology,
    IServiceScopeFactory scopes,
    IBusControl bus,
    IOptions<DispatcherOptions> options,
    ILogger<OutboxSweeper> logger,
    FallbackSweeper fallbacks) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (topology.Transport == Transport.InMemory)
        {
            // An in-memory bus starts empty: whatever was queued or in flight before a restart is gone.
            var reset = await outbox.ForgetInFlightAsync(stoppingToken);
            if (reset > 0)
                logger.LogInformation("Restart: {Batches} open batches go back to the outbox", reset);
            // The bus starts beside this service, not before it: a batch sent to a lane whose in-memory
            // endpoint is not up yet is lost, and stays marked published until RepublishAfter (30 min).
            await WaitForBusAsync(stoppingToken);
        }
        using var timer = new PeriodicTimer(settings.SweepInterval);
        do
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The next sweep tries again; a sweeper that dies would leave work stranded.
                logger.LogError(ex, "Sweep failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task WaitForBusAsync(CancellationToken stoppingToken)
    {
        // Bounded: a bus that never becomes healthy is reported, and the sweeper works on regardless
        // (its database work, expiring unanswered messages, needs no bus).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (bus.CheckHealth().Status != BusHealthStatus.Healthy)
        {
            if (DateTime.UtcNow > deadline)
            {
                logger.LogWarning("The bus is not healthy 30 s after start; sweeping anyway");
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), stoppingToken);
        }
    }

    public async Task SweepOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        // The bus's send endpoints are scoped services: one scope per sweep.
        await using var scope = scopes.CreateAsyncScope();
        var publisher = scope.ServiceProvider.GetRequiredService<BatchPublisher>();
        var endpoints = scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>();
        var recovered = await outbox.RecoverExpiredLeasesAsync(cancellationToken);
        if (recovered > 0)
            logger.LogWarning("{Batches} batches lost their lane (lease expired); sending them again", recovered);

        while (true)
        {
            var due = await outbox.UnpublishedAsync(1000, settings.RepublishAfter, cancellationToken);
            if (due.Count == 0)
                break;
            await publisher.PublishAsync(due, cancellationToken);
            if (due.Count < 1000)
                break;
        }

        // Pushes nobody acknowledged in time get the campaign's SMS (options.fallback).
        await fallbacks.SweepAsync(publisher, cancellationToken);

        var unanswered = await batches.ExpireUnansweredAsync(100, cancellationToken);
        if (unanswered > 0)
            logger.LogWarning("{Messages} messages got no delivery receipt within {Timeout}: ended as expired", unanswered, settings.ReceiptTimeout);

        var stale = await campaigns.TakeStaleLaunchesAsync(settings.LaunchGrace, cancellationToken);
        if (stale.Count > 0)
        {
            var endpoint = await endpoints.GetSendEndpoint(topology.LaunchAddress);
            foreach (var id in stale)
            {
                logger.LogWarning("Campaign {CampaignId} was launched but not planned; launching again", id);
                await endpoint.Send(new LaunchCampaign(id), cancellationToken);
            }
        }
    }
}
