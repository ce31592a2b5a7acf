using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>SMSCs that answer submit_sm in one radix and write receipts in the other (<c>Smpp:ReceiptIds</c>).</summary>
public sealed class SmppReceiptIdTests
{
    private static readonly string Long = string.Concat(Enumerable.Repeat("Canh bao lua dao qua dien thoai. ", 8));

    [Theory]
    [InlineData(SmppReceiptIds.HexSubmittedDecimalReceipt, SmscReceiptForm.Text)]
    [InlineData(SmppReceiptIds.HexSubmittedDecimalReceipt, SmscReceiptForm.Both)]
    [InlineData(SmppReceiptIds.DecimalSubmittedHexReceipt, SmscReceiptForm.Text)]
    [InlineData(SmppReceiptIds.DecimalSubmittedHexReceipt, SmscReceiptForm.Tlv)]
    public async Task Receipts_in_the_other_radix_are_kept_under_the_id_submit_sm_resp_gave_single_and_multi_part(SmppReceiptIds ids, SmscReceiptForm form)
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour
        {
            ReceiptIds = ids,
            ReceiptForm = form,
            ReceiptDelay = TimeSpan.FromMilliseconds(20),
        });
        var carrier = Carrier(smsc);
        carrier.Smpp.ReceiptIds = ids;
        var sink = new RecordingReceipts();
        await using var adapter = new SmppAdapter("vinaphone", carrier, sink);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch([.. Enumerable.Range(1, 12).Select(i => ($"{i}", Number(i), i % 3 == 0 ? Long : $"Canh bao {i}"))]), CancellationToken.None));

        Assert.All(outcome.Results, r => Assert.True(r.Accepted, r.Error));
        await Eventually(() => sink.Received.Count == 12, "one receipt per message, the parts' merged");
        Assert.Equal(outcome.Results.Select(r => r.CarrierMessageId).Order(), sink.Received.Select(r => r.Receipt.CarrierMessageId).Order());
        Assert.All(sink.Received, r => Assert.Equal("delivered", r.Receipt.Status));
        Assert.Equal(smsc.Stats.Messages.Select(m => m.MessageIds[0]).Order(), outcome.Results.Select(r => r.CarrierMessageId).Order());
        await Eventually(() => smsc.Stats.ReceiptsAcknowledged == smsc.Stats.SubmitsAccepted, "every part's receipt acknowledged");
        Assert.Equal(16, smsc.Stats.SubmitsAccepted);
    }

    [Fact]
    public async Task Without_the_setting_a_single_part_receipt_in_the_other_radix_does_not_carry_the_submitted_id()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour
        {
            ReceiptIds = SmppReceiptIds.DecimalSubmittedHexReceipt,
            ReceiptForm = SmscReceiptForm.Text,
            ReceiptDelay = TimeSpan.FromMilliseconds(20),
        });
        var sink = new RecordingReceipts();
        await using var adapter = new SmppAdapter("vinaphone", Carrier(smsc), sink);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(Batch(("1", Number(1), "Canh bao")), CancellationToken.None));

        await Eventually(() => sink.Received.Count == 1, "the receipt kept");
        var submitted = Assert.Single(outcome.Results).CarrierMessageId!;
        var receipted = Assert.Single(sink.Received).Receipt.CarrierMessageId;
        Assert.NotEqual(submitted, receipted); // it would park unmatched in the ledger: why the setting exists
        Assert.True(SmppMessageId.Matches(submitted, receipted));
    }

    [Fact]
    public void The_submitted_forms_case_and_zero_padding_are_learnt_from_the_answers()
    {
        var hex = new SmppReceiptIdForm(SmppReceiptIds.HexSubmittedDecimalReceipt);
        Assert.Equal("1A2B", hex.ToSubmitted("6699"));
        hex.Submitted("00001a2c");
        Assert.Equal("00001a2b", hex.ToSubmitted("6699"));
        Assert.Equal("not-a-number", hex.ToSubmitted("not-a-number"));

        var dec = new SmppReceiptIdForm(SmppReceiptIds.DecimalSubmittedHexReceipt);
        Assert.Equal("6699", dec.ToSubmitted("1a2b"));
        dec.Submitted("0000006700");
        Assert.Equal("0000006699", dec.ToSubmitted("1A2B"));
        Assert.Equal("xyz", dec.ToSubmitted("xyz"));

        var same = new SmppReceiptIdForm(SmppReceiptIds.AsSubmitted);
        Assert.False(same.Learns);
        Assert.Equal("6699", same.ToSubmitted("6699"));
    }
}
