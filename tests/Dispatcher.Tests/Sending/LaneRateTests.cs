using Loa.Dispatcher.Sending;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Dispatcher.Tests.Sending;

public sealed class LaneRateTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z"));

    private LaneRate Rate(int limit) => new(limit, new LaneRateSettings(), time);

    [Fact]
    public async Task Tokens_come_back_one_second_after_the_answer_not_after_the_call()
    {
        using var rate = Rate(100);
        var first = await rate.AcquireAsync(100, CancellationToken.None).WaitAsync(Patience);
        var second = rate.AcquireAsync(10, CancellationToken.None);

        // A slow carrier: the answer takes five seconds, and the tokens stay out all that time.
        time.Advance(TimeSpan.FromSeconds(5));
        await AssertWaitingAsync(second);

        first.Succeeded();
        first.Dispose();
        time.Advance(TimeSpan.FromMilliseconds(990));
        await AssertWaitingAsync(second);

        // Exactly a second is not quite enough: the margin keeps the next batch out of the carrier's window.
        time.Advance(TimeSpan.FromMilliseconds(10));
        await AssertWaitingAsync(second);
        time.Advance(LaneRate.HoldMargin);
        (await second.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task A_lane_that_starts_cold_sends_nothing_in_its_first_second()
    {
        // It may have just taken over from a dispatcher that sent a full second a moment ago.
        using var rate = new LaneRate(100, new LaneRateSettings(), time, startsCold: true);
        var first = rate.AcquireAsync(1, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(1000));
        await AssertWaitingAsync(first);
        time.Advance(LaneRate.HoldMargin);
        (await first.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task Submits_are_paced_over_the_second_and_the_window_still_caps_them()
    {
        using var rate = Rate(100);
        using var first = await rate.AcquireAsync(60, CancellationToken.None).WaitAsync(Patience);
        // 60 parts at 100 a second: the next submit starts 0.6 s later, not at once.
        var second = rate.AcquireAsync(40, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(590));
        await AssertWaitingAsync(second);
        time.Advance(TimeSpan.FromMilliseconds(10));
        using var secondSpend = await second.WaitAsync(Patience);

        // Pacing alone would let the third go at 1.0 s; the first submit's tokens are still out.
        var third = rate.AcquireAsync(1, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await AssertWaitingAsync(third);
        first.Dispose();
        time.Advance(TimeSpan.FromSeconds(1) + LaneRate.HoldMargin);
        (await third.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task A_batch_bigger_than_the_limit_takes_the_whole_second_instead_of_waiting_forever()
    {
        using var rate = Rate(50);
        using var spend = await rate.AcquireAsync(500, CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(50, rate.Limit);
    }

    [Fact]
    public async Task Throttling_halves_the_rate_and_waits_out_retry_after()
    {
        using var rate = Rate(100);
        var spend = await rate.AcquireAsync(10, CancellationToken.None).WaitAsync(Patience);
        spend.Throttled(TimeSpan.FromSeconds(3));
        spend.Dispose();
        Assert.Equal(50, rate.Current, 3);

        var next = rate.AcquireAsync(1, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(2.9));
        await AssertWaitingAsync(next);
        time.Advance(TimeSpan.FromMilliseconds(100));
        (await next.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task At_half_rate_tokens_are_held_two_seconds()
    {
        using var rate = Rate(100);
        var throttled = await rate.AcquireAsync(1, CancellationToken.None).WaitAsync(Patience);
        throttled.Throttled(TimeSpan.Zero);
        throttled.Dispose();
        time.Advance(TimeSpan.FromSeconds(2) + LaneRate.HoldMargin); // the one token comes back

        var all = await rate.AcquireAsync(100, CancellationToken.None).WaitAsync(Patience);
        all.Dispose();
        var next = rate.AcquireAsync(1, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1.9));
        await AssertWaitingAsync(next);
        time.Advance(TimeSpan.FromMilliseconds(100) + LaneRate.HoldMargin);
        (await next.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task Accepted_batches_raise_the_rate_additively_back_to_the_limit_and_no_further()
    {
        using var rate = Rate(200);
        var spend = await rate.AcquireAsync(1, CancellationToken.None).WaitAsync(Patience);
        spend.Throttled(TimeSpan.Zero);
        spend.Dispose();
        Assert.Equal(100, rate.Current, 3);
        for (var i = 1; i <= 12; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1)); // past the pacing of the previous submit
            var ok = await rate.AcquireAsync(1, CancellationToken.None).WaitAsync(Patience);
            ok.Succeeded();
            ok.Dispose();
            Assert.Equal(Math.Min(200, 100 + 10 * i), rate.Current, 3);
        }
    }

    [Fact]
    public async Task Repeated_throttling_stops_at_the_floor()
    {
        using var rate = new LaneRate(1000, new LaneRateSettings { Floor = 0.1, Decrease = 0.5 }, time);
        for (var i = 0; i < 20; i++)
        {
            var spend = await rate.AcquireAsync(1, CancellationToken.None).WaitAsync(Patience);
            spend.Throttled(TimeSpan.Zero);
            spend.Dispose();
            time.Advance(TimeSpan.FromSeconds(11)); // the longest hold at the floor is ten seconds
        }
        Assert.Equal(100, rate.Current, 3);
    }

    [Fact]
    public async Task A_cancelled_wait_takes_no_tokens()
    {
        using var rate = Rate(10);
        var all = await rate.AcquireAsync(10, CancellationToken.None).WaitAsync(Patience);
        using var cancel = new CancellationTokenSource();
        var waiting = rate.AcquireAsync(5, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Patience));
        all.Dispose();
        time.Advance(TimeSpan.FromSeconds(1) + LaneRate.HoldMargin);
        (await rate.AcquireAsync(10, CancellationToken.None).WaitAsync(Patience)).Dispose();
    }

    private static async Task AssertWaitingAsync(Task task)
    {
        // Continuations run on the thread pool: give a release that should not happen time to show.
        await Task.WhenAny(task, Task.Delay(Settle));
        Assert.False(task.IsCompleted, "the lane let a submit through before its tokens were back");
    }
}
