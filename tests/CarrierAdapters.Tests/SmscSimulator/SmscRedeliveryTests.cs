using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.SmscSpecs;

/// <summary>The simulated SMSC keeps a deliver_sm until it is acknowledged, as a real one retries receipts.</summary>
public sealed class SmscRedeliveryTests
{
    [Fact]
    public async Task Receipts_a_dropped_bind_never_acknowledged_are_delivered_again_on_the_accounts_next_bind()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = TimeSpan.Zero });
        var submitted = new List<string>();
        await using (var silent = await RawEsme.BindAsync(smsc, deliverAnswer: null))
        {
            for (var i = 1; i <= 3; i++)
                submitted.Add(Receipts.Id(await silent.SubmitAndAnswerAsync(RawEsme.Submit(Number(i)[1..]))));
            await Eventually(() => smsc.Stats.ReceiptsSent == 3, "three receipts written to the silent bind");
        }
        await Eventually(() => smsc.ReceiptsHeld == 3, "the three unacknowledged receipts held after the drop");

        await using var next = await RawEsme.BindAsync(smsc);
        var again = new List<SmppPdu>();
        for (var i = 0; i < 3; i++)
            again.Add(await next.NextAsync());

        Assert.All(again, pdu => Assert.True(Receipts.IsReceipt(pdu)));
        Assert.Equal(submitted.Order(), again.Select(p => Receipts.Read(p).MessageId).Order());
        await Eventually(() => smsc.Stats.ReceiptsAcknowledged == 3, "the redelivered receipts acknowledged");
        // Counted once each write has returned, which can be after the client read and answered it.
        await Eventually(() => smsc.Stats.ReceiptsRedelivered == 3, "the three redeliveries counted");
        Assert.Equal(3, smsc.Stats.ReceiptsSent); // redeliveries are not new receipts
        Assert.Equal(0, smsc.ReceiptsHeld);
    }

    [Fact]
    public async Task Acknowledged_receipts_are_not_delivered_again()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = TimeSpan.Zero });
        await using (var first = await RawEsme.BindAsync(smsc))
        {
            await first.SubmitAndAnswerAsync(RawEsme.Submit(Number(1)[1..]));
            await Eventually(() => smsc.Stats.ReceiptsAcknowledged == 1, "the receipt acknowledged");
        }

        await using var next = await RawEsme.BindAsync(smsc);
        await next.SubmitAndAnswerAsync(RawEsme.Submit(Number(2)[1..]));
        var receipts = (await next.DrainAsync(TimeSpan.FromMilliseconds(300))).Where(Receipts.IsReceipt).ToList();

        Assert.Single(receipts); // the second message's own
        Assert.Equal(0, smsc.Stats.ReceiptsRedelivered);
    }

    [Fact]
    public async Task A_receipt_due_while_the_account_has_no_bind_waits_for_its_next_bind_however_long()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = TimeSpan.FromMilliseconds(100) });
        string id;
        await using (var first = await RawEsme.BindAsync(smsc))
        {
            id = Receipts.Id(await first.SubmitAndAnswerAsync(RawEsme.Submit(Number(1)[1..])));
            await first.UnbindAsync();
        }
        await Eventually(() => smsc.ReceiptsHeld == 1, "the receipt held with no bind to take it");

        await using var next = await RawEsme.BindAsync(smsc);
        var receipt = await next.NextAsync();

        Assert.Equal(id, Receipts.Read(receipt).MessageId);
        // The simulator counts a receipt once its write (and the ESME's answer) is done, which may be just after
        // the ESME has read it: waited for, not raced.
        await Eventually(() => smsc.Stats.ReceiptsSent == 1, "the receipt counted as sent");
        Assert.Equal(0, smsc.Stats.ReceiptsLost);
    }

    [Fact]
    public async Task A_receipt_answered_with_an_error_is_delivered_again_later()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = TimeSpan.Zero });
        await using var esme = await RawEsme.BindAsync(smsc, deliverAnswer: SmppStatus.TemporaryAppError);

        var id = Receipts.Id(await esme.SubmitAndAnswerAsync(RawEsme.Submit(Number(1)[1..])));
        var first = await esme.NextAsync();
        var second = await esme.NextAsync();

        Assert.Equal(id, Receipts.Read(first).MessageId);
        Assert.Equal(id, Receipts.Read(second).MessageId);
        // The simulator counts a redelivery once its write has returned, which can be after the client read it.
        await Eventually(() => smsc.Stats.ReceiptsRedelivered >= 1, "the redelivery counted");
        Assert.Equal(0, smsc.Stats.ReceiptsAcknowledged);
    }
}
