using Loa.CampaignApi.Audiences;
using Loa.CampaignApi.Audit;
using Loa.CampaignApi.Campaigns;
using Loa.CampaignApi.Dashboard;
using Loa.CampaignApi.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Loa.CampaignApi.Reference;

/// <summary>
/// The API reference at <c>GET /docs</c> (Scalar, its script served from this assembly, never from a
/// CDN) over <c>/openapi/v1.json</c>, and the answers each endpoint gives, written into that document.
/// </summary>
public static class ApiReference
{
    public const string Path = "/docs";

    /// <summary>
    /// Scalar's page starts itself from an inline script and styles itself inline, which the console's
    /// policy forbids; this one still keeps everything on Loa's origin and the page unframed.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void AddApiReference(this OpenApiOptions options)
    {
        options.AddOperationTransformer<OpenApiAnswers>();
        options.AddSchemaTransformer<ServerSetFields>();
    }

    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder routes)
    {
        routes.MapScalarApiReference(Path, options => options
                .WithTitle("Loa API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                // Scalar's defaults fetch fonts from its CDN and report usage to it: neither may leave the agency's network.
                .DisableDefaultFonts()
                .DisableTelemetry())
            .AllowAnonymous()
            .AddEndpointFilter(async (context, next) =>
            {
                var headers = context.HttpContext.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                return await next(context);
            });
        return routes;
    }
}

/// <summary>
/// Writes into the OpenAPI document what each endpoint answers: its success body and the problem types
/// docs/api.md lists for it. The handlers return <see cref="IResult"/> (several shapes per endpoint),
/// so the document cannot infer them; kept here, in one table, rather than spread over every route.
/// </summary>
internal sealed class OpenApiAnswers : IOpenApiOperationTransformer
{
    private const string Problem = "application/problem+json";

    private sealed record Answer(int Status, Type? Body, string Description, bool IsProblem = false);

    private static Answer Ok<T>(int status = 200, string description = "OK") => new(status, typeof(T), description);

    private static Answer P(int status, string description) => new(status, typeof(ProblemDetails), description, true);

    private static Answer V(string description = "validation: errors keyed by field") => new(400, typeof(HttpValidationProblemDetails), description, true);

    private static readonly Answer NotFound = P(404, "not-found: no such campaign, or another tenant's");
    private static readonly Answer Conflict = P(409, "status-conflict: the status does not allow it; superseded: a correction replaced it");

    private static readonly Dictionary<string, Answer[]> Answers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["GET api/v1/me"] = [Ok<MeView>()],
        ["POST api/v1/lists"] = [Ok<ListCreated>(201, "Created"), V(), P(400, "unreadable: the CSV cannot be read; line names where"), P(413, "too-large"), P(415, "media-type: not text/csv"), P(422, "list-too-large")],
        ["GET api/v1/lists"] = [Ok<ListPage>()],
        ["GET api/v1/lists/{id}"] = [Ok<ListDetails>(), P(404, "not-found")],
        ["POST api/v1/campaigns"] = [Ok<CampaignView>(201, "Created: a draft, with its preview"), V(), P(403, "tenant: a province may only target its own province"), P(422, "sms-too-long, channel-unavailable")],
        ["POST api/v1/campaigns/preview"] = [Ok<DraftPreview>(200, "What create would answer: the text as sent and the preview; nothing stored"), V(), P(403, "tenant: a province may only target its own province"), P(422, "sms-too-long")],
        ["GET api/v1/campaigns"] = [Ok<CampaignPage>()],
        ["GET api/v1/campaigns/{id}"] = [Ok<CampaignView>(200, "The campaign with its preview"), NotFound],
        ["POST api/v1/campaigns/{id}/submit"] = [Ok<CampaignView>(), NotFound, Conflict],
        ["POST api/v1/campaigns/{id}/approve"] = [Ok<CampaignView>(), P(403, "two-person-rule: the author or submitter may not approve; tenant: a national campaign needs a national approver"), NotFound, Conflict],
        ["POST api/v1/campaigns/{id}/reject"] = [Ok<CampaignView>(), V("validation: errors.reason"), NotFound, Conflict],
        ["POST api/v1/campaigns/{id}/pause"] = [Ok<CampaignView>(), NotFound, Conflict],
        ["POST api/v1/campaigns/{id}/resume"] = [Ok<CampaignView>(), NotFound, Conflict],
        ["POST api/v1/campaigns/{id}/cancel"] = [Ok<CampaignView>(200, "The campaign; with ?chain=true, {\"campaigns\":[…]}"), V("validation: chain is not true or false"), NotFound, Conflict],
        ["POST api/v1/campaigns/{id}/correction"] = [Ok<CampaignView>(201, "Created: the correction's draft"), V(), NotFound, Conflict, P(422, "sms-too-long")],
        ["GET api/v1/campaigns/{id}/progress"] = [Ok<ProgressView>(), NotFound],
        ["GET api/v1/campaigns/{id}/deliveries"] = [Ok<DeliveryPage>(), V(), NotFound],
        ["GET api/v1/campaigns/{id}/failures"] = [Ok<FailuresView>(), NotFound],
        ["GET api/v1/campaigns/{id}/throughput"] = [Ok<ThroughputView>(), V(), NotFound],
        ["POST api/v1/keys"] = [Ok<CreatedKeyView>(201, "Created: the secret, shown this once"), V(), P(403, "tenant")],
        ["GET api/v1/keys"] = [Ok<KeyPage>()],
        ["GET api/v1/keys/{id}"] = [Ok<KeyView>(), P(404, "not-found")],
        ["DELETE api/v1/keys/{id}"] = [new(204, null, "Revoked"), P(404, "not-found"), P(409, "status-conflict: a key may not revoke itself")],
        ["GET api/v1/audit"] = [Ok<AuditPage>(), P(403, "tenant: national only")],
        ["POST api/v1/sms/measure"] = [Ok<WebConsole.SmsMeasureView>(), V()],
        ["GET api/v1/campaigns/{id}/provinces"] = [Ok<WebConsole.ProvinceAudienceView>(), NotFound],
    };

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        operation.Responses ??= new OpenApiResponses();
        var key = $"{description.HttpMethod} {description.RelativePath?.TrimEnd('/')}";
        if (Answers.TryGetValue(key, out var answers))
        {
            // The bare 200 the framework assumes for an IResult handler is wrong where the success is a 201 or 204.
            if (answers.All(a => a.Status != 200) && operation.Responses.TryGetValue("200", out var bare) && bare.Content is not { Count: > 0 })
                operation.Responses.Remove("200");
            foreach (var answer in answers)
                await AddAsync(operation, context, answer, cancellationToken);
        }
        // What docs/api.md says every authenticated endpoint can also answer.
        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            await AddAsync(operation, context, P(401, "unauthorized: no key, or an unknown or revoked key"), cancellationToken);
            await AddAsync(operation, context, P(403, "role: the caller lacks the role"), cancellationToken);
            await AddAsync(operation, context, P(429, "rate-limited: the caller's bucket is empty"), cancellationToken);
        }
    }

    private static async Task AddAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, Answer answer, CancellationToken ct)
    {
        var status = answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // A status already listed (by the endpoint's own metadata or an earlier line) gains the new meaning in its description.
        if (operation.Responses!.TryGetValue(status, out var existing) && existing is OpenApiResponse known)
        {
            if (known.Description is { } d && !d.Contains(answer.Description, StringComparison.Ordinal))
                known.Description = d is "OK" or "" ? answer.Description : d + "; " + answer.Description;
            if (known.Content is { Count: > 0 } || answer.Body is null)
                return;
        }
        var response = existing as OpenApiResponse ?? new OpenApiResponse { Description = answer.Description };
        if (answer.Body is not null)
        {
            var schema = await context.GetOrCreateSchemaAsync(answer.Body, null, ct);
            response.Content = new Dictionary<string, OpenApiMediaType>
            {
                [answer.IsProblem ? Problem : "application/json"] = new OpenApiMediaType { Schema = schema },
            };
        }
        operation.Responses[status] = response;
    }
}

/// <summary>
/// The fields of a stored campaign definition that only Loa sets (CAP intake, the verification code of a
/// campaign that pushes alone, a re-send's source) and that create ignores on input (CampaignsApi.Unclaimed):
/// marked read-only, so the reference does not offer them as inputs. Each is wrapped in an <c>allOf</c>
/// so that a referenced schema can carry the flag too.
/// </summary>
internal sealed class ServerSetFields : IOpenApiSchemaTransformer
{
    private const string Note = "Set by Loa; ignored on input.";

    private static readonly Dictionary<Type, string[]> Fields = new()
    {
        [typeof(Loa.Contracts.CampaignDefinition)] = ["cap", "pushVerification"],
        [typeof(Loa.Contracts.AudienceDefinition)] = ["resend"],
    };

    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (!Fields.TryGetValue(context.JsonTypeInfo.Type, out var names) || schema.Properties is null)
            return Task.CompletedTask;
        foreach (var name in names)
        {
            if (schema.Properties.TryGetValue(name, out var property))
                schema.Properties[name] = new OpenApiSchema { AllOf = [property], ReadOnly = true, Description = Note };
        }
        return Task.CompletedTask;
    }
}
