using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;
using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Loa.CarrierSimulators;

/// <summary>
/// The simulated SMSCs' admin endpoints, on the simulators' loopback port beside the HTTP ones. Each
/// starts the carrier's SMSC if it was not running, so its port can be read before Loa first binds:
/// <list type="bullet">
/// <item><c>GET /admin/carriers/{id}/smsc</c>: where it listens (<see cref="SmscEndpoint"/>).</item>
/// <item><c>GET /admin/carriers/{id}/smsc/certificate</c>: its TLS certificate as PEM, to trust through <c>Smpp:TlsCaFile</c>.</item>
/// <item><c>GET /admin/carriers/{id}/smsc/stats</c>: its counters (<see cref="SmscStatsSnapshot"/>).</item>
/// <item><c>GET /admin/carriers/{id}/smsc/messages</c>: the reassembled messages, numbers masked (<see cref="SmscArrival"/>[]).</item>
/// <item><c>GET /admin/carriers/{id}/smsc/behaviour</c>: the current behaviour (<see cref="SmscBehaviourDocument"/>).</item>
/// <item><c>PUT</c> the same: replaces it; fields left out take the configured value. <c>PATCH</c> merges into the current one.</item>
/// </list>
/// A bad field answers 400 with an <c>errors</c> map naming it, and nothing changes; an unknown carrier 404.
/// </summary>
internal static class SmscAdminApi
{
    private const string Route = "/admin/carriers/{carrierId}/smsc";

    private delegate SmscBehaviour Apply(SmscBehaviour behaviour, JsonElement value);

    /// <summary>Writable fields by JSON name, with the <see cref="SmscBehaviour"/> property each sets.</summary>
    private static readonly Dictionary<string, (string Property, Apply Apply)> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["systemId"] = (nameof(SmscBehaviour.SystemId), (b, v) => b with { SystemId = Text(v) }),
        ["password"] = (nameof(SmscBehaviour.Password), (b, v) => b with { Password = Text(v) }),
        ["latencyMs"] = (nameof(SmscBehaviour.Latency), (b, v) => b with { Latency = Millis(v) }),
        ["maxSubmitsPerSecond"] = (nameof(SmscBehaviour.MaxSubmitsPerSecond), (b, v) => b with { MaxSubmitsPerSecond = Integer(v) }),
        ["queueFullRatio"] = (nameof(SmscBehaviour.QueueFullRatio), (b, v) => b with { QueueFullRatio = Number(v) }),
        ["errorRatio"] = (nameof(SmscBehaviour.ErrorRatio), (b, v) => b with { ErrorRatio = Number(v) }),
        ["errorStatus"] = (nameof(SmscBehaviour.ErrorStatus), (b, v) => b with { ErrorStatus = Status(v) }),
        ["errorStatuses"] = (nameof(SmscBehaviour.ErrorStatuses), (b, v) => b with { ErrorStatuses = Statuses(v) }),
        ["dropAfterSubmits"] = (nameof(SmscBehaviour.DropAfterSubmits), (b, v) => b with { DropAfterSubmits = Integer(v) }),
        ["receiptDelayMs"] = (nameof(SmscBehaviour.ReceiptDelay), (b, v) => b with { ReceiptDelay = v.ValueKind == JsonValueKind.Null ? null : Millis(v) }),
        ["receiptForm"] = (nameof(SmscBehaviour.ReceiptForm), (b, v) => b with { ReceiptForm = Named<SmscReceiptForm>(v) }),
        ["receiptState"] = (nameof(SmscBehaviour.ReceiptState), (b, v) => b with { ReceiptState = Named<SmppMessageState>(v) }),
        ["deliveredWeight"] = (nameof(SmscBehaviour.DeliveredWeight), (b, v) => b with { DeliveredWeight = Number(v) }),
        ["undeliverableWeight"] = (nameof(SmscBehaviour.UndeliverableWeight), (b, v) => b with { UndeliverableWeight = Number(v) }),
        ["expiredWeight"] = (nameof(SmscBehaviour.ExpiredWeight), (b, v) => b with { ExpiredWeight = Number(v) }),
        ["rejectedWeight"] = (nameof(SmscBehaviour.RejectedWeight), (b, v) => b with { RejectedWeight = Number(v) }),
        ["lateReceiptRatio"] = (nameof(SmscBehaviour.LateReceiptRatio), (b, v) => b with { LateReceiptRatio = Number(v) }),
        ["lateReceiptDelayMs"] = (nameof(SmscBehaviour.LateReceiptDelay), (b, v) => b with { LateReceiptDelay = Millis(v) }),
        ["lateReceiptDelayMaxMs"] = (nameof(SmscBehaviour.LateReceiptDelayMax), (b, v) => b with { LateReceiptDelayMax = Millis(v) }),
        ["missingReceiptRatio"] = (nameof(SmscBehaviour.MissingReceiptRatio), (b, v) => b with { MissingReceiptRatio = Number(v) }),
        ["duplicateReceiptRatio"] = (nameof(SmscBehaviour.DuplicateReceiptRatio), (b, v) => b with { DuplicateReceiptRatio = Number(v) }),
        ["duplicateReceiptDelayMs"] = (nameof(SmscBehaviour.DuplicateReceiptDelay), (b, v) => b with { DuplicateReceiptDelay = Millis(v) }),
        ["earlyReceiptRatio"] = (nameof(SmscBehaviour.EarlyReceiptRatio), (b, v) => b with { EarlyReceiptRatio = Number(v) }),
        ["receiptPerMessage"] = (nameof(SmscBehaviour.ReceiptPerMessage), (b, v) => b with { ReceiptPerMessage = Boolean(v) }),
        ["receiptIds"] = (nameof(SmscBehaviour.ReceiptIds), (b, v) => b with { ReceiptIds = Named<SmppReceiptIds>(v) }),
        ["tls"] = (nameof(SmscBehaviour.Tls), (b, v) => b with { Tls = Boolean(v) }),
        ["packedGsm7"] = (nameof(SmscBehaviour.PackedGsm7), (b, v) => b with { PackedGsm7 = Boolean(v) }),
        ["seed"] = (nameof(SmscBehaviour.Seed), (b, v) => b with { Seed = v.ValueKind == JsonValueKind.Null ? null : Integer(v) }),
    };

    public static void MapSmscAdmin(this IEndpointRouteBuilder routes, CarrierSimulatorHost host)
    {
        routes.MapGet(Route, context => WithSmsc(context, host, (_, smsc) =>
            Json(context, new SmscEndpoint(smsc.Host, smsc.Port, smsc.Behaviour.SystemId, smsc.Behaviour.Tls))));
        // The PEM a client outside this process trusts through Smpp:TlsCaFile.
        routes.MapGet(Route + "/certificate", context => WithSmsc(context, host, (_, smsc) =>
            TypedResults.Text(smsc.Certificate.Pem, "application/x-pem-file").ExecuteAsync(context)));
        routes.MapGet(Route + "/stats", context => WithSmsc(context, host, (_, smsc) => Json(context, smsc.Stats.Snapshot())));
        routes.MapGet(Route + "/messages", context => WithSmsc(context, host, (_, smsc) =>
            Json(context, smsc.Stats.Messages.Select(SmscArrival.From).ToArray())));
        routes.MapGet(Route + "/behaviour", context => WithSmsc(context, host, (_, smsc) =>
            Json(context, SmscBehaviourDocument.From(smsc.Behaviour))));
        routes.MapMethods(Route + "/behaviour", [HttpMethods.Put], context => WithSmsc(context, host, (id, smsc) => ChangeAsync(context, host, id, smsc, merge: false)));
        routes.MapMethods(Route + "/behaviour", [HttpMethods.Patch], context => WithSmsc(context, host, (id, smsc) => ChangeAsync(context, host, id, smsc, merge: true)));
    }

    private static async Task ChangeAsync(HttpContext context, CarrierSimulatorHost host, string carrierId, SmscSimulator smsc, bool merge)
    {
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
                await TypedResults.Problem("The body must be a JSON object of SMSC behaviour fields.",
                    statusCode: StatusCodes.Status400BadRequest, title: "Bad behaviour").ExecuteAsync(context);
                return;
            }

            var behaviour = merge ? smsc.Behaviour : host.GetConfiguredSmscBehaviour(carrierId);
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var property in body.RootElement.EnumerateObject())
            {
                if (!Fields.TryGetValue(property.Name, out var field))
                {
                    errors[property.Name] = [$"is not an SMSC behaviour field; the fields are {string.Join(", ", Fields.Keys)}."];
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
                await TypedResults.ValidationProblem(errors, detail, title: "Invalid SMSC behaviour").ExecuteAsync(context);
                return;
            }

            host.SetSmscBehaviour(carrierId, behaviour);
            await Json(context, SmscBehaviourDocument.From(behaviour));
        }
    }

    private static Task WithSmsc(HttpContext context, CarrierSimulatorHost host, Func<string, SmscSimulator, Task> handle)
    {
        var carrierId = context.Request.RouteValues["carrierId"] as string;
        if (carrierId is null || !host.TryGetCarrier(carrierId, out _))
        {
            return TypedResults.Problem(
                $"No simulated carrier here; the ids are {string.Join(", ", CarrierIds.All)}.",
                statusCode: StatusCodes.Status404NotFound, title: "Unknown carrier").ExecuteAsync(context);
        }
        return handle(carrierId, host.Smsc(carrierId));
    }

    private static Task Json<T>(HttpContext context, T value) => TypedResults.Json(value, WireJson.Options).ExecuteAsync(context);

    private static string JsonName(string property) =>
        Fields.FirstOrDefault(f => f.Value.Property == property).Key ?? JsonNamingPolicy.CamelCase.ConvertName(property);

    private static TimeSpan Millis(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var ms) || ms < 0)
            throw new BadField("must be a whole number of milliseconds, at least 0.");
        if (ms > SmscBehaviour.LongestDuration.TotalMilliseconds)
            throw new BadField($"must be at most {SmscBehaviour.LongestDuration.TotalMilliseconds:0} ms.");
        return TimeSpan.FromMilliseconds(ms);
    }

    private static double Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) ? number : throw new BadField("must be a number.");

    private static int Integer(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw new BadField("must be a whole number.");

    private static bool Boolean(JsonElement value) =>
        value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw new BadField("must be true or false.");

    private static string Text(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new BadField("must be a string.");

    private static T Named<T>(JsonElement value) where T : struct, Enum =>
        value.ValueKind == JsonValueKind.String && Enum.TryParse<T>(value.GetString(), ignoreCase: true, out var named) && Enum.IsDefined(named)
        && !int.TryParse(value.GetString(), out _)
            ? named
            : throw new BadField($"must be one of {string.Join(", ", Enum.GetNames<T>())}.");

    private static uint Status(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetUInt32(out var status) => status,
        JsonValueKind.String when SmscSettings.TryParseStatus(value.GetString()!, out var status) => status,
        _ => throw new BadField("must be an SMPP command_status: its name (ESME_RSYSERR), a number, or \"0x\" hex."),
    };

    private static Dictionary<uint, double> Statuses(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new BadField("must be an object of status name → weight, e.g. {\"ESME_RSYSERR\": 1}.");
        var statuses = new Dictionary<uint, double>();
        foreach (var entry in value.EnumerateObject())
        {
            if (!SmscSettings.TryParseStatus(entry.Name, out var status))
                throw new BadField($"'{entry.Name}' is not an SMPP command_status.");
            statuses[status] = Number(entry.Value);
        }
        return statuses;
    }

    private sealed class BadField(string problem) : Exception(problem);
}

/// <summary>Where a carrier's SMSC listens, the system_id it binds, and whether it takes TLS connections.</summary>
public sealed record SmscEndpoint(string Host, int Port, string SystemId, bool Tls);

/// <summary>
/// An SMSC's behaviour as <c>GET /admin/carriers/{id}/smsc/behaviour</c> shows it (camelCase JSON), with
/// durations in whole milliseconds and statuses by name. The password is left out. <c>PUT</c> and
/// <c>PATCH</c> take the same field names (and <c>password</c>).
/// </summary>
public sealed record SmscBehaviourDocument(
    string SystemId,
    long LatencyMs,
    int MaxSubmitsPerSecond,
    double QueueFullRatio,
    double ErrorRatio,
    string ErrorStatus,
    IReadOnlyDictionary<string, double> ErrorStatuses,
    int DropAfterSubmits,
    long? ReceiptDelayMs,
    string ReceiptForm,
    string ReceiptState,
    double DeliveredWeight,
    double UndeliverableWeight,
    double ExpiredWeight,
    double RejectedWeight,
    double LateReceiptRatio,
    long LateReceiptDelayMs,
    long LateReceiptDelayMaxMs,
    double MissingReceiptRatio,
    double DuplicateReceiptRatio,
    long DuplicateReceiptDelayMs,
    double EarlyReceiptRatio,
    bool ReceiptPerMessage,
    string ReceiptIds,
    bool Tls,
    bool PackedGsm7,
    int? Seed)
{
    public static SmscBehaviourDocument From(SmscBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;
        return new SmscBehaviourDocument(
            behaviour.SystemId, Ms(behaviour.Latency), behaviour.MaxSubmitsPerSecond, behaviour.QueueFullRatio,
            behaviour.ErrorRatio, SmppStatus.Name(behaviour.ErrorStatus),
            behaviour.ErrorStatuses.ToDictionary(e => SmppStatus.Name(e.Key), e => e.Value),
            behaviour.DropAfterSubmits, behaviour.ReceiptDelay is { } delay ? Ms(delay) : null,
            behaviour.ReceiptForm.ToString(), behaviour.ReceiptState.ToString(),
            behaviour.DeliveredWeight, behaviour.UndeliverableWeight, behaviour.ExpiredWeight, behaviour.RejectedWeight,
            behaviour.LateReceiptRatio, Ms(behaviour.LateReceiptDelay), Ms(behaviour.LateReceiptDelayMax),
            behaviour.MissingReceiptRatio, behaviour.DuplicateReceiptRatio, Ms(behaviour.DuplicateReceiptDelay),
            behaviour.EarlyReceiptRatio, behaviour.ReceiptPerMessage, behaviour.ReceiptIds.ToString(), behaviour.Tls, behaviour.PackedGsm7, behaviour.Seed);
    }
}
