using Loa.Dispatcher.Planning;
using Loa.Dispatcher.Sending;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Loa.Dispatcher.Bus;

public enum Transport
{
    InMemory,
    RabbitMq,
}

public static class BusSetup
{
    public static Transport ReadTransport(IConfiguration configuration) =>
        Enum.TryParse<Transport>(configuration["Loa:Transport"], ignoreCase: true, out var t) ? t : Transport.InMemory;

    /// <summary>
    /// The bus for both hosts. With <paramref name="withDispatcher"/>, this process also consumes:
    /// the planner queue and one lane per carrier. <c>Loa:Transport</c> picks in-memory (default) or
    /// RabbitMQ (<c>ConnectionStrings:RabbitMq</c>, an amqp:// URI that may list a cluster's nodes; see
    /// <see cref="BrokerAddress"/>), with quorum queues unless <c>Loa:Bus:QueueType</c> is Classic.
    /// </summary>
    public static IServiceCollection AddLoaBus(this IServiceCollection services, IConfiguration configuration, bool withDispatcher)
    {
        var topology = new BusTopology(configuration);
        var transport = topology.Transport;
        services.TryAddSingleton(topology);
        if (topology.QuorumQueues)
        {
            // Before AddMassTransit: hosted services start in order, so the queue exists before the bus can send.
            services.TryAddSingleton(BrokerAddress.Read(configuration));
            services.AddHostedService<LaunchQueue>();
        }
        services.AddMassTransit(x =>
        {
            if (withDispatcher)
            {
                x.AddConsumer<LaunchCampaignConsumer>();
                x.AddConsumer<SendBatchConsumer>();
            }

            if (transport == Transport.RabbitMq)
            {
                var broker = BrokerAddress.Read(configuration);
                x.UsingRabbitMq((context, cfg) =>
                {
                    var first = broker.Nodes[0];
                    cfg.Host(first.Host, (ushort)first.Port, broker.VirtualHost, h =>
                    {
                        if (broker.User.Length > 0)
                            h.Username(broker.User);
                        if (broker.Password.Length > 0)
                            h.Password(broker.Password);
                        // A batch is marked published only once the broker confirms it (for a quorum queue: once
                        // a majority of its nodes hold it), so a node lost right after a send loses nothing.
                        h.PublisherConfirmation = true;
                        // The nodes are tried in order on every (re)connect; a lost node moves the connection on.
                        if (broker.Nodes.Count > 1)
                            h.UseCluster(c =>
                            {
                                foreach (var node in broker.Nodes)
                                    c.Node(node.ToString());
                            });
                    });
                    if (topology.QuorumQueues)
                    {
                        // What fails lands in <queue>_error: it must outlive a node as the queue it came from does.
                        cfg.SendTopology.ConfigureErrorSettings = e => e.SetQuorumQueue();
                        cfg.SendTopology.ConfigureDeadLetterSettings = e => e.SetQuorumQueue();
                    }
                    if (!withDispatcher)
                        return;
                    cfg.ReceiveEndpoint(topology.Launch, e =>
                    {
                        if (topology.QuorumQueues)
                            e.SetQuorumQueue();
                        e.PrefetchCount = 4;
                        ConfigurePlanner(e, context);
                    });
                    foreach (var lane in topology.Lanes)
                    {
                        if (topology.PriorityQueues)
                        {
                            cfg.ReceiveEndpoint(topology.Queue(lane), e =>
                            {
                                DeclareLaneQueue(e, topology);
                                // With one batch in hand at a time, an urgent batch waits behind at most the
                                // bulk batch being sent.
                                e.PrefetchCount = 1;
                                ConfigureLane(e, context);
                            });
                            continue;
                        }
                        // Quorum queues have no priorities (3.13 has two levels; we need three): a queue per
                        // class, as in memory, and the lane's gate takes the most urgent first. Declared
                        // emergency first, so that the process that starts first is the active consumer of
                        // all three (see README "The broker" for when they can end up in two processes).
                        foreach (var priorityClass in Enum.GetValues<PriorityClass>())
                        {
                            cfg.ReceiveEndpoint(topology.Queue(lane, priorityClass), e =>
                            {
                                DeclareLaneQueue(e, topology);
                                var concurrency = priorityClass == PriorityClass.Bulk ? 1 : 2;
                                e.PrefetchCount = concurrency;
                                ConfigureLane(e, context, concurrency);
                            });
                        }
                    }
                });
            }
            else
            {
                x.UsingInMemory((context, cfg) =>
                {
                    if (!withDispatcher)
                        return;
                    cfg.ReceiveEndpoint(topology.Launch, e => ConfigurePlanner(e, context));
                    foreach (var lane in topology.Lanes)
                    {
                        // No priorities in memory: a queue per class and lane, and the lane's gate lets the most
                        // urgent in first, so an emergency never waits behind a national warning's backlog. The
                        // emergency and warning queues keep a second batch waiting at the gate, so that less urgent
                        // work cannot slip in between two of theirs; the gate still lets one batch through at a time.
                        cfg.ReceiveEndpoint(topology.Queue(lane, PriorityClass.Emergency), e => ConfigureLane(e, context, concurrency: 2));
                        cfg.ReceiveEndpoint(topology.Queue(lane, PriorityClass.Warning), e => ConfigureLane(e, context, concurrency: 2));
                        cfg.ReceiveEndpoint(topology.Queue(lane, PriorityClass.Bulk), e => ConfigureLane(e, context));
                    }
                });
            }
        });
        return services;
    }

    /// <summary>How a lane's queue is declared (also by the spec that brings a lane up by hand).</summary>
    public static void DeclareLaneQueue(IRabbitMqReceiveEndpointConfigurator endpoint, BusTopology topology)
    {
        // One active consumer per queue across every dispatcher process keeps the carrier's rate exact;
        // the others stand by and take over on failure.
        endpoint.SingleActiveConsumer = true;
        if (topology.QuorumQueues)
            endpoint.SetQuorumQueue();
        else
            endpoint.EnablePriority(PriorityClasses.Lowest); // hands out the most urgent batch first
    }

    private static void ConfigurePlanner(IReceiveEndpointConfigurator endpoint, IBusRegistrationContext context)
    {
        endpoint.ConcurrentMessageLimit = 2;
        endpoint.ConfigureConsumer<LaunchCampaignConsumer>(context);
    }

    // A lane sends one batch at a time: the lane's rate is its own, not shared with other batches.
    private static void ConfigureLane(IReceiveEndpointConfigurator endpoint, IBusRegistrationContext context, int concurrency = 1)
    {
        endpoint.ConcurrentMessageLimit = concurrency;
        endpoint.ConfigureConsumer<SendBatchConsumer>(context);
    }
}
