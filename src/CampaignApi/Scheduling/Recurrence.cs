using Loa.Contracts;
using Quartz;

namespace Loa.CampaignApi.Scheduling;

/// <summary>A campaign's <c>recurrence</c>: a Quartz cron expression read in Asia/Ho_Chi_Minh, where the agency works.</summary>
public static class Recurrence
{
    /// <returns>Null when the expression is usable; otherwise why not.</returns>
    public static string? Problem(string cron, DateTimeOffset from, DateTimeOffset? until)
    {
        if (cron.Length > 120 || !CronExpression.TryParse(cron, out _))
            return "recurrence must be a Quartz cron expression (seconds minutes hours day-of-month month day-of-week [year]), e.g. \"0 0 8 1 * ?\" for 08:00 on the 1st of each month.";
        var first = Next(cron, from);
        if (first is null || (until is { } end && first >= end))
            return "recurrence has no occurrence between the start and expiresAt.";
        return null;
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, or null when there is none.</summary>
    public static DateTimeOffset? Next(string cron, DateTimeOffset after) =>
        new CronExpression(cron, SendingWindow.Vietnam).GetNextValidTimeAfter(after);
}

/// <summary>A report schedule's cron: a Quartz expression, read in Asia/Ho_Chi_Minh, that fires at least once more.</summary>
public static class ReportCron
{
    /// <param name="now">When given, the expression must fire after it (a cron bound to a past year never would).</param>
    /// <returns>Null when usable; otherwise why not.</returns>
    public static string? Problem(string? cron, bool allowEmpty = false, DateTimeOffset? now = null)
    {
        if (string.IsNullOrWhiteSpace(cron))
            return allowEmpty ? null : "Give a Quartz cron expression, e.g. \"0 0 7 20 11 ?\" for 07:00 on 20 November.";
        if (cron.Length > 120 || !CronExpression.TryParse(cron.Trim(), out _))
            return "Not a Quartz cron expression (seconds minutes hours day-of-month month day-of-week [year]), e.g. \"0 0 7 20 11 ?\" for 07:00 on 20 November.";
        return now is { } after && Recurrence.Next(cron.Trim(), after) is null ? "The expression never fires again." : null;
    }
}
