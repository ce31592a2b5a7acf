using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Apis.Auth.OAuth2.Responses;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.CarrierAdapters.Push;

/// <summary>
/// FCM HTTP v1: one <c>POST /v1/projects/{project}/messages:send</c> per notification, many at once
/// over HTTP/2. Every answer becomes a message's fate; only the caller's cancellation escapes.
/// </summary>
public sealed partial class FcmAdapter : ICarrierAdapter
{
    /// <summary>FCM keeps a message at most four weeks.</summary>
    private const long LongestTtlSeconds = 28 * 24 * 3600;

    private readonly PushAppOptions _options;
    private readonly HttpClient _http;
    private readonly FcmAccessToken _tokens;
    private readonly Uri _sendUrl;
    private readonly SemaphoreSlim _streams;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    public FcmAdapter(string app, PushAppOptions options, HttpClient http, FcmAccessToken tokens, ILogger<FcmAdapter>? log = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(app);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(tokens);
        var project = string.IsNullOrWhiteSpace(options.ProjectId) ? tokens.ProjectId : options.ProjectId;
        if (string.IsNullOrWhiteSpace(project))
            throw new ArgumentException($"{PushAppOptions.Section}:{app}:ProjectId is required for FCM.", nameof(options));

        CarrierId = PushAdapterFactory.CarrierIdOf(app);
        _options = options;
        _http = http;
        _tokens = tokens;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger<FcmAdapter>.Instance;
        _streams = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentStreams));
        var builder = new UriBuilder(options.EffectiveBaseUrl);
        builder.Path = builder.Path.TrimEnd('/') + $"/v1/projects/{Uri.EscapeDataString(project)}/messages:send";
        _sendUrl = builder.Uri;
    }

    public string CarrierId { get; }

    public bool ReceiptsByWebhook => false;

    public bool RecognisesRepeats => false;

    public async Task<SubmitOutcome> SubmitAsync(CarrierBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // One token for the batch up front: if it cannot be had, nothing is sent and the reason is
        // the token endpoint's, not a hundred copies of it.
        try
        {
            await _tokens.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            return TokenFailure(ex);
        }
        var bodies = new FcmBodies(text => Body(batch, text));
        return await PushSubmit.RunAsync(batch, _streams, _options.Timeout,
            (m, deadlines, ct) => SendAsync(batch, bodies, m, deadlines, ct), cancellationToken).ConfigureAwait(false);
    }

    private SubmitOutcome TokenFailure(Exception ex)
    {
        Log.TokenFailed(_log, CarrierId, ex.GetType().Name);
        // invalid_grant and friends: the service account itself is refused, which no retry fixes.
        return ex is TokenResponseException { StatusCode: HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden } refused
            ? new SubmitOutcome.Rejected($"FCM access token refused: {refused.Error?.Error} {PushSubmit.Excerpt(refused.Error?.ErrorDescription ?? "")}".TrimEnd())
            : new SubmitOutcome.Transient($"FCM access token not obtained: {PushSubmit.Excerpt(ex.Message)}");
    }

    private async Task<PushAnswer> SendAsync(CarrierBatch batch, FcmBodies bodies, OutgoingMessage message, RequestDeadlines deadlines, CancellationToken ct)
    {
        var body = bodies.For(message);
        string token;
        try
        {
            token = await _tokens.GetAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is not OperationCanceledException)
        {
            return new PushAnswer(PushSubmit.NotTaken(message.Id, $"not sent: no FCM access token ({PushSubmit.Excerpt(ex.Message)})"));
        }

        var answer = await SendOnceAsync(body, message, token, deadlines, ct).ConfigureAwait(false);
        if (answer.Signal != PushSignal.Unauthorized)
            return answer;

        // A 401 means the access token was revoked or expired early: renew once and resend. FCM took
        // nothing from the refused request, so the resend cannot duplicate.
        try
        {
            await _tokens.RenewAsync(token, ct).ConfigureAwait(false);
            token = await _tokens.GetAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is not OperationCanceledException)
        {
            return answer;
        }
        return await SendOnceAsync(body, message, token, deadlines, ct).ConfigureAwait(false);
    }

    private async Task<PushAnswer> SendOnceAsync(byte[] body, OutgoingMessage message, string accessToken, RequestDeadlines deadlines, CancellationToken ct)
    {
        using var request = PushSubmit.Http2Request(HttpMethod.Post, _sendUrl, http2Only: false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Content = PushSubmit.JsonBody(body);

        var (response, failure) = await PushSubmit.SendAsync(_http, request, message.Id, deadlines, ct).ConfigureAwait(false);
        if (failure is not null)
        {
            Log.Failed(_log, CarrierId, message.Id, Target(message), failure.Fate, failure.Error);
            return new PushAnswer(failure, failure.Fate == MessageFate.NotTaken ? PushSignal.Unavailable : PushSignal.None);
        }
        using (response)
            return await MapAsync(message, response!, ct).ConfigureAwait(false);
    }

    private async Task<PushAnswer> MapAsync(OutgoingMessage message, HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            var name = TryRead<FcmSendResponse>(text)?.Name;
            return new PushAnswer(PushSubmit.Taken(message.Id, name));
        }

        var error = TryRead<FcmErrorResponse>(text)?.Error;
        var code = error?.ErrorCode ?? $"HTTP {status}";
        var reason = DeviceToken.Scrub(
            error?.Message is { Length: > 0 } said ? $"{code}: {PushSubmit.Excerpt(said)}" : $"{code} (HTTP {status})", message.To);

        PushAnswer answer;
        // A topic has no token to prune: its subscribers are the app's business.
        if (!message.Topic && (code is "UNREGISTERED" || (code is "INVALID_ARGUMENT" && error!.BlamesToken)
            // A 404 with Google's error envelope is about the token; a bare 404 is a wrong URL, and
            // pruning every device for it would be a disaster.
            || (status == 404 && error is not null)))
            answer = new PushAnswer(PushSubmit.Refused(message.Id, reason, tokenGone: true));
        else if (status == 429 || code is "QUOTA_EXCEEDED" or "RESOURCE_EXHAUSTED")
            answer = new PushAnswer(PushSubmit.NotTaken(message.Id, reason), PushSignal.Throttled, PushSubmit.RetryAfter(response.Headers, _time));
        else if (status >= 500 || code is "UNAVAILABLE" or "INTERNAL")
            answer = new PushAnswer(PushSubmit.NotTaken(message.Id, reason), PushSignal.Unavailable, PushSubmit.RetryAfter(response.Headers, _time));
        else if (status is 401 or 403 && code is "UNAUTHENTICATED" or "PERMISSION_DENIED" or "HTTP 401" or "HTTP 403")
            // Loa's own credential, not the device: FCM took nothing.
            answer = new PushAnswer(PushSubmit.NotTaken(message.Id, reason), PushSignal.Unauthorized);
        else
            // SENDER_ID_MISMATCH, THIRD_PARTY_AUTH_ERROR, INVALID_ARGUMENT about the message: the
            // device stays, this notification fails with FCM's reason.
            answer = new PushAnswer(PushSubmit.Refused(message.Id, reason));

        Log.Answered(_log, CarrierId, message.Id, Target(message), status, code, answer.Result.TokenGone);
        return answer;
    }

    /// <summary>The batch's request with an empty token, for <see cref="FcmBodies"/> to splice each target into.</summary>
    private FcmSendRequest Body(CarrierBatch batch, string text)
    {
        var urgent = PushSubmit.IsUrgent(batch.Kind);
        var ttl = PushSubmit.TimeToLiveSeconds(batch.ExpiresAt, _time, LongestTtlSeconds);
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        if (batch.Link is { } link)
            data["url"] = link.AbsoluteUri;
        if (batch.Campaign is { Length: > 0 } campaign)
            data["campaign"] = campaign;
        if (batch.Kind is { Length: > 0 } kind)
            data["kind"] = kind;

        var apnsHeaders = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["apns-priority"] = urgent ? "10" : "5",
        };
        if (batch.ExpiresAt is not null)
            apnsHeaders["apns-expiration"] = (_time.GetUtcNow().ToUnixTimeSeconds() + ttl).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (ApnsAdapter.CollapseId(batch.CollapseKey) is { } collapseId)
            apnsHeaders["apns-collapse-id"] = collapseId;

        return new FcmSendRequest(new FcmMessage
        {
            Token = "",
            Notification = new FcmNotification(batch.Title, text),
            Data = data.Count > 0 ? data : null,
            Android = new FcmAndroidConfig(urgent ? "high" : "normal", $"{ttl}s", batch.CollapseKey),
            Apns = new FcmApnsConfig(apnsHeaders),
        });
    }

    /// <summary>HTTP v1 takes the bare topic name; the legacy <c>/topics/</c> form is accepted and stripped.</summary>
    public static string TopicName(string to) => to.StartsWith("/topics/", StringComparison.Ordinal) ? to["/topics/".Length..] : to;

    private static string Target(OutgoingMessage message) => message.Topic ? "/topics/" + TopicName(message.To) : DeviceToken.Mask(message.To);

    private static T? TryRead<T>(byte[] text) where T : class
    {
        try
        {
            return text.Length == 0 ? null : JsonSerializer.Deserialize<T>(text, FcmJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Tokens appear masked (first 6 characters) and never whole; topics are public names.
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "{CarrierId}: message {MessageId} to {Target}: HTTP {Status} {Code} (token gone: {TokenGone})")]
        public static partial void Answered(ILogger logger, string carrierId, string messageId, string target, int status, string code, bool tokenGone);

        [LoggerMessage(2, LogLevel.Information, "{CarrierId}: message {MessageId} to {Target}: {Fate}, {Reason}")]
        public static partial void Failed(ILogger logger, string carrierId, string messageId, string target, MessageFate fate, string? reason);

        [LoggerMessage(3, LogLevel.Warning, "{CarrierId}: no FCM access token ({Error})")]
        public static partial void TokenFailed(ILogger logger, string carrierId, string error);
    }
}

/// <summary>
/// A batch's request bodies. Everything but the target is the same for every notification of a batch
/// with one text, so that part is serialised once and each body is its bytes with the token (or topic)
/// spliced in: two dictionaries and a serialisation per notification were a good part of the
/// adapter's cost (perf/README, "Push to devices"). The bytes are what the serialiser writes for the
/// whole request (a spec holds them to it).
/// </summary>
internal sealed class FcmBodies(Func<string, FcmSendRequest> request)
{
    // The token is FcmMessage's first property, and the topic takes its place when there is no token.
    private static readonly byte[] TokenPrefix = "{\"message\":{\"token\":\""u8.ToArray();
    private static readonly byte[] TopicPrefix = "{\"message\":{\"topic\":\""u8.ToArray();
    private static readonly System.Buffers.SearchValues<char> Plain =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_-.");

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _rests = new(StringComparer.Ordinal);

    public byte[] For(OutgoingMessage message)
    {
        var prefix = message.Topic ? TopicPrefix : TokenPrefix;
        var target = message.Topic ? FcmAdapter.TopicName(message.To) : message.To;
        var rest = Rest(message.Text);
        if (!target.AsSpan().ContainsAnyExcept(Plain))
        {
            var body = new byte[prefix.Length + target.Length + rest.Length];
            prefix.CopyTo(body, 0);
            System.Text.Encoding.ASCII.GetBytes(target, body.AsSpan(prefix.Length));
            rest.CopyTo(body, prefix.Length + target.Length);
            return body;
        }
        var escaped = JsonEncodedText.Encode(target).EncodedUtf8Bytes;
        var other = new byte[prefix.Length + escaped.Length + rest.Length];
        prefix.CopyTo(other, 0);
        escaped.CopyTo(other.AsSpan(prefix.Length));
        rest.CopyTo(other, prefix.Length + escaped.Length);
        return other;
    }

    /// <summary>The request after its target's value: the closing quote and every other property.</summary>
    private byte[] Rest(string text) => _rests.TryGetValue(text, out var rest) ? rest : _rests.GetOrAdd(text, Serialise);

    private byte[] Serialise(string text)
    {
        var whole = JsonSerializer.SerializeToUtf8Bytes(request(text), FcmJson.Options);
        if (!whole.AsSpan().StartsWith(TokenPrefix) || whole.Length <= TokenPrefix.Length || whole[TokenPrefix.Length] != (byte)'"')
            throw new InvalidOperationException("The FCM request no longer starts with its token: FcmBodies must follow FcmMessage.");
        return whole[TokenPrefix.Length..];
    }
}
