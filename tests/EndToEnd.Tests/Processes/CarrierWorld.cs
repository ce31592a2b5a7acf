using Loa.CarrierAdapters;
using Loa.CarrierSimulators;
using Loa.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.EndToEnd.Tests.Processes;

/// <summary>
/// The five carriers as dispatcher processes meet them: the simulators run in the test process, on
/// one loopback port, so they outlive every dispatcher a test kills and count everything each one
/// sent. One set of carrier settings (credential, receipt secret, rate, batch size) configures the
/// simulators, the dispatchers (<see cref="DispatcherSettings"/>) and the API host that checks the
/// receipts (<see cref="CarrierSettings"/>), so the three always agree.
/// </summary>
public sealed class CarrierWorld : IAsyncDisposable
{
    private readonly ServiceProvider provider;
    private readonly IReadOnlyDictionary<string, Uri> urls;

    private CarrierWorld(ServiceProvider provider, CarrierSimulatorHost simulators, IReadOnlyDictionary<string, string?> carrierSettings, IReadOnlyDictionary<string, Uri> urls)
    {
        this.provider = provider;
        this.urls = urls;
        Simulators = simulators;
        CarrierSettings = carrierSettings;
    }

    public CarrierSimulatorHost Simulators { get; }

    /// <summary><c>Loa:Carriers:*</c> as the simulators were given them (no URLs).</summary>
    public IReadOnlyDictionary<string, string?> CarrierSettings { get; }

    public long MessagesAccepted => CarrierIds.All.Sum(c => Simulators.Stats[c].MessagesAccepted);

    public long DuplicateMessageIds => CarrierIds.All.Sum(c => Simulators.Stats[c].DuplicateMessageIds);

    public long IdempotentRepeats => CarrierIds.All.Sum(c => Simulators.Stats[c].IdempotentRepeats);

    /// <summary>
    /// Starts the simulators with every carrier at <paramref name="partsPerSecond"/> and the test
    /// credentials of <see cref="LoaTestHost.CarrierSecrets"/>; <paramref name="adjust"/> may change
    /// any <c>Loa:Carriers:*</c> or <c>Loa:Simulators:*</c> setting.
    /// </summary>
    public static async Task<CarrierWorld> StartAsync(int partsPerSecond = 100, Action<Dictionary<string, string?>>? adjust = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Loa:Simulators:Enabled"] = "true",
            ["Loa:Simulators:Port"] = "0",
            ["Loa:Simulators:ReceiptDelay"] = "00:00:00.050",
        };
        foreach (var (key, value) in LoaTestHost.CarrierSecrets())
            settings[key] = value;
        foreach (var id in CarrierIds.All)
        {
            settings[$"Loa:Carriers:{id}:PartsPerSecond"] = partsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"Loa:Carriers:{id}:MaxBatchSize"] = "500";
        }
        adjust?.Invoke(settings);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCarrierSimulators(configuration);
        var provider = services.BuildServiceProvider();
        try
        {
            var simulators = provider.GetRequiredService<CarrierSimulatorHost>();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await simulators.StartAsync(deadline.Token);
            var urls = new Dictionary<string, Uri>();
            foreach (var id in CarrierIds.All)
                urls[id] = await simulators.GetBaseUrlAsync(id, deadline.Token);
            var carrierSettings = settings
                .Where(kv => kv.Key.StartsWith("Loa:Carriers:", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            return new CarrierWorld(provider, simulators, carrierSettings, urls);
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }

    /// <summary>The carriers for a dispatcher: <see cref="CarrierSettings"/> plus each carrier's URL at the simulators.</summary>
    public Dictionary<string, string?> DispatcherSettings()
    {
        var settings = new Dictionary<string, string?>(CarrierSettings);
        foreach (var (id, url) in urls)
            settings[$"Loa:Carriers:{id}:Url"] = url.ToString();
        return settings;
    }

    /// <summary>Per carrier: accepted, duplicates, idempotent repeats; for the test's output.</summary>
    public string Describe() => string.Join(", ", CarrierIds.All.Select(c =>
    {
        var stats = Simulators.Stats[c];
        return $"{c} {stats.MessagesAccepted} accepted/{stats.DuplicateMessageIds} dup/{stats.IdempotentRepeats} repeats";
    }));

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}
