using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.CarrierAdapters.Push;

/// <summary>
/// APNs over HTTP/2: one <c>POST /3/device/{token}</c> per notification, many streams on one
/// connection, a provider JWT in <c>authorization</c>. Every answer becomes a message's fate; only
/// the caller's cancellation escapes.
/// </summary>
public sealed partial class ApnsAdapter : ICarrierAdapter
{
    /// <summary>Apple's limit on <c>apns-collapse-id</c>.</summary>
    public const int CollapseIdMaxBytes = 64;

    /// <summary>Apple stores a notification for an offline device for a limited time; four weeks is the most Loa asks.</summary>
    private const long LongestTtlSeconds = 28 * 24 * 3600;

    private readonly PushAppOptions _options;
    private readonly HttpClient _http;
    private readonly ApnsProviderToken _jwt;
    private readonly Uri _baseUrl;
    private readonly SemaphoreSlim _streams;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    public ApnsAdapter(string app, PushAppOptions options, HttpClient http, ApnsProviderToken jwt, ILogger<ApnsAdapter>? log = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(app);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(jwt);
        if (string.IsNullOrWhiteSpace(options.BundleId))
            throw new ArgumentException($"{PushAppOptions.Section}:{app}:BundleId is required for APNs.", nameof(options));
        if (options.UseTopics)
            throw new ArgumentException($"{PushAppOptions.Section}:{app}:UseTopics: APNs has no topics.", nameof(options));

        CarrierId = PushAdapterFactory.CarrierIdOf(app);
        _options = options;
        _http = http;
        _jwt = jwt;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger<ApnsAdapter>.Instance;
        _streams = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentStreams));
        _baseUrl = options.EffectiveBaseUrl;
    }

    public string CarrierId { get; }

    public bool ReceiptsByWebhook => false;

    public bool RecognisesRepeats => false;

    public Task<SubmitOutcome> SubmitAsync(CarrierBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // The payload differs between notifications only by text: serialised once per text in the batch.
        var payloads = new System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        byte[] PayloadOf(string text) =>
            payloads.TryGetValue(text, out var bytes) ? bytes : payloads.GetOrAdd(text, t => JsonSerializer.SerializeToUtf8Bytes(Payload(batch, t), ApnsJson.Options));
        return PushSubmit.RunAsync(batch, _streams, _options.Timeout,
            (m, deadlines, ct) => SendAsync(batch, m, PayloadOf(m.Text), deadlines, ct), cancellationToken);
    }

    private async Task<PushAnswer> SendAsync(CarrierBatch batch, OutgoingMessage message, byte[] payload, RequestDeadlines deadlines, CancellationToken ct)
    {
        // Loa never plans a topic for APNs (UseTopics is refused for it); a topic name in the device path would be a 400 about a token that is none.
        if (message.Topic)
            return new PushAnswer(PushSubmit.Refused(message.Id, "APNs has no topics"));
        var jwt = _jwt.Current();
        var answer = await SendOnceAsync(batch, message, payload, jwt, deadlines, ct).ConfigureAwait(false);
        if (answer.Signal != PushSignal.Unauthorized || answer.Result.Error?.StartsWith("ExpiredProviderToken", StringComparison.Ordinal) != true)
            return answer;

        // Our clock and Apple's disagree, or the token outlived its hour: renew (if Apple allows it
        // yet) and resend once. APNs took nothing from the refused request.
        return _jwt.Renew(jwt) is { } renewed ? await SendOnceAsync(batch, message, payload, renewed, deadlines, ct).ConfigureAwait(false) : answer;
    }

    private async Task<PushAnswer> SendOnceAsync(CarrierBatch batch, OutgoingMessage message, byte[] payload, string jwt, RequestDeadlines deadlines, CancellationToken ct)
    {
        var builder = new UriBuilder(_baseUrl);
        builder.Path = builder.Path.TrimEnd('/') + "/3/device/" + Uri.EscapeDataString(message.To);
        using var request = PushSubmit.Http2Request(HttpMethod.Post, builder.Uri, http2Only: true);
        request.Headers.Authorization = new AuthenticationHeaderValue("bearer", jwt);
        var urgent = PushSubmit.IsUrgent(batch.Kind);
        request.Headers.TryAddWithoutValidation("apns-topic", _options.BundleId);
        request.Headers.TryAddWithoutValidation("apns-push-type", "alert");
        request.Headers.TryAddWithoutValidation("apns-priority", urgent ? "10" : "5");
        if (batch.ExpiresAt is not null)
        {
            var ttl = PushSubmit.TimeToLiveSeconds(batch.ExpiresAt, _time, LongestTtlSeconds);
            // 0 would mean "deliver now or never"; an expired campaign still sends its last second.
            var expiration = _time.GetUtcNow().ToUnixTimeSeconds() + Math.Max(ttl, 1);
            request.Headers.TryAddWithoutValidation("apns-expiration", expiration.ToString(CultureInfo.InvariantCulture));
        }
        if (CollapseId(batch.CollapseKey) is { } collapseId)
            request.Headers.TryAddWithoutValidation("apns-collapse-id", collapseId);
        request.Content = PushSubmit.JsonBody(payload);

        var (response, failure) = await PushSubmit.SendAsync(_http, request, message.Id, deadlines, ct).ConfigureAwait(false);
        if (failure is not null)
        {
            Log.Failed(_log, CarrierId, message.Id, DeviceToken.Mask(message.To), failure.Fate, failure.Error);
            return new PushAnswer(failure, failure.Fate == MessageFate.NotTaken ? PushSignal.Unavailable : PushSignal.None);
        }
        using (response)
            return await MapAsync(message, response!, ct).ConfigureAwait(false);
    }

    private async Task<PushAnswer> MapAsync(OutgoingMessage message, HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            var apnsId = response.Headers.TryGetValues("apns-id", out var ids) ? ids.FirstOrDefault() : null;
            return new PushAnswer(PushSubmit.Taken(message.Id, apnsId));
        }

        var text = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        var said = TryRead(text)?.Reason;
        var code = string.IsNullOrWhiteSpace(said) ? $"HTTP {status}" : PushSubmit.Excerpt(said);
        var reason = DeviceToken.Scrub($"{code} (HTTP {status})", message.To);

        PushAnswer answer;
        if (status == 410 || code is "BadDeviceToken" or "Unregistered" or "ExpiredToken")
            answer = new PushAnswer(PushSubmit.Refused(message.Id, reason, tokenGone: true));
        else if (status == 429)
            answer = new PushAnswer(PushSubmit.NotTaken(message.Id, reason), PushSignal.Throttled, PushSubmit.RetryAfter(response.Headers, _time));
        else if (status >= 500)
            answer = new PushAnswer(PushSubmit.NotTaken(message.Id, reason), PushSignal.Unavailable, PushSubmit.RetryAfter(response.Headers, _time));
        else if (status == 403)
            // ExpiredProviderToken, InvalidProviderToken, BadCertificate...: Loa's credential, not the device.
            answer = new PushAnswer(PushSubmit.NotTaken(message.Id, reason), PushSignal.Unauthorized);
        else
            // BadCollapseId, BadTopic, DeviceTokenNotForTopic, PayloadTooLarge...: this notification fails; the
            // device stays (a wrong BundleId must not prune every device of the app).
            answer = new PushAnswer(PushSubmit.Refused(message.Id, reason));

        Log.Answered(_log, CarrierId, message.Id, DeviceToken.Mask(message.To), status, code, answer.Result.TokenGone);
        return answer;
    }

    /// <summary>
    /// The campaign's collapse key as Apple takes it: as is within 64 bytes, else its SHA-256 in hex
    /// (64 characters), so that two long keys never collapse into one by truncation.
    /// </summary>
    public static string? CollapseId(string? collapseKey)
    {
        if (string.IsNullOrEmpty(collapseKey))
            return null;
        var bytes = System.Text.Encoding.UTF8.GetBytes(collapseKey);
        return bytes.Length <= CollapseIdMaxBytes ? collapseKey : Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private static ApnsPayload Payload(CarrierBatch batch, string? text) => new(
        new ApnsAps(new ApnsAlert(batch.Title, text), Sound: PushSubmit.IsUrgent(batch.Kind) ? "default" : null),
        batch.Link?.AbsoluteUri,
        batch.Campaign,
        batch.Kind);

    private static ApnsError? TryRead(byte[] text)
    {
        try
        {
            return text.Length == 0 ? null : JsonSerializer.Deserialize<ApnsError>(text, ApnsJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "{CarrierId}: message {MessageId} to {Token}: HTTP {Status} {Code} (token gone: {TokenGone})")]
        public static partial void Answered(ILogger logger, string carrierId, string messageId, string token, int status, string code, bool tokenGone);

        [LoggerMessage(2, LogLevel.Information, "{CarrierId}: message {MessageId} to {Token}: {Fate}, {Reason}")]
        public static partial void Failed(ILogger logger, string carrierId, string messageId, string token, MessageFate fate, string? reason);
    }
}

// The JSON of APNs, shared with the simulator.

/// <summary>The notification: <c>aps</c> for the system, the rest (<c>url</c>, <c>campaign</c>, <c>kind</c>) for the app.</summary>
public sealed record ApnsPayload(
    [property: JsonPropertyName("aps")] ApnsAps Aps,
    [property: JsonPropertyName("url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url,
    [property: JsonPropertyName("campaign"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Campaign,
    [property: JsonPropertyName("kind"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Kind);

public sealed record ApnsAps(
    [property: JsonPropertyName("alert")] ApnsAlert Alert,
    [property: JsonPropertyName("sound"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Sound);

public sealed record ApnsAlert(
    [property: JsonPropertyName("title"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Title,
    [property: JsonPropertyName("body"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Body);

/// <summary><c>{"reason":"BadDeviceToken"}</c>; 410 adds <c>timestamp</c> (ms since the epoch).</summary>
public sealed record ApnsError(
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("timestamp")] long? Timestamp);

public static class ApnsJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
