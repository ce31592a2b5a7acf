using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Tests;

public sealed class DispatcherOptionsTests
{
    [Fact]
    public void A_configured_retry_schedule_replaces_the_default_even_when_both_hosts_register_the_options()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Loa:Dispatcher:RetrySchedule:0"] = "00:00:00.200",
            ["Loa:Dispatcher:RetrySchedule:1"] = "00:00:02",
        };
        // The API host with the dispatcher in process asks for the options twice, as here.
        var options = Options(settings, registrations: 2);

        Assert.Equal([TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)], options.RetrySchedule);
    }

    [Fact]
    public void Without_a_configured_schedule_the_default_stands()
    {
        var options = Options(new Dictionary<string, string?> { ["Loa:Dispatcher:MaxAttempts"] = "3" }, registrations: 2);

        Assert.Equal(3, options.MaxAttempts);
        Assert.Equal(new DispatcherOptions().RetrySchedule, options.RetrySchedule);
    }

    private static DispatcherOptions Options(Dictionary<string, string?> settings, int registrations)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        for (var i = 0; i < registrations; i++)
            services.AddDispatcherOptions(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<DispatcherOptions>>().Value;
    }
}
