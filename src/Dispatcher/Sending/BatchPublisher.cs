using Loa.Contracts;
using Loa.Dispatcher.Bus;
using Loa.Storage.Batches;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Loa.Dispatcher.Sending;

/// <summary>
/// Relays committed batches from the outbox (the batches table) to their lanes. A batch the broker
/// could not route (its lane's queue not declared yet: the first start on a new broker or prefix)
/// stays unpublished, and the sweeper tries it again on its next pass instead of after
/// <see cref="DispatcherOptions.RepublishAfter"/>.
/// </summary>
public sealed class BatchPublisher(ISendEndpointProvider endpoints, BusTopology topology, Outbox outbox, ILogger<BatchPublisher> logger)
{
    public async Task PublishAsync(IReadOnlyList<SendBatch> batches, CancellationToken cancellationToken)
    {
        if (batches.Count == 0)
            return;
        var published = new List<long>(batches.Count);
        foreach (var queue in batches.GroupBy(b => topology.SendAddress(topology.LaneOf(b.Carrier, b.BatchId), b.Priority)))
        {
            var endpoint = await endpoints.GetSendEndpoint(queue.Key);
            var sent = 0;
            try
            {
                foreach (var batch in queue.OrderBy(b => b.Priority))
                {
                    var priority = PriorityClasses.BrokerPriority(batch.Priority);
                    await endpoint.Send(batch, context =>
                    {
                        context.TrySetPriority(priority);
                        // Without it an exchange with no queue bound drops the batch and reports success.
                        if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit))
                            rabbit.Mandatory = true;
                    }, cancellationToken);
                    published.Add(batch.BatchId);
                    sent++;
                }
            }
            catch (MessageReturnedException)
            {
                // The rest of this queue's batches would come back the same way; other lanes may be up.
                logger.LogWarning("No queue is bound to {Address} yet: {Batches} batches wait for the next sweep", queue.Key, queue.Count() - sent);
            }
        }
        // If we die before this line the sweeper publishes again; the lane's claim makes a repeat harmless.
        await outbox.MarkPublishedAsync(published, cancellationToken);
    }
}
