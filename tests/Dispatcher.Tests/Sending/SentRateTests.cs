using Loa.Dispatcher.Sending;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Dispatcher.Tests.Sending;

public sealed class SentRateTests
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-29T08:00:00Z"));

    [Fact]
    public void The_rate_is_the_mean_of_the_last_complete_seconds_and_leaves_out_the_one_still_filling()
    {
        var sent = new SentRate(time, seconds: 10);
        for (var second = 0; second < 10; second++)
        {
            sent.Add(100);
            time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(100, sent.PerSecond);

        sent.Add(5_000); // this second is not over: not counted yet
        Assert.Equal(100, sent.PerSecond);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((9 * 100 + 5_000) / 10.0, sent.PerSecond);
    }

    [Fact]
    public void Seconds_older_than_the_window_drop_out_and_an_idle_lane_reads_zero()
    {
        var sent = new SentRate(time, seconds: 10);
        sent.Add(1_000);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(100, sent.PerSecond);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, sent.PerSecond);
        // A slot reused after a full lap starts from zero, not from what it held a lap ago.
        sent.Add(10);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, sent.PerSecond);
    }
}
