using Loa.Contracts;
using Loa.Dispatcher.Bus;
using Loa.Storage.Deliveries;
using MassTransit;

namespace Loa.Dispatcher.Sending;

/// <summary>Relays committed batches from the outbox (the batches table) to their lanes.</summary>
public sealed class BatchPublisher(ISendEndpointProvider endpoints, BusTopology topology, DeliveryStore deliveries)
{
    public async Task PublishAsync(IReadOnlyList<SendBatch> batches, CancellationToken cancellationToken)
    {
        if (batches.Count == 0)
            return;
        foreach (var queue in batches.GroupBy(b => topology.SendAddress(topology.LaneOf(b.Carrier, b.BatchId), b.Priority)))
        {
            var endpoint = await endpoints.GetSendEndpoint(queue.Key);
            foreach (var batch in queue.OrderBy(b => b.Priority))
            {
                var priority = PriorityClasses.BrokerPriority(batch.Priority);
                await endpoint.Send(batch, context => context.TrySetPriority(priority), cancellationToken);
            }
        }
        // If we die before this line the sweeper publishes again; the lane's claim makes a repeat harmless.
        await deliveries.MarkPublishedAsync(batches.Select(b => b.BatchId), cancellationToken);
    }
}
