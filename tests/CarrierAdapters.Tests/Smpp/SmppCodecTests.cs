using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierAdapters.Tests.Smpp;

public class SmppCodecTests
{
    [Fact]
    public void Enquire_link_is_a_bare_header()
    {
        var bytes = SmppCodec.Encode(new SmppPdu(SmppCommand.EnquireLink, 0, 7, SmppBody.Empty));
        Assert.Equal(Convert.FromHexString("00000010" + "00000015" + "00000000" + "00000007"), bytes);
        Assert.Equal(new SmppPdu(SmppCommand.EnquireLink, 0, 7, SmppBody.Empty), SmppCodec.Decode(bytes));
    }

    [Fact]
    public void Bind_transceiver_is_laid_out_as_section_4_1()
    {
        var bytes = SmppCodec.Encode(new SmppPdu(SmppCommand.BindTransceiver, 0, 1, new BindBody("loa", "pw", "SMS")));
        var expected = "00000009" + "00000000" + "00000001"
            + "6C6F6100" + "707700" + "534D5300" + "34" + "00" + "00" + "00";
        Assert.Equal(Convert.FromHexString($"{16 + expected.Length / 2 - 12:X8}" + expected), bytes);
        var decoded = SmppCodec.Decode(bytes);
        Assert.Equal(new BindBody("loa", "pw", "SMS"), decoded.Body);
    }

    [Fact]
    public void A_bind_body_does_not_print_its_password()
    {
        Assert.DoesNotContain("secret", new BindBody("loa", "secret").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Submit_sm_round_trips_every_field_and_tlv()
    {
        var body = new ShortMessageBody
        {
            ServiceType = "CMT",
            SourceTon = 5,
            SourceNpi = 0,
            SourceAddress = "CUCATTT",
            DestTon = 1,
            DestNpi = 1,
            DestinationAddress = "84912345678",
            EsmClass = ShortMessageBody.UdhIndicator,
            PriorityFlag = 1,
            ValidityPeriod = "000001000000000R",
            RegisteredDelivery = 1,
            DataCoding = 8,
            ShortMessage = [0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0x00, 0x41],
            Tlvs = [SmppTlv.UInt16(SmppTlv.SarMessageReference, 513), SmppTlv.Byte(SmppTlv.SarTotalSegments, 2), SmppTlv.Byte(SmppTlv.SarSegmentNumber, 1)],
        };
        var decoded = SmppCodec.Decode(SmppCodec.Encode(new SmppPdu(SmppCommand.SubmitSm, 0, 42, body)));
        var read = Assert.IsType<ShortMessageBody>(decoded.Body);
        Assert.Equal(SmppCommand.SubmitSm, decoded.Command);
        Assert.Equal(42u, decoded.Sequence);
        Assert.Equal(body.ShortMessage, read.ShortMessage);
        Assert.Equal(body with { ShortMessage = read.ShortMessage, Tlvs = read.Tlvs }, read);
        Assert.Equal(513, read.Tlv(SmppTlv.SarMessageReference)!.AsInteger());
        Assert.Equal(3, read.Tlvs.Count);
    }

    [Fact]
    public void A_submit_body_does_not_print_the_number()
    {
        var body = new ShortMessageBody { DestinationAddress = "84912345678" };
        Assert.DoesNotContain("912345678", body.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Submit_sm_resp_carries_the_message_id_and_an_error_resp_may_have_no_body()
    {
        var ok = SmppCodec.Decode(SmppCodec.Encode(new SmppPdu(SmppCommand.SubmitSmResp, 0, 3, new MessageIdBody("5F3A"))));
        Assert.Equal(new MessageIdBody("5F3A"), ok.Body);

        var bare = Convert.FromHexString("00000010" + "80000004" + "00000058" + "00000009");
        var throttled = SmppCodec.Decode(bare);
        Assert.Equal(SmppStatus.Throttled, throttled.Status);
        Assert.Equal(new MessageIdBody(""), throttled.Body);
    }

    [Fact]
    public void Bind_resp_reads_the_interface_version_tlv()
    {
        var pdu = new SmppPdu(SmppCommand.BindTransceiverResp, 0, 1,
            new BindRespBody("SMSC", [SmppTlv.Byte(SmppTlv.ScInterfaceVersion, 0x34)]));
        var body = Assert.IsType<BindRespBody>(SmppCodec.Decode(SmppCodec.Encode(pdu)).Body);
        Assert.Equal("SMSC", body.SystemId);
        Assert.Equal(0x34, body.Tlvs.Single().AsInteger());
    }

    [Theory]
    [InlineData(SmppCommand.Unbind)]
    [InlineData(SmppCommand.UnbindResp)]
    [InlineData(SmppCommand.EnquireLinkResp)]
    [InlineData(SmppCommand.GenericNack)]
    public void Bodiless_commands_round_trip(SmppCommand command)
    {
        var pdu = new SmppPdu(command, command == SmppCommand.GenericNack ? SmppStatus.InvalidCommandId : 0, 11, SmppBody.Empty);
        Assert.Equal(pdu, SmppCodec.Decode(SmppCodec.Encode(pdu)));
    }

    [Fact]
    public void An_unknown_command_id_is_a_format_error_with_invalid_command_id()
    {
        var ex = Assert.Throws<SmppFormatException>(() => SmppCodec.Decode(Convert.FromHexString("00000010" + "000000FF" + "00000000" + "00000005")));
        Assert.Equal(SmppStatus.InvalidCommandId, ex.Status);
        Assert.Equal(5u, ex.Sequence);
    }

    [Fact]
    public void A_body_cut_short_is_a_command_length_error()
    {
        var full = SmppCodec.Encode(new SmppPdu(SmppCommand.SubmitSm, 0, 8, new ShortMessageBody { ShortMessage = [1, 2, 3] }));
        var cut = full[..^2];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(cut, (uint)cut.Length);
        var ex = Assert.Throws<SmppFormatException>(() => SmppCodec.Decode(cut));
        Assert.Equal(SmppStatus.InvalidCommandLength, ex.Status);
        Assert.Equal(8u, ex.Sequence);
    }

    [Fact]
    public void A_tlv_longer_than_the_pdu_is_a_parameter_length_error()
    {
        var full = SmppCodec.Encode(new SmppPdu(SmppCommand.SubmitSm, 0, 8, new ShortMessageBody { Tlvs = [SmppTlv.Byte(SmppTlv.MessageState, 2)] }));
        full[^2] = 0x09; // the TLV's length now says 9 octets where 1 follows
        Assert.Equal(SmppStatus.InvalidParameterLength, Assert.Throws<SmppFormatException>(() => SmppCodec.Decode(full)).Status);
    }

    [Fact]
    public void Fields_longer_than_the_specification_allows_are_refused_when_encoding()
    {
        Assert.Throws<ArgumentException>(() => SmppCodec.Encode(new SmppPdu(SmppCommand.BindTransceiver, 0, 1, new BindBody("loa", "ninechars"))));
        Assert.Throws<ArgumentException>(() => SmppCodec.Encode(new SmppPdu(SmppCommand.SubmitSm, 0, 1, new ShortMessageBody { ShortMessage = new byte[255] })));
    }

    [Fact]
    public async Task Frames_are_read_whole_from_a_stream_and_a_huge_length_is_refused()
    {
        var one = SmppCodec.Encode(new SmppPdu(SmppCommand.EnquireLink, 0, 1, SmppBody.Empty));
        var two = SmppCodec.Encode(new SmppPdu(SmppCommand.SubmitSmResp, 0, 2, new MessageIdBody("abc")));
        using var stream = new MemoryStream([.. one, .. two]);
        Assert.Equal(one, await SmppCodec.ReadFrameAsync(stream, CancellationToken.None));
        Assert.Equal(two, await SmppCodec.ReadFrameAsync(stream, CancellationToken.None));
        Assert.Null(await SmppCodec.ReadFrameAsync(stream, CancellationToken.None));

        using var hostile = new MemoryStream(Convert.FromHexString("7FFFFFFF00000004"));
        await Assert.ThrowsAsync<SmppFormatException>(() => SmppCodec.ReadFrameAsync(hostile, CancellationToken.None));
    }

    [Fact]
    public void Status_names_are_the_specification_names()
    {
        Assert.Equal("ESME_ROK", SmppStatus.Name(0));
        Assert.Equal("ESME_RTHROTTLED", SmppStatus.Name(0x58));
        Assert.Equal("ESME_RMSGQFUL", SmppStatus.Name(0x14));
        Assert.Equal("ESME_RINVDSTADR", SmppStatus.Name(0x0B));
        Assert.Equal("0x00000401", SmppStatus.Name(0x401));
        Assert.True(SmppStatus.IsThrottling(0x58));
        Assert.True(SmppStatus.IsThrottling(0x14));
        Assert.False(SmppStatus.IsThrottling(0x0B));
    }
}
