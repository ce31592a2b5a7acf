namespace Loa.CampaignApi.Scheduling;

/// <summary><c>Loa:Scheduling</c>: how often due campaigns are looked for, and whether this host looks at all.</summary>
public sealed class SchedulingOptions
{
    public const string Section = "Loa:Scheduling";

    /// <summary>
    /// Off for a host that must not launch campaigns (a pure dispatcher, a test of something else); the
    /// campaigns wait in the database for a host that has it on.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The pause between the end of one look for due campaigns and the start of the next. A campaign starts at
    /// most this late, plus the time one look takes.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
