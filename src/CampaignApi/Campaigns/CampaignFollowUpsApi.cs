using System.Security.Claims;
using System.Text.Json;
using Loa.CampaignApi.Audit;
using Loa.CampaignApi.Security;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Campaigns;
using Loa.Storage.Deliveries;

namespace Loa.CampaignApi.Campaigns;

/// <summary>
/// What follows a campaign that went out: a correction of its message, or a re-send to those it did not
/// reach. Each is a new draft linked to the original, through the same checks and the same two-person
/// approval as any campaign (<see cref="CampaignsApi"/>).
/// </summary>
public static class CampaignFollowUpsApi
{
    public static RouteGroupBuilder MapCampaignFollowUpsApiV1(this RouteGroupBuilder group)
    {
        group.MapPost("/{id}/correction", CorrectAsync).RequireAuthorization(Roles.Author);
        group.MapPost("/{id}/resend", ResendAsync).RequireAuthorization(Roles.Author);
        return group;
    }

    /// <summary>
    /// A correction: a new draft to the same audience, kind and options with the corrected message,
    /// starting as soon as it is approved. It goes through the same checks and the same two-person
    /// approval; <c>corrects</c> on it and <c>correctedBy</c> on the original tell approvers why.
    /// </summary>
    public static async Task<IResult> CorrectAsync(
        string id, CorrectionRequest request, ClaimsPrincipal user, CampaignRules rules, CampaignPreview previews, CampaignStore campaigns, DeliveryReads deliveries, TimeProvider time,
        PrincipalNames names, AuditDetails audit, CancellationToken ct)
    {
        var original = await CampaignsApi.VisibleAsync(id, user, campaigns, ct);
        if (original is null)
            return Problems.NotFound("campaign");
        if (original.SupersededBy is { } supersededBy)
            return Problems.Superseded(original.Id, supersededBy); // a second correction would go out beside the first
        if (original.Status is CampaignStatus.Draft or CampaignStatus.PendingApproval)
            return Problems.Conflict($"A {original.Status} campaign is changed, not corrected: nothing has gone out yet.");
        // One correction at a time: two approved siblings would both go out, each superseding the same
        // original and neither the other. A further change corrects the correction, or replaces a cancelled one.
        if (original.CorrectedBy is { } pending && await campaigns.StatusAsync(pending, ct) is { } pendingStatus
            && pendingStatus != CampaignStatus.Cancelled)
        {
            return Problems.Conflict(
                $"Campaign {original.Id} already has a correction, {pending} ({pendingStatus}): correct that one instead, or cancel it first.");
        }
        var now = time.GetUtcNow();
        var before = JsonSerializer.Deserialize<CampaignDefinition>(original.Definition, LoaJson.Options)!;
        var name = $"Đính chính: {original.Name}";
        var definition = before with
        {
            Name = name.Length <= 200 ? name : name[..200],
            Message = request.Message,
            Schedule = SoonAsApproved(before.Schedule, now),
            // Same alert and areas, but the text is now the correction's, not the alert's.
            Cap = before.Cap is null ? null : before.Cap with { TextSource = "correction", StartSource = null },
        };
        var (ok, problem) = await rules.CheckAsync(definition, user, now, ct);
        if (ok is null)
            return problem!;
        var row = CampaignsApi.NewDraft(definition, ok, original.Tenant, user, now) with { Corrects = original.Id };
        await campaigns.InsertCorrectionAsync(row, ct);
        audit.Add("correction", new { corrects = original.Id, created = row.Id, status = row.Status });
        var preview = await previews.PreviewAsync(row.Tenant, row.Kind, ok.Definition.Audience, row.SmsEncoding!, ok.Measure?.Parts ?? 0, ct, row.SmsText)
            with { NormalizedFrom = ok.NormalizedFrom };
        return TypedResults.Created($"/api/v1/campaigns/{row.Id}", await CampaignView.FromAsync(row, names, ct, await CampaignsApi.WithCorrectionAsync(preview, row, deliveries, ct)));
    }

    /// <summary>
    /// A re-send: a new draft, same kind, message and options, to exactly the recipients of a finished
    /// campaign whose delivery ended in the outcomes named, optionally through another channel. Its
    /// audience is streamed from the original's deliveries when it is planned (never loaded whole); it
    /// goes through the same checks and the same two-person approval, and <c>resendOf</c> on it and
    /// <c>resends</c> on the original link the two.
    /// </summary>
    public static async Task<IResult> ResendAsync(
        string id, ResendRequest request, ClaimsPrincipal user, CampaignRules rules, CampaignPreview previews, CampaignStore campaigns, TimeProvider time,
        PrincipalNames names, AuditDetails audit, CancellationToken ct)
    {
        var original = await CampaignsApi.VisibleAsync(id, user, campaigns, ct);
        if (original is null)
            return Problems.NotFound("campaign");
        var errors = new Dictionary<string, string[]>();
        var statuses = request.Statuses ?? [];
        if (statuses.Count == 0)
            errors["statuses"] = [$"Name the outcomes to reach again: {string.Join(", ", ResendStatus.All.Order())}."];
        for (var i = 0; i < statuses.Count; i++)
        {
            if (statuses[i] is null || !ResendStatus.All.Contains(statuses[i]))
                errors[$"statuses[{i}]"] = [$"'{statuses[i]}' is not an outcome a re-send can reach again ({string.Join(", ", ResendStatus.All.Order())})."];
        }
        var before = JsonSerializer.Deserialize<CampaignDefinition>(original.Definition, LoaJson.Options)!;
        var channel = request.Channel ?? Channels.Sms;
        if (channel is not (Channels.Sms or Channels.Push))
            errors["channel"] = [$"Unknown channel '{channel}'."];
        // A re-send is the same message: a text of its own only where the original had none to repeat in that channel.
        var hadSms = !string.IsNullOrEmpty(before.Message?.Sms);
        var hadPush = !string.IsNullOrEmpty(before.Message?.Push?.Title);
        if (request.Sms is not null && (hadSms || channel != Channels.Sms))
            errors["sms"] = ["sms is only for a re-send by SMS of a campaign that had no SMS text: a re-send repeats the original's (a changed text is a correction)."];
        else if (request.Sms is null && !hadSms && channel == Channels.Sms)
            errors["sms"] = ["The original was sent by push alone and has no SMS text: give the text its linked numbers are to receive."];
        if (request.Push is not null && (hadPush || channel != Channels.Push))
            errors["push"] = ["push is only for a re-send through push of a campaign that had no notification: a re-send repeats the original's."];
        else if (request.Push is null && !hadPush && channel == Channels.Push)
            errors["push"] = ["The original sent no app notification: give its title and body ({\"title\": …, \"body\": …})."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        if (original.Status is not (CampaignStatus.Completed or CampaignStatus.Failed or CampaignStatus.Cancelled))
            return Problems.Conflict($"Only a finished campaign can be re-sent: its outcomes are not final while it is {original.Status}.");

        var now = time.GetUtcNow();
        var name = $"Gửi lại: {original.Name}";
        var definition = before with
        {
            Name = name.Length <= 200 ? name : name[..200],
            Channels = [channel],
            Message = channel == Channels.Push
                ? new MessageDefinition(null, request.Push ?? before.Message?.Push)
                : new MessageDefinition(request.Sms ?? before.Message?.Sms, null),
            Audience = new AudienceDefinition([], null, null, Resend: new ResendAudience(
                original.Id, statuses.Distinct().ToList(), channel == Channels.Push ? Channels.Push : null)),
            // The fallback is push's, and a re-send is one channel. A verification code is drawn anew by the rules.
            Options = before.Options is null ? null : before.Options with { Fallback = null },
            Schedule = SoonAsApproved(before.Schedule, now), // a window stays
            Cap = null,
        };
        var (ok, problem) = await rules.CheckAsync(definition, user, now, ct);
        if (ok is null)
            return problem!;
        var row = CampaignsApi.NewDraft(definition, ok, original.Tenant, user, now) with { ResendOf = original.Id };
        var preview = await previews.PreviewAsync(row.Tenant, row.Kind, ok.Definition.Audience, row.SmsEncoding, ok.Measure?.Parts ?? 0, ct, row.SmsText);
        if (preview.Recipients == 0)
        {
            return Problems.Unprocessable(
                "nothing-to-resend", "Nothing to re-send",
                channel == Channels.Push
                    ? $"No number of campaign {original.Id} that ended {string.Join(" or ", statuses.Distinct())} has a device the campaign did not reach by push."
                    : $"No recipient of campaign {original.Id} ended {string.Join(" or ", statuses.Distinct())} (a push is re-sent to the number " +
                      "linked to its device, and not to a number the campaign reached by SMS).");
        }
        await campaigns.InsertResendAsync(row, ct);
        audit.Add("resend", new { resendOf = original.Id, created = row.Id, statuses = statuses.Distinct(), channel, recipients = preview.Recipients });
        return TypedResults.Created($"/api/v1/campaigns/{row.Id}", await CampaignView.FromAsync(row, names, ct, preview with { NormalizedFrom = ok.NormalizedFrom }));
    }

    /// <summary>A follow-up goes out as soon as it is approved, within the original's expiry if that is still ahead.</summary>
    private static ScheduleDefinition? SoonAsApproved(ScheduleDefinition? schedule, DateTimeOffset now) =>
        schedule is null ? null : schedule with
        {
            StartAt = null,
            Recurrence = null,
            ExpiresAt = schedule.ExpiresAt > now ? schedule.ExpiresAt : null,
        };
}
