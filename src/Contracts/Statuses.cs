namespace Loa.Contracts;

public static class CampaignStatus
{
    public const string Draft = "draft";
    public const string PendingApproval = "pending_approval";
    public const string Scheduled = "scheduled";
    public const string Running = "running";
    public const string Paused = "paused";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";
    public const string Failed = "failed";
}

/// <summary>A delivery only moves forward: queued → submitted → delivered / failed / expired / cancelled; or suppressed from the start.</summary>
public static class DeliveryStatus
{
    public const string Queued = "queued";
    public const string Submitted = "submitted";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";

    /// <summary>Never sent on purpose (opted out, frequency cap, not a test number); the reason is in the row's error.</summary>
    public const string Suppressed = "suppressed";

    public static bool IsFinal(string status) =>
        status is Delivered or Failed or Expired or Cancelled or Suppressed;
}

public static class CampaignKind
{
    public const string Emergency = "emergency";
    public const string Warning = "warning";
    public const string Awareness = "awareness";
    public const string Test = "test";

    public static readonly IReadOnlyList<string> All = [Emergency, Warning, Awareness, Test];

    /// <summary>
    /// Lower runs first: emergency 0, warning 1 (the urgent class), awareness 2, test 3 (the bulk
    /// class). A lane takes urgent batches before bulk ones.
    /// </summary>
    public static int Priority(string kind) => kind switch
    {
        Emergency => 0,
        Warning => 1,
        Awareness => 2,
        _ => 3,
    };
}

public static class Channels
{
    public const string Sms = "sms";
    public const string Push = "push";

    /// <summary>A push app's send lane is the carrier <c>push-&lt;app&gt;</c> (lower case).</summary>
    public const string PushLanePrefix = "push-";

    /// <summary>Whether a carrier id names a push app's lane rather than a telecom carrier.</summary>
    public static bool IsPushLane(string carrier) => carrier.StartsWith(PushLanePrefix, StringComparison.Ordinal);
}

/// <summary>The carrier name given to a number no prefix or ported entry routes.</summary>
public static class Unrouted
{
    public const string Carrier = "none";
}
