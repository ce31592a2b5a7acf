namespace Loa.CampaignApi.Reports;

/// <summary>
/// <c>Loa:Reports</c>: when the national reports are generated, as Quartz cron expressions read in Asia/Ho_Chi_Minh.
/// An empty value turns that schedule off. Provinces set their own dates through <c>PUT /api/v1/reports/schedules/{tenant}</c>.
/// </summary>
public sealed class ReportScheduleOptions
{
    public const string Section = "Loa:Reports";

    /// <summary>
    /// 07:00 on 1 December: the year so far is ready four days before the agency's 5 December deadline, with a
    /// working day or two to look it over.
    /// </summary>
    public string Yearly { get; set; } = "0 0 7 1 12 ?";

    /// <summary>07:00 on the first day after each quarter ends, for the quarter just ended.</summary>
    public string Quarterly { get; set; } = "0 0 7 1 1,4,7,10 ?";
}
