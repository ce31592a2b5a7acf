using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Campaigns;

namespace Loa.CampaignApi.Campaigns;

public sealed record SmsView(string Text, string Encoding, long Parts, int Length);

public sealed record Preview(
    long Recipients, long Suppressed, IReadOnlyDictionary<string, long> SuppressedByReason, string? SmsEncoding, long SmsParts,
    IReadOnlyDictionary<string, long> ByCarrier, long EstimatedSeconds);

public sealed record CampaignView(
    string Id, string Name, string Kind, string Status, string Tenant,
    IReadOnlyList<string> Channels, MessageDefinition? Message, AudienceDefinition? Audience,
    ScheduleDefinition? Schedule, OptionsDefinition? Options, SmsView? Sms,
    string CreatedBy, DateTimeOffset CreatedAt, string? SubmittedBy, string? ApprovedBy, DateTimeOffset? ApprovedAt,
    string? RejectedReason, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, Preview? Preview,
    string? Corrects, string? CorrectedBy,
    string? SeriesId, DateTimeOffset? RunAt, DateTimeOffset? NextRunAt,
    CapOrigin? Cap)
{
    public static CampaignView From(CampaignRow row, Preview? preview = null)
    {
        var definition = System.Text.Json.JsonSerializer.Deserialize<CampaignDefinition>(row.Definition, LoaJson.Options)!;
        var sms = row.SmsText is null ? null : new SmsView(row.SmsText, row.SmsEncoding ?? "gsm7", row.SmsParts ?? 1, 0);
        return new CampaignView(
            row.Id, row.Name, row.Kind, row.Status, row.Tenant,
            definition.Channels ?? [], definition.Message, definition.Audience, definition.Schedule, definition.Options,
            sms is null ? null : sms with { Length = Loa.CarrierAdapters.Encoding.SmsText.Measure(sms.Text).Length },
            row.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), row.SubmittedBy, row.ApprovedBy, Clock.At(row.ApprovedAt),
            row.RejectedReason, Clock.At(row.StartedAt), Clock.At(row.CompletedAt), preview,
            row.Corrects, row.CorrectedBy,
            row.SeriesId, Clock.At(row.RunAt), Clock.At(row.NextRunAt),
            definition.Cap);
    }
}

public sealed record CampaignPage(IReadOnlyList<CampaignView> Items, string? Next);

public sealed record CarrierProgress(long Total, long Queued, long Submitted, long Delivered, long Failed, long Expired, long Cancelled, long Suppressed);

public sealed record ProgressView(
    string Status, long Total, long Queued, long Submitted, long Delivered, long Failed, long Expired, long Cancelled, long Suppressed,
    IReadOnlyDictionary<string, long> SuppressedByReason, IReadOnlyDictionary<string, CarrierProgress> ByCarrier, double RatePerSecond, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt);

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
