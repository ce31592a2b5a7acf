using System.Collections.Concurrent;
using System.Text.Json;
using Loa.CarrierAdapters.Push;
using Microsoft.AspNetCore.Http;

namespace Loa.CarrierSimulators.Push;

/// <summary>
/// A fake APNs: <c>POST /3/device/{token}</c> (HTTP/2), the provider JWT checked against the keys it
/// issued (ES256, <c>kid</c>, <c>iss</c> = team, no older than an hour), the headers checked as Apple
/// checks them, and Apple's answers: 200 with <c>apns-id</c>, or a status with <c>{"reason"}</c>.
/// </summary>
internal sealed class ApnsSimulator(
    SimulatedPushProvider provider,
    PushTokenRegistry registry,
    SimulatedPhones phones,
    string bundleId,
    TimeProvider time)
{
    private static readonly TimeSpan ProviderTokenLifetime = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, ApnsSigningKey> _keys = new(StringComparer.Ordinal);

    public SimulatedPushProvider Provider => provider;

    public void Trust(ApnsSigningKey key) => _keys[key.KeyId] = key;

    public async Task SendAsync(HttpContext context)
    {
        var state = provider.Current;
        var behaviour = state.Behaviour;
        if (behaviour.Latency > TimeSpan.Zero && !await PushSimulatorHost.WaitAsync(context, behaviour.Latency, time))
            return;

        var request = context.Request;
        if (Unauthorized(request.Headers.Authorization.ToString()) is { } denied)
        {
            provider.Stats.RecordUnauthorized();
            await Reason(context, 403, denied);
            return;
        }
        var token = context.Request.RouteValues["token"] as string ?? "";
        var topic = request.Headers["apns-topic"].ToString();
        var pushType = request.Headers["apns-push-type"].ToString();
        var priority = request.Headers["apns-priority"].ToString();
        var collapseId = request.Headers["apns-collapse-id"].ToString();
        string? refusal =
            topic.Length == 0 ? "MissingTopic"
            : topic != bundleId ? "TopicDisallowed"
            : pushType is not ("alert" or "background") ? "InvalidPushType"
            : priority is not ("" or "10" or "5" or "1") ? "BadPriority"
            : System.Text.Encoding.UTF8.GetByteCount(collapseId) > ApnsAdapter.CollapseIdMaxBytes ? "BadCollapseId"
            : !IsHexToken(token) ? "BadDeviceToken"
            : null;

        ApnsPayload? payload = null;
        if (refusal is null)
        {
            try
            {
                payload = await JsonSerializer.DeserializeAsync<ApnsPayload>(request.Body, ApnsJson.Options, context.RequestAborted);
            }
            catch (JsonException)
            {
            }
            if (payload?.Aps is null)
                refusal = "PayloadEmpty";
        }
        if (refusal is not null)
        {
            provider.Stats.RecordRefused();
            await Reason(context, 400, refusal);
            return;
        }

        switch (provider.Admit(state))
        {
            case PushAdmission.ServerError:
                provider.Stats.RecordServerError();
                await Reason(context, behaviour.ServerErrorStatus, behaviour.ServerErrorStatus == 503 ? "ServiceUnavailable" : "InternalServerError");
                return;
            case PushAdmission.Throttled:
                provider.Stats.RecordThrottled();
                context.Response.Headers.RetryAfter = behaviour.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Reason(context, 429, "TooManyRequests");
                return;
            case PushAdmission.Error:
                // A refusal that says nothing about the device.
                provider.Stats.RecordRefused();
                await Reason(context, 400, "BadMessageId");
                return;
        }

        if (!behaviour.AcceptUnknownTokens && !registry.IsKnown(token))
        {
            provider.Stats.RecordUnregistered();
            var since = registry.UninstalledAt(token) ?? time.GetUtcNow();
            await TypedResults.Json(new ApnsError("Unregistered", since.ToUnixTimeMilliseconds()), ApnsJson.Options, statusCode: 410)
                .ExecuteAsync(context);
            return;
        }

        var apnsId = Guid.NewGuid().ToString("D").ToUpperInvariant();
        provider.Stats.RecordAccepted(new PushArrival(
            "apns", token, apnsId, payload!.Aps.Alert?.Title, payload.Aps.Alert?.Body,
            priority.Length == 0 ? "10" : priority, request.Headers["apns-expiration"].ToString() is { Length: > 0 } exp ? exp : null,
            collapseId.Length == 0 ? null : collapseId, payload.Campaign, payload.Url, pushType, topic, time.GetUtcNow()));
        phones.Deliver(behaviour, state.Random, token, payload.Campaign, provider.Stats);
        context.Response.Headers["apns-id"] = apnsId;
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <returns>Apple's reason for refusing the provider token, or null when it is good.</returns>
    private string? Unauthorized(string authorization)
    {
        const string scheme = "bearer ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return "MissingProviderToken";
        var jwt = authorization[scheme.Length..].Trim();
        if (!Jws.TryRead(jwt, out var header, out var claims, out var signed, out var signature)
            || Jws.String(header, "alg") != "ES256"
            || Jws.String(header, "kid") is not { } kid || !_keys.TryGetValue(kid, out var key)
            || Jws.String(claims, "iss") != key.TeamId
            || !Jws.VerifyEs256(key.PublicKey, signed, signature))
            return "InvalidProviderToken";
        if (Jws.Number(claims, "iat") is not { } iat)
            return "InvalidProviderToken";
        if (time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(iat) > ProviderTokenLifetime)
            return "ExpiredProviderToken";
        provider.Stats.RecordProviderToken(jwt);
        return null;
    }

    private static bool IsHexToken(string token) => token.Length is >= 32 and <= 200 && token.All(char.IsAsciiHexDigit);

    private static Task Reason(HttpContext context, int status, string reason) =>
        TypedResults.Json(new ApnsError(reason, null), ApnsJson.Options, statusCode: status).ExecuteAsync(context);
}
