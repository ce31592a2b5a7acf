using System.Globalization;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Loa.CarrierSimulators;

/// <summary>
/// The simulators' own admin endpoints, on their loopback port beside the carriers:
/// <list type="bullet">
/// <item><c>GET /admin/stats</c>: every carrier's counters (<see cref="SimulatorStatsSnapshot"/>).</item>
/// <item><c>POST /admin/reset</c>, <c>POST /admin/carriers/{id}/reset</c>: stats back to zero (204).</item>
/// <item><c>GET /admin/carriers/{id}/arrivals[?since=unixMs]</c>: the arrival log (<see cref="BatchArrival"/>[]).</item>
/// <item><c>GET /admin/carriers/{id}/behaviour</c>: the current behaviour (<see cref="SimulatorBehaviourDocument"/>).</item>
/// <item><c>PUT</c> the same: replaces it; fields left out take the carrier's configured (startup) value.</item>
/// <item><c>PATCH</c> the same: merges the given fields into the current behaviour.</item>
/// </list>
/// A bad field answers 400 with an <c>errors</c> map naming it, and nothing changes; an unknown carrier 404.
/// </summary>
internal static class SimulatorAdminApi
{
    private const string BehaviourRoute = "/admin/carriers/{carrierId}/behaviour";

    private delegate SimulatorBehaviour Apply(SimulatorBehaviour behaviour, JsonElement value);

    /// <summary>Writable fields by JSON name, with the <see cref="SimulatorBehaviour"/> property each sets.</summary>
    private static readonly Dictionary<string, (string Property, Apply Apply)> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["latencyMedianMs"] = (nameof(SimulatorBehaviour.LatencyMedian), (b, v) => b with { LatencyMedian = Millis(v) }),
        ["latencyP99Ms"] = (nameof(SimulatorBehaviour.LatencyP99), (b, v) => b with { LatencyP99 = Millis(v) }),
        ["serverErrorRatio"] = (nameof(SimulatorBehaviour.ServerErrorRatio), (b, v) => b with { ServerErrorRatio = Number(v) }),
        ["serverErrorStatus"] = (nameof(SimulatorBehaviour.ServerErrorStatus), (b, v) => b with { ServerErrorStatus = Integer(v) }),
        ["timeoutRatio"] = (nameof(SimulatorBehaviour.TimeoutRatio), (b, v) => b with { TimeoutRatio = Number(v) }),
        ["timeoutHoldMs"] = (nameof(SimulatorBehaviour.TimeoutHold), (b, v) => b with { TimeoutHold = Millis(v) }),
        ["maxPartsPerSecond"] = (nameof(SimulatorBehaviour.MaxPartsPerSecond), (b, v) => b with { MaxPartsPerSecond = Integer(v) }),
        ["receiptDelayMs"] = (nameof(SimulatorBehaviour.ReceiptDelay), (b, v) => b with { ReceiptDelay = Millis(v) }),
        ["receiptStatus"] = (nameof(SimulatorBehaviour.ReceiptStatus), (b, v) => b with { ReceiptStatus = Status(v) }),
        ["deliveredWeight"] = (nameof(SimulatorBehaviour.DeliveredWeight), (b, v) => b with { DeliveredWeight = Number(v) }),
        ["failedWeight"] = (nameof(SimulatorBehaviour.FailedWeight), (b, v) => b with { FailedWeight = Number(v) }),
        ["expiredWeight"] = (nameof(SimulatorBehaviour.ExpiredWeight), (b, v) => b with { ExpiredWeight = Number(v) }),
        ["rejectedWeight"] = (nameof(SimulatorBehaviour.RejectedWeight), (b, v) => b with { RejectedWeight = Number(v) }),
        ["duplicateReceiptRatio"] = (nameof(SimulatorBehaviour.DuplicateReceiptRatio), (b, v) => b with { DuplicateReceiptRatio = Number(v) }),
        ["duplicateReceiptDelayMs"] = (nameof(SimulatorBehaviour.DuplicateReceiptDelay), (b, v) => b with { DuplicateReceiptDelay = Millis(v) }),
        ["outOfOrderReceiptRatio"] = (nameof(SimulatorBehaviour.OutOfOrderReceiptRatio), (b, v) => b with { OutOfOrderReceiptRatio = Number(v) }),
        ["outOfOrderHoldMs"] = (nameof(SimulatorBehaviour.OutOfOrderHold), (b, v) => b with { OutOfOrderHold = Millis(v) }),
        ["earlyReceiptRatio"] = (nameof(SimulatorBehaviour.EarlyReceiptRatio), (b, v) => b with { EarlyReceiptRatio = Number(v) }),
        ["seed"] = (nameof(SimulatorBehaviour.Seed), (b, v) => b with { Seed = v.ValueKind == JsonValueKind.Null ? null : Integer(v) }),
    };

    public static void MapSimulatorAdmin(this IEndpointRouteBuilder routes, CarrierSimulatorHost host)
    {
        routes.MapGet("/admin/stats", context => Json(context, host.Stats.Snapshot()));
        routes.MapPost("/admin/reset", context =>
        {
            host.Stats.Reset();
            return NoContent(context);
        });
        routes.MapPost("/admin/carriers/{carrierId}/reset", context =>
            WithCarrier(context, host, carrier =>
            {
                carrier.Stats.Reset();
                return NoContent(context);
            }));
        routes.MapGet("/admin/carriers/{carrierId}/arrivals", context =>
            WithCarrier(context, host, carrier =>
            {
                var since = long.TryParse(context.Request.Query["since"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
                    ? ms
                    : long.MinValue;
                return Json(context, carrier.Stats.Arrivals.Where(a => a.ArrivedUnixMs >= since).ToArray());
            }));
        routes.MapGet(BehaviourRoute, context =>
            WithCarrier(context, host, carrier => Json(context, SimulatorBehaviourDocument.From(carrier.Behaviour))));
        routes.MapMethods(BehaviourRoute, [HttpMethods.Put], context => ChangeAsync(context, host, merge: false));
        routes.MapMethods(BehaviourRoute, [HttpMethods.Patch], context => ChangeAsync(context, host, merge: true));
    }

    private static async Task ChangeAsync(HttpContext context, CarrierSimulatorHost host, bool merge)
    {
        var carrierId = context.Request.RouteValues["carrierId"] as string;
        if (carrierId is null || !host.TryGetCarrier(carrierId, out var carrier))
        {
            await UnknownCarrier(context);
            return;
        }

        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException ex)
        {
            await TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status400BadRequest, title: "Bad JSON").ExecuteAsync(context);
            return;
        }

        using (body)
        {
            if (body.RootElement.ValueKind != JsonValueKind.Object)
            {
                await TypedResults.Problem("The body must be a JSON object of behaviour fields.",
                    statusCode: StatusCodes.Status400BadRequest, title: "Bad behaviour").ExecuteAsync(context);
                return;
            }

            var behaviour = merge ? carrier.Behaviour : carrier.Startup;
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var property in body.RootElement.EnumerateObject())
            {
                if (!Fields.TryGetValue(property.Name, out var field))
                {
                    errors[property.Name] = [$"is not a behaviour field; the fields are {string.Join(", ", Fields.Keys)}."];
                    continue;
                }
                try
                {
                    behaviour = field.Apply(behaviour, property.Value);
                }
                catch (BadField ex)
                {
                    errors[JsonName(field.Property)] = [ex.Message];
                }
            }
            if (errors.Count == 0)
            {
                foreach (var (property, problem) in behaviour.Problems())
                    errors.TryAdd(JsonName(property), [problem]);
            }
            if (errors.Count > 0)
            {
                var detail = string.Join(" ", errors.Select(e => $"{e.Key} {e.Value[0]}"));
                await TypedResults.ValidationProblem(errors, detail, title: "Invalid behaviour").ExecuteAsync(context);
                return;
            }

            host.SetBehaviour(carrier.Id, behaviour);
            await Json(context, SimulatorBehaviourDocument.From(behaviour));
        }
    }

    private static Task WithCarrier(HttpContext context, CarrierSimulatorHost host, Func<SimulatedCarrier, Task> handle)
    {
        var carrierId = context.Request.RouteValues["carrierId"] as string;
        return carrierId is not null && host.TryGetCarrier(carrierId, out var carrier) ? handle(carrier) : UnknownCarrier(context);
    }

    private static Task UnknownCarrier(HttpContext context) =>
        TypedResults.Problem(
            $"No simulated carrier here; the ids are {string.Join(", ", CarrierIds.All)}.",
            statusCode: StatusCodes.Status404NotFound, title: "Unknown carrier").ExecuteAsync(context);

    private static Task Json<T>(HttpContext context, T value) => TypedResults.Json(value, WireJson.Options).ExecuteAsync(context);

    private static Task NoContent(HttpContext context) => TypedResults.NoContent().ExecuteAsync(context);

    private static string JsonName(string property) =>
        Fields.FirstOrDefault(f => f.Value.Property == property).Key ?? JsonNamingPolicy.CamelCase.ConvertName(property);

    private static TimeSpan Millis(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var ms) || ms < 0)
            throw new BadField("must be a whole number of milliseconds, at least 0.");
        if (ms > SimulatorBehaviour.LongestDuration.TotalMilliseconds)
            throw new BadField($"must be at most {SimulatorBehaviour.LongestDuration.TotalMilliseconds:0} ms.");
        return TimeSpan.FromMilliseconds(ms);
    }

    private static double Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number)
            ? number
            : throw new BadField("must be a number.");

    private static int Integer(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw new BadField("must be a whole number.");

    private static string Status(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { } status && SimulatorBehaviour.ReceiptStatuses.Contains(status)
            ? status
            : throw new BadField($"must be one of {string.Join(", ", SimulatorBehaviour.ReceiptStatuses)}.");

    private sealed class BadField(string problem) : Exception(problem);
}

/// <summary>
/// A carrier's behaviour as <c>GET /admin/carriers/{id}/behaviour</c> shows it (camelCase JSON), with
/// durations in whole milliseconds so that curl users need no TimeSpan syntax. <c>PUT</c> and <c>PATCH</c>
/// take the same field names.
/// </summary>
public sealed record SimulatorBehaviourDocument(
    long LatencyMedianMs,
    long LatencyP99Ms,
    double ServerErrorRatio,
    int ServerErrorStatus,
    double TimeoutRatio,
    long TimeoutHoldMs,
    int MaxPartsPerSecond,
    long ReceiptDelayMs,
    string ReceiptStatus,
    double DeliveredWeight,
    double FailedWeight,
    double ExpiredWeight,
    double RejectedWeight,
    double DuplicateReceiptRatio,
    long DuplicateReceiptDelayMs,
    double OutOfOrderReceiptRatio,
    long OutOfOrderHoldMs,
    double EarlyReceiptRatio,
    int? Seed)
{
    public static SimulatorBehaviourDocument From(SimulatorBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;
        return new SimulatorBehaviourDocument(
            Ms(behaviour.LatencyMedian), Ms(behaviour.LatencyP99), behaviour.ServerErrorRatio, behaviour.ServerErrorStatus,
            behaviour.TimeoutRatio, Ms(behaviour.TimeoutHold), behaviour.MaxPartsPerSecond,
            Ms(behaviour.ReceiptDelay), behaviour.ReceiptStatus,
            behaviour.DeliveredWeight, behaviour.FailedWeight, behaviour.ExpiredWeight, behaviour.RejectedWeight,
            behaviour.DuplicateReceiptRatio, Ms(behaviour.DuplicateReceiptDelay),
            behaviour.OutOfOrderReceiptRatio, Ms(behaviour.OutOfOrderHold), behaviour.EarlyReceiptRatio, behaviour.Seed);
    }
}
