using Loa.CarrierSimulators;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters.Tests.Simulators;

public sealed class SimulatorRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection, IConfiguration>? before = null, int calls = 1)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        before?.Invoke(services, configuration);
        for (var i = 0; i < calls; i++)
            services.AddCarrierSimulators(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Enabled_simulators_are_one_instance_resolvable_as_itself_and_as_the_hosted_service()
    {
        await using var provider = Build(SimulatorHarness.Settings());

        var carriers = provider.GetRequiredService<CarrierSimulatorHost>();
        var push = provider.GetRequiredService<Loa.CarrierSimulators.Push.PushSimulatorHost>();

        // The carriers' simulator and the push simulator (FCM and APNs), each started once as itself.
        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Equal(2, hosted.Count);
        Assert.Same(carriers, Assert.Single(hosted.OfType<CarrierSimulatorHost>()));
        Assert.Same(push, Assert.Single(hosted.OfType<Loa.CarrierSimulators.Push.PushSimulatorHost>()));
    }

    [Fact]
    public async Task Adding_the_simulators_twice_registers_them_once()
    {
        await using var provider = Build(SimulatorHarness.Settings(), calls: 2);

        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Single(hosted.OfType<CarrierSimulatorHost>());
        Assert.Single(hosted.OfType<Loa.CarrierSimulators.Push.PushSimulatorHost>());
        Assert.Equal(2, hosted.Count);
        Assert.Equal("cred-viettel", provider.GetRequiredService<IOptionsMonitor<CarrierOptions>>().Get(CarrierIds.Viettel).Credential);
    }

    [Fact]
    public async Task Disabled_simulators_register_no_host_but_still_bind_their_options()
    {
        var settings = SimulatorHarness.Settings();
        settings["Loa:Simulators:Enabled"] = "false";
        settings["Loa:Simulators:Port"] = "5099";
        await using var provider = Build(settings);

        Assert.Null(provider.GetService<CarrierSimulatorHost>());
        Assert.Empty(provider.GetServices<IHostedService>());
        Assert.Equal(5099, provider.GetRequiredService<IOptions<SimulatorOptions>>().Value.Port);
    }

    [Fact]
    public async Task Carrier_options_the_app_already_configured_are_not_bound_a_second_time()
    {
        await using var provider = Build(SimulatorHarness.Settings(), before: (services, configuration) =>
        {
            foreach (var id in CarrierIds.All)
                services.Configure<CarrierOptions>(id, configuration.GetSection($"Loa:Carriers:{id}"));
        });

        var configures = provider.GetServices<IConfigureOptions<CarrierOptions>>()
            .OfType<ConfigureNamedOptions<CarrierOptions>>()
            .Count(c => c.Name == CarrierIds.Viettel);
        Assert.Equal(1, configures);
        Assert.Equal("secret-viettel", provider.GetRequiredService<IOptionsMonitor<CarrierOptions>>().Get(CarrierIds.Viettel).ReceiptSecret);
    }

    [Fact]
    public void Defaults_accept_and_deliver_every_message()
    {
        var options = new SimulatorOptions();
        var behaviour = SimulatorBehaviour.From(options);

        Assert.Equal(0, options.Port);
        Assert.Equal(TimeSpan.FromMilliseconds(200), behaviour.ReceiptDelay);
        Assert.Equal("delivered", behaviour.ReceiptStatus);
    }
}
