using System.Data.Common;
using System.Security.Claims;
using Loa.CampaignApi.Campaigns;
using Loa.CampaignApi.Security;
using Loa.Contracts;
using Loa.Dispatcher.Bus;
using Loa.Storage;
using Loa.Storage.Alerts;
using Loa.Storage.Audiences;
using Loa.Storage.Campaigns;
using Loa.Storage.Geography;
using MassTransit;
using Microsoft.Extensions.Options;
using static Loa.CampaignApi.Alerts.CapReader;

namespace Loa.CampaignApi.Alerts;

/// <summary>The answer to a CAP Cancel: the campaigns it named and the rest of their chains of Updates, each with its status now.</summary>
public sealed record CapCancelled(IReadOnlyList<CampaignView> Campaigns);

/// <summary>What the CAP intake works with, bundled so the handler's signature stays readable.</summary>
public sealed record CapIntake(
    CampaignRules Rules,
    CampaignPreview Previews,
    CampaignStore Campaigns,
    CapAlertStore Alerts,
    ListStore Lists,
    ProvinceGeocodes Geocodes,
    CommuneStore Communes,
    IOptionsMonitor<CapOptions> Options,
    ISendEndpointProvider Bus,
    BusTopology Topology,
    TimeProvider Time,
    IOptionsMonitor<SafetyOptions> Safety,
    PrincipalNames Names,
    Audit.AuditDetails Audit,
    ILogger<CapIntake> Logger);

/// <summary>
/// CAP 1.2 intake (api.md, "Alerts in CAP 1.2"): another alerting system posts an OASIS CAP alert
/// and Loa makes it a campaign through the same checks and lifecycle as one an author writes.
/// </summary>
public static class AlertsApi
{
    private static readonly string[] ContentTypes = ["application/cap+xml", "application/xml"];

    public static RouteGroupBuilder MapAlertsApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/alerts").WithTags("Alerts").RequireAuthorization(Roles.Author);
        group.MapPost("/cap", ReceiveCapAsync).Accepts<string>(ContentTypes[0], ContentTypes[1]);
        return group;
    }

    public static async Task<IResult> ReceiveCapAsync(HttpRequest request, ClaimsPrincipal user, [AsParameters] CapIntake intake, CancellationToken ct)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim();
        if (mediaType is null || !ContentTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase))
            return Problems.UnsupportedMediaType("Send the CAP 1.2 alert as application/cap+xml or application/xml.");

        var options = intake.Options.CurrentValue;
        var body = await ReadBoundedAsync(request, options.MaxBytes, ct);
        if (body is null)
            return Problems.TooLarge($"A CAP alert may be at most {options.MaxBytes} bytes.");

        var (alert, errors) = Read(body);
        if (alert is null)
            return Problems.Validation(errors, "The CAP alert is not valid; each error names its CAP element.");

        if (alert.Status is Statuses.System or Statuses.Draft)
        {
            return Refused("cap-status", "CAP status not sent", "alert.status",
                $"A {alert.Status} alert is not meant for the public; Loa sends Actual alerts (as warning or emergency) and Exercise or Test alerts (as test).");
        }
        if (alert.MsgType is MsgTypes.Ack or MsgTypes.Error)
            return Refused("cap-msg-type", "CAP message type not handled", "alert.msgType", $"Loa acts on Alert, Update and Cancel; an {alert.MsgType} changes nothing here.");
        if (alert.Scope != "Public")
            return Refused("cap-scope", "CAP scope not public", "alert.scope", $"A {alert.Scope} alert is for a limited audience; Loa broadcasts Public alerts only.");

        intake.Audit.Add("cap", new { alert.MsgType, alert.Sender, alert.Identifier, References = alert.References.Select(r => r.ToString()).ToList() });

        // Within the caller's tenant only: a 409 for another tenant's alert would tell a province that
        // the national alert exists. Another tenant's alert of the same key is simply not this one.
        if (await intake.Alerts.FindAsync(user.Tenant(), alert.Sender, alert.Identifier, alert.Sent.Ms(), ct) is not null)
            return Duplicate(alert);

        var referenced = new List<CapAlertRow>();
        if (alert.MsgType is MsgTypes.Update or MsgTypes.Cancel)
        {
            // Before any lookup, so that the answer says nothing of what exists: an alert is updated
            // or cancelled by its own sender only.
            if (alert.References.FirstOrDefault(r => !string.Equals(r.Sender, alert.Sender, StringComparison.Ordinal)) is { } foreign)
            {
                intake.Audit.Add("refused", "cap-sender");
                return Problems.Forbidden("cap-sender",
                    $"An {alert.MsgType} from {alert.Sender} may refer only to alerts of that sender; {foreign} is from {foreign.Sender}.");
            }
            var unknown = new List<string>();
            var otherTenant = new List<string>();
            foreach (var reference in alert.References)
            {
                var rows = await intake.Alerts.FindInAnyTenantAsync(reference.Sender, reference.Identifier, reference.Sent.Ms(), ct);
                if (rows.FirstOrDefault(r => r.Tenant == user.Tenant()) is { } own)
                    referenced.Add(own);
                else if (rows.Any(r => user.CanSee(r.Tenant)))
                    otherTenant.Add(reference.ToString()); // only a national caller sees another tenant's alert
                else
                    unknown.Add($"No alert {reference} has been received (or it is not visible to you).");
            }
            if (unknown.Count > 0)
            {
                return Problems.Unprocessable("cap-references", "Unknown references", $"The {alert.MsgType} refers to alerts Loa has not received.",
                    new Dictionary<string, string[]> { ["alert.references"] = [.. unknown] });
            }
            if (otherTenant.Count > 0)
            {
                intake.Audit.Add("refused", "tenant");
                return Problems.Forbidden("tenant",
                    $"An {alert.MsgType} through CAP changes only alerts of its own tenant ({user.Tenant()}); {string.Join(", ", otherTenant)} belongs to another.");
            }
            if (alert.MsgType == MsgTypes.Cancel && !MayCancel(alert, user, intake.Options.CurrentValue))
            {
                intake.Audit.Add("refused", "role");
                return Problems.Forbidden("role",
                    "A CAP Cancel stops campaigns: it needs the operator or approver role besides author, or the key the sender is pre-approved for.");
            }
        }

        return alert.MsgType == MsgTypes.Cancel
            ? await CancelAsync(alert, referenced, user, intake, ct)
            : await CreateAsync(alert, referenced, user, intake, options, ct);
    }

    private static async Task<IResult> CreateAsync(
        CapAlert alert, List<CapAlertRow> referenced, ClaimsPrincipal user, CapIntake intake, CapOptions options, CancellationToken ct)
    {
        var now = intake.Time.GetUtcNow();
        var (draft, errors, tooLong) = CapCampaign.Map(
            alert, intake.Geocodes, options, intake.Safety.CurrentValue.TestMarker, now, await intake.Communes.TableAsync(ct));
        if (tooLong is not null)
            return Problems.Unprocessable("sms-too-long", "SMS text too long", tooLong, errors);
        if (draft is null)
            return Problems.Validation(errors, "The CAP alert cannot be mapped to a campaign; each error names its CAP element.");

        if (!user.IsNational())
        {
            var tenant = user.Tenant();
            if (draft.Provinces.Count == 0)
                return Problems.Forbidden("tenant", $"An alert without an area goes to the whole country, which only a national sender may do; name {tenant}'s geocode.");
            if (draft.Provinces.FirstOrDefault(p => !string.Equals(p.Province, tenant, StringComparison.OrdinalIgnoreCase)) is { } outside)
                return Problems.Forbidden("tenant", $"A {tenant} alert may only target province {tenant}; {outside.Element} is {outside.Province}.");
        }

        var lists = await ListsAsync(options, user, intake.Lists, ct);
        if (lists.Count == 0)
        {
            return Problems.Unprocessable("cap-not-configured", "CAP intake has no audience",
                options.Lists.Count == 0
                    ? "No audience list is configured for CAP alerts: set Loa:Cap:Lists to the ids of the lists they reach."
                    : $"None of the lists in Loa:Cap:Lists belongs to tenant {user.Tenant()}; add one of its lists there.");
        }
        var definition = draft.Definition with { Audience = draft.Definition.Audience! with { Lists = lists } };

        // An Update corrects the campaign of the newest alert it refers to: earlier ones were already
        // superseded. Senders often refer to the first alert only, so the Update joins the end of that
        // alert's chain of corrections rather than starting a second branch beside it: two branches
        // would each go out once approved, each superseding the original and neither the other.
        var updates = alert.MsgType == MsgTypes.Update
            ? referenced.Where(r => r.CampaignId is not null).OrderByDescending(r => r.Sent).FirstOrDefault()?.CampaignId
            : null;
        if (updates is not null)
            updates = await EndOfChainAsync(updates, intake.Campaigns, ct);
        CampaignRow? row;
        Preview? preview;
        IResult? problem;
        try
        {
            (row, preview, problem) = await CampaignsApi.CreateDraftAsync(
                definition, user, intake.Rules, intake.Previews, intake.Campaigns, now, ct,
                field => CapElement(field, draft),
                (campaign, connection, transaction, token) => intake.Alerts.InsertAsync(Record(alert, user, now, campaign.Id, updates), connection, transaction, token));
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            return Duplicate(alert); // the same alert, posted twice at once: the other copy won
        }
        if (row is null)
            return problem!;

        // A CAP Update is a correction of the campaign it updates, linked both ways like POST .../correction.
        if (updates is not null)
        {
            await intake.Campaigns.LinkCorrectionAsync(updates, row.Id, ct);
            row = (await intake.Campaigns.GetAsync(row.Id, ct))!;
        }

        if (options.IsPreApproved(alert.Sender, user))
        {
            // Configured as pre-approved: the sender's own process stands in for the second person.
            await intake.Campaigns.SubmitAsync(row.Id, user.Who(), ct);
            var approvedBy = Roles.CapPrincipal(alert.Sender);
            await CampaignsApi.ApproveAndLaunchAsync((await intake.Campaigns.GetAsync(row.Id, ct))!, approvedBy, intake.Campaigns, intake.Bus, intake.Topology, intake.Time, ct);
            row = (await intake.Campaigns.GetAsync(row.Id, ct))!;
        }
        return TypedResults.Created($"/api/v1/campaigns/{row.Id}", await CampaignView.FromAsync(row, intake.Names, ct, preview));
    }

    /// <summary>
    /// The newest campaign of <paramref name="campaignId"/>'s chain of corrections: follows each
    /// correction that is alive or was itself replaced (superseded), and stops before one that was
    /// abandoned (cancelled without a successor), whose place a new correction takes.
    /// </summary>
    private static async Task<string> EndOfChainAsync(string campaignId, CampaignStore campaigns, CancellationToken ct)
    {
        var end = campaignId;
        for (var hop = 0; hop < 1000; hop++) // a chain is short; the bound only guards against a cycle in bad data
        {
            var row = await campaigns.GetAsync(end, ct);
            if (row?.CorrectedBy is not { } next || await campaigns.GetAsync(next, ct) is not { } successor
                || (successor.Status == CampaignStatus.Cancelled && successor.SupersededBy is null))
                return end;
            end = next;
        }
        return end;
    }

    /// <summary>
    /// Cancels the campaigns of the referenced alerts and every campaign in their chains of Updates and
    /// corrections (the alert an Update updates, and Updates of Updates, whichever of them the Cancel
    /// names), then records the Cancel. In that order, so that a crash in between leaves an alert that
    /// can be posted again rather than a recorded Cancel that did nothing. A campaign that already ended
    /// is listed with its status: it sends nothing more either way. The audit row lists each campaign cancelled.
    /// </summary>
    private static async Task<IResult> CancelAsync(CapAlert alert, List<CapAlertRow> referenced, ClaimsPrincipal user, CapIntake intake, CancellationToken ct)
    {
        var chains = new Dictionary<string, CampaignRow>(StringComparer.Ordinal);
        var cancelled = new List<string>();
        foreach (var campaignId in referenced.Select(r => r.CampaignId).OfType<string>().Distinct())
        {
            if (chains.ContainsKey(campaignId))
                continue; // in the chain of an alert already cancelled here
            var (members, stopped) = await CampaignsApi.CancelChainAsync(campaignId, user, intake.Campaigns, ct);
            cancelled.AddRange(stopped);
            foreach (var member in members)
                chains[member.Id] = member;
        }
        intake.Audit.Add("cancelled", cancelled);
        if (!await intake.Alerts.TryInsertAsync(Record(alert, user, intake.Time.GetUtcNow(), null, null), ct))
            return Duplicate(alert);
        return TypedResults.Ok(new CapCancelled(await CampaignView.FromAsync([.. chains.Values], intake.Names, ct)));
    }

    /// <summary>
    /// Who may stop campaigns through CAP: whoever may cancel one through the API (operator), or approve
    /// one (approver), or the principal a pre-approved sender is bound to, whose alerts launch without a
    /// second person anyway. A plain author may not: writing an alert is not stopping one.
    /// </summary>
    private static bool MayCancel(CapAlert alert, ClaimsPrincipal user, CapOptions options) =>
        user.IsInRole(Roles.Operator) || user.IsInRole(Roles.Approver) || options.IsPreApproved(alert.Sender, user);

    private static CapAlertRow Record(CapAlert alert, ClaimsPrincipal user, DateTimeOffset now, string? campaignId, string? updatesCampaignId) =>
        new(alert.Sender, alert.Identifier, alert.Sent.Ms(), alert.MsgType, alert.Status, user.Tenant(), campaignId, updatesCampaignId, user.Who(), now.Ms());

    /// <summary>The configured lists this caller's tenant can see, in configured order.</summary>
    private static async Task<List<string>> ListsAsync(CapOptions options, ClaimsPrincipal user, ListStore lists, CancellationToken ct)
    {
        var configured = options.Lists.Where(id => !string.IsNullOrWhiteSpace(id)).Select(id => id.Trim()).Distinct().ToList();
        if (configured.Count == 0)
            return [];
        var visible = (await lists.GetManyAsync(configured, ct)).Where(l => user.CanSee(l.Tenant)).Select(l => l.Id).ToHashSet();
        return configured.Where(visible.Contains).ToList();
    }

    /// <summary>Campaign fields in the rules' errors, named as the CAP element they came from.</summary>
    private static string CapElement(string field, CapCampaignDraft draft)
    {
        var info = $"alert.info[{draft.InfoIndex}]";
        return field switch
        {
            "schedule.expiresAt" => info + ".expires",
            "schedule.startAt" => $"{info}.{draft.Definition.Cap?.StartSource ?? "effective"}",
            "message.sms" => info, // the SMS may be several elements together, or a parameter
            "name" => info + ".headline",
            _ => field,
        };
    }

    private static IResult Refused(string type, string title, string element, string detail) =>
        Problems.Unprocessable(type, title, detail, new Dictionary<string, string[]> { [element] = [detail] });

    private static IResult Duplicate(CapAlert alert) =>
        Problems.Duplicate($"The alert {new CapReference(alert.Sender, alert.Identifier, alert.Sent)} was already received; it is not applied twice.");

    /// <summary>The body, or null when it is larger than <paramref name="maxBytes"/> (never read past the limit).</summary>
    private static async Task<byte[]?> ReadBoundedAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
            return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
