using Loa.Contracts;

namespace Loa.Dispatcher.Tests.Sending;

public sealed class SendingWindowTests
{
    private static readonly TimeSpan Vietnam = TimeSpan.FromHours(7);

    private static DateTimeOffset At(string local) => DateTimeOffset.Parse(local + "+07:00");

    [Theory]
    [InlineData("2026-11-23T07:00:00", null)]
    [InlineData("2026-11-23T12:30:00", null)]
    [InlineData("2026-11-23T21:59:59", null)]
    [InlineData("2026-11-23T22:00:00", "2026-11-24T07:00:00")]
    [InlineData("2026-11-23T23:30:00", "2026-11-24T07:00:00")]
    [InlineData("2026-11-24T00:10:00", "2026-11-24T07:00:00")]
    [InlineData("2026-11-23T06:59:59", "2026-11-23T07:00:00")]
    [InlineData("2026-12-31T22:15:00", "2027-01-01T07:00:00")]
    public void The_default_window_is_seven_to_twenty_two_in_Vietnam(string now, string? opens)
    {
        var next = SendingWindow.Default.NextOpening(At(now));
        Assert.Equal(opens is null ? null : At(opens), next);
    }

    [Fact]
    public void The_window_is_Vietnamese_time_whatever_the_caller_offset()
    {
        // 23:30 UTC is 06:30 the next morning in Hanoi.
        var next = SendingWindow.Default.NextOpening(DateTimeOffset.Parse("2026-11-23T23:30:00Z"));
        Assert.Equal(At("2026-11-24T07:00:00"), next);
        Assert.Equal(Vietnam, next!.Value.Offset);
    }

    [Theory]
    [InlineData("2026-11-23T21:00:00", null)]
    [InlineData("2026-11-24T05:59:00", null)]
    [InlineData("2026-11-24T06:00:00", "2026-11-24T20:00:00")]
    [InlineData("2026-11-24T19:59:00", "2026-11-24T20:00:00")]
    public void A_window_may_run_over_midnight(string now, string? opens)
    {
        var window = SendingWindow.Parse(new WindowDefinition("20:00", "06:00"), out var error)!;
        Assert.Null(error);
        Assert.Equal(opens is null ? null : At(opens), window.NextOpening(At(now)));
    }

    [Theory]
    [InlineData("7:00", "22:00")]
    [InlineData("07:00", "24:00")]
    [InlineData("07:00", "07:00")]
    [InlineData(null, "22:00")]
    [InlineData("seven", "22:00")]
    public void Bad_windows_are_refused_with_a_reason(string? from, string? to)
    {
        Assert.Null(SendingWindow.Parse(new WindowDefinition(from, to), out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void No_window_means_the_default()
    {
        Assert.Same(SendingWindow.Default, SendingWindow.Parse(null, out var error));
        Assert.Null(error);
    }
}
