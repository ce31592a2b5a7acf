using System.Diagnostics;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters.Routing;
using Loa.Dispatcher.Devices;
using Loa.Dispatcher.Planning;
using Loa.Storage.Acks;
using Loa.Storage.Devices;
using Loa.Storage.Geography;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loa.CampaignApi.Devices;

/// <param name="Awareness">
/// False when the phone's owner refused awareness notifications in the app (as a subscriber refuses awareness SMS);
/// true or absent, accepted. Warnings and emergencies reach the device either way. Each registration says it afresh.
/// </param>
public sealed record DeviceRequest(string? Token, string? Platform, string? App, string? Province, string? Language, string? Msisdn, bool? Awareness = null);

/// <param name="Campaign">The campaign whose push the phone acknowledges.</param>
/// <param name="Event"><c>received</c> (shown on the phone) or <c>opened</c> (tapped; implies received).</param>
public sealed record AckRequest(string? Campaign, string? Event);

/// <summary>A device as answered: the token's hash, never the token; the number masked; the province by its canonical code and name.</summary>
/// <param name="Awareness">False when its owner refused awareness notifications.</param>
public sealed record DeviceView(
    string TokenHash, string Platform, string App, string Province, string? ProvinceName, string Language, string? Msisdn,
    string Tenant, string RegisteredBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, bool Awareness);

/// <param name="Apps">The push apps configured (<c>Loa:Push:Apps:&lt;app&gt;</c>), by name only.</param>
public sealed record PushAppList(IReadOnlyList<string> Apps);

/// <summary>
/// The device registry apps write to (role <c>app</c>): a phone's push token with where it is and
/// what language it reads, for push campaigns to reach. A device belongs to the tenant of the key
/// that registered it; a province key registers only devices in its own province.
/// </summary>
public static partial class DevicesApi
{
    public const int MaxTokenLength = 4096;
    public const int MaxAppLength = 64;

    public static RouteGroupBuilder MapDevicesApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/devices").WithTags("Devices").RequireAuthorization(Roles.App);
        group.MapPost("/", RegisterAsync)
            .Produces<DeviceView>(StatusCodes.Status201Created)
            .Produces<DeviceView>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapDelete("/{token}", RemoveAsync)
            .AddEndpointFilter(HideToken)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{token}/acks", AckAsync)
            .AddEndpointFilter(HideToken)
            .WithMetadata(Audit.AuditRefusalsOnly.Instance) // one per phone per campaign: high-volume machine traffic, as receipts
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        routes.MapGet("/api/v1/push/apps", Apps).WithTags("Devices").RequireAuthorization(Roles.Author);
        return group;
    }

    /// <summary>
    /// The push apps an author may name in <c>audience.apps</c>, so the console offers a choice instead of free
    /// text. Names only: an app's provider, project, key id and key file are the operators' and never leave here.
    /// </summary>
    public static Ok<PushAppList> Apps(Loa.CarrierAdapters.Push.PushApps apps) =>
        TypedResults.Ok(new PushAppList(apps.Names.Order(StringComparer.Ordinal).ToList()));

    /// <summary>
    /// 201 for a token new to the caller, 200 for one the caller can see already (updated in place, one
    /// row per token). A token another tenant held is answered 201, as new: it moves to the caller, and
    /// nothing tells of the earlier holder. No Location: the device's address holds its token, and the
    /// audit trail records a created resource's address.
    /// </summary>
    public static async Task<IResult> RegisterAsync(
        DeviceRequest request, ClaimsPrincipal user, DeviceStore devices, DeviceTokens tokens, RouteTable routes, Provinces provinces,
        Audit.AuditDetails audit, ILoggerFactory loggers, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var token = request.Token ?? "";
        if (token.Length == 0)
            errors["token"] = ["token is required."];
        else if (token.Length > MaxTokenLength)
            errors["token"] = [$"token must be at most {MaxTokenLength} characters."];
        else if (!token.All(c => c is >= '!' and <= '~'))
            errors["token"] = ["token must be printable ASCII, without spaces."];

        var platform = request.Platform?.Trim().ToLowerInvariant();
        if (platform is not ("android" or "ios"))
            errors["platform"] = ["platform must be 'android' or 'ios'."];

        var app = request.App?.Trim().ToLowerInvariant() ?? "";
        if (!AppId().IsMatch(app))
            errors["app"] = [$"app must be 1 to {MaxAppLength} letters, digits or '-'."];

        var given = request.Province?.Trim() ?? "";
        var province = "";
        if (given.Length == 0)
            errors["province"] = ["province is required: the device's province code."];
        else if (provinces.Resolve(given) is { } resolved)
            province = resolved.Code; // an app built before 2025 may still send HG: the device is in Cần Thơ now
        else
            errors["province"] = [$"'{Clip(given)}' is not a province Loa knows (GET /api/v1/provinces)."];

        var language = string.IsNullOrWhiteSpace(request.Language) ? "vi" : request.Language.Trim().ToLowerInvariant();
        if (language is not ("vi" or "en"))
            errors["language"] = ["language must be 'vi' or 'en'."];

        string? msisdn = null;
        if (!string.IsNullOrWhiteSpace(request.Msisdn))
        {
            if (Msisdn.TryNormalize(request.Msisdn, await routes.GetAsync(ct), out var e164, out var reason))
                msisdn = e164;
            else
                errors["msisdn"] = [reason];
        }
        if (errors.Count > 0)
            return Problems.Validation(errors);
        // As a province's campaigns and list rows: its own province only (checked after the shape, so the error is precise).
        if (!user.IsNational() && province != user.Tenant())
            return Problems.Forbidden("tenant", $"A {user.Tenant()} key may only register devices in province {user.Tenant()}.");

        var hash = DeviceTokens.Hash(token);
        audit.Add("device", DeviceTokens.HashPrefix(hash));
        var registered = await devices.RegisterAsync(
            new DeviceRegistration(hash, tokens.Protect(token), platform!, app, province, language, msisdn, user.Tenant(), user.Who(),
                RefusesAwareness: request.Awareness == false), ct);
        var logger = loggers.CreateLogger("Loa.Devices");
        var known = registered.PreviousTenant is { } previous && user.CanSee(previous);
        Log.Registered(logger, DeviceTokens.Start(token), DeviceTokens.HashPrefix(hash), known ? "updated" : "registered",
            app, platform!, province, user.Tenant());
        var view = View(registered.Device, provinces);
        return known ? TypedResults.Ok(view) : TypedResults.Created((string?)null, view);
    }

    /// <summary>204; 404 for a token nobody registered and for another tenant's, alike.</summary>
    public static async Task<IResult> RemoveAsync(string token, ClaimsPrincipal user, DeviceStore devices, CancellationToken ct)
    {
        // Deliberately no log line here: the request's path holds the token, and a log scope carries the path.
        if (token.Length is 0 or > MaxTokenLength || !await devices.RemoveAsync(DeviceTokens.Hash(token), user.TenantFilter(), ct))
            return Problems.NotFound("device");
        return TypedResults.NoContent();
    }

    /// <summary>
    /// A phone says the campaign's push reached it (<c>received</c>) or was tapped (<c>opened</c>, which
    /// implies received). 204 whether the ack is new or a repeat: each delivery counts once per event,
    /// whatever the app sends again. 404 for a token nobody registered, another tenant's device, or a
    /// campaign that sent this device no push, alike, as for DELETE.
    /// </summary>
    public static async Task<IResult> AckAsync(string token, AckRequest request, ClaimsPrincipal user, AckLedger acks, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var campaign = request.Campaign?.Trim() ?? "";
        if (campaign.Length is 0 or > 64)
            errors["campaign"] = ["campaign is required: the id of the campaign whose push this acknowledges."];
        var ackEvent = request.Event?.Trim().ToLowerInvariant();
        if (ackEvent is not ("received" or "opened"))
            errors["event"] = ["event must be 'received' or 'opened'."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        // No log line per ack, for the same reason as DELETE (the path holds the token), and for the rate.
        if (token.Length is 0 or > MaxTokenLength
            || await acks.AckAsync(DeviceTokens.Hash(token), user.TenantFilter(), campaign, ackEvent == "opened", ct) is null)
        {
            return Problems.NotFound("delivery");
        }
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The audit trail records a route's values and the trace its path: once the handler has the token,
    /// both are given the hash's prefix instead.
    /// </summary>
    private static async ValueTask<object?> HideToken(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        try
        {
            return await next(context);
        }
        finally
        {
            if (request.RouteValues["token"] is string token)
            {
                var hidden = "sha256:" + DeviceTokens.HashPrefix(DeviceTokens.Hash(token));
                request.RouteValues["token"] = hidden;
                Activity.Current?.SetTag("url.path", "/api/v1/devices/" + hidden);
            }
        }
    }

    private static DeviceView View(DeviceRow row, Provinces provinces) => new(
        row.TokenHash, row.Platform, row.App, row.Province, provinces.Unit(row.Province)?.Name, row.Language, row.Msisdn is null ? null : Msisdn.Mask(row.Msisdn),
        row.Tenant, row.RegisteredBy, DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt),
        !row.RefusesAwareness);

    private static string Clip(string value) => value.Length <= 20 ? value : value[..20];

    [GeneratedRegex("^[a-z0-9-]{1,64}$")]
    private static partial Regex AppId();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Device {TokenStart} (sha256 {HashPrefix}) {Outcome}: app {App}, {Platform}, province {Province}, tenant {Tenant}")]
        public static partial void Registered(ILogger logger, string tokenStart, string hashPrefix, string outcome, string app, string platform, string province, string tenant);
    }
}
