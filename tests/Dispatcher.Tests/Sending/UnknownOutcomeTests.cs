using Loa.CarrierAdapters;
using Loa.Dispatcher.Sending;

namespace Loa.Dispatcher.Tests.Sending;

/// <summary>
/// What the send lane records of a carrier's answer and what it sends again: a message certainly not
/// taken always goes again; one whose outcome is unknown only for the kinds that would rather repeat than miss.
/// </summary>
public sealed class UnknownOutcomeTests
{
    private static readonly MessageResult[] Answers =
    [
        new("1", true, "m-1", null),
        new("2", false, null, "ESME_RINVDSTADR"),
        new("3", false, null, "unknown outcome: the bind was lost") { Fate = MessageFate.Unknown },
        new("4", false, null, "not sent: ESME_RTHROTTLED until the submit deadline") { Fate = MessageFate.NotTaken },
    ];

    [Fact]
    public void An_emergency_sends_an_unknown_outcome_again_and_records_the_rest()
    {
        var (record, again) = SendBatchConsumer.Sort(Answers, "emergency", new DispatcherOptions());

        Assert.Equal(
            [new(1, true, "m-1", null), new(2, false, null, "ESME_RINVDSTADR")],
            record);
        Assert.Equal("sent again after unknown outcome: the bind was lost", again);
    }

    [Fact]
    public void A_warning_ends_an_unknown_outcome_failed_with_its_reason_and_still_sends_the_untaken_again()
    {
        var (record, again) = SendBatchConsumer.Sort(Answers, "warning", new DispatcherOptions());

        Assert.Equal(
            [new(1, true, "m-1", null), new(2, false, null, "ESME_RINVDSTADR"), new(3, false, null, "unknown outcome: the bind was lost")],
            record);
        Assert.Equal("not sent: ESME_RTHROTTLED until the submit deadline", again);
    }

    [Fact]
    public void The_kinds_that_resend_are_configurable_and_a_batch_all_answered_is_not_sent_again()
    {
        var settings = new DispatcherOptions { ResendUnknownKinds = ["emergency", "warning"] };
        var (record, again) = SendBatchConsumer.Sort(Answers[..3], "WARNING", settings);
        Assert.Equal(2, record.Count);
        Assert.NotNull(again);

        (record, again) = SendBatchConsumer.Sort(Answers[..2], "awareness", settings);
        Assert.Equal(2, record.Count);
        Assert.Null(again);
    }
}
