namespace Loa.Tests.Shared;

/// <summary>
/// The real clock moved by <see cref="Offset"/>: "now" can be any time of day, while delays and
/// timers still run in real time, so a whole host (leases, lanes, receipts) keeps working.
/// </summary>
public sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public TimeSpan Offset { get; set; } = offset;

    /// <summary>A clock that reads <paramref name="localTime"/> (Asia/Ho_Chi_Minh, UTC+7) today right now.</summary>
    public static ShiftedClock AtVietnamTime(TimeOnly localTime)
    {
        var now = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7));
        var target = new DateTimeOffset(DateOnly.FromDateTime(now.DateTime).ToDateTime(localTime), TimeSpan.FromHours(7));
        return new ShiftedClock(target - now);
    }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
