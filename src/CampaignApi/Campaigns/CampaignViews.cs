using Loa.CampaignApi.Security;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Campaigns;

namespace Loa.CampaignApi.Campaigns;

/// <param name="NormalizedFrom">As the preview's: what the text as written would have cost before it was precomposed (NFC).</param>
public sealed record SmsView(string Text, string Encoding, long Parts, int Length, TextCost? NormalizedFrom = null);

/// <param name="Units">UTF-16 units (UCS-2) or septets (GSM-7).</param>
public sealed record TextCost(int Units, int Parts);

/// <param name="SmsParts">What the campaign pays per message: the most any carrier it targets bills.</param>
/// <param name="SmsPartsByCarrier">The parts each carrier bills for the text, by its split rule (<c>Loa:Carriers:&lt;id&gt;:SplitGraphemes</c>).</param>
/// <param name="NormalizedFrom">What the text as written would have cost before it was precomposed (NFC); only in the answer that took the text, null when NFC changed nothing.</param>
/// <param name="Exact">False only when the campaign's lists were too large to count the numbers they share: recipients and byCarrier are then an upper bound.</param>
/// <param name="Correction">For a correction only: who had the campaign it corrects and who did not.</param>
public sealed record Preview(
    long Recipients, long Suppressed, IReadOnlyDictionary<string, long> SuppressedByReason, string? SmsEncoding, long SmsParts,
    IReadOnlyDictionary<string, long> ByCarrier, long EstimatedSeconds,
    IReadOnlyDictionary<string, long>? SmsPartsByCarrier = null, bool Exact = true, TextCost? NormalizedFrom = null,
    CorrectionPreview? Correction = null)
{
    /// <summary>With <c>audience.devices</c>: the devices the push reaches (also in <see cref="Recipients"/> and, as <c>push-&lt;app&gt;</c>, in <see cref="ByCarrier"/>).</summary>
    public PushPreview? Push { get; init; }
}

/// <summary>
/// The devices a push campaign reaches, per app and per province (suppressed ones of a test campaign included,
/// as in <c>recipients</c>), registered ones: an app on topics reaches them through its topics.
/// </summary>
public sealed record PushPreview(long Devices, IReadOnlyDictionary<string, long> ByApp, IReadOnlyDictionary<string, long> ByProvince)
{
    /// <summary>The topic sends of the apps on topics: one delivery each, in <c>recipients</c> and <c>byCarrier</c> in place of those apps' devices.</summary>
    public long Topics { get; init; }

    /// <summary>Per app on topics (only those), its topic sends: the (province, language) pairs with at least one device.</summary>
    public IReadOnlyDictionary<string, long> TopicsByApp { get; init; } = new Dictionary<string, long>();
}

/// <summary>
/// A correction goes to its whole audience. Of its recipients, <paramref name="AlreadySentOriginal"/>
/// already had the original (a carrier took it: submitted or delivered) and get the correction as well;
/// <paramref name="NotYetSentOriginal"/> did not (yet to be sent, or never reached) and, once the
/// correction is approved, get only the correction. Read from the original's progress counters.
/// </summary>
public sealed record CorrectionPreview(long AlreadySentOriginal, long NotYetSentOriginal);

/// <param name="CreatedBy">The principal id (<c>key:…</c>, <c>jwt:…</c>) that wrote it: the identity, as compared by the two-person rule.</param>
/// <param name="CreatedByName">Its label for people (the key's name, the token's subject); null when unknown. Shown, never compared.</param>
/// <param name="SubmittedByName">As <paramref name="CreatedByName"/>, for <paramref name="SubmittedBy"/>.</param>
/// <param name="ApprovedByName">As <paramref name="CreatedByName"/>, for <paramref name="ApprovedBy"/>; a pre-approved CAP alert's sender.</param>
public sealed record CampaignView(
    string Id, string Name, string Kind, string Status, string Tenant,
    IReadOnlyList<string> Channels, MessageDefinition? Message, AudienceDefinition? Audience,
    ScheduleDefinition? Schedule, OptionsDefinition? Options, SmsView? Sms,
    string CreatedBy, string? CreatedByName, DateTimeOffset CreatedAt, string? SubmittedBy, string? SubmittedByName,
    string? ApprovedBy, string? ApprovedByName, DateTimeOffset? ApprovedAt,
    string? RejectedReason, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, Preview? Preview,
    string? Corrects, string? CorrectedBy, string? SupersededBy,
    string? SeriesId, DateTimeOffset? RunAt, DateTimeOffset? NextRunAt,
    CapOrigin? Cap, string? ResendOf = null, IReadOnlyList<string>? Resends = null, string? PushSuffix = null)
{
    /// <summary>The views of a page of campaigns, with the names of everyone they record looked up in one go.</summary>
    public static async Task<IReadOnlyList<CampaignView>> FromAsync(IReadOnlyList<CampaignRow> rows, PrincipalNames names, CancellationToken ct)
    {
        var labels = await NamesAsync(rows, names, ct);
        return rows.Select(r => From(r, labels)).ToList();
    }

    public static async Task<CampaignView> FromAsync(CampaignRow row, PrincipalNames names, CancellationToken ct, Preview? preview = null) =>
        From(row, await NamesAsync([row], names, ct), preview);

    private static Task<PrincipalLabels> NamesAsync(IEnumerable<CampaignRow> rows, PrincipalNames names, CancellationToken ct) =>
        names.ForAsync(rows.SelectMany(r => new[] { r.CreatedBy, r.SubmittedBy, r.ApprovedBy }), ct);

    private static CampaignView From(CampaignRow row, PrincipalLabels names, Preview? preview = null)
    {
        var definition = System.Text.Json.JsonSerializer.Deserialize<CampaignDefinition>(row.Definition, LoaJson.Options)!;
        var sms = row.SmsText is null ? null : new SmsView(row.SmsText, row.SmsEncoding ?? "gsm7", row.SmsParts ?? 1, 0);
        return new CampaignView(
            row.Id, row.Name, row.Kind, row.Status, row.Tenant,
            definition.Channels ?? [], definition.Message, definition.Audience, definition.Schedule, definition.Options,
            sms is null ? null : sms with { Length = Loa.CarrierAdapters.Encoding.SmsText.Measure(sms.Text).Length, NormalizedFrom = preview?.NormalizedFrom },
            row.CreatedBy, names.Of(row.CreatedBy), DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt),
            row.SubmittedBy, names.Of(row.SubmittedBy), row.ApprovedBy, names.Of(row.ApprovedBy), Clock.At(row.ApprovedAt),
            row.RejectedReason, Clock.At(row.StartedAt), Clock.At(row.CompletedAt), preview,
            row.Corrects, row.CorrectedBy, row.SupersededBy,
            row.SeriesId, Clock.At(row.RunAt), Clock.At(row.NextRunAt),
            definition.Cap, row.ResendOf,
            // What the push lane appends to the notification's body (PushBatches): the approver sees the body as sent.
            PushSuffix: (definition.Channels ?? []).Contains(Loa.Contracts.Channels.Push)
                ? VerificationSuffix.Find(row.SmsText)?.Suffix ?? VerificationSuffix.Find(definition.PushVerification)?.Suffix
                : null);
    }
}

/// <summary>The answer to <c>POST /api/v1/campaigns/preview</c>: what a create would check, send and preview, nothing stored.</summary>
public sealed record DraftPreview(string Kind, IReadOnlyList<string> Channels, SmsView? Sms, Preview Preview);

/// <summary>The answer to a cancel with <c>?chain=true</c>: every campaign of the chain, each with its status now.</summary>
public sealed record CampaignChain(IReadOnlyList<CampaignView> Campaigns);

public sealed record CampaignPage(IReadOnlyList<CampaignView> Items, string? Next);

public sealed record CarrierProgress(long Total, long Queued, long Submitted, long Delivered, long Failed, long Expired, long Cancelled, long Suppressed);

public sealed record ProgressView(
    string Status, long Total, long Queued, long Submitted, long Delivered, long Failed, long Expired, long Cancelled, long Suppressed,
    IReadOnlyDictionary<string, long> SuppressedByReason, IReadOnlyDictionary<string, CarrierProgress> ByCarrier, double RatePerSecond, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt,
    PushProgress? Push = null, FallbackProgress? Fallback = null);

/// <param name="Accepted">Push deliveries FCM or APNs accepted (<c>delivered</c> on the push-&lt;app&gt; carriers).</param>
/// <param name="Received">Of those, acknowledged by the phone as received (an opened one counts here too).</param>
/// <param name="Opened">Of those, acknowledged as opened.</param>
public sealed record PushProgress(long Accepted, long Received, long Opened)
{
    /// <summary>
    /// The part of the figures above that went through topics (apps on topics), or null when none did. A
    /// topic send is one delivery that reaches every phone subscribed, so its phones' acks can outnumber it:
    /// a share of acknowledgements is meaningful only for the device sends (the figures above less these).
    /// </summary>
    public TopicProgress? Topics { get; init; }
}

/// <param name="Sends">Topic sends planned (one per app, province and language with devices).</param>
/// <param name="Accepted">Of those, accepted by FCM or APNs.</param>
/// <param name="Received">Phones that acknowledged a topic send as received (each device once per campaign).</param>
/// <param name="Opened">Of those, phones that acknowledged it as opened.</param>
/// <param name="Apps">The apps whose sends in this campaign were topics.</param>
public sealed record TopicProgress(long Sends, long Accepted, long Received, long Opened, IReadOnlyList<string> Apps);

/// <param name="Sent">Fallback SMS planned for pushes not acknowledged within <c>after</c> (counted in the SMS carriers' figures too).</param>
/// <param name="Saved">Pushes to a device with a linked number acknowledged in time: SMS not sent.</param>
public sealed record FallbackProgress(long Sent, long Saved);

public sealed record DeliveryView(
    string Id, string Recipient, string Carrier, string Status, long Attempts, string? Error, DateTimeOffset? SubmittedAt, DateTimeOffset? DeliveredAt);

public sealed record DeliveryPage(IReadOnlyList<DeliveryView> Items, string? Next);

public sealed record FailureView(string Carrier, string Reason, long Count);

public sealed record FailuresView(IReadOnlyList<FailureView> Items);

/// <param name="At">Start of the bucket.</param>
public sealed record ThroughputBucketView(DateTimeOffset At, long Submitted, long Delivered, long Failed);

public sealed record ThroughputView(int BucketSeconds, IReadOnlyList<ThroughputBucketView> Items);

public sealed record RejectRequest(string? Reason);

/// <summary><c>POST .../correction</c>: the corrected message; everything else is the original's.</summary>
public sealed record CorrectionRequest(MessageDefinition? Message);

/// <param name="Statuses">The outcomes to reach again: <c>failed</c>, <c>expired</c>, <c>unknown</c>.</param>
/// <param name="Channel">The channel of the re-send: <c>sms</c> (the default), or <c>push</c> to the devices linked to the numbers.</param>
/// <param name="Sms">The SMS text, only for a re-send by SMS of a campaign that had none; any other is the original's text.</param>
/// <param name="Push">The notification, only for a re-send through push of a campaign that had none.</param>
public sealed record ResendRequest(IReadOnlyList<string>? Statuses, string? Channel, string? Sms = null, PushMessageDefinition? Push = null);
