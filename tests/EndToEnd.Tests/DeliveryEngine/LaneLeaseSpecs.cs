using System.Globalization;
using Loa.Dispatcher;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Sending;
using Loa.Tests.Shared;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>
/// Issue 18's known limit, closed: on quorum queues a lane reads a queue per priority class, each with
/// its own single active consumer, and those can be in different dispatcher processes. Here they are on
/// purpose: a second dispatcher registers on the lane's bulk queue before the host's starts, so the host
/// is active on the emergency and warning queues and only stands by on bulk. Each paces the lane by its
/// own clock; without the lane's lease they sent side by side at up to twice the rate.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class LaneLeaseSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_dispatchers_active_on_different_class_queues_of_one_lane_take_turns_urgent_first_and_never_exceed_its_rate()
    {
        const int limit = 200;
        const int bulk = 2_000, warning = 600; // ten and three seconds at the limit
        // Noon in Hanoi, so the awareness campaign is inside its sending window whenever CI runs.
        var clock = ShiftedClock.AtVietnamTime(new TimeOnly(12, 0));
        var prefix = "loa-lease-" + Guid.NewGuid().ToString("n")[..8];

        // The second dispatcher's consumer, on the bulk queue only, registered first: the queue's active consumer.
        var busConfiguration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Loa:Transport"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = DeliveryEngineCollection.RabbitMqAddress(),
            ["Loa:Bus:Prefix"] = prefix,
        }).Build();
        await using var busServices = new ServiceCollection().AddLogging().AddLoaBus(busConfiguration, withDispatcher: false).BuildServiceProvider();
        var bus = busServices.GetRequiredService<IBusControl>();
        await bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        ServiceProvider? second = null;
        var secondTurns = 0;
        try
        {
            var topology = busServices.GetRequiredService<BusTopology>();
            var bulkQueue = bus.ConnectReceiveEndpoint(topology.Queue(topology.LaneOf("viettel", 0), PriorityClass.Bulk), e =>
            {
                BusSetup.DeclareLaneQueue((IRabbitMqReceiveEndpointConfigurator)e, topology);
                e.ConcurrentMessageLimit = 1;
                e.Handler<Loa.Contracts.SendBatch>(async context =>
                {
                    Interlocked.Increment(ref secondTurns);
                    try
                    {
                        await ActivatorUtilities.CreateInstance<SendBatchConsumer>(second!).Consume(context);
                    }
                    catch (Exception ex)
                    {
                        output.WriteLine("second dispatcher: " + ex); // its process has no log of its own here
                        throw;
                    }
                });
            });
            await bulkQueue.Ready.WaitAsync(TimeSpan.FromSeconds(30));

            await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: true, s =>
            {
                s["Loa:Bus:Prefix"] = prefix;
                s["Loa:Carriers:viettel:PartsPerSecond"] = limit.ToString(CultureInfo.InvariantCulture);
                s["Loa:Carriers:viettel:BurstParts"] = "50";
            }), clock: clock);
            // The second dispatcher: its own lanes, rates and lease holder, on the host's database and carriers.
            var secondConfiguration = new ConfigurationBuilder().AddConfiguration(loa.App.Configuration).AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Loa:Carriers:viettel:Url"] = (await loa.Simulators.GetBaseUrlAsync("viettel", CancellationToken.None)).ToString(),
            }).Build();
            second = new ServiceCollection().AddLogging().AddMetrics().AddSingleton<TimeProvider>(clock).AddLoaDispatcher(secondConfiguration).BuildServiceProvider();
            second.GetRequiredService<ReceiptAddress>().Learn(loa.BaseAddress.ToString());
            using var operatorClient = loa.Client("dev-operator");
            var viettel = loa.Simulators.Stats["viettel"];

            var background = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(bulk), list => LoaTestHost.Campaign(list, kind: "awareness"));
            await EngineWorld.WaitUntilAsync(() => viettel.MessagesAccepted >= 300, "the awareness campaign is under way", TimeSpan.FromSeconds(60));
            var urgent = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(warning, offset: 100_000));

            Assert.Equal(warning, (await LoaTestHost.WaitForStatusAsync(operatorClient, urgent, "completed", TimeSpan.FromSeconds(90))).GetProperty("delivered").GetInt64());
            Assert.Equal(bulk, (await LoaTestHost.WaitForStatusAsync(operatorClient, background, "completed", TimeSpan.FromSeconds(90))).GetProperty("delivered").GetInt64());
            Assert.Equal(0, viettel.DuplicateMessageIds);
            Assert.True(secondTurns > 0, "the second dispatcher never consumed the bulk queue: the lane was not split");

            var perSecond = viettel.AcceptedPartsPerSecond;
            output.WriteLine("parts per second at the carrier: " + string.Join(" ", perSecond.Values));
            Assert.Equal(bulk + warning, perSecond.Values.Sum());
            Assert.All(perSecond, second => Assert.True(second.Value <= limit,
                $"second {second.Key} held {second.Value} parts, above the lane's limit of {limit}: two dispatchers sent side by side"));

            // Urgent first: once the warning's first batch is at the carrier, no awareness batch goes until its last.
            var arrivals = viettel.Arrivals;
            var urgentArrivals = arrivals.Where(a => a.BatchId.StartsWith(urgent, StringComparison.Ordinal)).ToList();
            var bulkBetween = arrivals.Count(a => a.BatchId.StartsWith(background, StringComparison.Ordinal)
                                                  && a.ArrivedUnixMs > urgentArrivals[0].ArrivedUnixMs && a.ArrivedUnixMs < urgentArrivals[^1].ArrivedUnixMs);
            output.WriteLine($"awareness batches among the warning's: {bulkBetween}; turns of the second dispatcher: {secondTurns}");
            Assert.Equal(0, bulkBetween);
            // The lane changed hands between the two (what loa_lane_takeovers_total counts), and neither holds it idle now.
            long Takeovers(IServiceProvider services) => services.GetRequiredService<CarrierLanes>().Built.Sum(l => l.Lease.Takeovers);
            Assert.True(Takeovers(loa.Services) + Takeovers(second) >= 2, "the lane never went from one dispatcher to the other and back");

            // The second dispatcher stops before the host's database goes: it gives its lease back there.
            await bulkQueue.StopAsync();
            await second.DisposeAsync();
            second = null;
        }
        finally
        {
            await bus.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
            if (second is not null)
                await second.DisposeAsync();
        }
    }
}
