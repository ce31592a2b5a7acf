using Loa.CarrierAdapters.Smpp;
using Loa.CarrierAdapters.Tests.Simulators;
using Loa.CarrierSimulators.Smsc;
using Microsoft.Extensions.DependencyInjection;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>Binds over TLS to the simulated SMSC's self-signed certificate, on loopback TCP.</summary>
public sealed class SmppTlsTests
{
    [Fact]
    public async Task A_bind_over_TLS_trusting_the_SMSCs_own_certificate_submits_and_gets_its_receipts()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { Tls = true, ReceiptDelay = TimeSpan.FromMilliseconds(20) });
        var carrier = Carrier(smsc);
        carrier.Smpp.Tls = true;
        carrier.Smpp.TlsCaFile = smsc.Certificate.File;
        var sink = new RecordingReceipts();
        await using var adapter = new SmppAdapter("viettel", carrier, sink);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch(("1", Number(1), "Canh bao lua dao"), ("2", Number(2), new string('b', 300))), CancellationToken.None));

        Assert.All(outcome.Results, r => Assert.True(r.Accepted, r.Error));
        await Eventually(() => sink.Received.Count == 2 && smsc.Stats.ReceiptsAcknowledged == 3, "a receipt per message kept, every part's acknowledged");
        Assert.Equal(outcome.Results.Select(r => r.CarrierMessageId).Order(), sink.Received.Select(r => r.Receipt.CarrierMessageId).Order());
        Assert.Equal(new string('b', 300), smsc.Stats.Messages.Single(m => m.Parts == 2).Text);
        Assert.Equal(0, smsc.Stats.TlsHandshakesFailed);
        Assert.Equal(1, smsc.Stats.BindsAccepted);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_certificate_fails_to_bind_saying_why_and_waits_out_the_backoff()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { Tls = true, ReceiptDelay = null });
        var carrier = Carrier(smsc);
        carrier.Timeout = TimeSpan.FromSeconds(1);
        carrier.Smpp.Tls = true; // the system's store, which does not hold a self-signed certificate
        carrier.Smpp.ReconnectSeconds = 30;
        carrier.Smpp.ReconnectMaxSeconds = 60;
        await using var adapter = new SmppAdapter("viettel", carrier);

        var first = Assert.IsType<SubmitOutcome.Transient>(await adapter.SubmitAsync(Batch(("1", Number(1), "x")), CancellationToken.None));
        var second = Assert.IsType<SubmitOutcome.Transient>(await adapter.SubmitAsync(Batch(("2", Number(2), "x")), CancellationToken.None));

        Assert.Contains("TLS handshake", first.Reason, StringComparison.Ordinal);
        Assert.Contains("not trusted", first.Reason, StringComparison.Ordinal);
        Assert.Contains("Smpp:TlsCaFile", first.Reason, StringComparison.Ordinal);
        Assert.Contains("next bind attempt in", second.Reason, StringComparison.Ordinal);
        Assert.Equal(1, smsc.Stats.ConnectionsAccepted); // the second batch did not connect again within the pause
        Assert.Equal(0, smsc.Stats.BindsAccepted);
        Assert.Equal(0, smsc.Stats.SubmitsReceived);
    }

    [Fact]
    public async Task A_trusted_certificate_for_another_name_is_refused_naming_the_setting()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { Tls = true, ReceiptDelay = null });
        var carrier = Carrier(smsc);
        carrier.Smpp.Tls = true;
        carrier.Smpp.TlsCaFile = smsc.Certificate.File;
        carrier.Smpp.TlsTargetHost = "smsc.viettel.example";
        await using var adapter = new SmppAdapter("viettel", carrier);

        var refused = Assert.IsType<SubmitOutcome.Transient>(await adapter.SubmitAsync(Batch(("1", Number(1), "x")), CancellationToken.None));

        Assert.Contains("not for 'smsc.viettel.example'", refused.Reason, StringComparison.Ordinal);
        Assert.Contains("Smpp:TlsTargetHost", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(0, smsc.Stats.BindsAccepted);
    }

    [Fact]
    public async Task A_plain_client_on_a_TLS_SMSC_gets_no_bind()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { Tls = true, ReceiptDelay = null });
        var carrier = Carrier(smsc);
        carrier.Timeout = TimeSpan.FromSeconds(2);
        carrier.Smpp.ResponseSeconds = 1;
        await using var adapter = new SmppAdapter("viettel", carrier);

        Assert.IsType<SubmitOutcome.Transient>(await adapter.SubmitAsync(Batch(("1", Number(1), "x")), CancellationToken.None));

        await Eventually(() => smsc.Stats.TlsHandshakesFailed >= 1, "the SMSC saw a handshake fail");
        Assert.Equal(0, smsc.Stats.BindsAccepted);
        Assert.Equal(0, smsc.Stats.SubmitsReceived);
    }

    [Fact]
    public void A_CA_file_that_is_missing_or_holds_no_certificate_is_named_and_only_when_TLS_is_on()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"loa-missing-{Guid.NewGuid():N}.pem");
        var empty = Path.GetTempFileName();
        try
        {
            File.WriteAllText(empty, "not a certificate");

            Assert.Contains("Loa:Carriers:viettel:Smpp:TlsCaFile names a file that does not exist",
                SmppOptions.Problems("viettel", new SmppOptions { Host = "smsc", Tls = true, TlsCaFile = missing }));
            Assert.Contains("Loa:Carriers:viettel:Smpp:TlsCaFile holds no PEM certificate",
                SmppOptions.Problems("viettel", new SmppOptions { Host = "smsc", Tls = true, TlsCaFile = empty }));
            Assert.Empty(SmppOptions.Problems("viettel", new SmppOptions { Host = "smsc", Tls = false, TlsCaFile = missing }));
            Assert.Empty(SmppOptions.Problems("viettel", new SmppOptions { Host = "smsc", Tls = true }));
        }
        finally
        {
            File.Delete(empty);
        }
    }

    [Fact]
    public async Task The_embedded_default_binds_over_TLS_to_a_simulated_SMSC_that_serves_it()
    {
        await using var sim = await SimulatorHarness.StartAsync(s => s[$"Loa:Simulators:Carriers:{CarrierIds.Mobifone}:Smsc:Tls"] = "true");
        var smsc = sim.Host.Smsc(CarrierIds.Mobifone);
        await using var services = new ServiceCollection().AddSingleton<ISimulatedCarriers>(sim.Host).BuildServiceProvider();

        var adapter = (SmppAdapter)await new SmppProtocol(services).CreateAsync(
            CarrierIds.Mobifone, new CarrierOptions { Adapter = SmppProtocol.AdapterName }, CancellationToken.None);
        await using (adapter)
        {
            var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(Batch(("1", Number(1), "Canh bao")), CancellationToken.None));

            Assert.True(Assert.Single(outcome.Results).Accepted);
        }
        Assert.True(smsc.Behaviour.Tls);
        Assert.Equal(1, smsc.Stats.BindsAccepted);
        Assert.Equal(0, smsc.Stats.TlsHandshakesFailed);
        Assert.Contains("BEGIN CERTIFICATE", await File.ReadAllTextAsync(smsc.Certificate.File));
    }
}
