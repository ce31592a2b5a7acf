using System.Globalization;
using System.Text.RegularExpressions;

namespace Loa.CampaignApi.Reports;

/// <summary>
/// The period a kept report covers: a year (<c>2026</c>) or a quarter (<c>2026-Q3</c>), as months the coverage counters
/// answer exactly and as the instants [<see cref="From"/>, <see cref="To"/>) of campaign starts the delivery summary covers.
/// A period not yet over ends at the moment of generation: the year so far.
/// </summary>
/// <param name="Kind"><c>yearly</c> or <c>quarterly</c>.</param>
/// <param name="Label"><c>2026</c> or <c>2026-Q3</c>.</param>
/// <param name="FirstMonth">The first month of the coverage's run (the 1st of it).</param>
/// <param name="LastMonth">The last month of the coverage's run, included (the 1st of it).</param>
public sealed partial record ExportPeriod(string Kind, string Label, DateOnly FirstMonth, DateOnly LastMonth, DateTimeOffset From, DateTimeOffset To)
{
    public const string Yearly = "yearly";
    public const string Quarterly = "quarterly";

    private static readonly TimeSpan Vietnam = TimeSpan.FromHours(7);

    /// <summary>
    /// What a schedule's firing at <paramref name="fired"/> reports. Yearly: the year so far, January to the firing;
    /// a firing in January reports the whole year before, which has just ended. Quarterly: the last quarter that
    /// ended before the firing, whole. From the fire time Quartz scheduled, not the clock, so that a misfire run
    /// after downtime reports the period its firing was for.
    /// </summary>
    public static ExportPeriod ForFiring(string kind, DateTimeOffset fired)
    {
        var local = fired.ToOffset(Vietnam);
        if (kind == Yearly)
            return local.Month == 1 ? Year(local.Year - 1, fired) : Year(local.Year, fired);
        var quarter = (local.Month - 1) / 3 + 1;
        return quarter == 1 ? Quarter(local.Year - 1, 4, fired) : Quarter(local.Year, quarter - 1, fired);
    }

    /// <summary>An operator's <c>2026</c> or <c>2026-Q3</c>; null when it is not one, or has not begun at <paramref name="now"/>.</summary>
    public static ExportPeriod? Parse(string? text, DateTimeOffset now)
    {
        var match = text is null ? null : Pattern().Match(text.Trim());
        if (match is not { Success: true })
            return null;
        var year = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        if (year is < Dates.FirstYear or > Dates.LastYear)
            return null;
        var period = match.Groups[2].Success ? Quarter(year, match.Groups[2].Value[0] - '0', now) : Year(year, now);
        return period.From >= now ? null : period;
    }

    /// <summary>The year, ending at <paramref name="now"/> when it is not over by then.</summary>
    public static ExportPeriod Year(int year, DateTimeOffset now) => Clip(Yearly, year.ToString(CultureInfo.InvariantCulture), new DateOnly(year, 1, 1), 12, now);

    /// <summary>The quarter (1–4), ending at <paramref name="now"/> when it is not over by then.</summary>
    public static ExportPeriod Quarter(int year, int quarter, DateTimeOffset now) =>
        Clip(Quarterly, $"{year}-Q{quarter}", new DateOnly(year, (quarter - 1) * 3 + 1, 1), 3, now);

    private static ExportPeriod Clip(string kind, string label, DateOnly first, int months, DateTimeOffset now)
    {
        var from = new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), Vietnam);
        var end = from.AddMonths(months);
        var to = end <= now ? end : now;
        var lastLocal = to.ToOffset(Vietnam).AddTicks(-1);
        var last = to == end ? first.AddMonths(months - 1) : new DateOnly(lastLocal.Year, lastLocal.Month, 1);
        if (last < first)
            last = first;
        return new ExportPeriod(kind, label, first, last, from, to);
    }

    [GeneratedRegex(@"^([0-9]{4})(?:-Q([1-4]))?$")]
    private static partial Regex Pattern();
}
