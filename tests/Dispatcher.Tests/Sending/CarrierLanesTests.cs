using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Sending;
using Loa.Storage;
using Loa.Storage.Lanes;
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
        await using var services = Services(new Dictionary<string, string?>
        {
            ["Loa:Carriers:viettel:Url"] = "http://127.0.0.1:9/", // never called: the test only takes tokens
            ["Loa:Carriers:viettel:PartsPerSecond"] = "100",
        });
        using var lanes = ActivatorUtilities.CreateInstance<CarrierLanes>(services, topology, (TimeProvider)time);

        var lane = await lanes.GetAsync(topology.LaneOf(CarrierIds.Viettel, 0), CancellationToken.None);
        var spend = lane.Rate.AcquireAsync(lane.Rate.Limit, CancellationToken.None);

        // The fake clock does not move: a cold lane's tokens cannot come back during the wait.
        await Task.WhenAny(spend, Task.Delay(atOnce ? Patience : TimeSpan.FromMilliseconds(200)));
        Assert.Equal(atOnce, spend.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1) + LaneRate.HoldMargin);
        (await spend.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task A_lane_is_built_with_the_adapter_its_carrier_names()
    {
        var topology = InMemoryTopology();
        var recording = new ScriptedProtocol("Recording");
        await using var services = Services(new Dictionary<string, string?> { ["Loa:Carriers:viettel:Adapter"] = "recording" }, recording);
        using var lanes = ActivatorUtilities.CreateInstance<CarrierLanes>(services, topology, TimeProvider.System);

        var lane = await lanes.GetAsync(topology.LaneOf(CarrierIds.Viettel, 0), CancellationToken.None);

        Assert.Same(recording.Built.Single(), lane.Adapter);
        Assert.Equal(CarrierIds.Viettel, lane.Adapter.CarrierId);
    }

    [Fact]
    public async Task A_lane_whose_build_failed_is_built_again_by_the_next_batch_not_left_broken_until_restart()
    {
        var topology = InMemoryTopology();
        var flaky = new ScriptedProtocol("Flaky") { FailuresLeft = 1 };
        await using var services = Services(new Dictionary<string, string?> { ["Loa:Carriers:viettel:Adapter"] = "Flaky" }, flaky);
        using var lanes = ActivatorUtilities.CreateInstance<CarrierLanes>(services, topology, TimeProvider.System);
        var viettel = topology.LaneOf(CarrierIds.Viettel, 0);

        await Assert.ThrowsAsync<InvalidOperationException>(() => lanes.GetAsync(viettel, CancellationToken.None));
        var lane = await lanes.GetAsync(viettel, CancellationToken.None);

        Assert.Equal(2, flaky.Attempts);
        Assert.Same(lane, await lanes.GetAsync(viettel, CancellationToken.None)); // built once it worked, then kept
        Assert.Equal(2, flaky.Attempts);
    }

    [Fact]
    public async Task The_first_caller_giving_up_does_not_cancel_the_lane_build_for_the_batches_after_it()
    {
        var topology = InMemoryTopology();
        var slow = new ScriptedProtocol("Slow") { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var services = Services(new Dictionary<string, string?> { ["Loa:Carriers:viettel:Adapter"] = "Slow" }, slow);
        using var lanes = ActivatorUtilities.CreateInstance<CarrierLanes>(services, topology, TimeProvider.System);
        var viettel = topology.LaneOf(CarrierIds.Viettel, 0);

        using (var impatient = new CancellationTokenSource())
        {
            var first = lanes.GetAsync(viettel, impatient.Token);
            await impatient.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        }
        var second = lanes.GetAsync(viettel, CancellationToken.None);
        slow.Gate.SetResult();

        var lane = await second.WaitAsync(Patience);
        Assert.Equal(CarrierIds.Viettel, lane.Lane.Carrier);
        Assert.Equal(1, slow.Attempts); // the build the first caller started is the one that finished
    }

    private static BusTopology InMemoryTopology() => new(new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["Loa:Transport"] = "InMemory" })
        .Build());

    /// <summary>Carriers wired as the hosts wire them (<see cref="CarrierSetup.AddCarrierAdapters"/>), plus any test protocols.</summary>
    private static ServiceProvider Services(Dictionary<string, string?> settings, params ICarrierProtocol[] protocols)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        // Lanes are built for carriers and push apps alike, as AddLoaDispatcher registers them.
        var services = new ServiceCollection().AddCarrierAdapters(configuration).AddLoaPush(configuration).AddLogging()
            // A lane on quorum queues gets a lease on this store; these specs never send, so it is never opened.
            .AddSingleton(new LaneLeaseStore(new Database(new DatabaseOptions { ConnectionString = "Data Source=:memory:" }), TimeProvider.System));
        foreach (var protocol in protocols)
            services.AddSingleton(protocol);
        return services.BuildServiceProvider();
    }

    /// <summary>A protocol whose builds fail, wait or succeed as the test says; it never sends.</summary>
    private sealed class ScriptedProtocol(string name) : ICarrierProtocol
    {
        private int attempts;

        public int FailuresLeft { get; set; }

        public TaskCompletionSource? Gate { get; init; }

        public int Attempts => attempts;

        public List<ICarrierAdapter> Built { get; } = [];

        public string Name => name;

        public async Task<ICarrierAdapter> CreateAsync(string carrierId, CarrierOptions options, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref attempts);
            if (Gate is not null)
                await Gate.Task.WaitAsync(cancellationToken);
            if (FailuresLeft-- > 0)
                throw new InvalidOperationException("the carrier refused the connection");
            var adapter = new NeverSends(carrierId);
            Built.Add(adapter);
            return adapter;
        }
    }

    private sealed class NeverSends(string carrierId) : ICarrierAdapter
    {
        public string CarrierId => carrierId;

        public Task<SubmitOutcome> SubmitAsync(CarrierBatch batch, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("not sent in these tests");
    }
}
