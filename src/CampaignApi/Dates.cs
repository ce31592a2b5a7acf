namespace Loa.CampaignApi;

/// <summary>
/// The dates Loa takes from a caller: in the years 2000 to 2100, as written (the clock year in the
/// date's own offset). Near year 1 or 9999 a time-zone shift, a month step or a cron search leaves
/// the range DateTimeOffset can hold and throws; no alert is sent or reported on outside this range.
/// </summary>
public static class Dates
{
    public const int FirstYear = 2000;
    public const int LastYear = 2100;

    public const string Range = "in the years 2000 to 2100";

    public static bool IsSane(DateTimeOffset at) => at.Year is >= FirstYear and <= LastYear;

    public static bool IsSane(DateTime at) => at.Year is >= FirstYear and <= LastYear;
}
