using Loa.Contracts;
using Loa.Dispatcher.Bus;
using Loa.Storage.Deliveries;
using MassTransit;

namespace Loa.Dispatcher.Sending;

/// <summary>Relays committed batches from the outbox (the batches table) to their carriers' lanes.</summary>
public sealed class BatchPublisher(ISendEndpointProvider endpoints, DeliveryStore deliveries)
{
    public async Task PublishAsync(IReadOnlyList<SendBatch> batches, CancellationToken cancellationToken)
    {
        if (batches.Count == 0)
            return;
        foreach (var lane in batches.GroupBy(b => b.Carrier))
        {
            var endpoint = await endpoints.GetSendEndpoint(Endpoints.LaneAddress(lane.Key));
            foreach (var batch in lane.OrderBy(b => b.Priority))
                await endpoint.Send(batch, cancellationToken);
        }
        // If we die before this line the sweeper publishes again; the lane's claim makes a repeat harmless.
        await deliveries.MarkPublishedAsync(batches.Select(b => b.BatchId), cancellationToken);
    }
}
