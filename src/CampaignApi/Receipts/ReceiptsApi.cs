using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters.HttpBatch;
using Loa.Storage.Receipts;
using Microsoft.Extensions.Options;

namespace Loa.CampaignApi.Receipts;

public sealed record ReceiptsAccepted(int Accepted, int Unknown);

/// <summary>
/// Carriers post delivery receipts here. The HMAC over the raw body is the carrier's credential:
/// it is checked before anything is parsed, and a bad or missing signature applies nothing.
/// </summary>
public static class ReceiptsApi
{
    public static RouteHandlerBuilder MapReceiptsApiV1(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/api/v1/carriers/{carrierId}/receipts", ReceiveAsync).WithTags("Carriers").AllowAnonymous()
            .WithMetadata(Audit.AuditRefusalsOnly.Instance); // high-volume machine traffic: only refusals go on the record

    public static async Task<IResult> ReceiveAsync(
        string carrierId, HttpRequest request, IOptionsMonitor<CarrierOptions> carriers, IOptions<RequestLimitOptions> limits, ReceiptLedger receipts,
        CancellationToken ct)
    {
        if (!CarrierIds.All.Contains(carrierId))
            return Problems.NotFound("carrier");
        // The request limit every body is held to (Kestrel enforces it too); said once, here, with its setting.
        var maxBytes = limits.Value.MaxBodyBytes;
        var tooLarge = $"At most {maxBytes} bytes of receipts per request (Loa:Limits:MaxBodyBytes); post them in smaller batches.";
        if (request.ContentLength > maxBytes)
            return Problems.TooLarge(tooLarge);

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > maxBytes)
            return Problems.TooLarge(tooLarge);
        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);

        if (!ReceiptSignature.Verify(body.Span, request.Headers[ReceiptSignature.Header], carriers.Get(carrierId).ReceiptSecret))
            return Problems.Unauthorized($"Missing or wrong {ReceiptSignature.Header} for carrier {carrierId}.");

        List<Receipt>? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<List<Receipt>>(body.Span, WireJson.Options);
        }
        catch (JsonException ex)
        {
            return Problems.Validation("body", $"Not a JSON array of receipts: {ex.Message}");
        }
        if (parsed is null)
            return Problems.Validation("body", "Expected a JSON array of receipts.");
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < parsed.Count; i++)
        {
            if (parsed[i] is null)
            {
                errors[$"[{i}]"] = ["A receipt is an object, not null."];
                continue;
            }
            if (string.IsNullOrEmpty(parsed[i].MessageId) || parsed[i].MessageId.Length > 100)
                errors[$"[{i}].messageId"] = ["messageId is required (at most 100 characters)."];
            if (!ReceiptLedger.IsKnownStatus(parsed[i].Status ?? ""))
                errors[$"[{i}].status"] = ["status must be delivered, failed, expired or rejected."];
        }
        if (errors.Count > 0)
            return Problems.Validation(errors);

        var outcome = await receipts.ApplyAsync(
            carrierId, parsed.Select(r => new ReceiptInput(r.MessageId, r.Status, r.Error, r.At)).ToList(), ct);
        return TypedResults.Accepted((string?)null, new ReceiptsAccepted(outcome.Accepted, outcome.Unknown));
    }
}
