using Loa.CarrierAdapters.HttpBatch;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters.Tests;

/// <summary>How every host reads its carriers: the defaults, the configured overrides, and the adapter names it accepts.</summary>
public sealed class CarrierSetupTests
{
    private static IHost Host(Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddCarrierAdapters(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return builder.Build();
    }

    [Fact]
    public async Task A_carrier_naming_an_adapter_Loa_does_not_have_stops_the_host_at_start_naming_the_setting()
    {
        using var host = Host(new Dictionary<string, string?> { ["Loa:Carriers:mobifone:Adapter"] = "Smtp" });

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Loa:Carriers:mobifone:Adapter is 'Smtp'", refused.Message, StringComparison.Ordinal);
        Assert.Contains(HttpBatchProtocol.AdapterName, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_carrier_on_SMPP_with_settings_no_bind_could_use_stops_the_host_at_start_naming_each_setting()
    {
        using var host = Host(new Dictionary<string, string?>
        {
            ["Loa:Carriers:vinaphone:Adapter"] = "Smpp",
            ["Loa:Carriers:vinaphone:Smpp:Binds"] = "0",
            ["Loa:Carriers:vinaphone:Smpp:Errors:ESME_RSYSERR"] = "Sometimes",
            // Not on SMPP: its SMPP settings are not read.
            ["Loa:Carriers:mobifone:Smpp:Binds"] = "0",
        });

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Loa:Carriers:vinaphone:Smpp:Binds", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Loa:Carriers:vinaphone:Smpp:Errors", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("mobifone", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adapter_names_are_read_ignoring_case_and_every_carrier_starts_on_HttpBatch()
    {
        using var host = Host(new Dictionary<string, string?> { ["Loa:Carriers:viettel:Adapter"] = "httpbatch" });

        await host.StartAsync();
        await host.StopAsync();

        var factory = host.Services.GetRequiredService<CarrierAdapterFactory>();
        Assert.Equal([HttpBatchProtocol.AdapterName, Loa.CarrierAdapters.Smpp.SmppProtocol.AdapterName], factory.Names);
        var carriers = host.Services.GetRequiredService<IOptionsMonitor<CarrierOptions>>();
        Assert.All(CarrierIds.All, id => Assert.Equal(HttpBatchProtocol.AdapterName, carriers.Get(id).Adapter, ignoreCase: true));
    }

    [Fact]
    public void Without_configuration_each_carrier_has_its_contracted_defaults_and_configuration_overrides_them()
    {
        using var host = Host(new Dictionary<string, string?> { ["Loa:Carriers:gmobile:PartsPerSecond"] = "150" });
        var carriers = host.Services.GetRequiredService<IOptionsMonitor<CarrierOptions>>();

        Assert.Equal(
            ["viettel 1000/500 CUCATTT", "vinaphone 1000/500 CUCATTT", "mobifone 1000/500 CUCATTT", "vietnamobile 500/500 CUCATTT", "gmobile 150/200 CUCATTT"],
            CarrierIds.All.Select(id => carriers.Get(id)).Zip(CarrierIds.All, (c, id) => $"{id} {c.PartsPerSecond}/{c.MaxBatchSize} {c.Sender}"));
    }

    [Fact]
    public async Task An_HttpBatch_carrier_without_a_Url_and_without_simulators_is_refused_when_its_lane_is_built()
    {
        using var host = Host([]);
        var factory = host.Services.GetRequiredService<CarrierAdapterFactory>();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => factory.CreateAsync(CarrierIds.Viettel, CancellationToken.None));

        Assert.Contains("Loa:Carriers:viettel:Url", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_HttpBatch_carrier_with_a_Url_gets_an_HttpBatch_adapter()
    {
        using var host = Host(new Dictionary<string, string?> { ["Loa:Carriers:viettel:Url"] = "https://sms.viettel.example/api" });

        var adapter = await host.Services.GetRequiredService<CarrierAdapterFactory>().CreateAsync(CarrierIds.Viettel, CancellationToken.None);

        Assert.IsType<HttpBatchAdapter>(adapter);
        Assert.Equal(CarrierIds.Viettel, adapter.CarrierId);
    }
}
