using Loa.CarrierAdapters.HttpBatch;
using Loa.CarrierSimulators;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters.Tests.Simulators;

/// <summary>
/// The real simulator host, wired the way the app wires it (configuration + AddCarrierSimulators),
/// started on a free loopback port, with a receipt receiver standing in for Loa's webhook.
/// </summary>
internal sealed class SimulatorHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly IReadOnlyList<IHostedService> _hosted;
    private int _batchNumber;

    private SimulatorHarness(ServiceProvider provider, IReadOnlyList<IHostedService> hosted, ReceiptReceiver receiver)
    {
        _provider = provider;
        _hosted = hosted;
        Receiver = receiver;
        Host = provider.GetRequiredService<CarrierSimulatorHost>();
    }

    public CarrierSimulatorHost Host { get; }

    public ReceiptReceiver Receiver { get; }

    public HttpClient Http { get; } = new();

    public static string Credential(string carrierId) => $"cred-{carrierId}";

    public static string Secret(string carrierId) => $"secret-{carrierId}";

    public static Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Loa:Simulators:Enabled"] = "true",
            ["Loa:Simulators:Port"] = "0",
            ["Loa:Simulators:ReceiptDelay"] = "00:00:00.050",
            ["Loa:Simulators:ReceiptRetryDelay"] = "00:00:00.050",
        };
        foreach (var id in CarrierIds.All)
        {
            settings[$"Loa:Carriers:{id}:Credential"] = Credential(id);
            settings[$"Loa:Carriers:{id}:ReceiptSecret"] = Secret(id);
            settings[$"Loa:Carriers:{id}:MaxBatchSize"] = "100";
        }
        return settings;
    }

    public static async Task<SimulatorHarness> StartAsync(Action<Dictionary<string, string?>>? adjust = null)
    {
        var settings = Settings();
        adjust?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCarrierSimulators(configuration);

        var receiver = await ReceiptReceiver.StartAsync(Secret);
        var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        foreach (var service in hosted)
            await service.StartAsync(deadline.Token);
        return new SimulatorHarness(provider, hosted, receiver);
    }

    public CarrierOptions CarrierOptions(string carrierId) =>
        _provider.GetRequiredService<IOptionsMonitor<CarrierOptions>>().Get(carrierId);

    public async Task<HttpBatchAdapter> AdapterAsync(string carrierId, string? credential = null, TimeSpan? timeout = null)
    {
        var configured = CarrierOptions(carrierId);
        var options = new CarrierOptions
        {
            Credential = credential ?? configured.Credential,
            ReceiptSecret = configured.ReceiptSecret,
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
        };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return new HttpBatchAdapter(carrierId, options, Http, await Host.GetBaseUrlAsync(carrierId, deadline.Token));
    }

    /// <summary>A batch of <paramref name="count"/> messages with fresh ids, unless ids are given.</summary>
    public CarrierBatch Batch(
        string carrierId, int count = 3, string? batchId = null, IReadOnlyList<string>? messageIds = null, int parts = 1)
    {
        var number = Interlocked.Increment(ref _batchNumber);
        var ids = messageIds ?? Enumerable.Range(1, count).Select(i => $"b{number}-m{i}").ToArray();
        var messages = ids
            .Select((id, i) => new OutgoingMessage(id, $"+849{i:D8}", "Canh bao: khong cung cap ma OTP cho bat ky ai", SmsEncoding.Gsm7, parts))
            .ToArray();
        return new CarrierBatch(batchId ?? $"batch-{number}", "CUCATTT", messages, Receiver.ReceiptUrl(carrierId));
    }

    /// <summary>Changes one carrier's current behaviour, the way a test swaps faults in mid-run.</summary>
    public void Behave(string carrierId, Func<SimulatorBehaviour, SimulatorBehaviour> change) =>
        Host.SetBehaviour(carrierId, change(Host.GetBehaviour(carrierId)));

    /// <summary>An admin path (<c>/admin/...</c>) on the simulators' port.</summary>
    public async Task<Uri> AdminUrlAsync(string path)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return new Uri(await Host.GetBaseUrlAsync(CarrierIds.Viettel, deadline.Token), path);
    }

    public async Task StopAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        foreach (var service in _hosted.Reverse())
            await service.StopAsync(deadline.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _provider.DisposeAsync();
        await Receiver.DisposeAsync();
        Http.Dispose();
    }
}
