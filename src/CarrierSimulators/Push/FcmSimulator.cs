using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Loa.CarrierAdapters.Push;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierSimulators.Push;

/// <summary>
/// A fake FCM: Google's OAuth2 token endpoint for service accounts (<c>POST /token</c>, the JWT-bearer
/// grant, RS256 assertions checked against the accounts it issued) and HTTP v1's
/// <c>POST /v1/projects/{project}/messages:send</c>, answering as FCM does, errors in Google's envelope.
/// </summary>
internal sealed partial class FcmSimulator(
    SimulatedPushProvider provider,
    PushTokenRegistry registry,
    SimulatedPhones phones,
    string projectId,
    TimeProvider time,
    ILogger log)
{
    private const string JwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private const string GoogleAudience = "https://oauth2.googleapis.com/token";

    private readonly ConcurrentDictionary<string, FcmServiceAccount> _accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _accessTokens = new(StringComparer.Ordinal);

    public SimulatedPushProvider Provider => provider;

    public void Trust(FcmServiceAccount account) => _accounts[account.ClientEmail] = account;

    /// <summary>Every access token issued so far stops working, as when Google revokes them: the next send is 401.</summary>
    public void RevokeAccessTokens() => _accessTokens.Clear();

    public async Task TokenAsync(HttpContext context)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
        var grant = form?["grant_type"].ToString();
        var assertion = form?["assertion"].ToString();
        if (grant != JwtBearer || string.IsNullOrEmpty(assertion))
        {
            await TokenError(context, 400, "unsupported_grant_type", "Only the JWT-bearer grant with an assertion is served here.");
            return;
        }
        if (!Jws.TryRead(assertion, out var header, out var claims, out var signed, out var signature)
            || Jws.String(header, "alg") != "RS256")
        {
            await TokenError(context, 400, "invalid_grant", "Invalid JWT: not an RS256 compact JWS.");
            return;
        }
        var issuer = Jws.String(claims, "iss");
        if (issuer is null || !_accounts.TryGetValue(issuer, out var account) || !Jws.VerifyRs256(account.PublicKey, signed, signature))
        {
            await TokenError(context, 400, "invalid_grant", "Invalid JWT Signature.");
            return;
        }
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (Jws.Number(claims, "exp") is not { } exp || exp <= now)
        {
            await TokenError(context, 400, "invalid_grant", "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.");
            return;
        }
        // Google.Apis.Auth names Google's own token endpoint as the audience whatever token_uri says,
        // and Google accepts that; so does the simulator, beside its own address.
        if (Jws.String(claims, "aud") is not { } audience || (audience != account.TokenUri && audience != GoogleAudience))
        {
            await TokenError(context, 400, "invalid_grant", "Invalid JWT: audience is not this token endpoint.");
            return;
        }
        if (Jws.String(claims, "scope")?.Split(' ').Contains(FcmAccessToken.Scope) != true)
        {
            await TokenError(context, 400, "invalid_scope", $"The assertion must ask for {FcmAccessToken.Scope}.");
            return;
        }

        var lifetime = provider.Behaviour.AccessTokenLifetime;
        var token = "ya29.sim-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _accessTokens[token] = time.GetUtcNow() + lifetime;
        provider.Stats.RecordAccessToken(issued: true);
        Log.TokenIssued(log, issuer, (long)lifetime.TotalSeconds);
        await TypedResults.Json(new OAuthTokenResponse(token, (long)lifetime.TotalSeconds, "Bearer"), FcmJson.Options).ExecuteAsync(context);
    }

    public async Task SendAsync(HttpContext context)
    {
        var state = provider.Current;
        var behaviour = state.Behaviour;
        if (behaviour.Latency > TimeSpan.Zero && !await PushSimulatorHost.WaitAsync(context, behaviour.Latency, time))
            return;

        var project = context.Request.RouteValues["project"] as string;
        if (!Authorized(context.Request))
        {
            provider.Stats.RecordUnauthorized();
            await Error(context, 401, "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", null);
            return;
        }
        if (project != projectId)
        {
            provider.Stats.RecordUnauthorized();
            await Error(context, 403, "PERMISSION_DENIED", "Permission 'cloudmessaging.messages.create' denied on resource.", "SENDER_ID_MISMATCH");
            return;
        }

        FcmSendRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<FcmSendRequest>(context.Request.Body, FcmJson.Options, context.RequestAborted);
        }
        catch (JsonException)
        {
            request = null;
        }
        var message = request?.Message;
        if (message is null || (string.IsNullOrEmpty(message.Token) == string.IsNullOrEmpty(message.Topic)))
        {
            provider.Stats.RecordRefused();
            await Error(context, 400, "INVALID_ARGUMENT", "Request contains an invalid argument: exactly one of message.token and message.topic.", "INVALID_ARGUMENT");
            return;
        }

        switch (provider.Admit(state))
        {
            case PushAdmission.ServerError:
                provider.Stats.RecordServerError();
                await Error(context, behaviour.ServerErrorStatus, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE");
                return;
            case PushAdmission.Throttled:
                provider.Stats.RecordThrottled();
                context.Response.Headers.RetryAfter = behaviour.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Error(context, 429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Send requests'.", "QUOTA_EXCEEDED");
                return;
            case PushAdmission.Error:
                provider.Stats.RecordRefused();
                await Error(context, 400, "INVALID_ARGUMENT", "Request contains an invalid argument (simulated).", "INVALID_ARGUMENT");
                return;
        }

        var topic = message.Topic is { Length: > 0 } named ? FcmAdapter.TopicName(named) : null;
        if (topic is null && !behaviour.AcceptUnknownTokens && !registry.IsKnown(message.Token!))
        {
            provider.Stats.RecordUnregistered();
            await Error(context, 404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED");
            return;
        }

        var id = $"projects/{projectId}/messages/0:{time.GetUtcNow().ToUnixTimeMilliseconds()}%{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        var data = message.Data ?? new Dictionary<string, string>();
        var campaign = data.GetValueOrDefault("campaign");
        provider.Stats.RecordAccepted(new PushArrival(
            "fcm", topic is null ? message.Token! : "/topics/" + topic, id,
            message.Notification?.Title, message.Notification?.Body,
            message.Android?.Priority, message.Android?.Ttl, message.Android?.CollapseKey,
            campaign, data.GetValueOrDefault("url"), PushType: null, ApnsTopic: null, time.GetUtcNow()));

        foreach (var device in topic is null ? [message.Token!] : registry.Subscribers(topic))
            phones.Deliver(behaviour, state.Random, device, campaign, provider.Stats);
        await TypedResults.Json(new FcmSendResponse(id), FcmJson.Options).ExecuteAsync(context);
    }

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return false;
        return _accessTokens.TryGetValue(header["Bearer ".Length..].Trim(), out var expires) && expires > time.GetUtcNow();
    }

    private static Task Error(HttpContext context, int status, string canonical, string message, string? fcmCode)
    {
        var details = new List<object>();
        if (fcmCode is not null)
            details.Add(new Dictionary<string, string> { ["@type"] = FcmError.FcmErrorType, ["errorCode"] = fcmCode });
        var body = new { error = new { code = status, message, status = canonical, details } };
        return TypedResults.Json(body, FcmJson.Options, statusCode: status).ExecuteAsync(context);
    }

    private Task TokenError(HttpContext context, int status, string error, string description)
    {
        provider.Stats.RecordAccessToken(issued: false);
        Log.TokenRefused(log, error);
        return TypedResults.Json(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description },
            statusCode: status).ExecuteAsync(context);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Simulated FCM issued an access token to {Account} for {Seconds} s")]
        public static partial void TokenIssued(ILogger logger, string account, long seconds);

        [LoggerMessage(2, LogLevel.Information, "Simulated FCM refused a token request: {Error}")]
        public static partial void TokenRefused(ILogger logger, string error);
    }
}
