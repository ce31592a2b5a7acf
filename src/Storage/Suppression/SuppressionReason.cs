namespace Loa.Storage.Suppression;

/// <summary>Why a recipient gets no message from a campaign; the reason is kept on the delivery row.</summary>
public static class SuppressionReason
{
    public const string OptedOut = "opted-out";
    public const string FrequencyCap = "frequency-cap";
    public const string NotTestNumber = "not-test-number";

    public static readonly IReadOnlyList<string> All = [OptedOut, FrequencyCap, NotTestNumber];

    /// <summary>campaign_progress counts suppressed recipients as <c>suppressed:&lt;reason&gt;</c>.</summary>
    public const string ProgressPrefix = "suppressed:";
}
