using System.Security.Cryptography;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierSimulators;

/// <summary>
/// The batch interface of api.md as a carrier answers it, <c>POST /{carrierId}/sms/batches</c>: credentials,
/// validation, the behaviour's faults (errors, throttling, holds), idempotent repeats, and the receipts it
/// schedules. Apart from the host's life cycle (CarrierSimulatorHost.cs), which only maps it.
/// </summary>
public sealed partial class CarrierSimulatorHost
{
    private async Task SubmitAsync(HttpContext context)
    {
        var arrived = _time.GetUtcNow();
        var carrierId = context.Request.RouteValues["carrierId"] as string;
        if (carrierId is null || !_simulated.TryGetValue(carrierId, out var carrier))
        {
            await Problem(context, StatusCodes.Status404NotFound, "Unknown carrier", "No simulated carrier at this path.");
            return;
        }

        var configured = _carriers.Get(carrierId);
        if (!Authorized(context.Request, configured.Credential))
        {
            carrier.Stats.RecordRefused();
            Log.Unauthorized(_log, carrierId);
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Problem(context, StatusCodes.Status401Unauthorized, "Unauthorized", "Missing or wrong bearer credential.");
            return;
        }

        // One behaviour, and its random source, for everything this submit does.
        var draws = carrier.Current;
        var behaviour = draws.Behaviour;

        var idempotencyKey = context.Request.Headers["Idempotency-Key"].ToString();
        if (idempotencyKey.Length == 0)
            idempotencyKey = null;
        if (idempotencyKey is not null && carrier.TryGetAnswer(idempotencyKey, out var earlier))
        {
            await Repeat(context, carrier, draws, idempotencyKey, earlier);
            return;
        }

        BatchRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<BatchRequest>(context.Request.Body, WireJson.Options, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            carrier.Stats.RecordRefused();
            // JsonException names the position, never the offending value, so no number leaks here.
            await Problem(context, StatusCodes.Status400BadRequest, "Bad JSON", ex.Message);
            return;
        }

        var invalid = request is null ? "The body must be a JSON object." : Validate(request, configured.MaxBatchSize);
        if (request is null || invalid is not null)
        {
            carrier.Stats.RecordRefused();
            await Problem(context, StatusCodes.Status400BadRequest, "Bad batch", invalid ?? "");
            return;
        }

        if (draws.Draw(static (b, random) => SimulatedCarrier.Draws.Chance(random, b.ServerErrorRatio)))
        {
            // Nothing is taken and the key is not stored: a retry is a fresh submit.
            carrier.Stats.RecordServerError();
            Log.ServerError(_log, carrierId, request.BatchId, behaviour.ServerErrorStatus);
            if (await WaitAsync(context, draws.Draw(static (b, random) => b.DrawLatency(random))))
                await Problem(context, behaviour.ServerErrorStatus, "Simulated server error", "The carrier failed; nothing was taken.");
            return;
        }

        switch (carrier.Admit(request, idempotencyKey, arrived, behaviour.MaxPartsPerSecond))
        {
            case Admission.Repeat raced:
                // A concurrent submit with the same key got there first.
                await Repeat(context, carrier, draws, idempotencyKey!, raced.Answer);
                return;

            case Admission.Throttled:
                carrier.Stats.RecordThrottled();
                Log.Throttled(_log, carrierId, request.BatchId, behaviour.MaxPartsPerSecond);
                if (await WaitAsync(context, draws.Draw(static (b, random) => b.DrawLatency(random))))
                {
                    // The limit counts per wall-clock second, so the next second always has room again
                    // (a batch bigger than the limit itself never fits; the header cannot say so).
                    context.Response.Headers.RetryAfter = "1";
                    await Problem(context, StatusCodes.Status429TooManyRequests, "Too many requests",
                        $"This carrier takes at most {behaviour.MaxPartsPerSecond} SMS parts per second; nothing was taken.");
                }
                return;

            case Admission.Accepted accepted:
                await Accepted(context, carrier, draws, request, accepted, configured.ReceiptSecret);
                return;
        }
    }

    private async Task Accepted(
        HttpContext context, SimulatedCarrier carrier, SimulatedCarrier.Draws draws, BatchRequest request,
        Admission.Accepted accepted, string secret)
    {
        var behaviour = draws.Behaviour;
        Log.Accepted(_log, carrier.Id, request.BatchId, accepted.CarrierMessageIds.Length);
        var (hold, latency) = draws.Draw(static (b, random) => (SimulatedCarrier.Draws.Chance(random, b.TimeoutRatio), b.DrawLatency(random)));
        var receipts = new ReceiptBatch(
            request.BatchId, new Uri(request.ReceiptUrl), secret, ReceiptSender.Plan(draws, accepted.CarrierMessageIds));

        _receipts.Schedule(carrier, receipts, accepted.Sequence, behaviour);
        await _receipts.PostEarlyAsync(carrier, receipts, behaviour);

        if (hold)
        {
            // Taken and recorded, but the client hears nothing until it gives up: its retry with the
            // same key must get this answer, and nothing may be sent twice.
            carrier.Stats.RecordTimeoutHeld();
            Log.Held(_log, carrier.Id, request.BatchId, behaviour.TimeoutHold);
            latency = behaviour.TimeoutHold;
        }
        if (await WaitAsync(context, latency))
            await WriteAnswer(context, accepted.Answer);
    }

    private async Task Repeat(
        HttpContext context, SimulatedCarrier carrier, SimulatedCarrier.Draws draws, string idempotencyKey, byte[] answer)
    {
        carrier.Stats.RecordRepeat();
        Log.Repeat(_log, carrier.Id, idempotencyKey);
        // A repeat is never held: only the usual latency stands between it and the first answer.
        if (await WaitAsync(context, draws.Draw(static (b, random) => b.DrawLatency(random))))
            await WriteAnswer(context, answer);
    }

    /// <returns>False when there is nobody left to answer: the client hung up, or the host is stopping.</returns>
    private async Task<bool> WaitAsync(HttpContext context, TimeSpan wait)
    {
        if (wait <= TimeSpan.Zero)
            return true;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            await Task.Delay(wait, _time, either.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            // On shutdown the connection is cut rather than answered 200 with nothing in it.
            if (_stopping.IsCancellationRequested)
                context.Abort();
            return false;
        }
    }

    private static Task WriteAnswer(HttpContext context, byte[] body)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static Task Problem(HttpContext context, int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title).ExecuteAsync(context);

    private static bool Authorized(HttpRequest request, string credential)
    {
        if (string.IsNullOrEmpty(credential))
            return true;
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        return CryptographicOperations.FixedTimeEquals(
            Utf8(header[scheme.Length..].Trim()), Utf8(credential));
    }

    /// <returns>Why the batch is refused, or null. Reasons name fields and positions, never values.</returns>
    internal static string? Validate(BatchRequest request, int maxBatchSize)
    {
        if (string.IsNullOrWhiteSpace(request.BatchId))
            return "batchId is required.";
        if (string.IsNullOrWhiteSpace(request.Sender))
            return "sender is required.";
        if (!Uri.TryCreate(request.ReceiptUrl, UriKind.Absolute, out var receiptUrl)
            || (receiptUrl.Scheme != Uri.UriSchemeHttp && receiptUrl.Scheme != Uri.UriSchemeHttps))
            return "receiptUrl must be an absolute http or https URL.";
        if (request.Messages is null || request.Messages.Count == 0)
            return "messages must hold at least one message.";
        if (maxBatchSize > 0 && request.Messages.Count > maxBatchSize)
            return $"messages holds {request.Messages.Count}; this carrier takes at most {maxBatchSize} per batch.";

        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            if (message is null)
                return $"messages[{i}] is null.";
            if (string.IsNullOrWhiteSpace(message.Id))
                return $"messages[{i}].id is required.";
            if (!IsE164(message.To))
                return $"messages[{i}].to must be an E.164 number.";
            if (string.IsNullOrEmpty(message.Text))
                return $"messages[{i}].text is required.";
            if (message.Encoding is not ("gsm7" or "ucs2"))
                return $"messages[{i}].encoding must be gsm7 or ucs2.";
            if (message.Parts < 1)
                return $"messages[{i}].parts must be at least 1.";
        }
        return null;
    }

    // Spelled out: inside Loa.CarrierAdapters, "Encoding" is our SMS encoding namespace, not System.Text's.
    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static bool IsE164(string? number)
    {
        if (number is null || number.Length is < 9 or > 16 || number[0] != '+' || number[1] == '0')
            return false;
        foreach (var c in number.AsSpan(1))
        {
            if (!char.IsAsciiDigit(c))
                return false;
        }
        return true;
    }
}
