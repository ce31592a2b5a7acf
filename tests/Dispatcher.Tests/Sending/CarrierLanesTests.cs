using Loa.CarrierAdapters;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Sending;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Dispatcher.Tests.Sending;

/// <summary>
/// A lane holds back its first second only where a standby dispatcher may have sent that second a
/// moment ago (RabbitMQ). In memory the lane is the process's own, and the first emergency after
/// start goes at once.
/// </summary>
public sealed class CarrierLanesTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("InMemory", true)]
    [InlineData("RabbitMq", false)]
    public async Task A_new_lane_sends_its_first_second_at_once_unless_a_standby_may_have_just_sent_it(string transport, bool atOnce)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T08:00:00Z"));
        var topology = new BusTopology(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Loa:Transport"] = transport })
            .Build());
        await using var services = new ServiceCollection()
            .AddHttpClient()
            .Configure<CarrierOptions>(CarrierIds.Viettel, o =>
            {
                o.Url = "http://127.0.0.1:9/"; // never called: the test only takes tokens
                o.PartsPerSecond = 100;
            })
            .BuildServiceProvider();
        using var lanes = ActivatorUtilities.CreateInstance<CarrierLanes>(services, topology, (TimeProvider)time);

        var lane = await lanes.GetAsync(topology.LaneOf(CarrierIds.Viettel, 0), CancellationToken.None);
        var spend = lane.Rate.AcquireAsync(lane.Rate.Limit, CancellationToken.None);

        // The fake clock does not move: a cold lane's tokens cannot come back during the wait.
        await Task.WhenAny(spend, Task.Delay(atOnce ? Patience : TimeSpan.FromMilliseconds(200)));
        Assert.Equal(atOnce, spend.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1) + LaneRate.HoldMargin);
        (await spend.WaitAsync(Patience)).Dispose();
    }
}
