using Loa.CarrierAdapters;
using Loa.Dispatcher.Sending;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Dispatcher.Tests.Sending;

/// <summary>
/// A submit the carrier partly took while throttling the rest (an SMSC's ESME_RTHROTTLED after some parts
/// were taken) completes, and must slow the lane as a throttled one does.
/// </summary>
public sealed class LaneSlowDownTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z"));

    private static SubmitOutcome.Completed Taken(bool slowDown, TimeSpan? retryAfter = null) =>
        new([new MessageResult("1", true, "A1", null), new MessageResult("2", false, null, "not sent: ESME_RTHROTTLED") { Fate = MessageFate.NotTaken }])
        {
            SlowDown = slowDown,
            RetryAfter = retryAfter,
        };

    [Fact]
    public async Task A_completed_submit_that_asked_to_slow_down_halves_the_rate_as_a_throttled_one_does()
    {
        using var completed = new LaneRate(100, new LaneRateSettings(), time);
        using var throttled = new LaneRate(100, new LaneRateSettings(), time);

        using (var spend = await completed.AcquireAsync(10, CancellationToken.None).WaitAsync(Patience))
            spend.Answered(Taken(slowDown: true));
        using (var spend = await throttled.AcquireAsync(10, CancellationToken.None).WaitAsync(Patience))
            spend.Answered(new SubmitOutcome.Throttled(null, "ESME_RTHROTTLED"));

        Assert.Equal(50, completed.Current, 3);
        Assert.Equal(throttled.Current, completed.Current, 3);
    }

    [Fact]
    public async Task A_completed_submit_that_did_not_ask_lets_the_rate_climb_back()
    {
        using var rate = new LaneRate(100, new LaneRateSettings(), time);
        using (var spend = await rate.AcquireAsync(1, CancellationToken.None).WaitAsync(Patience))
            spend.Answered(Taken(slowDown: true));
        Assert.Equal(50, rate.Current, 3);
        time.Advance(TimeSpan.FromSeconds(2));

        using (var spend = await rate.AcquireAsync(1, CancellationToken.None).WaitAsync(Patience))
            spend.Answered(Taken(slowDown: false));

        Assert.Equal(55, rate.Current, 3);
    }

    [Fact]
    public async Task The_carriers_retry_after_on_a_completed_submit_pauses_the_lane()
    {
        using var rate = new LaneRate(100, new LaneRateSettings(), time);
        using (var spend = await rate.AcquireAsync(1, CancellationToken.None).WaitAsync(Patience))
            spend.Answered(Taken(slowDown: true, retryAfter: TimeSpan.FromSeconds(3)));

        var next = rate.AcquireAsync(1, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(2.9));
        await Task.Delay(100);
        Assert.False(next.IsCompleted, "the lane went on before the carrier's Retry-After");
        time.Advance(TimeSpan.FromMilliseconds(100));
        (await next.WaitAsync(Patience)).Dispose();
    }
}
