using System.Collections.Concurrent;
using Loa.CarrierAdapters.Encoding;
using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using Microsoft.Extensions.Logging;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>What comes back over the bind: part receipts merged into one per message, and subscribers' replies.</summary>
public sealed class SmppInboundTests
{
    private static SmppPdu Receipt(string messageId, SmppMessageState state) =>
        SmppPdu.Request(SmppCommand.DeliverSm, new ShortMessageBody
        {
            EsmClass = ShortMessageBody.DeliveryReceiptType,
            ShortMessage = System.Text.Encoding.ASCII.GetBytes(SmppReceipts.Format(new SmppReceipt(messageId, state, state == SmppMessageState.Delivered ? null : "err:034"))),
        });

    private static async Task<(SmppMessageReport Long, SmppMessageReport Short)> SendLongAndShortAsync(SmppAdapter adapter)
    {
        var (reports, _) = await adapter.SendAsync(Batch(("1", Number(1), new string('a', 400)), ("2", Number(2), "short")), CancellationToken.None);
        Assert.All(reports, r => Assert.Equal(SmppMessageFate.Accepted, r.Fate));
        Assert.Equal(3, reports[0].PartMessageIds.Count);
        return (reports[0], reports[1]);
    }

    [Fact]
    public async Task Receipts_that_arrive_while_others_are_being_kept_are_kept_in_one_write_and_acknowledged_only_after_it()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        var sink = new GatedReceipts();
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc), sink);
        var (reports, _) = await adapter.SendAsync(Batch([.. Enumerable.Range(0, 20).Select(i => ($"{i}", Number(i), $"Canh bao {i}"))]), CancellationToken.None);
        var ids = reports.Select(r => r.PartMessageIds[0]).ToList();

        // The first receipt's write is held; the other nineteen arrive meanwhile and wait, unacknowledged.
        await smsc.SendToClientsAsync(Receipt(ids[0], SmppMessageState.Delivered));
        await Eventually(() => sink.Calls.Count == 1, "the first receipt's write started");
        foreach (var id in ids.Skip(1))
            await smsc.SendToClientsAsync(Receipt(id, SmppMessageState.Delivered));
        await Task.Delay(500);
        Assert.Equal(0, smsc.Stats.ReceiptsAcknowledged);

        sink.Release();
        await Eventually(() => sink.Calls.Sum(c => c.Count) == 20, "every receipt kept");
        // Normally [1, 19]; on a loaded machine the last few may not have been read yet when the gate opened.
        var sizes = sink.Calls.Select(c => c.Count).ToList();
        Assert.Equal(1, sizes[0]);
        Assert.True(sizes[1] > 1 && sizes.Count <= 4, "receipts kept one write each: " + string.Join(", ", sizes));
        Assert.Equal(ids, sink.Calls.SelectMany(c => c).Select(r => r.CarrierMessageId));
        await Eventually(() => smsc.Stats.ReceiptsAcknowledged == 20, "every deliver_sm acknowledged");
    }

    /// <summary>Holds the first write until released, as a busy database would.</summary>
    private sealed class GatedReceipts : ICarrierReceiptSink
    {
        private readonly TaskCompletionSource gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<IReadOnlyList<CarrierReceipt>> Calls { get; } = new();

        public void Release() => gate.TrySetResult();

        public async Task AcceptAsync(string carrierId, IReadOnlyList<CarrierReceipt> receipts, CancellationToken cancellationToken)
        {
            Calls.Enqueue([.. receipts]);
            await gate.Task.WaitAsync(cancellationToken);
        }
    }

    [Fact]
    public async Task A_message_in_parts_is_delivered_once_every_part_is_under_its_first_part_id()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        var sink = new RecordingReceipts();
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc), sink);
        var (longOne, shortOne) = await SendLongAndShortAsync(adapter);
        var ids = longOne.PartMessageIds;

        await smsc.SendToClientsAsync(Receipt(ids[1], SmppMessageState.Delivered));
        await smsc.SendToClientsAsync(Receipt(shortOne.PartMessageIds[0], SmppMessageState.Delivered));
        await smsc.SendToClientsAsync(Receipt(ids[0], SmppMessageState.Delivered));
        await Eventually(() => adapter.Inbound.Receipts == 3, "three receipts read");
        Assert.Equal([shortOne.PartMessageIds[0]], sink.Received.Select(r => r.Receipt.CarrierMessageId));

        // The last part's receipt, with its id in decimal as some SMSCs write it.
        await smsc.SendToClientsAsync(Receipt(ulong.Parse(ids[2], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture), SmppMessageState.Delivered));

        await Eventually(() => sink.Received.Count == 2, "the long message's one receipt");
        var whole = sink.Received.Last().Receipt;
        Assert.Equal(new CarrierReceipt(ids[0], "delivered", null, null), whole);
        // Each deliver_sm is acknowledged once kept, the merged ones included: just after the sink, not before.
        await Eventually(() => smsc.Stats.ReceiptsAcknowledged == 4, "every part's receipt acknowledged");
    }

    [Fact]
    public async Task A_message_in_parts_fails_as_soon_as_one_part_fails_and_later_parts_change_nothing()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        var sink = new RecordingReceipts();
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc), sink);
        var (longOne, _) = await SendLongAndShortAsync(adapter);
        var ids = longOne.PartMessageIds;

        await smsc.SendToClientsAsync(Receipt(ids[0], SmppMessageState.Delivered));
        await smsc.SendToClientsAsync(Receipt(ids[1], SmppMessageState.Undeliverable));
        await Eventually(() => sink.Received.Count == 1, "the failure forwarded at once");
        await smsc.SendToClientsAsync(Receipt(ids[2], SmppMessageState.Delivered));
        await smsc.SendToClientsAsync(Receipt(ids[2], SmppMessageState.Expired));
        await Eventually(() => smsc.Stats.ReceiptsAcknowledged == 4, "every part receipt acknowledged");

        var failed = Assert.Single(sink.Received).Receipt;
        Assert.Equal(new CarrierReceipt(ids[0], "failed", "part 2/3: err:034", null), failed);
    }

    [Fact]
    public async Task A_receipt_for_an_id_not_held_goes_on_as_it_came()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        var sink = new RecordingReceipts();
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc), sink);
        await SendLongAndShortAsync(adapter);

        // A part of a message sent before a restart: this process never saw its parts.
        await smsc.SendToClientsAsync(Receipt("ABCDEF", SmppMessageState.Expired));

        await Eventually(() => sink.Received.Count == 1, "forwarded");
        Assert.Equal(new CarrierReceipt("ABCDEF", "expired", "err:034", null), sink.Received.Single().Receipt);
    }

    [Fact]
    public void Part_ids_are_forgotten_beyond_the_count_held_oldest_first()
    {
        var parts = new SmppPartReceipts(TimeSpan.FromHours(48), maxParts: 4, new ManualClock());
        var first = SmppPartReceipts.Start(2);
        parts.Taken(first, 1, "A1");
        parts.Taken(first, 2, "A2");
        var second = SmppPartReceipts.Start(2);
        parts.Taken(second, 1, "B1");
        parts.Taken(second, 2, "B2");
        // "A1" is indexed twice (as written and read as hex), so the oldest entries go first.
        Assert.False(parts.TryReceive("A1", "delivered", null, out _));
        Assert.True(parts.TryReceive("B2", "delivered", null, out var held));
        Assert.Null(held);
        Assert.True(parts.TryReceive("B1", "delivered", null, out var whole));
        Assert.Equal(new CarrierReceipt("B1", "delivered", null, null), whole);
    }

    [Fact]
    public void Part_ids_are_forgotten_after_the_hold_time()
    {
        var clock = new ManualClock();
        var parts = new SmppPartReceipts(TimeSpan.FromHours(48), maxParts: 1000, clock);
        parts.Taken(SmppPartReceipts.Start(2), 1, "OLD1");
        clock.Advance(TimeSpan.FromHours(49));
        parts.Taken(SmppPartReceipts.Start(2), 1, "NEW1");

        Assert.False(parts.TryReceive("OLD1", "delivered", null, out _));
        Assert.True(parts.TryReceive("NEW1", "delivered", null, out _));
    }

    [Theory]
    [InlineData("TU CHOI", ShortMessageBody.CodingGsm7)]
    [InlineData("Hủy đăng ký nhận tin", ShortMessageBody.CodingUcs2)]
    public async Task A_reply_reaches_the_reply_sink_in_e164_with_its_text_and_the_logs_mask_the_number(string text, byte coding)
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        var replies = new RecordingReplies();
        var logs = new RecordingLogger();
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc), new RecordingReceipts(), logs, replies: replies);
        await adapter.SubmitAsync(Batch(("1", Number(1), "x")), CancellationToken.None);
        var from = Number(4242);

        await smsc.SendToClientsAsync(SmppPdu.Request(SmppCommand.DeliverSm, new ShortMessageBody
        {
            SourceTon = 1,
            SourceNpi = 1,
            SourceAddress = from[1..],
            DestinationAddress = "CUCATTT",
            DataCoding = coding,
            ShortMessage = coding == ShortMessageBody.CodingUcs2 ? System.Text.Encoding.BigEndianUnicode.GetBytes(text) : Gsm7Codec.ToSeptets(text),
        }));

        await Eventually(() => !replies.Received.IsEmpty && smsc.Stats.ReceiptsAcknowledged == 1, "the reply kept and acknowledged");
        var (carrier, reply) = Assert.Single(replies.Received);
        Assert.Equal("viettel", carrier);
        Assert.Equal(from, reply.From);
        Assert.Equal("CUCATTT", reply.To);
        Assert.Equal(text, reply.Text);
        Assert.Contains(logs.Lines, l => l.Contains(Loa.CarrierAdapters.Routing.Msisdn.Mask(from), StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(from[1..], StringComparison.Ordinal));
    }
}

internal sealed class RecordingReplies : ICarrierReplySink
{
    public ConcurrentQueue<(string Carrier, CarrierReply Reply)> Received { get; } = new();

    public Task AcceptAsync(string carrierId, CarrierReply reply, CancellationToken cancellationToken)
    {
        Received.Enqueue((carrierId, reply));
        return Task.CompletedTask;
    }
}

/// <summary>Every line logged, formatted, with its arguments: what an operator's log would hold.</summary>
internal sealed class RecordingLogger : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{formatter(state, exception)} {exception}");
}
