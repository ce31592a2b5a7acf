using Loa.CarrierAdapters.Push;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters.Tests.Push;

public sealed class PushSetupTests
{
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLoaPush(configuration);
        services.AddLoaPush(configuration);
        return services.BuildServiceProvider();
    }

    private static string Problem(Dictionary<string, string?> settings, string app = "loa")
    {
        using var provider = Services(settings);
        var monitor = provider.GetRequiredService<IOptionsMonitor<PushAppOptions>>();
        var ex = Assert.ThrowsAny<Exception>(() => monitor.Get(app));
        Assert.True(ex is OptionsValidationException or InvalidOperationException, ex.ToString());
        return ex.Message;
    }

    [Fact]
    public async Task An_app_on_the_simulators_gets_one_FCM_adapter_named_push_app()
    {
        await using var push = await PushHarness.StartAsync();
        using var provider = Services(new(push.Endpoints.Settings("loa", PushProvider.Fcm)));
        var factory = provider.GetRequiredService<PushAdapterFactory>();

        var adapter = await factory.CreateAsync("loa", CancellationToken.None);

        Assert.IsType<FcmAdapter>(adapter);
        Assert.Equal("push-loa", adapter.CarrierId);
        Assert.Same(adapter, await factory.CreateAsync("loa", CancellationToken.None));
        var options = provider.GetRequiredService<IOptionsMonitor<PushAppOptions>>().Get("loa");
        Assert.Equal(10_000, options.EffectiveRatePerSecond);
        var token = push.FcmToken();
        Assert.IsType<SubmitOutcome.Completed>(await PushHarness.SubmitAsync(adapter, push.Batch([token])));
    }

    [Fact]
    public async Task An_app_on_APNs_gets_an_APNs_adapter_with_Apples_default_rate()
    {
        await using var push = await PushHarness.StartAsync();
        using var provider = Services(new(push.Endpoints.Settings("bank", PushProvider.Apns)));

        var adapter = await provider.GetRequiredService<PushAdapterFactory>().CreateAsync("bank", CancellationToken.None);

        Assert.IsType<ApnsAdapter>(adapter);
        Assert.Equal("push-bank", adapter.CarrierId);
        Assert.Equal(PushAppOptions.ApnsDefaultRatePerSecond,
            provider.GetRequiredService<IOptionsMonitor<PushAppOptions>>().Get("bank").EffectiveRatePerSecond);
    }

    [Fact]
    public void An_unknown_provider_names_the_setting()
    {
        var message = Problem(new() { ["Loa:Push:Apps:loa:Provider"] = "Hms" });
        Assert.Contains("Loa:Push:Apps:loa:Provider", message);
    }

    [Fact]
    public void FCM_without_project_or_service_account_names_both_settings()
    {
        var message = Problem(new() { ["Loa:Push:Apps:loa:Provider"] = "Fcm" });
        Assert.Contains("Loa:Push:Apps:loa:ProjectId", message);
        Assert.Contains("Loa:Push:Apps:loa:ServiceAccountFile", message);
    }

    [Fact]
    public void APNs_without_its_credential_settings_names_each()
    {
        var message = Problem(new() { ["Loa:Push:Apps:loa:Provider"] = "Apns" });
        foreach (var setting in new[] { "TeamId", "KeyId", "KeyFile", "BundleId" })
            Assert.Contains($"Loa:Push:Apps:loa:{setting}", message);
    }

    [Fact]
    public void Unreadable_key_files_name_the_setting()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"loa-missing-{Guid.NewGuid():N}");
        var garbage = Path.GetTempFileName();
        File.WriteAllText(garbage, "not a key");
        try
        {
            var fcm = Problem(new()
            {
                ["Loa:Push:Apps:loa:Provider"] = "Fcm",
                ["Loa:Push:Apps:loa:ProjectId"] = "p",
                ["Loa:Push:Apps:loa:ServiceAccountFile"] = missing + ".json",
            });
            Assert.Contains("Loa:Push:Apps:loa:ServiceAccountFile", fcm);
            var apns = Problem(new()
            {
                ["Loa:Push:Apps:loa:Provider"] = "Apns",
                ["Loa:Push:Apps:loa:TeamId"] = "T",
                ["Loa:Push:Apps:loa:KeyId"] = "K",
                ["Loa:Push:Apps:loa:KeyFile"] = garbage,
                ["Loa:Push:Apps:loa:BundleId"] = "vn.gov.loa",
            });
            Assert.Contains("Loa:Push:Apps:loa:KeyFile", apns);
        }
        finally
        {
            File.Delete(garbage);
        }
    }

    [Fact]
    public async Task Topics_on_APNs_are_refused()
    {
        await using var push = await PushHarness.StartAsync();
        var settings = new Dictionary<string, string?>(push.Endpoints.Settings("loa", PushProvider.Apns))
        {
            ["Loa:Push:Apps:loa:UseTopics"] = "true",
        };
        Assert.Contains("Loa:Push:Apps:loa:UseTopics", Problem(settings));
    }

    [Fact]
    public async Task Topics_for_an_app_whose_name_would_not_fit_a_topic_sends_recipient_are_refused()
    {
        await using var push = await PushHarness.StartAsync();
        var settings = new Dictionary<string, string?>(push.Endpoints.Settings("vietcombank", PushProvider.Fcm))
        {
            ["Loa:Push:Apps:vietcombank:UseTopics"] = "true",
        };
        Assert.Contains("Loa:Push:Apps:vietcombank:UseTopics", Problem(settings, "vietcombank"));
    }
}
