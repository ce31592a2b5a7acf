using System.Data.Common;
using System.Security.Claims;
using System.Text.Json;
using Loa.CampaignApi.Audit;
using Loa.CampaignApi.Scheduling;
using Loa.CampaignApi.Security;
using Loa.CampaignApi.Templates;
using Loa.CarrierAdapters;
using Loa.Contracts;
using Loa.Dispatcher.Bus;
using Loa.Storage;
using Loa.Storage.Batches;
using Loa.Storage.Campaigns;
using Loa.Storage.Deliveries;
using Loa.Storage.Templates;
using MassTransit;

namespace Loa.CampaignApi.Campaigns;

/// <summary>Campaigns: create (with preview) and the approval lifecycle; what a campaign did is read in <see cref="CampaignProgressApi"/>, corrections and re-sends are in <see cref="CampaignFollowUpsApi"/>.</summary>
public static class CampaignsApi
{
    public static RouteGroupBuilder MapCampaignsApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/campaigns").WithTags("Campaigns").RequireAuthorization();
        group.MapPost("/", CreateAsync).RequireAuthorization(Roles.Author);
        group.MapPost("/preview", PreviewAsync).RequireAuthorization(Roles.Author);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id}", GetAsync);
        group.MapPost("/{id}/submit", SubmitAsync).RequireAuthorization(Roles.Author);
        group.MapPost("/{id}/approve", ApproveAsync).RequireAuthorization(Roles.Approver);
        group.MapPost("/{id}/reject", RejectAsync).RequireAuthorization(Roles.Approver);
        group.MapPost("/{id}/pause", PauseAsync).RequireAuthorization(Roles.Operator);
        group.MapPost("/{id}/resume", ResumeAsync).RequireAuthorization(Roles.Operator);
        group.MapPost("/{id}/cancel", CancelAsync).RequireAuthorization(Policies.OperatorOrApprover);
        group.MapCampaignProgressApiV1();
        group.MapCampaignFollowUpsApiV1();
        return group;
    }

    public static async Task<IResult> CreateAsync(
        CampaignDefinition request, ClaimsPrincipal user, CampaignRules rules, CampaignPreview previews, CampaignStore campaigns, TemplateStore templates, TimeProvider time,
        PrincipalNames names, AuditDetails audit, CancellationToken ct)
    {
        request = Unclaimed(request);
        // From a template, or joining a national campaign (issue 19): filled in, then checked as any other.
        var (filled, link, refused) = await TemplatesApi.ResolveAsync(request, user, templates, campaigns, ct);
        if (filled is null)
            return refused!;
        request = Unclaimed(filled);
        var linked = link.Template is not null || link.Joins is not null;
        var (row, preview, problem) = await CreateDraftAsync(request, user, rules, previews, campaigns, time.GetUtcNow(), ct, alongside: linked
            ? (r, connection, transaction, token) => TemplateStore.LinkAsync(connection, transaction, r.Id, r.Tenant, link.Template, link.Joins, token)
            : null);
        if (row is null)
            return problem!;
        audit.Add("created", new { kind = row.Kind, status = row.Status, lists = request.Audience?.Lists, fromTemplate = link.Template, joins = link.Joins });
        return TypedResults.Created($"/api/v1/campaigns/{row.Id}", await CampaignView.FromAsync(row, names, ct, preview));
    }

    // Only CAP intake says a campaign came from an alert (and which geocodes it did not reach), and only
    // POST /{id}/resend aims one at another campaign's recipients (tenancy is checked there).
    private static CampaignDefinition Unclaimed(CampaignDefinition d) =>
        d with { Cap = null, PushVerification = null, Audience = d.Audience is { Resend: not null } a ? a with { Resend = null } : d.Audience };

    /// <summary>
    /// What <see cref="CreateAsync"/> would answer for this definition, without storing anything: the same
    /// template and join resolution, the same checks and the same preview (the planner's rules over the
    /// counts kept at upload), so the author's live figures are the server's and not a copy of its rules.
    /// </summary>
    public static async Task<IResult> PreviewAsync(
        CampaignDefinition request, ClaimsPrincipal user, CampaignRules rules, CampaignPreview previews, CampaignStore campaigns, TemplateStore templates, TimeProvider time,
        CancellationToken ct)
    {
        var (filled, _, refused) = await TemplatesApi.ResolveAsync(Unclaimed(request), user, templates, campaigns, ct);
        if (filled is null)
            return refused!;
        var (ok, problem) = await rules.CheckAsync(Unclaimed(filled), user, time.GetUtcNow(), ct);
        if (ok is null)
            return problem!;
        var kind = filled.Kind!;
        var measure = ok.Measure;
        var encoding = measure is not { } m ? null : m.Encoding == CarrierAdapters.SmsEncoding.Gsm7 ? "gsm7" : "ucs2";
        var preview = await previews.PreviewAsync(user.Tenant(), kind, ok.Definition.Audience, encoding, measure?.Parts ?? 0, ct, ok.SmsText);
        var sms = ok.SmsText is { } text && measure is { } billed ? new SmsView(text, encoding!, billed.Parts, billed.Length, ok.NormalizedFrom) : null;
        return TypedResults.Ok(new DraftPreview(kind, ok.Definition.Channels ?? [], sms, preview with { NormalizedFrom = ok.NormalizedFrom }));
    }

    /// <summary>
    /// Checks a definition and stores it as a draft of the caller's tenant: the one way a campaign comes
    /// into being, whether an author wrote it here or another system sent it (CAP intake).
    /// </summary>
    /// <param name="fieldName">Renames the fields in validation errors, for callers whose input had other names.</param>
    /// <param name="alongside">Writes that must commit with the campaign row or not at all.</param>
    internal static async Task<(CampaignRow? Row, Preview? Preview, IResult? Problem)> CreateDraftAsync(
        CampaignDefinition request, ClaimsPrincipal user, CampaignRules rules, CampaignPreview previews, CampaignStore campaigns, DateTimeOffset now, CancellationToken ct,
        Func<string, string>? fieldName = null, Func<CampaignRow, DbConnection, DbTransaction, CancellationToken, Task>? alongside = null)
    {
        var (ok, problem) = await rules.CheckAsync(request, user, now, ct, fieldName);
        if (ok is null)
            return (null, null, problem!);
        var row = NewDraft(request, ok, user.Tenant(), user, now);
        if (alongside is null)
            await campaigns.InsertAsync(row, ct);
        else
            await campaigns.InsertAsync(row, (connection, transaction, token) => alongside(row, connection, transaction, token), ct);
        var preview = await previews.PreviewAsync(row.Tenant, row.Kind, ok.Definition.Audience, row.SmsEncoding, ok.Measure?.Parts ?? 0, ct, row.SmsText);
        return (row, preview with { NormalizedFrom = ok.NormalizedFrom }, null);
    }

    public static async Task<IResult> ListAsync(
        ClaimsPrincipal user, CampaignStore campaigns, PrincipalNames names, string? status, string? series, string? after, int? limit, CancellationToken ct)
    {
        var take = Math.Clamp(limit ?? 50, 1, 500);
        var rows = await campaigns.PageAsync(user.TenantFilter(), status, after ?? "", take, ct, series);
        return TypedResults.Ok(new CampaignPage(await CampaignView.FromAsync(rows, names, ct), rows.Count == take ? rows[^1].Id : null));
    }

    public static async Task<IResult> GetAsync(
        string id, ClaimsPrincipal user, CampaignStore campaigns, CampaignPreview previews, DeliveryReads deliveries, PrincipalNames names, CancellationToken ct)
    {
        var row = await VisibleAsync(id, user, campaigns, ct);
        if (row is null)
            return Problems.NotFound("campaign");
        var definition = JsonSerializer.Deserialize<CampaignDefinition>(row.Definition, LoaJson.Options)!;
        var preview = await previews.PreviewAsync(row.Tenant, row.Kind, definition.Audience, row.SmsEncoding, row.SmsParts ?? 1, ct, row.SmsText);
        var resends = await campaigns.ResendsAsync(row.Id, ct);
        return TypedResults.Ok(await CampaignView.FromAsync(row, names, ct, await WithCorrectionAsync(preview, row, deliveries, ct)) with { Resends = resends });
    }

    /// <summary>
    /// A correction's preview with who already had the campaign it corrects: read from that campaign's
    /// progress counters (a few rows per carrier), never by counting deliveries. Everyone in the
    /// audience gets the correction; those who had the original get it as well, and those who had not
    /// get only the correction, since the original is stopped when the correction is approved.
    /// </summary>
    internal static async Task<Preview> WithCorrectionAsync(Preview preview, CampaignRow row, DeliveryReads deliveries, CancellationToken ct)
    {
        if (row.Corrects is not { } original)
            return preview;
        var counts = await deliveries.ProgressAsync(original, ct);
        var sent = counts.Where(c => c.Status is DeliveryStatus.Submitted or DeliveryStatus.Delivered).Sum(c => c.Count);
        return preview with { Correction = new CorrectionPreview(sent, Math.Max(0, preview.Recipients - sent)) };
    }

    public static Task<IResult> SubmitAsync(string id, ClaimsPrincipal user, CampaignStore campaigns, PrincipalNames names, AuditDetails audit, CancellationToken ct) =>
        TransitionAsync(id, user, campaigns, names, audit, ct,
            _ => campaigns.SubmitAsync(id, user.Who(), ct),
            row => $"Only a draft can be submitted; this campaign is {row.Status}.");

    /// <summary>
    /// The second person's yes. The author (or whoever submitted it) may not approve their own
    /// campaign, and a national campaign needs a national approver.
    /// </summary>
    public static async Task<IResult> ApproveAsync(
        string id, ClaimsPrincipal user, CampaignStore campaigns, ISendEndpointProvider bus, BusTopology topology, TimeProvider time, PrincipalNames names,
        AuditDetails audit, CancellationToken ct)
    {
        var row = await VisibleAsync(id, user, campaigns, ct);
        if (row is null)
            return Problems.NotFound("campaign");
        if (user.IsRecordedAs(row.CreatedBy) || user.IsRecordedAs(row.SubmittedBy))
            return Problems.Forbidden("two-person-rule", "A campaign must be approved by someone other than its author.");
        if (row.Tenant == Roles.National && !user.IsNational())
            return Problems.Forbidden("tenant", "A national campaign needs a national approver.");
        audit.Status(row.Status, null);
        var superseded = new List<string>();
        if (!await ApproveAndLaunchAsync(row, user.Who(), campaigns, bus, topology, time, ct, superseded))
            return await RefusedAsync(row, campaigns, r => $"Only a campaign pending approval can be approved; this one is {r.Status}.", ct);
        if (superseded.Count > 0)
            audit.Add("superseded", superseded);
        return await ChangedAsync(row, (await campaigns.GetAsync(id, ct))!, names, audit, ct);
    }

    /// <summary>
    /// Approves a pending campaign and, when its start time has come, hands it to the planner. False when
    /// it was not pending approval. Whoever calls this has already decided that <paramref name="approvedBy"/> may approve.
    /// A correction's approval supersedes the campaigns it corrects (see <see cref="CampaignStore.ApproveSupersedingAsync"/>).
    /// </summary>
    /// <param name="superseded">Receives the campaigns this approval superseded, when given.</param>
    internal static async Task<bool> ApproveAndLaunchAsync(
        CampaignRow row, string approvedBy, CampaignStore campaigns, ISendEndpointProvider bus, BusTopology topology, TimeProvider time, CancellationToken ct,
        ICollection<string>? superseded = null)
    {
        var now = time.GetUtcNow();
        if (row.Recurrence is { } cron)
        {
            // A series: its runs start at each occurrence, launched by the scheduler like any due campaign.
            var from = row.StartAt is { } start && start > now.ToUnixTimeMilliseconds() ? DateTimeOffset.FromUnixTimeMilliseconds(start) : now;
            var first = Recurrence.Next(cron, from.AddMilliseconds(-1));
            return first is not null && await campaigns.ApproveSeriesAsync(row.Id, approvedBy, first.Value, ct);
        }
        var startNow = row.StartAt is null || row.StartAt <= now.ToUnixTimeMilliseconds();
        if (await campaigns.ApproveSupersedingAsync(row.Id, approvedBy, startNow, ct) is not { } stopped)
            return false;
        foreach (var id in stopped)
            superseded?.Add(id);
        if (startNow)
        {
            // If this send is lost, the sweeper relaunches the campaign after its grace period.
            var endpoint = await bus.GetSendEndpoint(topology.LaunchAddress);
            await endpoint.Send(new LaunchCampaign(row.Id), ct);
        }
        return true;
    }

    public static async Task<IResult> RejectAsync(
        string id, RejectRequest request, ClaimsPrincipal user, CampaignStore campaigns, PrincipalNames names, AuditDetails audit, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 1000)
            return Problems.Validation("reason", "Say why (at most 1000 characters).");
        return await TransitionAsync(id, user, campaigns, names, audit, ct,
            _ => campaigns.RejectAsync(id, user.Who(), request.Reason.Trim(), ct),
            row => $"Only a campaign pending approval can be rejected; this one is {row.Status}.");
    }

    /// <summary>
    /// Cancels the campaign; with <c>chain=true</c> also every campaign of its chain of corrections
    /// (the one it corrects, up to the first, and every correction of those, corrections of corrections
    /// included), in one transaction, answered with the whole chain. The audit row lists each campaign cancelled.
    /// </summary>
    public static async Task<IResult> CancelAsync(
        string id, bool? chain, ClaimsPrincipal user, CampaignStore campaigns, PrincipalNames names, AuditDetails audit, CancellationToken ct)
    {
        if (chain != true)
        {
            return await TransitionAsync(id, user, campaigns, names, audit, ct,
                _ => campaigns.CancelAsync(id, user.Who(), ct),
                row => $"A {row.Status} campaign cannot be cancelled.");
        }
        var before = await VisibleAsync(id, user, campaigns, ct);
        if (before is null)
            return Problems.NotFound("campaign");
        var (members, cancelled) = await CancelChainAsync(id, user, campaigns, ct);
        audit.Add("cancelled", cancelled);
        var after = members.FirstOrDefault(m => m.Id == id) ?? before;
        audit.Status(before.Status, cancelled.Count > 0 ? after.Status : null);
        if (cancelled.Count == 0)
        {
            return Problems.Conflict(
                $"Nothing in this chain can be cancelled any more: {string.Join(", ", members.Select(m => $"{m.Id} is {m.Status}"))}.");
        }
        return TypedResults.Ok(new CampaignChain(await CampaignView.FromAsync(members, names, ct)));
    }

    /// <summary>
    /// Cancels every campaign the caller can see in the chain of corrections of <paramref name="id"/>
    /// (API <c>?chain=true</c>, CAP Cancel). Members: the chain as it is now, each with its status after.
    /// </summary>
    internal static async Task<(IReadOnlyList<CampaignRow> Members, IReadOnlyList<string> Cancelled)> CancelChainAsync(
        string id, ClaimsPrincipal user, CampaignStore campaigns, CancellationToken ct)
    {
        // Corrections stay in their original's tenant; the filter is a second guard, not the rule.
        var visible = (await campaigns.ChainAsync(id, ct)).Where(r => user.CanSee(r.Tenant)).Select(r => r.Id).ToList();
        var cancelled = await campaigns.CancelManyAsync(visible, user.Who(), ct);
        var members = (await campaigns.ChainAsync(id, ct)).Where(r => user.CanSee(r.Tenant)).ToList();
        return (members, cancelled);
    }

    /// <summary>
    /// One lifecycle step: 404 unless the caller sees the campaign, 409 when the store's guarded
    /// transition loses (the status did not allow it), else the campaign as it now is; the audit row
    /// gets the status before and after.
    /// </summary>
    private static async Task<IResult> TransitionAsync(
        string id, ClaimsPrincipal user, CampaignStore campaigns, PrincipalNames names, AuditDetails audit, CancellationToken ct,
        Func<CampaignRow, Task<bool>> transition, Func<CampaignRow, string> conflict)
    {
        var row = await VisibleAsync(id, user, campaigns, ct);
        if (row is null)
            return Problems.NotFound("campaign");
        audit.Status(row.Status, null);
        if (!await transition(row))
            return await RefusedAsync(row, campaigns, conflict, ct);
        return await ChangedAsync(row, (await campaigns.GetAsync(id, ct))!, names, audit, ct);
    }

    /// <summary>
    /// The 409 for a transition the status did not allow, told from the campaign as it is now (it may
    /// have moved meanwhile): a superseded campaign names the correction to act on instead.
    /// </summary>
    private static async Task<IResult> RefusedAsync(CampaignRow row, CampaignStore campaigns, Func<CampaignRow, string> conflict, CancellationToken ct)
    {
        var now = await campaigns.GetAsync(row.Id, ct) ?? row;
        return now.SupersededBy is { } by ? Problems.Superseded(now.Id, by) : Problems.Conflict(conflict(now));
    }

    private static async Task<IResult> ChangedAsync(CampaignRow before, CampaignRow after, PrincipalNames names, AuditDetails audit, CancellationToken ct)
    {
        audit.Status(before.Status, after.Status);
        return TypedResults.Ok(await CampaignView.FromAsync(after, names, ct));
    }

    internal static CampaignRow NewDraft(CampaignDefinition request, CampaignRules.Checked ok, string tenant, ClaimsPrincipal user, DateTimeOffset now)
    {
        var encoding = ok.Measure is not { } measure ? null : measure.Encoding == SmsEncoding.Gsm7 ? "gsm7" : "ucs2";
        return new CampaignRow(
            Id: Guid.CreateVersion7().ToString("n"),
            Tenant: tenant,
            Name: request.Name!.Trim(),
            Kind: request.Kind!,
            Status: CampaignStatus.Draft,
            Definition: JsonSerializer.Serialize(ok.Definition, LoaJson.Options),
            SmsText: ok.SmsText,
            SmsEncoding: encoding,
            SmsParts: ok.Measure?.Parts,
            StartAt: request.Schedule?.StartAt?.ToUnixTimeMilliseconds(),
            ExpiresAt: request.Schedule?.ExpiresAt?.ToUnixTimeMilliseconds(),
            Recurrence: request.Schedule?.Recurrence,
            CreatedBy: user.Who(), CreatedAt: now.ToUnixTimeMilliseconds(),
            UpdatedBy: user.Who(), UpdatedAt: now.ToUnixTimeMilliseconds(),
            SubmittedBy: null, ApprovedBy: null, ApprovedAt: null, RejectedReason: null,
            LaunchedAt: null, PlannedAt: null, StartedAt: null, CompletedAt: null, PlanList: 0, PlanAfter: "");
    }

    /// <summary>Holds a running campaign: no lane submits its batches until it is resumed (a batch already at the carrier finishes).</summary>
    public static Task<IResult> PauseAsync(string id, ClaimsPrincipal user, CampaignStore campaigns, PrincipalNames names, AuditDetails audit, CancellationToken ct) =>
        TransitionAsync(id, user, campaigns, names, audit, ct,
            _ => campaigns.PauseAsync(id, user.Who(), ct),
            row => $"Only a running campaign can be paused; this one is {row.Status}.");

    public static Task<IResult> ResumeAsync(
        string id, ClaimsPrincipal user, CampaignStore campaigns, BatchLedger batches, ISendEndpointProvider bus, BusTopology topology, PrincipalNames names,
        AuditDetails audit, CancellationToken ct) =>
        TransitionAsync(id, user, campaigns, names, audit, ct,
            async row =>
            {
                if (!await campaigns.ResumeAsync(id, user.Who(), ct))
                    return false;
                // Held batches are republished by the sweeper within a second; each is claimed once, so none goes twice.
                await batches.ReleaseHeldAsync(id, ct);
                if (row.PlannedAt is null)
                {
                    // A launch that found the campaign paused planned nothing; launch again (a planner still at
                    // work keeps its lease, and this launch steps aside).
                    var endpoint = await bus.GetSendEndpoint(topology.LaunchAddress);
                    await endpoint.Send(new LaunchCampaign(id), ct);
                }
                return true;
            },
            row => $"Only a paused campaign can be resumed; this one is {row.Status}.");

    /// <summary>Another tenant's campaign answers 404, so that its existence does not leak.</summary>
    internal static async Task<CampaignRow?> VisibleAsync(string id, ClaimsPrincipal user, CampaignStore campaigns, CancellationToken ct)
    {
        var row = await campaigns.GetAsync(id, ct);
        return row is not null && user.CanSee(row.Tenant) ? row : null;
    }
}

public static class Policies
{
    public const string OperatorOrApprover = "operator-or-approver";
    public const string OperatorOrAdmin = "operator-or-admin";
}
