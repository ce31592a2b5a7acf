using Loa.CarrierAdapters.Encoding;
using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>Long messages tied by a header, by sar_* TLVs, or sent whole in message_payload, as a carrier asks.</summary>
public sealed class SmppConcatenationTests
{
    private static readonly string[] Texts =
    [
        "Canh bao ngan",
        string.Concat(Enumerable.Range(0, 400).Select(i => (char)('a' + i % 26))) + "€{}",
        string.Concat(Enumerable.Repeat("Cục An toàn thông tin cảnh báo: không cung cấp mã OTP. ", 4)),
    ];

    [Theory]
    [InlineData(SmppConcatenation.Sar, false)]
    [InlineData(SmppConcatenation.Sar, true)]
    [InlineData(SmppConcatenation.Payload, false)]
    [InlineData(SmppConcatenation.Payload, true)]
    [InlineData(SmppConcatenation.Udh8, false)]
    public async Task Long_texts_arrive_whole_in_the_carriers_concatenation(SmppConcatenation concatenation, bool packed)
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { PackedGsm7 = packed, ReceiptDelay = null });
        await using var tap = new SmppTap(smsc.Host, smsc.Port);
        var carrier = Carrier(smsc, pack: packed);
        carrier.Smpp.Port = tap.Port;
        carrier.Smpp.Concatenation = concatenation;
        await using var adapter = new SmppAdapter("viettel", carrier);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch([.. Texts.Select((t, i) => ($"{i}", Number(i), t))]), CancellationToken.None));

        Assert.All(outcome.Results, r => Assert.True(r.Accepted, r.Error));
        var counted = Texts.Select(t => SmsText.Measure(t).Parts).ToList();
        var arrived = smsc.Stats.Messages.ToDictionary(m => m.Destination);
        for (var i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(Texts[i], arrived[Number(i)[1..]].Text);
            Assert.Equal(concatenation == SmppConcatenation.Payload ? 1 : counted[i], arrived[Number(i)[1..]].Parts);
        }
        var submits = tap.Submits;
        switch (concatenation)
        {
            case SmppConcatenation.Payload:
                Assert.Equal(Texts.Length, submits.Count);
                Assert.All(submits, s =>
                {
                    Assert.Empty(s.ShortMessage);
                    Assert.NotNull(s.Tlv(SmppTlv.MessagePayload));
                    Assert.False(s.HasUdh);
                });
                break;
            case SmppConcatenation.Sar:
                Assert.Equal(counted.Sum(), submits.Count);
                Assert.All(submits, s => Assert.False(s.HasUdh));
                var multi = submits.Where(s => s.Tlv(SmppTlv.SarTotalSegments) is not null).ToList();
                Assert.Equal(counted.Where(c => c > 1).Sum(), multi.Count);
                Assert.All(multi, s => Assert.Equal(2, s.Tlv(SmppTlv.SarMessageReference)!.Value.Length));
                Assert.Equal(2, multi.Select(s => s.Tlv(SmppTlv.SarMessageReference)!.AsInteger()).Distinct().Count());
                break;
            default:
                Assert.Equal(counted.Sum(), submits.Count);
                Assert.Equal(counted.Where(c => c > 1).Sum(), submits.Count(s => s.HasUdh));
                break;
        }
    }
}
