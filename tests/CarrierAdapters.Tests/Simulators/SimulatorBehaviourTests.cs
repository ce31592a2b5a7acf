using Loa.CarrierSimulators;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters.Tests.Simulators;

/// <summary>The behaviour record on its own: its draws, its checks, and how configuration builds it per carrier.</summary>
public sealed class SimulatorBehaviourTests
{
    [Fact]
    public void Defaults_have_no_fault_at_all()
    {
        var behaviour = new SimulatorBehaviour();

        Assert.Equal(TimeSpan.Zero, behaviour.LatencyMedian);
        Assert.Equal(0, behaviour.ServerErrorRatio);
        Assert.Equal(0, behaviour.TimeoutRatio);
        Assert.Equal(0, behaviour.MaxPartsPerSecond);
        Assert.Equal("delivered", behaviour.ReceiptStatus);
        Assert.False(behaviour.DrawsReceiptStatus);
        Assert.Equal(0, behaviour.DuplicateReceiptRatio);
        Assert.Equal(0, behaviour.OutOfOrderReceiptRatio);
        Assert.Equal(0, behaviour.EarlyReceiptRatio);
        Assert.Null(behaviour.Seed);
        Assert.Empty(behaviour.Problems());
        Assert.Equal(behaviour, SimulatorBehaviour.From(new SimulatorOptions()));
    }

    [Fact]
    public void Latency_is_log_normal_around_the_median_with_the_configured_99th_percentile()
    {
        var behaviour = new SimulatorBehaviour { LatencyMedian = TimeSpan.FromMilliseconds(100), LatencyP99 = TimeSpan.FromMilliseconds(400) };
        var random = new Random(42);

        var draws = Enumerable.Range(0, 20_000).Select(_ => behaviour.DrawLatency(random).TotalMilliseconds).Order().ToArray();

        Assert.InRange(draws[draws.Length / 2], 92, 108);
        Assert.InRange(draws[(int)(draws.Length * 0.99)], 340, 470);
        Assert.True(draws[0] > 0);
        Assert.True(draws[^1] <= 4000, "above ten times the 99th percentile");
    }

    [Fact]
    public void Latency_without_a_99th_percentile_is_always_the_median_and_without_a_median_none()
    {
        var random = new Random(1);
        var constant = new SimulatorBehaviour { LatencyMedian = TimeSpan.FromMilliseconds(250) };

        Assert.All(Enumerable.Range(0, 10), _ => Assert.Equal(TimeSpan.FromMilliseconds(250), constant.DrawLatency(random)));
        Assert.Equal(TimeSpan.Zero, new SimulatorBehaviour().DrawLatency(random));
    }

    [Fact]
    public void Receipt_status_is_the_fixed_one_until_a_weight_is_set_and_only_weighted_statuses_are_drawn()
    {
        var random = new Random(3);
        var fixedFailed = new SimulatorBehaviour { ReceiptStatus = "failed" };
        var onlyExpiredOrRejected = fixedFailed with { ExpiredWeight = 1, RejectedWeight = 3 };

        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("failed", fixedFailed.DrawReceiptStatus(random)));
        var drawn = Enumerable.Range(0, 2000).Select(_ => onlyExpiredOrRejected.DrawReceiptStatus(random)).ToArray();
        Assert.Equal(["expired", "rejected"], drawn.Distinct().Order());
        Assert.InRange(drawn.Count(s => s == "rejected"), 1350, 1650);
    }

    [Theory]
    [InlineData(nameof(SimulatorBehaviour.ServerErrorRatio))]
    [InlineData(nameof(SimulatorBehaviour.TimeoutRatio))]
    [InlineData(nameof(SimulatorBehaviour.DuplicateReceiptRatio))]
    [InlineData(nameof(SimulatorBehaviour.OutOfOrderReceiptRatio))]
    [InlineData(nameof(SimulatorBehaviour.EarlyReceiptRatio))]
    public void Ratios_outside_0_to_1_are_problems_named_by_property(string property)
    {
        foreach (var value in new[] { -0.01, 1.01, double.NaN })
        {
            var behaviour = property switch
            {
                nameof(SimulatorBehaviour.ServerErrorRatio) => new SimulatorBehaviour { ServerErrorRatio = value },
                nameof(SimulatorBehaviour.TimeoutRatio) => new SimulatorBehaviour { TimeoutRatio = value },
                nameof(SimulatorBehaviour.DuplicateReceiptRatio) => new SimulatorBehaviour { DuplicateReceiptRatio = value },
                nameof(SimulatorBehaviour.OutOfOrderReceiptRatio) => new SimulatorBehaviour { OutOfOrderReceiptRatio = value },
                _ => new SimulatorBehaviour { EarlyReceiptRatio = value },
            };

            Assert.Contains(behaviour.Problems(), p => p.Property == property);
        }
    }

    [Fact]
    public async Task Setting_a_behaviour_with_a_problem_is_refused_and_keeps_the_old_one()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var before = sim.Host.GetBehaviour(CarrierIds.Viettel);

        var refused = Assert.Throws<ArgumentException>(() =>
            sim.Host.SetBehaviour(CarrierIds.Viettel, before with { TimeoutHold = TimeSpan.FromSeconds(-1) }));

        Assert.Contains(nameof(SimulatorBehaviour.TimeoutHold), refused.Message);
        Assert.Equal(before, sim.Host.GetBehaviour(CarrierIds.Viettel));
    }

    [Fact]
    public async Task Carrier_settings_override_the_global_ones_for_that_carrier_only()
    {
        await using var sim = await SimulatorHarness.StartAsync(settings =>
        {
            settings["Loa:Simulators:ServerErrorRatio"] = "0.25";
            settings["Loa:Simulators:TimeoutHold"] = "00:00:10";
            settings["Loa:Simulators:Carriers:gmobile:MaxPartsPerSecond"] = "2";
            settings["Loa:Simulators:Carriers:gmobile:ServerErrorRatio"] = "0";
            settings["Loa:Simulators:Carriers:Vinaphone:ReceiptStatus"] = "expired";
            settings["Loa:Simulators:Carriers:vinaphone:Seed"] = "9";
        });

        var gmobile = sim.Host.GetBehaviour(CarrierIds.Gmobile);
        Assert.Equal(2, gmobile.MaxPartsPerSecond);
        Assert.Equal(0, gmobile.ServerErrorRatio);
        Assert.Equal(TimeSpan.FromSeconds(10), gmobile.TimeoutHold);
        Assert.Equal(TimeSpan.FromMilliseconds(50), gmobile.ReceiptDelay);
        var viettel = sim.Host.GetBehaviour(CarrierIds.Viettel);
        Assert.Equal(0, viettel.MaxPartsPerSecond);
        Assert.Equal(0.25, viettel.ServerErrorRatio);
        Assert.Equal("delivered", viettel.ReceiptStatus);
        var vinaphone = sim.Host.GetBehaviour(CarrierIds.Vinaphone);
        Assert.Equal("expired", vinaphone.ReceiptStatus);
        Assert.Equal(9, vinaphone.Seed);
        Assert.All(CarrierIds.All, id => Assert.Equal(sim.Host.GetConfiguredBehaviour(id), sim.Host.GetBehaviour(id)));

        // The operator's throttling gmobile, seen by Loa's adapter from the first submit.
        var outcome = await (await sim.AdapterAsync(CarrierIds.Gmobile)).SubmitAsync(sim.Batch(CarrierIds.Gmobile, count: 3), CancellationToken.None);
        Assert.IsType<SubmitOutcome.Throttled>(outcome);
        Assert.Equal(1, sim.Host.Stats[CarrierIds.Gmobile].ThrottledSubmits);
    }

    [Theory]
    [InlineData("Loa:Simulators:Carriers:gmobile:TimeoutRatio", "2", "Loa:Simulators:Carriers:gmobile:TimeoutRatio")]
    [InlineData("Loa:Simulators:DuplicateReceiptRatio", "-1", "Loa:Simulators:DuplicateReceiptRatio")]
    [InlineData("Loa:Simulators:Carriers:viettel:ReceiptStatus", "lost", "Loa:Simulators:Carriers:viettel:ReceiptStatus")]
    [InlineData("Loa:Simulators:Carriers:telstra:MaxPartsPerSecond", "10", "Loa:Simulators:Carriers:telstra")]
    public void Bad_behaviour_configuration_stops_the_simulators_naming_the_key(string key, string value, string named)
    {
        var settings = SimulatorHarness.Settings();
        settings[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCarrierSimulators(configuration);
        using var provider = services.BuildServiceProvider();

        var refused = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<CarrierSimulatorHost>());

        var messages = string.Join(" | ", Flatten(refused).Select(e => e.Message));
        Assert.Contains(named, messages);
    }

    [Fact]
    public void Per_carrier_settings_bind_from_configuration_with_unset_fields_left_null()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Loa:Simulators:Carriers:gmobile:MaxPartsPerSecond"] = "200",
            ["Loa:Simulators:Carriers:gmobile:LatencyMedian"] = "00:00:00.150",
        }).Build();
        var services = new ServiceCollection();
        services.AddCarrierSimulators(configuration);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SimulatorOptions>>().Value;

        var gmobile = Assert.IsType<SimulatedCarrierOptions>(options.CarrierSettings("GMOBILE"));
        Assert.Equal(200, gmobile.MaxPartsPerSecond);
        Assert.Equal(TimeSpan.FromMilliseconds(150), gmobile.LatencyMedian);
        Assert.Null(gmobile.ServerErrorRatio);
        Assert.Null(options.CarrierSettings(CarrierIds.Viettel));
        Assert.Equal(TimeSpan.FromMilliseconds(150), SimulatorBehaviour.From(options, CarrierIds.Gmobile).LatencyMedian);
        Assert.Equal(TimeSpan.Zero, SimulatorBehaviour.From(options, CarrierIds.Viettel).LatencyMedian);
    }

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
            yield return e;
    }
}
