namespace Loa.CampaignApi.Verification;

/// <summary><c>Loa:PublicAlerts</c>: the public page where a citizen checks that an alert is genuine.</summary>
public sealed class PublicAlertOptions
{
    public const string Section = "Loa:PublicAlerts";

    /// <summary>The host (and path, if any) printed in an SMS's verification suffix: where citizens reach <c>/a/{code}</c>.</summary>
    public string Host { get; set; } = "loa.gov.vn";

    /// <summary>How far back the page lists alerts.</summary>
    public int Days { get; set; } = 30;

    /// <summary>How long one reading of the list is served before the database is read again.</summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Page loads per minute one address may make (a whole province may check one alert at once, behind one NAT).</summary>
    public int RequestsPerMinute { get; set; } = 120;
}
