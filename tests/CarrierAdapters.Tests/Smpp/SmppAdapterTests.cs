using Loa.CarrierAdapters.Encoding;
using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>Batches through SmppAdapter into the SMSC simulator over loopback TCP.</summary>
public sealed class SmppAdapterTests
{
    private const string Vietnamese = "Cục An toàn thông tin cảnh báo: không cung cấp mã OTP cho bất kỳ ai, kể cả người xưng là ngân hàng. ";

    private static IEnumerable<string> BoundaryTexts()
    {
        foreach (var length in new[] { 152, 153, 154, 159, 160, 161, 305, 306, 307, 459, 460 })
        {
            yield return string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + i % 26)));
            yield return new string('x', length - 1) + "€"; // the escape lands on every boundary in turn
            yield return string.Concat(Enumerable.Range(0, length / 2).Select(i => i % 9 == 0 ? "{}" : "a"))[..Math.Min(length, length / 2)];
        }
        var vietnamese = string.Concat(Enumerable.Repeat(Vietnamese, 5));
        foreach (var length in new[] { 66, 67, 68, 69, 70, 71, 134, 135, 201, 202, 268 })
            yield return vietnamese[..length];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Texts_at_every_boundary_arrive_whole_in_as_many_parts_as_the_preview_counted(bool packed)
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { PackedGsm7 = packed, ReceiptDelay = null });
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc, pack: packed));
        var texts = BoundaryTexts().ToList();
        var batch = Batch([.. texts.Select((t, i) => ($"{i}", Number(i), t))]);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(batch, CancellationToken.None));

        Assert.All(outcome.Results, r => Assert.True(r.Accepted, r.Error));
        Assert.False(outcome.SlowDown);
        Assert.Equal(batch.Messages.Select(m => m.Id), outcome.Results.Select(r => r.Id));
        var arrived = smsc.Stats.Messages.ToDictionary(m => m.Destination);
        Assert.Equal(texts.Count, arrived.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            var message = arrived[Number(i)[1..]];
            var measure = SmsText.Measure(texts[i]);
            Assert.Equal(texts[i], message.Text);
            Assert.Equal(measure.Parts, message.Parts);
            Assert.Equal(measure.Encoding, message.Encoding);
            Assert.Equal("CUCATTT", message.Source);
            Assert.Equal(message.MessageIds[0], outcome.Results[i].CarrierMessageId);
        }
        Assert.Equal(texts.Sum(t => SmsText.Measure(t).Parts), smsc.Stats.SubmitsAccepted);
    }

    [Theory]
    [InlineData(SmscReceiptForm.Text, false)]
    [InlineData(SmscReceiptForm.Text, true)]
    [InlineData(SmscReceiptForm.Tlv, false)]
    [InlineData(SmscReceiptForm.Both, true)]
    public async Task Receipts_in_text_and_tlv_form_reach_the_receipt_sink(SmscReceiptForm form, bool decimalIds)
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour
        {
            ReceiptForm = form,
            ReceiptIds = decimalIds ? SmppReceiptIds.HexSubmittedDecimalReceipt : SmppReceiptIds.AsSubmitted,
            ReceiptState = SmppMessageState.Undeliverable,
            ReceiptDelay = TimeSpan.FromMilliseconds(20),
        });
        var sink = new RecordingReceipts();
        var carrier = Carrier(smsc);
        carrier.Smpp.ReceiptIds = smsc.Behaviour.ReceiptIds;
        await using var adapter = new SmppAdapter("mobifone", carrier, sink);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch(("1", Number(1), "Canh bao lua dao"), ("2", Number(2), "Canh bao 2")), CancellationToken.None));

        await Eventually(() => sink.Received.Count == 2 && smsc.Stats.ReceiptsAcknowledged == 2, "two receipts kept and acknowledged");
        var ids = outcome.Results.Select(r => r.CarrierMessageId!).ToList();
        Assert.All(sink.Received, r =>
        {
            Assert.Equal("mobifone", r.Carrier);
            Assert.Equal("failed", r.Receipt.Status);
            Assert.Contains(r.Receipt.CarrierMessageId, ids);
        });
        Assert.Equal((2L, 0L), adapter.Inbound);
    }

    [Fact]
    public async Task A_refused_message_keeps_the_status_name_as_its_reason()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ErrorRatio = 1, ErrorStatus = SmppStatus.InvalidDestinationAddress, ReceiptDelay = null });
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc));

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch(("1", Number(1), "short"), ("2", Number(2), new string('a', 200))), CancellationToken.None));

        Assert.Equal(new MessageResult("1", false, null, "ESME_RINVDSTADR"), outcome.Results[0]);
        Assert.Equal(new MessageResult("2", false, null, "part 1/2: ESME_RINVDSTADR"), outcome.Results[1]);
        // A refused part settles the message: a part not yet written when the refusal came is not sent
        // as a fragment (one already in the window may have gone).
        Assert.InRange(smsc.Stats.SubmitsReceived, 2, 3);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Throttling_before_anything_is_taken_throttles_the_whole_batch(bool queueFull)
    {
        await using var smsc = SmscSimulator.Start(queueFull
            ? new SmscBehaviour { QueueFullRatio = 1, ReceiptDelay = null }
            : new SmscBehaviour { MaxSubmitsPerSecond = 1, ReceiptDelay = null });
        if (!queueFull)
        {
            // Spend this second's single submit, so that the batch meets a full second.
            await using var first = new SmppAdapter("viettel", Carrier(smsc));
            await first.SubmitAsync(Batch(("0", Number(0), "x")), CancellationToken.None);
        }
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc));

        var outcome = await adapter.SubmitAsync(Batch([.. Enumerable.Range(1, 20).Select(i => ($"{i}", Number(i), "Canh bao"))]), CancellationToken.None);

        if (outcome is SubmitOutcome.Completed completed)
        {
            // The second turned between the two batches, so the first submit was taken: then the rest
            // must have been retried in the adapter, not dropped. At one submit a second, twenty outlast the
            // submit deadline: what was still throttled then is handed back not taken (the lane sends it again).
            var answers = string.Join("; ", completed.Results.Select(r => $"{r.Id} {r.Fate} {r.Error}"));
            Assert.True(completed.Results.Any(r => r.Accepted), answers);
            Assert.All(completed.Results, r => Assert.True(r.Accepted || (r.Fate == MessageFate.NotTaken && r.Error!.Contains("ESME_RTHROTTLED", StringComparison.Ordinal)), answers));
            Assert.True(completed.Results.Count(r => r.Accepted) == smsc.Stats.SubmitsAccepted - 1, $"none taken twice: {answers}");
            return;
        }
        var throttled = Assert.IsType<SubmitOutcome.Throttled>(outcome);
        Assert.Equal(queueFull ? "ESME_RMSGQFUL" : "ESME_RTHROTTLED", throttled.Reason);
        Assert.True(smsc.Stats.SubmitsReceived - smsc.Stats.SubmitsAccepted <= 10, "no more than a window sent after the first throttle answer");
    }

    [Fact]
    public async Task Throttling_after_some_were_taken_retries_the_rest_and_sends_nothing_twice()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { MaxSubmitsPerSecond = 8, ReceiptDelay = null });
        await using var adapter = new SmppAdapter("gmobile", Carrier(smsc, window: 4));

        // Long enough that some of the batch is taken in a second before the throttle answers come.
        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch([.. Enumerable.Range(1, 20).Select(i => ($"{i}", Number(i), $"Canh bao {i}"))]), CancellationToken.None));

        Assert.All(outcome.Results, r => Assert.True(r.Accepted, r.Error));
        Assert.True(smsc.Stats.Throttled > 0, "the SMSC throttled");
        Assert.True(outcome.SlowDown, "the lane is told the SMSC asked to slow down, though the batch completed");
        Assert.Equal(20, smsc.Stats.Messages.Select(m => m.Destination).Distinct().Count());
        Assert.Equal(20, smsc.Stats.SubmitsAccepted);
    }

    [Fact]
    public async Task A_dropped_bind_mid_window_gives_unknown_outcomes_and_sends_the_unsent_on_a_new_bind()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { Latency = TimeSpan.FromMilliseconds(100), DropAfterSubmits = 15, ReceiptDelay = null });
        await using var adapter = new SmppAdapter("vinaphone", Carrier(smsc, window: 10));
        var batch = Batch([.. Enumerable.Range(1, 30).Select(i => ($"{i}", Number(i), $"Canh bao {i}"))]);

        var (reports, _) = await adapter.SendAsync(batch, CancellationToken.None);

        Assert.Equal(30, reports.Count);
        var unknown = reports.Where(r => r.Fate == SmppMessageFate.Unknown).ToList();
        var accepted = reports.Where(r => r.Fate == SmppMessageFate.Accepted).ToList();
        Assert.NotEmpty(unknown);
        Assert.Equal(30, unknown.Count + accepted.Count);
        Assert.All(unknown, u => Assert.StartsWith("unknown outcome: bind closed before the answer", u.Reason, StringComparison.Ordinal));
        Assert.Equal(2, smsc.Stats.BindsAccepted);
        // Nothing sent twice: every message reached the SMSC at most once.
        Assert.Equal(smsc.Stats.Messages.Count, smsc.Stats.Messages.Select(m => m.Destination).Distinct().Count());
        // An unknown outcome is one the SMSC may have taken before the bind dropped (its answer never came back):
        // the SMSC holds every accepted message and at most the unknown ones besides, never one that was not sent.
        Assert.InRange(smsc.Stats.Messages.Count, accepted.Count, accepted.Count + unknown.Count);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(SmppAdapter.ToOutcome(reports, null));
        Assert.All(outcome.Results.Where(r => !r.Accepted), r =>
        {
            Assert.Equal(MessageFate.Unknown, r.Fate);
            Assert.StartsWith("unknown outcome", r.Error, StringComparison.Ordinal);
        });
        Assert.All(outcome.Results.Where(r => r.Accepted), r => Assert.Equal(MessageFate.Taken, r.Fate));
    }

    [Fact]
    public async Task A_refused_bind_is_transient_naming_the_status()
    {
        await using var smsc = SmscSimulator.Start();
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc, password: "wrong"));

        var outcome = Assert.IsType<SubmitOutcome.Transient>(await adapter.SubmitAsync(Batch(("1", Number(1), "x")), CancellationToken.None));

        Assert.Contains("ESME_RINVPASWD", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(SmppAdapter.MaxBindsPerBatch, smsc.Stats.BindsRefused);
    }

    [Fact]
    public async Task A_reply_from_a_subscriber_is_acknowledged_without_the_number_in_the_sink()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        var sink = new RecordingReceipts();
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc), sink);
        await adapter.SubmitAsync(Batch(("1", Number(1), "x")), CancellationToken.None);

        await smsc.SendToClientsAsync(SmppPdu.Request(SmppCommand.DeliverSm, new ShortMessageBody
        {
            SourceTon = 1, SourceAddress = Number(1)[1..], DestinationAddress = "CUCATTT", ShortMessage = Gsm7Codec.ToSeptets("TU CHOI"),
        }));

        await Eventually(() => adapter.Inbound.Replies == 1, "the reply counted");
        Assert.Empty(sink.Received);
    }

    [Fact]
    public async Task Adapter_Smpp_is_chosen_by_configuration_and_a_missing_host_names_the_setting()
    {
        await using var smsc = SmscSimulator.Start();
        var services = new ServiceCollection().AddCarrierAdapters(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Loa:Carriers:viettel:Adapter"] = "smpp",
            ["Loa:Carriers:viettel:Smpp:Host"] = smsc.Host,
            ["Loa:Carriers:viettel:Smpp:Port"] = smsc.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Loa:Carriers:viettel:Smpp:SystemId"] = "loa",
            ["Loa:Carriers:viettel:Smpp:Password"] = "secret",
            ["Loa:Carriers:viettel:Smpp:Window"] = "4",
            ["Loa:Carriers:gmobile:Adapter"] = "Smpp",
        }).Build()).BuildServiceProvider();
        var factory = services.GetRequiredService<CarrierAdapterFactory>();

        var adapter = Assert.IsType<SmppAdapter>(await factory.CreateAsync("viettel", CancellationToken.None));
        await using (adapter)
            Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(Batch(("1", Number(1), "x")), CancellationToken.None));
        Assert.Equal(1, smsc.Stats.SubmitsAccepted);

        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => factory.CreateAsync("gmobile", CancellationToken.None));
        Assert.Contains("Loa:Carriers:gmobile:Smpp:Host", missing.Message, StringComparison.Ordinal);
    }
}
