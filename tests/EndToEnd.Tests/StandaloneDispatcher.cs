using Loa.Dispatcher;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Loa.EndToEnd.Tests;

/// <summary>A standalone dispatcher in the test process: its own generic host, sharing only the database and the broker with the API host.</summary>
internal static class StandaloneDispatcher
{
    public static async Task<IHost> StartAsync(IDictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(["--environment", "Development"]);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLoaDispatcher(builder.Configuration);
        var dispatcher = builder.Build();
        await DispatcherHost.PrepareAsync(dispatcher.Services);
        await dispatcher.StartAsync();
        return dispatcher;
    }
}
