using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierAdapters.Tests.Smpp;

public class SmppReceiptTests
{
    private static ShortMessageBody Receipt(string text, params SmppTlv[] tlvs) => new()
    {
        EsmClass = ShortMessageBody.DeliveryReceiptType,
        ShortMessage = System.Text.Encoding.ASCII.GetBytes(text),
        Tlvs = tlvs,
    };

    [Theory]
    [InlineData("DELIVRD", SmppMessageState.Delivered, "delivered")]
    [InlineData("UNDELIV", SmppMessageState.Undeliverable, "failed")]
    [InlineData("EXPIRED", SmppMessageState.Expired, "expired")]
    [InlineData("REJECTD", SmppMessageState.Rejected, "rejected")]
    [InlineData("DELETED", SmppMessageState.Deleted, "failed")]
    [InlineData("UNKNOWN", SmppMessageState.Unknown, "failed")]
    [InlineData("ACCEPTD", SmppMessageState.Accepted, null)]
    public void Reads_every_stat_of_the_text_form(string stat, SmppMessageState state, string? verdict)
    {
        var receipt = SmppReceipts.TryRead(Receipt($"id:0123456789 sub:001 dlvrd:001 submit date:2507011200 done date:2507011201 stat:{stat} err:000 text:Canh bao"));
        Assert.NotNull(receipt);
        Assert.Equal("0123456789", receipt.MessageId);
        Assert.Equal(state, receipt.State);
        Assert.Equal(verdict, receipt.Verdict);
        Assert.Equal(new DateTime(2025, 7, 1, 12, 0, 0), receipt.SubmitDate);
        Assert.Equal(new DateTime(2025, 7, 1, 12, 1, 0), receipt.DoneDate);
    }

    [Fact]
    public void An_error_code_is_kept_and_a_zero_one_is_none()
    {
        Assert.Equal("err:0B1", SmppReceipts.TryParseText("id:5 stat:UNDELIV err:0B1")!.Error);
        Assert.Null(SmppReceipts.TryParseText("id:5 stat:DELIVRD err:000")!.Error);
        Assert.Equal("UNDELIV", SmppReceipts.TryParseText("id:5 stat:UNDELIV err:000")!.Error);
    }

    [Fact]
    public void Keys_in_lower_case_dates_with_seconds_and_hex_ids_are_read()
    {
        var receipt = SmppReceipts.TryParseText("ID:7f3A9c sub:1 dlvrd:1 Submit Date:250701120030 done date:250701120145 Stat:delivrd err:0");
        Assert.NotNull(receipt);
        Assert.Equal("7f3A9c", receipt.MessageId);
        Assert.Equal(SmppMessageState.Delivered, receipt.State);
        Assert.Equal(new DateTime(2025, 7, 1, 12, 1, 45), receipt.DoneDate);
    }

    [Fact]
    public void Tlvs_win_over_the_text_when_both_are_present()
    {
        var receipt = SmppReceipts.TryRead(Receipt("id:111 stat:DELIVRD err:000",
            SmppTlv.CString(SmppTlv.ReceiptedMessageId, "6F"),
            SmppTlv.Byte(SmppTlv.MessageState, (byte)SmppMessageState.Undeliverable),
            new SmppTlv(SmppTlv.NetworkErrorCode, [3, 0x00, 0x0B])));
        Assert.NotNull(receipt);
        Assert.Equal("6F", receipt.MessageId);
        Assert.Equal(SmppMessageState.Undeliverable, receipt.State);
        Assert.Equal("network error type 3 code 11", receipt.Error);
    }

    [Fact]
    public void A_receipt_with_only_tlvs_and_no_text_is_read()
    {
        var receipt = SmppReceipts.TryRead(Receipt("",
            SmppTlv.CString(SmppTlv.ReceiptedMessageId, "abc"),
            SmppTlv.Byte(SmppTlv.MessageState, (byte)SmppMessageState.Delivered)));
        Assert.Equal(new SmppReceipt("abc", SmppMessageState.Delivered, null), receipt);
    }

    [Fact]
    public void A_subscriber_reply_is_not_a_receipt_and_nonsense_is_nothing()
    {
        Assert.Null(SmppReceipts.TryRead(new ShortMessageBody { ShortMessage = "id:1 stat:DELIVRD"u8.ToArray() }));
        Assert.Null(SmppReceipts.TryRead(Receipt("hello")));
        Assert.Null(SmppReceipts.TryParseText("id:1 stat:WHATEVER"));
    }

    [Fact]
    public void Formatted_receipts_parse_back()
    {
        var receipt = new SmppReceipt("42", SmppMessageState.Expired, "err:00A", new DateTime(2025, 7, 1, 8, 0, 0), new DateTime(2025, 7, 2, 8, 0, 0), 1, 0);
        Assert.Equal(receipt, SmppReceipts.TryParseText(SmppReceipts.Format(receipt, "Canh bao")));
    }

    [Theory]
    [InlineData("1A2B", "6699", true)]
    [InlineData("6699", "1A2B", true)]
    [InlineData("abc", "ABC", true)]
    [InlineData("0000123", "123", true)]
    [InlineData("1A2B", "6698", false)]
    [InlineData("msg-1", "msg-2", false)]
    public void Hex_and_decimal_forms_of_one_id_match(string submitted, string receipted, bool matches)
    {
        Assert.Equal(matches, SmppMessageId.Matches(submitted, receipted));
    }
}
