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
    /// RabbitMQ (<c>ConnectionStrings:RabbitMq</c>, an amqp:// URI).
    /// </summary>
    public static IServiceCollection AddLoaBus(this IServiceCollection services, IConfiguration configuration, bool withDispatcher)
    {
        var topology = new BusTopology(configuration);
        var transport = topology.Transport;
        services.TryAddSingleton(topology);
        services.AddMassTransit(x =>
        {
            if (withDispatcher)
            {
                x.AddConsumer<LaunchCampaignConsumer>();
                x.AddConsumer<SendBatchConsumer>();
            }

            if (transport == Transport.RabbitMq)
            {
                var uri = new Uri(configuration.GetConnectionString("RabbitMq")
                    ?? throw new InvalidOperationException("Loa:Transport is RabbitMq but ConnectionStrings:RabbitMq is not set."));
                x.UsingRabbitMq((context, cfg) =>
                {
                    var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
                    var password = uri.UserInfo.Contains(':') ? Uri.UnescapeDataString(uri.UserInfo[(uri.UserInfo.IndexOf(':') + 1)..]) : "";
                    var vhost = uri.AbsolutePath.Trim('/');
                    cfg.Host(uri.Host, (ushort)(uri.IsDefaultPort || uri.Port <= 0 ? 5672 : uri.Port), string.IsNullOrEmpty(vhost) ? "/" : Uri.UnescapeDataString(vhost), h =>
                    {
                        if (user.Length > 0)
                            h.Username(user);
                        if (password.Length > 0)
                            h.Password(password);
                        h.PublisherConfirmation = true;
                    });
                    if (!withDispatcher)
                        return;
                    cfg.ReceiveEndpoint(topology.Launch, e =>
                    {
                        e.PrefetchCount = 4;
                        ConfigurePlanner(e, context);
                    });
                    foreach (var lane in topology.Lanes)
                    {
                        cfg.ReceiveEndpoint(topology.Queue(lane), e =>
                        {
                            // One active consumer per lane across every dispatcher process keeps the
                            // carrier's rate exact; the others stand by and take over on failure.
                            e.SingleActiveConsumer = true;
                            // A priority queue hands out urgent batches first; with one batch in hand
                            // at a time, an urgent batch waits behind at most the bulk batch being sent.
                            e.EnablePriority(PriorityClasses.Lowest);
                            e.PrefetchCount = 1;
                            ConfigureLane(e, context);
                        });
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
