using System.Text.Json;
using System.Text.Json.Serialization;

namespace Loa.CarrierAdapters.Push;

// The JSON of FCM HTTP v1 (projects.messages.send), as much of it as Loa sends and reads. Shared by
// the adapter and the simulator so the two cannot drift apart. Names are the protocol's own.

public sealed record FcmSendRequest([property: JsonPropertyName("message")] FcmMessage Message);

public sealed record FcmMessage
{
    [JsonPropertyName("token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }

    [JsonPropertyName("topic")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Topic { get; init; }

    [JsonPropertyName("notification")]
    public FcmNotification? Notification { get; init; }

    /// <summary>String values only, as FCM requires.</summary>
    [JsonPropertyName("data")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Data { get; init; }

    [JsonPropertyName("android")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FcmAndroidConfig? Android { get; init; }

    [JsonPropertyName("apns")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FcmApnsConfig? Apns { get; init; }
}

public sealed record FcmNotification(
    [property: JsonPropertyName("title"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Title,
    [property: JsonPropertyName("body")] string? Body);

/// <param name="Priority"><c>high</c> or <c>normal</c>.</param>
/// <param name="Ttl">A protobuf duration: seconds with an <c>s</c>, e.g. <c>3600s</c>.</param>
public sealed record FcmAndroidConfig(
    [property: JsonPropertyName("priority")] string? Priority,
    [property: JsonPropertyName("ttl"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Ttl,
    [property: JsonPropertyName("collapse_key"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CollapseKey);

/// <summary>For iOS devices reached through FCM: the APNs headers FCM passes on.</summary>
public sealed record FcmApnsConfig([property: JsonPropertyName("headers")] IReadOnlyDictionary<string, string> Headers);

public sealed record FcmSendResponse([property: JsonPropertyName("name")] string? Name);

/// <summary>Google's error envelope: <c>{"error":{"code","message","status","details":[...]}}</c>.</summary>
public sealed record FcmErrorResponse([property: JsonPropertyName("error")] FcmError? Error);

public sealed record FcmError(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("details")] IReadOnlyList<JsonElement>? Details)
{
    public const string FcmErrorType = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
    public const string BadRequestType = "type.googleapis.com/google.rpc.BadRequest";

    /// <summary>FCM's own code from the details (<c>UNREGISTERED</c>, <c>QUOTA_EXCEEDED</c>...), else the canonical status.</summary>
    public string? ErrorCode
    {
        get
        {
            foreach (var detail in Details ?? [])
            {
                if (Type(detail) == FcmErrorType && detail.TryGetProperty("errorCode", out var code) && code.ValueKind == JsonValueKind.String)
                    return code.GetString();
            }
            return Status;
        }
    }

    /// <summary>Whether a field violation names the token, FCM's way of saying the token itself is malformed.</summary>
    public bool BlamesToken
    {
        get
        {
            foreach (var detail in Details ?? [])
            {
                if (Type(detail) != BadRequestType || !detail.TryGetProperty("fieldViolations", out var violations)
                    || violations.ValueKind != JsonValueKind.Array)
                    continue;
                foreach (var violation in violations.EnumerateArray())
                {
                    if (violation.TryGetProperty("field", out var named) && named.ValueKind == JsonValueKind.String
                        && named.GetString() == "message.token")
                        return true;
                }
            }
            return Message?.Contains("registration token", StringComparison.OrdinalIgnoreCase) == true;
        }
    }

    private static string? Type(JsonElement detail) =>
        detail.ValueKind == JsonValueKind.Object && detail.TryGetProperty("@type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()
            : null;
}

/// <summary>The OAuth2 token endpoint's answer (RFC 6749 5.1).</summary>
public sealed record OAuthTokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("expires_in")] long ExpiresIn,
    [property: JsonPropertyName("token_type")] string TokenType);

public static class FcmJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
