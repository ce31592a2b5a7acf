using Loa.CarrierAdapters;
using Loa.Dispatcher;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.Processes;

/// <summary>
/// A standalone dispatcher deployed with nothing but its connection settings sends as the API host
/// does: one set of defaults (the options classes and appsettings.Loa.json) serves both hosts. It
/// once ran at 100 parts/s with sender "LOA" while the API host had the documented defaults.
/// </summary>
public sealed class DispatcherDefaultsSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_standalone_dispatcher_with_no_settings_reports_the_same_carrier_rates_senders_and_retries_as_the_API_host()
    {
        await using var loa = await LoaTestHost.StartAsync();
        var api = SettingsReport.Describe(
            loa.Services.GetRequiredService<IOptionsMonitor<CarrierOptions>>(), loa.Services.GetRequiredService<IOptions<DispatcherOptions>>().Value);
        // The documented defaults (README's configuration table), not merely two equal mistakes.
        Assert.Contains(api, l => l.Contains("carrier viettel: adapter HttpBatch, 1000 parts/s over 1 lane(s), batches of at most 500, sender CUCATTT", StringComparison.Ordinal));
        Assert.Contains(api, l => l.Contains("carrier gmobile: adapter HttpBatch, 200 parts/s over 1 lane(s), batches of at most 200, sender CUCATTT", StringComparison.Ordinal));
        Assert.Contains(api, l => l.Contains("retries after 00:00:01, 00:00:05, 00:00:15, 00:01:00, 00:05:00, at most 8 attempts", StringComparison.Ordinal));

        var directory = Path.Combine(Path.GetTempPath(), "loa-defaults-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory);
        try
        {
            // Only what a standalone dispatcher cannot start without: where the database is, and where carriers post receipts.
            await using var dispatcher = DispatcherProcess.Start("dispatcher-defaults", new Dictionary<string, string?>
            {
                ["ConnectionStrings:Loa"] = $"Data Source={Path.Combine(directory, "loa.db")}",
                ["Loa:Dispatcher:PublicUrl"] = "http://127.0.0.1:9",
            }, directory, output);
            await dispatcher.WaitForOutputAsync(SettingsReport.Prefix + "retries", StartupTimeout);

            var reported = dispatcher.Output.Split('\n')
                .Select(l => l.IndexOf(SettingsReport.Prefix, StringComparison.Ordinal) is var at and >= 0 ? l[at..].TrimEnd() : null)
                .OfType<string>()
                .ToList();
            Assert.Equal(api, reported);
            await dispatcher.StopAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
