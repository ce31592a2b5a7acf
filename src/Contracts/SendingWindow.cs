using System.Globalization;

namespace Loa.Contracts;

/// <summary>
/// Hours of the day in which awareness messages may go out (default 07:00–22:00 in Vietnam).
/// A window whose end is before its start runs over midnight. Emergency and warning ignore it.
/// </summary>
public sealed record SendingWindow(TimeOnly From, TimeOnly To, TimeZoneInfo Zone)
{
    public static readonly TimeZoneInfo Vietnam = FindVietnam();

    public static SendingWindow Default { get; } = new(new TimeOnly(7, 0), new TimeOnly(22, 0), Vietnam);

    /// <summary>Reads <c>{"from":"07:00","to":"22:00"}</c>; null with the reason when a time is not HH:mm or the window is empty.</summary>
    public static SendingWindow? Parse(WindowDefinition? window, out string? error)
    {
        error = null;
        if (window is null)
            return Default;
        if (!TimeOnly.TryParseExact(window.From, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from)
            || !TimeOnly.TryParseExact(window.To, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to))
        {
            error = "window.from and window.to must be times of day as HH:mm (Asia/Ho_Chi_Minh).";
            return null;
        }
        if (from == to)
        {
            error = "window.from and window.to must differ.";
            return null;
        }
        return new SendingWindow(from, to, Vietnam);
    }

    /// <summary>Null when sending is allowed at <paramref name="now"/>; otherwise when the window next opens.</summary>
    public DateTimeOffset? NextOpening(DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, Zone);
        var time = TimeOnly.FromTimeSpan(local.TimeOfDay);
        var open = From < To ? time >= From && time < To : time >= From || time < To;
        if (open)
            return null;
        var day = DateOnly.FromDateTime(local.DateTime);
        if (time >= From)
            day = day.AddDays(1);
        var opening = day.ToDateTime(From);
        return new DateTimeOffset(opening, Zone.GetUtcOffset(opening));
    }

    // Vietnam has kept UTC+7 without daylight saving since 1975; the fixed zone covers a machine without tzdata.
    private static TimeZoneInfo FindVietnam()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh");
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return TimeZoneInfo.CreateCustomTimeZone("Asia/Ho_Chi_Minh", TimeSpan.FromHours(7), "Indochina Time", "ICT");
        }
    }
}
