using Loa.Dispatcher.Replies;

namespace Loa.Dispatcher.Tests.Replies;

public sealed class OptOutKeywordTests
{
    private static readonly string[] Keywords = new ReplyOptions().OptOutKeywords;

    [Theory]
    [InlineData("TC")]
    [InlineData("tc")]
    [InlineData(" Tc. ")]
    [InlineData("Từ chối")]
    [InlineData("TỪ CHỐI!")]
    [InlineData("tu  choi tin nhan")]
    [InlineData("STOP")]
    [InlineData("Hủy")]
    public void A_keyword_alone_or_first_opts_out_whatever_its_accents_case_and_punctuation(string reply) =>
        Assert.True(ReplyInbox.IsOptOut(reply, Keywords));

    [Theory]
    [InlineData("")]
    [InlineData("TCX")]
    [InlineData("Tôi không từ chối")]
    [InlineData("Cảm ơn")]
    [InlineData("STOPPED")]
    public void Anything_else_is_only_a_reply(string reply) =>
        Assert.False(ReplyInbox.IsOptOut(reply, Keywords));

    [Fact]
    public void Configured_keywords_replace_the_defaults() =>
        Assert.Equal((true, false), (ReplyInbox.IsOptOut("ngừng", ["NGUNG"]), ReplyInbox.IsOptOut("TC", ["NGUNG"])));
}
