using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace Loa.Dispatcher.Bus;

/// <summary>
/// Declares the quorum launch queue, its exchange and their binding before the bus starts, exactly as a
/// dispatcher's planner endpoint declares them. A MassTransit send address can bind a queue but not give
/// it arguments, and without the queue a launch sent before any dispatcher ever started would be dropped
/// by an exchange with nothing bound to it. A broker that is down at start is tried again in the
/// background; a launch lost meanwhile is sent again by the sweeper after <c>LaunchGrace</c>.
/// </summary>
public sealed class LaunchQueue(BusTopology topology, BrokerAddress broker, ILogger<LaunchQueue> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan FirstTry = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource stopping = new();
    private Task? retrying;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        first.CancelAfter(FirstTry);
        try
        {
            await DeclareAsync(first.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not declare the launch queue {Queue} yet; trying again every {Interval}", topology.Launch, RetryEvery);
            retrying = RetryAsync(stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        if (retrying is not null)
            await retrying.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => stopping.Dispose();

    private async Task RetryAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(RetryEvery, cancellationToken);
                await DeclareAsync(cancellationToken);
                logger.LogInformation("Declared the launch queue {Queue}", topology.Launch);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogDebug(e, "Launch queue {Queue} still not declared", topology.Launch);
            }
        }
    }

    private async Task DeclareAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            UserName = broker.User.Length > 0 ? broker.User : ConnectionFactory.DefaultUser,
            Password = broker.Password.Length > 0 ? broker.Password : ConnectionFactory.DefaultPass,
            VirtualHost = broker.VirtualHost,
            ClientProvidedName = "loa-launch-queue",
        };
        await using var connection = await factory.CreateConnectionAsync(
            broker.Nodes.Select(n => new AmqpTcpEndpoint(n.Host, n.Port)).ToList(), cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.ExchangeDeclareAsync(topology.Launch, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(topology.Launch, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(topology.Launch, topology.Launch, routingKey: "", cancellationToken: cancellationToken);
    }
}
