using System.Diagnostics;
using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.SmscSpecs;

/// <summary>The SMSC's receipt knobs, read off the wire by a bare ESME.</summary>
public sealed class SmscReceiptTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private static readonly string LongText = string.Concat(Enumerable.Repeat("Canh bao lua dao qua dien thoai. ", 12));

    [Fact]
    public async Task Receipt_states_follow_their_weights_and_a_zero_weight_never_appears()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour
        {
            DeliveredWeight = 1, UndeliverableWeight = 1, RejectedWeight = 2, ReceiptDelay = TimeSpan.Zero,
        });
        await using var esme = await RawEsme.BindAsync(smsc);

        for (var i = 0; i < 200; i++)
            await esme.SubmitAsync(RawEsme.Submit(Number(i)[1..]));
        await Eventually(() => smsc.Stats.ReceiptsAcknowledged == 200 && smsc.Stats.ReceiptsSent == 200, "200 receipts sent and acknowledged");
        var states = (await esme.DrainAsync(Quiet)).Where(Receipts.IsReceipt).Select(p => Receipts.Read(p).State).ToList();

        Assert.Equal(200, states.Count);
        Assert.DoesNotContain(SmppMessageState.Expired, states);
        Assert.InRange(states.Count(s => s == SmppMessageState.Rejected), 75, 125);
        Assert.InRange(states.Count(s => s == SmppMessageState.Delivered), 25, 75);
        foreach (var group in states.GroupBy(s => s))
            Assert.Equal(group.Count(), smsc.Stats.ReceiptsByState[group.Key]);
    }

    [Fact]
    public async Task Missing_receipts_are_never_sent_and_counted_withheld()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { MissingReceiptRatio = 0.5, ReceiptDelay = TimeSpan.Zero });
        await using var esme = await RawEsme.BindAsync(smsc);

        for (var i = 0; i < 100; i++)
            await esme.SubmitAsync(RawEsme.Submit(Number(i)[1..]));
        await Eventually(() => smsc.Stats.SubmitsAccepted == 100, "100 submits answered");
        var receipts = (await esme.DrainAsync(Quiet)).Count(Receipts.IsReceipt);

        Assert.InRange(receipts, 30, 70);
        Assert.Equal(100, receipts + smsc.Stats.ReceiptsWithheld);
        Assert.Equal(receipts, smsc.Stats.ReceiptsSent);
    }

    [Fact]
    public async Task Duplicate_receipts_come_twice_with_the_same_id_and_state()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour
        {
            DuplicateReceiptRatio = 1, DuplicateReceiptDelay = TimeSpan.FromMilliseconds(50), ReceiptState = SmppMessageState.Expired, ReceiptDelay = TimeSpan.Zero,
        });
        await using var esme = await RawEsme.BindAsync(smsc);

        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
            ids.Add(Receipts.Id(await esme.SubmitAndAnswerAsync(RawEsme.Submit(Number(i)[1..]))));
        await Eventually(() => smsc.Stats.DuplicateReceiptsSent == 5, "five copies sent");
        var receipts = (await esme.DrainAsync(Quiet)).Where(Receipts.IsReceipt).Select(Receipts.Read).ToList();

        Assert.Equal(ids.Order().SelectMany(id => new[] { id, id }), receipts.Select(r => r.MessageId).Order());
        Assert.All(receipts, r => Assert.Equal(SmppMessageState.Expired, r.State));
        Assert.Equal(5, smsc.Stats.ReceiptsSent);
    }

    [Fact]
    public async Task Early_receipts_arrive_before_the_submit_sm_resp_that_gives_their_id()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { EarlyReceiptRatio = 1, Latency = TimeSpan.FromMilliseconds(20) });
        await using var esme = await RawEsme.BindAsync(smsc);

        for (var i = 0; i < 5; i++)
        {
            var before = new List<SmppPdu>();
            var answer = await esme.SubmitAndAnswerAsync(RawEsme.Submit(Number(i)[1..]), before);

            var receipt = Assert.Single(before, Receipts.IsReceipt);
            Assert.Equal(Receipts.Id(answer), Receipts.Read(receipt).MessageId);
        }
        Assert.Equal(5, smsc.Stats.EarlyReceiptsSent);
        // The early ones are all there are: none comes again after its answer.
        Assert.Equal(5, (await esme.DrainAsync(Quiet)).Count(Receipts.IsReceipt));
    }

    [Fact]
    public async Task Late_receipts_come_within_their_delay_range_and_usual_ones_at_the_usual_delay()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour
        {
            LateReceiptRatio = 0.5,
            LateReceiptDelay = TimeSpan.FromMilliseconds(600),
            LateReceiptDelayMax = TimeSpan.FromMilliseconds(900),
            ReceiptDelay = TimeSpan.Zero,
        });
        await using var esme = await RawEsme.BindAsync(smsc);
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < 20; i++)
            await esme.SubmitAsync(RawEsme.Submit(Number(i)[1..]));
        var arrivals = new List<TimeSpan>();
        while (arrivals.Count < 20)
        {
            if (Receipts.IsReceipt(await esme.NextAsync()))
                arrivals.Add(clock.Elapsed);
        }

        var late = arrivals.Count(a => a >= TimeSpan.FromMilliseconds(590));
        await Eventually(() => smsc.Stats.LateReceiptsSent == late, $"{late} late receipts counted");
        Assert.InRange(late, 4, 16);
        Assert.All(arrivals.Where(a => a < TimeSpan.FromMilliseconds(590)), a => Assert.True(a < TimeSpan.FromMilliseconds(400), $"usual receipt at {a}"));
        Assert.All(arrivals.Where(a => a >= TimeSpan.FromMilliseconds(590)), a => Assert.True(a < TimeSpan.FromMilliseconds(2000), $"late receipt at {a}"));
    }

    [Fact]
    public async Task A_concatenated_message_gets_one_receipt_per_part_under_each_parts_own_id()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = TimeSpan.Zero });
        await using var esme = await RawEsme.BindAsync(smsc);

        var ids = new List<string>();
        foreach (var part in RawEsme.Parts(Number(1)[1..], LongText, reference: 7))
            ids.Add(Receipts.Id(await esme.SubmitAndAnswerAsync(part)));
        await Eventually(() => smsc.Stats.ReceiptsAcknowledged == ids.Count, "a receipt per part acknowledged");
        var receipted = (await esme.DrainAsync(Quiet)).Where(Receipts.IsReceipt).Select(p => Receipts.Read(p).MessageId).ToList();

        Assert.True(ids.Count >= 3, $"the text went in {ids.Count} parts");
        Assert.Equal(ids.Order(), receipted.Order());
        var message = Assert.Single(smsc.Stats.Messages);
        Assert.Equal((LongText, ids.Count), (message.Text, message.Parts));
        Assert.Equal(ids, message.MessageIds);
    }

    [Fact]
    public async Task Receipt_per_message_sends_one_under_the_first_parts_id_once_the_last_part_is_taken()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptPerMessage = true, ReceiptDelay = TimeSpan.Zero });
        await using var esme = await RawEsme.BindAsync(smsc);

        var ids = new List<string>();
        foreach (var part in RawEsme.Parts(Number(2)[1..], LongText, reference: 9))
            ids.Add(Receipts.Id(await esme.SubmitAndAnswerAsync(part)));
        await esme.SubmitAndAnswerAsync(RawEsme.Submit(Number(3)[1..]));
        await Eventually(() => smsc.Stats.ReceiptsAcknowledged == 2 && smsc.Stats.ReceiptsSent == 2, "two receipts sent and acknowledged");
        var receipted = (await esme.DrainAsync(Quiet)).Where(Receipts.IsReceipt).Select(p => Receipts.Read(p).MessageId).ToList();

        Assert.Equal(2, receipted.Count);
        Assert.Equal(ids[0], receipted[0]);
        Assert.Equal(2, smsc.Stats.ReceiptsSent);
    }

    [Fact]
    public async Task A_receipt_whose_bind_is_gone_goes_to_the_next_bind_that_takes_receipts()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = TimeSpan.FromMilliseconds(300) });
        var first = await RawEsme.BindAsync(smsc);
        var id = Receipts.Id(await first.SubmitAndAnswerAsync(RawEsme.Submit(Number(4)[1..])));
        await first.DisposeAsync();
        await using var transmitter = await RawEsme.BindAsync(smsc, SmppCommand.BindTransmitter);
        await using var receiver = await RawEsme.BindAsync(smsc, SmppCommand.BindReceiver);

        SmppPdu receipt;
        while (!Receipts.IsReceipt(receipt = await receiver.NextAsync()))
        {
        }

        Assert.Equal(id, Receipts.Read(receipt).MessageId);
        Assert.Empty(await transmitter.DrainAsync(TimeSpan.FromMilliseconds(100)));
    }
}
