using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters.Routing;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Audit;

namespace Loa.CampaignApi.Audit;

/// <summary>Marks an endpoint whose calls are recorded only when refused (401/403): carrier receipts, high-volume machine traffic.</summary>
public sealed class AuditRefusalsOnly
{
    public static readonly AuditRefusalsOnly Instance = new();
}

/// <summary>
/// Marks a read whose every served answer (2xx) is recorded: a kept report's download. What is not served (404,
/// 400) handed nothing out, and is not recorded, as for any read.
/// </summary>
public sealed class AuditServedReads
{
    public static readonly AuditServedReads Instance = new();
}

/// <summary>
/// Records every state-changing call under /api/v1 (POST, PUT, PATCH, DELETE) and every
/// <c>?unmask=true</c> read, whatever the outcome, refusals included. It sits outside authentication
/// and authorization so that a 401 or 403 is on the record too; handlers add what only they know
/// through <see cref="AuditDetails"/>.
/// </summary>
public sealed partial class AuditTrail(RequestDelegate next, AuditStore store, AuditAnchor anchor, TimeProvider time, ILoggerFactory loggers)
{
    private readonly ILogger logger = loggers.CreateLogger("Loa.Audit");

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments("/api/v1", StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }
        var changes = HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method)
            || HttpMethods.IsPatch(request.Method) || HttpMethods.IsDelete(request.Method);
        var unmask = bool.TryParse(request.Query["unmask"].ToString(), out var asked) && asked;
        var servedRead = !changes && !unmask && context.GetEndpoint()?.Metadata.GetMetadata<AuditServedReads>() is not null;
        if (!changes && !unmask && !servedRead)
        {
            await next(context);
            return;
        }

        int? thrown = null;
        try
        {
            await next(context);
        }
        catch (Exception e)
        {
            // What the exception handler outside will answer (LoaApi.MapEndpoints): the client's faults
            // keep their own status (400, 408, 413), anything else is a 500.
            thrown = Problems.StatusOf(e);
            throw;
        }
        finally
        {
            var outcome = thrown ?? context.Response.StatusCode;
            var refused = outcome is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden;
            if (servedRead)
            {
                if (outcome is >= 200 and < 300)
                    await RecordAsync(context, outcome, unmask);
            }
            else if (refused || context.GetEndpoint()?.Metadata.GetMetadata<AuditRefusalsOnly>() is null)
            {
                await RecordAsync(context, outcome, unmask);
            }
        }
    }

    private async Task RecordAsync(HttpContext context, int outcome, bool unmask)
    {
        var details = context.RequestServices.GetService<AuditDetails>()?.Values.ToDictionary() ?? [];
        if (unmask)
            details.TryAdd("unmask", true);
        // who is the principal's id; its name is a label beside it, for the reader, never to match on.
        if (context.User.Label() is { Length: > 0 } label)
            details.TryAdd("name", label);
        var entry = new AuditEntry(
            time.Ms(), context.User.Who(), context.User.Tenant(), Action(context), Target(context),
            context.Connection.RemoteIpAddress?.ToString(), outcome,
            details.Count == 0 ? null : JsonSerializer.Serialize(details, LoaJson.Options));
        AuditRow row;
        try
        {
            // Not the request's token: a caller who hangs up still did what they did.
            row = await store.AppendAsync(entry, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The response is on its way and cannot be taken back; the log is the record of last resort.
            logger.LogCritical(exception, "Audit row not written: {Who} {Action} {Target} → {Outcome} {Details}",
                entry.Who, entry.Action, entry.Target, entry.Outcome, entry.Details);
            return;
        }
        try
        {
            await anchor.AppendedAsync(row, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The row is written; only its checkpoint is late, and the next row or the timer writes one.
            logger.LogError(exception, "Audit anchor not written after row {Id}", row.Id);
        }
    }

    /// <summary>The method and the route pattern, e.g. <c>POST /api/v1/campaigns/{id}/approve</c>.</summary>
    private static string Action(HttpContext context)
    {
        if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern })
        {
            var trimmed = pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;
            return $"{context.Request.Method} {(trimmed.StartsWith('/') ? trimmed : "/" + trimmed)}";
        }
        // No route matched (404/405, or 415 when no endpoint takes the body's type): the path as sent, with a long
        // segment named by its length only (a device token, FCM's ~160 characters or APNs' 64, is a secret) and
        // anything number-like hidden.
        var segments = context.Request.Path.ToString().Split('/').Select(s => s.Length >= 32 ? $"[{s.Length} characters]" : s);
        return $"{context.Request.Method} {Digits().Replace(string.Join('/', segments), "****")}";
    }

    /// <summary>
    /// The route values (a campaign id, a list id, an opt-out's number, masked), or for a create the new
    /// resource's id from its Location.
    /// </summary>
    private static string? Target(HttpContext context)
    {
        if (context.GetEndpoint() is RouteEndpoint endpoint && endpoint.RoutePattern.Parameters.Count > 0)
        {
            var values = endpoint.RoutePattern.Parameters
                .Select(p => (p.Name, Value: Safe(p.Name, context.Request.RouteValues[p.Name]?.ToString())))
                .ToList();
            return values.Count == 1 ? values[0].Value : string.Join(',', values.Select(v => $"{v.Name}={v.Value}"));
        }
        if (context.Response.StatusCode == StatusCodes.Status201Created
            && context.Response.Headers.Location.ToString() is { Length: > 0 } location)
        {
            return location.TrimEnd('/').Split('/')[^1];
        }
        return null;
    }

    private static string? Safe(string name, string? value)
    {
        if (value is null)
            return null;
        // A device token is a secret even in a refused request's row: only its hash prefix is kept.
        if (string.Equals(name, "token", StringComparison.OrdinalIgnoreCase))
            return value.StartsWith("sha256:", StringComparison.Ordinal) ? value : "sha256:" + Loa.Dispatcher.Devices.DeviceTokens.HashPrefix(Loa.Dispatcher.Devices.DeviceTokens.Hash(value));
        if (Msisdn.TryNormalize(value, out var e164, out _))
            return Msisdn.Mask(e164);
        return string.Equals(name, "msisdn", StringComparison.OrdinalIgnoreCase) ? Msisdn.Mask(value) : value;
    }

    [GeneratedRegex(@"\d{6,}")]
    private static partial Regex Digits();
}
