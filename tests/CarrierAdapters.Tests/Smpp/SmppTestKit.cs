using System.Collections.Concurrent;
using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>Small builders for the SMPP specs: options aimed at a simulator, and a bounded wait.</summary>
internal static class SmppTestKit
{
    public static SmppOptions Options(SmscSimulator smsc, int window = 10, string password = "secret") => new()
    {
        Host = smsc.Host,
        Port = smsc.Port,
        SystemId = "loa",
        Password = password,
        Window = window,
        EnquireLinkSeconds = 30,
        ResponseSeconds = 5,
        ConnectSeconds = 5,
        // Backoff is specified on its own; here a refused bind is tried again at once.
        ReconnectSeconds = 0.02,
        ReconnectMaxSeconds = 0.05,
    };

    public static CarrierOptions Carrier(SmscSimulator smsc, int window = 10, string password = "secret", bool pack = false)
    {
        var smpp = Options(smsc, window, password);
        smpp.PackGsm7 = pack;
        return new CarrierOptions { Adapter = SmppProtocol.AdapterName, Timeout = TimeSpan.FromSeconds(10), Smpp = smpp };
    }

    /// <summary>Polls until the condition holds or the time is up (then fails, saying what it waited for).</summary>
    public static async Task Eventually(Func<bool> condition, string what, int seconds = 10)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
                Assert.Fail($"Not within {seconds} s: {what}");
            await Task.Delay(20);
        }
    }

    public static CarrierBatch Batch(params (string Id, string To, string Text)[] messages) =>
        new("batch-1", "CUCATTT",
            messages.Select(m => new OutgoingMessage(m.Id, m.To, m.Text, Loa.CarrierAdapters.Encoding.SmsText.Measure(m.Text).Encoding, Loa.CarrierAdapters.Encoding.SmsText.Measure(m.Text).Parts)).ToList(),
            new Uri("http://127.0.0.1/unused"));

    public static string Number(int i) => $"+8491{i:D7}";
}

/// <summary>Keeps every receipt it is given, as the storage seam would.</summary>
internal sealed class RecordingReceipts : ICarrierReceiptSink
{
    public ConcurrentQueue<(string Carrier, CarrierReceipt Receipt)> Received { get; } = new();

    public Task AcceptAsync(string carrierId, IReadOnlyList<CarrierReceipt> receipts, CancellationToken cancellationToken)
    {
        foreach (var receipt in receipts)
            Received.Enqueue((carrierId, receipt));
        return Task.CompletedTask;
    }
}
