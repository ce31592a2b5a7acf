using Loa.Contracts;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Sending;
using Loa.Storage;
using Loa.Storage.Batches;
using Loa.Storage.Planning;
using Loa.Tests.Shared;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>
/// On a broker where no lane has declared its queue yet (a first start, a new prefix), the lane's
/// exchange has nothing bound to it and RabbitMQ drops what is sent there while confirming it. The
/// outbox must not take that confirmation for a delivery: the batch stays unpublished and goes out
/// on the next sweep once the lane is up, not 30 minutes later.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class UnboundLaneSpecs : IAsyncLifetime
{
    private const string Campaign = "unbound-lane";
    private TempDatabase temp = null!;
    private PlanWriter plans = null!;
    private Outbox outbox = null!;
    private ServiceProvider services = null!;
    private IBusControl bus = null!;

    public async Task InitializeAsync()
    {
        temp = await TempDatabase.CreateAsync();
        plans = new PlanWriter(temp.Database, TimeProvider.System);
        outbox = new Outbox(temp.Database, TimeProvider.System);
        await temp.InsertRunningCampaignAsync(Campaign, CampaignKind.Warning, TimeProvider.System);

        // The bus of a host with no dispatcher: it sends, and declares nothing a lane would.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Loa:Transport"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = DeliveryEngineCollection.RabbitMqAddress(),
            ["Loa:Bus:Prefix"] = "loa-unbound-" + Guid.NewGuid().ToString("n")[..8],
        }).Build();
        services = new ServiceCollection().AddLogging().AddLoaBus(configuration, withDispatcher: false).BuildServiceProvider();
        bus = services.GetRequiredService<IBusControl>();
        await bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
    }

    public async Task DisposeAsync()
    {
        await bus.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        await services.DisposeAsync();
        await temp.DisposeAsync();
    }

    [Fact]
    public async Task A_batch_sent_before_its_lane_queue_exists_stays_in_the_outbox_and_goes_out_once_the_lane_is_up()
    {
        var topology = services.GetRequiredService<BusTopology>();
        var publisher = new BatchPublisher(bus, topology, outbox, NullLogger<BatchPublisher>.Instance);
        var written = await plans.WriteAsync(new PlanPage(
            Campaign, Priority: 1, PartsPerMessage: 1, [new PlannedRecipient("+84860000001", "Hà Nội", "viettel")], _ => 10,
            NextList: 1, NextAfter: "", Last: true, Lease: TimeSpan.FromMinutes(1)));
        var batch = Assert.Single(written!);

        await publisher.PublishAsync(written!, CancellationToken.None);
        Assert.Contains(await outbox.UnpublishedAsync(10, TimeSpan.FromMinutes(30)), b => b.BatchId == batch.BatchId);

        // The lane comes up and declares its queue the way a dispatcher does; the sweeper's next pass publishes again.
        var received = new TaskCompletionSource<SendBatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lane = bus.ConnectReceiveEndpoint(topology.Queue(topology.LaneOf("viettel", batch.BatchId), PriorityClasses.Of(batch.Priority)), e =>
        {
            BusSetup.DeclareLaneQueue((IRabbitMqReceiveEndpointConfigurator)e, topology);
            e.Handler<SendBatch>(context =>
            {
                received.TrySetResult(context.Message);
                return Task.CompletedTask;
            });
        });
        await lane.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        await publisher.PublishAsync(await outbox.UnpublishedAsync(10, TimeSpan.FromMinutes(30)), CancellationToken.None);

        Assert.Equal(batch, await received.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(await outbox.UnpublishedAsync(10, TimeSpan.FromMinutes(30)));
        await lane.StopAsync(CancellationToken.None);
    }
}
