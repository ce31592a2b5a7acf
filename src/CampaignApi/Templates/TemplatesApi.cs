using System.Security.Claims;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.CampaignApi.Audit;
using Loa.CampaignApi.Campaigns;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters.Encoding;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Campaigns;
using Loa.Storage.Geography;
using Loa.Storage.Templates;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loa.CampaignApi.Templates;

/// <summary>What an author writes to make or change a template.</summary>
/// <param name="SmsUnaccented">The GSM-7 form; derived from <paramref name="Sms"/> when left out.</param>
public sealed record TemplateRequest(
    string? Title, string? Kind, string? Sms, string? SmsUnaccented, PushMessageDefinition? Push, IReadOnlyList<string>? Tags);

public sealed record TemplateView(
    string Id, string Tenant, bool National, string Title, string Kind, string? Sms, string? SmsUnaccented, PushMessageDefinition? Push,
    IReadOnlyList<string> Tags, string CreatedBy, DateTimeOffset CreatedAt, string? UpdatedBy, DateTimeOffset? UpdatedAt)
{
    public static TemplateView From(TemplateRow row) => new(
        row.Id, row.Tenant, row.Tenant == TemplateStore.National, row.Title, row.Kind, row.Sms, row.SmsUnaccented,
        row.PushTitle is null && row.PushBody is null ? null : new PushMessageDefinition(row.PushTitle, row.PushBody),
        row.TagList, row.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), row.UpdatedBy, Clock.At(row.UpdatedAt));
}

public sealed record TemplatePage(IReadOnlyList<TemplateView> Items, string? Next);

/// <param name="Province">The joining campaign's tenant (a province code) and its name.</param>
public sealed record JoinedProvince(string Province, string? Name, string CampaignId, string Status, long Total, long Delivered);

/// <summary>A national campaign a province may join: what the joining campaign takes from it, nothing of its audience.</summary>
public sealed record JoinableCampaign(
    string Id, string Name, string Kind, string Status, IReadOnlyList<string> Channels, MessageDefinition? Message,
    DateTimeOffset? StartAt, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt);

public sealed record JoinablePage(IReadOnlyList<JoinableCampaign> Items, string? Next);

/// <summary>Where a campaign came from, and for a national campaign the provinces that joined it and what they reached.</summary>
public sealed record CampaignLinks(string CampaignId, string? FromTemplate, string? Joins, IReadOnlyList<JoinedProvince> Joined, long JoinedDelivered);

/// <summary>
/// The template library (issue 19): national templates every province reads, a province's own that only it
/// reads; authors write, everyone in the tenant reads. A campaign made from a template, or joining a
/// national campaign, is created through <c>POST /api/v1/campaigns</c> (<see cref="ResolveAsync"/>).
/// </summary>
public static partial class TemplatesApi
{
    public const int MaxTitle = 200;
    public const int MaxTags = 20;
    public const int MaxPushTitle = 200;
    public const int MaxPushBody = 2000;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex TagPattern();

    public static RouteGroupBuilder MapTemplatesApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/templates").WithTags("Templates").RequireAuthorization();
        group.MapPost("/", CreateAsync).RequireAuthorization(Roles.Author);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id}", GetAsync);
        group.MapPut("/{id}", UpdateAsync).RequireAuthorization(Roles.Author);
        group.MapDelete("/{id}", DeleteAsync).RequireAuthorization(Roles.Author);
        routes.MapGet("/api/v1/campaigns/{id}/links", LinksAsync).WithTags("Campaigns").RequireAuthorization();
        routes.MapGet("/api/v1/campaigns/joinable", JoinableAsync).WithTags("Campaigns").RequireAuthorization(Roles.Author);
        return group;
    }

    public static async Task<IResult> CreateAsync(TemplateRequest request, ClaimsPrincipal user, TemplateStore templates, TimeProvider time, AuditDetails audit, CancellationToken ct)
    {
        if (Check(request) is { Count: > 0 } errors)
            return Problems.Validation(errors);
        var row = Row(request, Guid.CreateVersion7().ToString("n"), user.Tenant(), user.Who(), time.Ms());
        await templates.InsertAsync(row, ct);
        audit.Add("template", new { id = row.Id, row.Title, row.Kind });
        return TypedResults.Created($"/api/v1/templates/{row.Id}", TemplateView.From(row));
    }

    public static async Task<IResult> ListAsync(ClaimsPrincipal user, TemplateStore templates, string? after, int? limit, CancellationToken ct)
    {
        var take = Math.Clamp(limit ?? 50, 1, 500);
        var rows = await templates.PageAsync(user.TenantFilter(), after ?? "", take, ct);
        return TypedResults.Ok(new TemplatePage(rows.Select(TemplateView.From).ToList(), rows.Count == take ? rows[^1].Id : null));
    }

    public static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, TemplateStore templates, CancellationToken ct) =>
        await ReadableAsync(id, user, templates, ct) is { } row ? TypedResults.Ok(TemplateView.From(row)) : Problems.NotFound("template");

    public static async Task<IResult> UpdateAsync(
        string id, TemplateRequest request, ClaimsPrincipal user, TemplateStore templates, TimeProvider time, AuditDetails audit, CancellationToken ct)
    {
        var existing = await ReadableAsync(id, user, templates, ct);
        if (existing is null)
            return Problems.NotFound("template");
        if (!Writable(existing, user))
            return Problems.Forbidden("tenant", "A national template is changed by national authors only.");
        if (Check(request) is { Count: > 0 } errors)
            return Problems.Validation(errors);
        var row = Row(request, existing.Id, existing.Tenant, existing.CreatedBy, existing.CreatedAt) with { UpdatedBy = user.Who(), UpdatedAt = time.Ms() };
        if (!await templates.UpdateAsync(row, ct))
            return Problems.NotFound("template");
        audit.Add("template", new { id, row.Title, row.Kind });
        return TypedResults.Ok(TemplateView.From(row));
    }

    public static async Task<IResult> DeleteAsync(string id, ClaimsPrincipal user, TemplateStore templates, TimeProvider time, AuditDetails audit, CancellationToken ct)
    {
        var existing = await ReadableAsync(id, user, templates, ct);
        if (existing is null)
            return Problems.NotFound("template");
        if (!Writable(existing, user))
            return Problems.Forbidden("tenant", "A national template is deleted by national authors only.");
        if (!await templates.DeleteAsync(id, time.Ms(), ct))
            return Problems.NotFound("template");
        audit.Add("template", new { id, existing.Title });
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The national campaigns a province's author may name in <c>joins</c>: submitted and not ended (a draft may
    /// still change, an ended one has nothing left to go alongside). Only ever national ones, never another
    /// province's; a national caller joins nothing, so its page is empty.
    /// </summary>
    public static async Task<Ok<JoinablePage>> JoinableAsync(ClaimsPrincipal user, CampaignStore campaigns, string? after, int? limit, CancellationToken ct)
    {
        if (user.IsNational())
            return TypedResults.Ok(new JoinablePage([], null));
        var take = Math.Clamp(limit ?? 50, 1, 500);
        var rows = await campaigns.JoinablePageAsync(after ?? "", take, ct);
        var items = rows.Select(row =>
        {
            var definition = JsonSerializer.Deserialize<CampaignDefinition>(row.Definition, LoaJson.Options)!;
            return new JoinableCampaign(row.Id, row.Name, row.Kind, row.Status, definition.Channels ?? [], definition.Message,
                Clock.At(row.StartAt), Clock.At(row.ExpiresAt), DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt));
        }).ToList();
        return TypedResults.Ok(new JoinablePage(items, rows.Count == take ? rows[^1].Id : null));
    }

    public static async Task<IResult> LinksAsync(
        string id, ClaimsPrincipal user, CampaignStore campaigns, TemplateStore templates, Provinces provinces, CancellationToken ct)
    {
        var row = await CampaignsApi.VisibleAsync(id, user, campaigns, ct);
        if (row is null)
            return Problems.NotFound("campaign");
        var (template, joins) = await templates.LinkOfAsync(id, ct);
        var joined = (await templates.JoinedAsync(id, ct))
            .Select(j => new JoinedProvince(provinces.Resolve(j.Tenant)?.Code ?? j.Tenant, provinces.Resolve(j.Tenant)?.Name, j.CampaignId, j.Status, j.Total, j.Delivered))
            .ToList();
        return TypedResults.Ok(new CampaignLinks(id, template, joins, joined, joined.Sum(j => j.Delivered)));
    }

    /// <summary>
    /// A campaign request with <c>fromTemplate</c> or <c>joins</c>, filled from the template (and the national
    /// campaign it joins) where the author left fields out. Returns the definition to check as any other,
    /// the link to keep with the campaign, or the problem to answer with.
    /// </summary>
    internal static async Task<(CampaignDefinition? Definition, (string? Template, string? Joins) Link, IResult? Problem)> ResolveAsync(
        CampaignDefinition request, ClaimsPrincipal user, TemplateStore templates, CampaignStore campaigns, CancellationToken ct)
    {
        var plain = request with { FromTemplate = null, Joins = null };
        if (request.FromTemplate is null && request.Joins is null)
            return (plain, (null, null), null);
        string? templateId = request.FromTemplate;
        CampaignDefinition? national = null;
        if (request.Joins is { } joins)
        {
            if (user.IsNational())
                return (null, default, Problems.Validation("joins", "Only a province joins a national campaign; a national campaign reaches every province itself."));
            var joined = await campaigns.GetAsync(joins, ct);
            if (joined is null || joined.Tenant != Roles.National)
                return (null, default, Problems.Validation("joins", "No national campaign has this id."));
            // A draft may still change and an ended campaign has nothing left to go alongside: the same rule as
            // GET /api/v1/campaigns/joinable, so that a campaign the list does not offer cannot be joined by its id.
            if (!CampaignStore.IsJoinable(joined))
            {
                var why = joined.SupersededBy is { } by ? $"was corrected by {by}: join that one"
                    : joined.SeriesId is { } series ? $"is one run of the series {series}: join the series"
                    : $"is {joined.Status}: only one submitted and not ended can be joined";
                return (null, default, Problems.Validation("joins", $"National campaign {joined.Id} {why} (GET /api/v1/campaigns/joinable lists them)."));
            }
            national = JsonSerializer.Deserialize<CampaignDefinition>(joined.Definition, LoaJson.Options)! with { Name = joined.Name, Kind = joined.Kind };
            templateId ??= (await templates.LinkOfAsync(joins, ct)).TemplateId;
        }
        TemplateRow? template = null;
        if (templateId is not null)
        {
            template = await ReadableAsync(templateId, user, templates, ct);
            if (template is null)
                return (null, default, Problems.Validation("fromTemplate", "No template with this id is visible to you."));
        }
        var filled = template is not null ? FromTemplate(plain, template) : FromCampaign(plain, national!);
        return (filled, (template?.Id, request.Joins), null);
    }

    private static CampaignDefinition FromTemplate(CampaignDefinition request, TemplateRow template)
    {
        var strip = request.Options?.StripDiacritics == true;
        var sms = strip ? template.SmsUnaccented ?? template.Sms : template.Sms;
        var push = template.PushTitle is null && template.PushBody is null ? null : new PushMessageDefinition(template.PushTitle, template.PushBody);
        IReadOnlyList<string> channels = request.Channels ?? (sms is not null ? [Channels.Sms] : [Channels.Push]);
        var message = request.Message ?? new MessageDefinition(channels.Contains(Channels.Sms) ? sms : null, channels.Contains(Channels.Push) ? push : null);
        return request with { Name = request.Name ?? template.Title, Kind = request.Kind ?? template.Kind, Channels = channels, Message = message };
    }

    private static CampaignDefinition FromCampaign(CampaignDefinition request, CampaignDefinition national) => request with
    {
        Name = request.Name ?? national.Name,
        Kind = request.Kind ?? national.Kind,
        Channels = request.Channels ?? national.Channels,
        Message = request.Message ?? national.Message,
    };

    private static async Task<TemplateRow?> ReadableAsync(string id, ClaimsPrincipal user, TemplateStore templates, CancellationToken ct)
    {
        var row = await templates.GetAsync(id, ct);
        return row is not null && (row.Tenant == TemplateStore.National || user.CanSee(row.Tenant)) ? row : null;
    }

    private static bool Writable(TemplateRow row, ClaimsPrincipal user) => user.IsNational() || row.Tenant == user.Tenant();

    private static TemplateRow Row(TemplateRequest request, string id, string tenant, string createdBy, long createdAt)
    {
        var sms = string.IsNullOrWhiteSpace(request.Sms) ? null : request.Sms.Normalize(System.Text.NormalizationForm.FormC);
        var unaccented = string.IsNullOrWhiteSpace(request.SmsUnaccented) ? (sms is null ? null : Unaccent.Strip(sms)) : request.SmsUnaccented;
        var tags = (request.Tags ?? []).Distinct(StringComparer.Ordinal).ToList();
        return new TemplateRow(id, tenant, request.Title!.Trim(), request.Kind!, sms, unaccented, request.Push?.Title, request.Push?.Body,
            JsonSerializer.Serialize(tags), createdBy, createdAt, null, null);
    }

    private static Dictionary<string, string[]> Check(TemplateRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field) ?? [], message];
        if (string.IsNullOrWhiteSpace(request.Title) || request.Title.Length > MaxTitle)
            Error("title", $"A template needs a title of at most {MaxTitle} characters.");
        if (request.Kind is null || !CampaignKind.All.Contains(request.Kind))
            Error("kind", "kind must be one of: emergency, warning, awareness, test.");
        if (string.IsNullOrWhiteSpace(request.Sms) && request.Push is null)
            Error("sms", "A template needs an SMS text, a push text or both.");
        if (request.Sms is { } sms && !string.IsNullOrWhiteSpace(sms))
        {
            if (sms.Length > CampaignRules.MaxSmsCharacters)
                Error("sms", $"The SMS text may be at most {CampaignRules.MaxSmsCharacters} characters.");
            else if (SmsText.Unsendable(sms) is { } bad)
                Error("sms", $"The SMS text has {bad.Reason} at position {bad.Index} (UTF-16 units from 0).");
        }
        if (request.SmsUnaccented is { } plain && !string.IsNullOrWhiteSpace(plain))
        {
            if (string.IsNullOrWhiteSpace(request.Sms))
                Error("smsUnaccented", "The unaccented form goes with an accented SMS text (sms).");
            else if (plain.Length > CampaignRules.MaxSmsCharacters)
                Error("smsUnaccented", $"The SMS text may be at most {CampaignRules.MaxSmsCharacters} characters.");
            else if (!string.Equals(Unaccent.Strip(plain), plain, StringComparison.Ordinal))
                Error("smsUnaccented", "The unaccented form still has Vietnamese tone or vowel marks.");
        }
        if (request.Push is { } push)
        {
            if (string.IsNullOrWhiteSpace(push.Body) || push.Body.Length > MaxPushBody)
                Error("push.body", $"A push text needs a body of at most {MaxPushBody} characters.");
            if (push.Title is { Length: > MaxPushTitle })
                Error("push.title", $"A push title may be at most {MaxPushTitle} characters.");
        }
        var tags = request.Tags ?? [];
        if (tags.Count > MaxTags)
            Error("tags", $"At most {MaxTags} tags.");
        for (var i = 0; i < tags.Count && i < MaxTags; i++)
        {
            if (tags[i] is null || !TagPattern().IsMatch(tags[i]))
                Error($"tags[{i}]", "A tag is 1 to 64 characters of a-z, 0-9 and '-', starting with a letter or digit (e.g. student, civil-servant).");
        }
        return errors;
    }
}
