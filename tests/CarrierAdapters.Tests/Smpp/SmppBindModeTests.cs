using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>Transmitter + receiver binds (<c>Smpp:BindMode = TransmitterReceiver</c>) against the simulated SMSC over loopback TCP.</summary>
public sealed class SmppBindModeTests
{
    private static CarrierOptions Pairs(SmscSimulator smsc, int binds)
    {
        var carrier = Carrier(smsc);
        carrier.Smpp.BindMode = SmppBindMode.TransmitterReceiver;
        carrier.Smpp.Binds = binds;
        return carrier;
    }

    [Fact]
    public async Task Submits_go_over_the_transmitters_and_receipts_come_back_over_the_receivers_and_are_kept()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = TimeSpan.FromMilliseconds(20) });
        var sink = new RecordingReceipts();
        await using var adapter = new SmppAdapter("viettel", Pairs(smsc, binds: 2), sink);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch([.. Enumerable.Range(1, 20).Select(i => ($"{i}", Number(i), i == 7 ? new string('c', 200) : $"Canh bao {i}"))]), CancellationToken.None));

        Assert.All(outcome.Results, r => Assert.True(r.Accepted, r.Error));
        await Eventually(() => sink.Received.Count == 20, "a receipt per message kept");
        Assert.Equal(outcome.Results.Select(r => r.CarrierMessageId).Order(), sink.Received.Select(r => r.Receipt.CarrierMessageId).Order());
        Assert.Equal(2, adapter.Sessions.Count);
        Assert.All(adapter.Sessions, s => Assert.Equal(SmppBindType.Transmitter, s.Bind));
        Assert.Equal(2, adapter.Receivers.Count);
        Assert.All(adapter.Receivers, s => Assert.Equal(SmppBindType.Receiver, s.Bind));
        Assert.Equal(4, smsc.Stats.BindsAccepted);
        // 21 parts, a receipt each; none on a transmitter.
        Assert.Equal(new Dictionary<SmppCommand, long> { [SmppCommand.BindReceiver] = 21 }, smsc.Stats.DeliverSmByBind);
    }

    [Fact]
    public async Task A_dropped_receiver_binds_again_by_itself_and_the_receipts_held_meanwhile_arrive()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = TimeSpan.FromMilliseconds(300) });
        var sink = new RecordingReceipts();
        await using var adapter = new SmppAdapter("mobifone", Pairs(smsc, binds: 1), sink);

        var first = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch([.. Enumerable.Range(1, 10).Select(i => ($"{i}", Number(i), $"Canh bao {i}"))]), CancellationToken.None));
        // Cut before those receipts are due: the SMSC holds them until a receiver of this account binds again.
        Assert.Equal(1, smsc.CutBinds(SmppCommand.BindReceiver));

        await Eventually(() => smsc.Stats.BindsAccepted == 3 && adapter.Receivers.Count == 1, "the receiver bound again with no batch to send");
        await Eventually(() => sink.Received.Count == 10, "the first batch's receipts kept");
        var second = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch([.. Enumerable.Range(11, 10).Select(i => ($"{i}", Number(i), $"Canh bao {i}"))]), CancellationToken.None));
        await Eventually(() => sink.Received.Count == 20, "the second batch's receipts kept");

        Assert.Equal(
            first.Results.Concat(second.Results).Select(r => r.CarrierMessageId).Order(),
            sink.Received.Select(r => r.Receipt.CarrierMessageId).Order());
        Assert.False(smsc.Stats.DeliverSmByBind.ContainsKey(SmppCommand.BindTransmitter));
        Assert.Equal(0, smsc.Stats.ReceiptsLost);
    }

    [Fact]
    public async Task A_receiver_session_submits_nothing_and_the_SMSC_would_refuse_it()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        await using var receiver = await SmppSession.BindAsync(Options(smsc), SmppBindType.Receiver, null, null, null, CancellationToken.None);

        var answer = await await receiver.StartSubmitAsync(new ShortMessageBody { DestinationAddress = "84910000001", ShortMessage = [0x41] }, CancellationToken.None);

        Assert.Equal("a receiver bind does not submit", Assert.IsType<SmppSubmitAnswer.NotSent>(answer).Reason);
        Assert.Equal(0, smsc.Stats.SubmitsReceived);
        Assert.Equal(SmppBindType.Receiver, receiver.Bind);
    }

    [Fact]
    public void An_unknown_bind_mode_is_named()
    {
        Assert.Contains("Loa:Carriers:viettel:Smpp:BindMode is 7; Transceiver or TransmitterReceiver",
            SmppOptions.Problems("viettel", new SmppOptions { Host = "smsc", BindMode = (SmppBindMode)7 }));
    }
}
