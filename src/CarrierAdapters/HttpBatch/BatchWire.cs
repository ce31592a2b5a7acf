using System.Text.Json.Serialization;

namespace Loa.CarrierAdapters.HttpBatch;

// The JSON shapes of the carrier batch interface (api.md, "The carrier batch interface").
// Shared by the adapter (client), the simulators (server) and the receipt webhook, so the three
// can never drift apart.

public sealed record BatchRequest(
    string BatchId,
    string Sender,
    IReadOnlyList<BatchRequestMessage> Messages,
    string ReceiptUrl);

/// <param name="Encoding"><c>gsm7</c> or <c>ucs2</c>.</param>
public sealed record BatchRequestMessage(string Id, string To, string Text, string Encoding, int Parts);

public sealed record BatchResponse(IReadOnlyList<BatchResponseResult> Results);

/// <param name="Status"><c>accepted</c> or <c>rejected</c>.</param>
public sealed record BatchResponseResult(
    string Id,
    string Status,
    string? CarrierMessageId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <param name="Status"><c>delivered</c>, <c>failed</c>, <c>expired</c> or <c>rejected</c>.</param>
public sealed record Receipt(
    string MessageId,
    string Status,
    DateTimeOffset? At,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

public static class WireJson
{
    /// <summary>The one JSON options instance for the carrier interface: camelCase, as api.md says.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Options =
        new(System.Text.Json.JsonSerializerDefaults.Web);
}
