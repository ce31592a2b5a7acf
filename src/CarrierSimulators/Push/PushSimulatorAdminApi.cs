using System.Text.Json;
using Loa.CarrierAdapters.Push;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Loa.CarrierSimulators.Push;

/// <summary>
/// The push simulators' admin endpoints, beside them on loopback (<c>{provider}</c> is <c>fcm</c> or <c>apns</c>):
/// <list type="bullet">
/// <item><c>POST /admin/push/tokens</c> <c>{"tokens":[...],"topics":[...]}</c>: registers devices (subscribed to the topics): 204.</item>
/// <item><c>DELETE /admin/push/tokens/{token}</c>: the app was uninstalled; the token is dead from now on: 204, or 404.</item>
/// <item><c>GET /admin/push/{provider}/stats</c> (<see cref="PushStatsSnapshot"/>), <c>GET .../arrivals</c> (<see cref="PushArrival"/>[]), <c>POST .../reset</c>.</item>
/// <item><c>GET /admin/push/{provider}/behaviour</c>; <c>PATCH</c> the same merges the fields given (<see cref="PushBehaviourDocument"/>, durations in ms).</item>
/// <item><c>POST /admin/push/fcm/revoke</c>: every FCM access token issued so far stops working.</item>
/// </list>
/// </summary>
internal static class PushSimulatorAdminApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void MapPushSimulatorAdmin(this IEndpointRouteBuilder routes, PushSimulatorHost host)
    {
        routes.MapPost("/admin/push/tokens", async context =>
        {
            var body = await context.Request.ReadFromJsonAsync<TokensDocument>(Json, context.RequestAborted);
            if (body?.Tokens is not { Count: > 0 } tokens || tokens.Any(string.IsNullOrEmpty))
            {
                await TypedResults.Problem("tokens must hold at least one token.", statusCode: 400).ExecuteAsync(context);
                return;
            }
            foreach (var token in tokens)
                host.Tokens.Register(token, body.Topics);
            await TypedResults.NoContent().ExecuteAsync(context);
        });
        routes.MapDelete("/admin/push/tokens/{token}", context =>
        {
            var token = context.Request.RouteValues["token"] as string ?? "";
            return (host.Tokens.Uninstall(token, TimeProvider.System.GetUtcNow()) ? TypedResults.NoContent() : (IResult)TypedResults.NotFound())
                .ExecuteAsync(context);
        });
        routes.MapGet("/admin/push/{provider}/stats", context =>
            WithProvider(context, p => TypedResults.Json(host.Stats(p).Snapshot(), Json).ExecuteAsync(context)));
        routes.MapGet("/admin/push/{provider}/arrivals", context =>
            WithProvider(context, p => TypedResults.Json(host.Stats(p).Arrivals, Json).ExecuteAsync(context)));
        routes.MapPost("/admin/push/{provider}/reset", context =>
            WithProvider(context, p =>
            {
                host.Stats(p).Reset();
                return TypedResults.NoContent().ExecuteAsync(context);
            }));
        routes.MapGet("/admin/push/{provider}/behaviour", context =>
            WithProvider(context, p => TypedResults.Json(PushBehaviourDocument.From(host.GetBehaviour(p)), Json).ExecuteAsync(context)));
        routes.MapMethods("/admin/push/{provider}/behaviour", [HttpMethods.Patch], context =>
            WithProvider(context, async p =>
            {
                PushBehaviourDocument? change;
                try
                {
                    change = await context.Request.ReadFromJsonAsync<PushBehaviourDocument>(Json, context.RequestAborted);
                }
                catch (JsonException ex)
                {
                    await TypedResults.Problem(ex.Message, statusCode: 400, title: "Bad JSON").ExecuteAsync(context);
                    return;
                }
                var behaviour = (change ?? new PushBehaviourDocument()).ApplyTo(host.GetBehaviour(p));
                var problems = behaviour.Problems();
                if (problems.Count > 0)
                {
                    var errors = problems.ToDictionary(x => JsonNamingPolicy.CamelCase.ConvertName(x.Property), x => new[] { x.Problem });
                    await TypedResults.ValidationProblem(errors, title: "Invalid behaviour").ExecuteAsync(context);
                    return;
                }
                host.SetBehaviour(p, behaviour);
                await TypedResults.Json(PushBehaviourDocument.From(behaviour), Json).ExecuteAsync(context);
            }));
        routes.MapPost("/admin/push/fcm/revoke", context =>
        {
            host.RevokeAccessTokens();
            return TypedResults.NoContent().ExecuteAsync(context);
        });
    }

    private static Task WithProvider(HttpContext context, Func<PushProvider, Task> handle) =>
        Enum.TryParse<PushProvider>(context.Request.RouteValues["provider"] as string, ignoreCase: true, out var provider)
        && Enum.IsDefined(provider)
            ? handle(provider)
            : TypedResults.Problem("No simulated provider here; the providers are fcm and apns.", statusCode: 404).ExecuteAsync(context);

    private sealed record TokensDocument(List<string>? Tokens, List<string>? Topics);
}

/// <summary>A provider's behaviour as the admin API shows and takes it: durations in whole milliseconds; a field left out stays as it is.</summary>
public sealed record PushBehaviourDocument
{
    public long? LatencyMs { get; init; }
    public int? MaxPerSecond { get; init; }
    public int? RetryAfterSeconds { get; init; }
    public double? ServerErrorRatio { get; init; }
    public int? ServerErrorStatus { get; init; }
    public double? ErrorRatio { get; init; }
    public bool? AcceptUnknownTokens { get; init; }
    public long? AccessTokenLifetimeMs { get; init; }
    public double? ReceivedRatio { get; init; }
    public double? OpenedRatio { get; init; }
    public long? ReceivedDelayMs { get; init; }
    public long? OpenedDelayMs { get; init; }
    public string? AckUrl { get; init; }
    public string? AckAppKey { get; init; }
    public int? Seed { get; init; }

    public static PushBehaviourDocument From(PushBehaviour b) => new()
    {
        LatencyMs = (long)b.Latency.TotalMilliseconds,
        MaxPerSecond = b.MaxPerSecond,
        RetryAfterSeconds = b.RetryAfterSeconds,
        ServerErrorRatio = b.ServerErrorRatio,
        ServerErrorStatus = b.ServerErrorStatus,
        ErrorRatio = b.ErrorRatio,
        AcceptUnknownTokens = b.AcceptUnknownTokens,
        AccessTokenLifetimeMs = (long)b.AccessTokenLifetime.TotalMilliseconds,
        ReceivedRatio = b.ReceivedRatio,
        OpenedRatio = b.OpenedRatio,
        ReceivedDelayMs = (long)b.ReceivedDelay.TotalMilliseconds,
        OpenedDelayMs = (long)b.OpenedDelay.TotalMilliseconds,
        AckUrl = b.AckUrl?.AbsoluteUri,
        // The app key is a credential: shown only as whether one is set.
        AckAppKey = b.AckAppKey is null ? null : "(set)",
        Seed = b.Seed,
    };

    public PushBehaviour ApplyTo(PushBehaviour b) => b with
    {
        Latency = LatencyMs is { } latency ? TimeSpan.FromMilliseconds(latency) : b.Latency,
        MaxPerSecond = MaxPerSecond ?? b.MaxPerSecond,
        RetryAfterSeconds = RetryAfterSeconds ?? b.RetryAfterSeconds,
        ServerErrorRatio = ServerErrorRatio ?? b.ServerErrorRatio,
        ServerErrorStatus = ServerErrorStatus ?? b.ServerErrorStatus,
        ErrorRatio = ErrorRatio ?? b.ErrorRatio,
        AcceptUnknownTokens = AcceptUnknownTokens ?? b.AcceptUnknownTokens,
        AccessTokenLifetime = AccessTokenLifetimeMs is { } lifetime ? TimeSpan.FromMilliseconds(lifetime) : b.AccessTokenLifetime,
        ReceivedRatio = ReceivedRatio ?? b.ReceivedRatio,
        OpenedRatio = OpenedRatio ?? b.OpenedRatio,
        ReceivedDelay = ReceivedDelayMs is { } received ? TimeSpan.FromMilliseconds(received) : b.ReceivedDelay,
        OpenedDelay = OpenedDelayMs is { } opened ? TimeSpan.FromMilliseconds(opened) : b.OpenedDelay,
        AckUrl = AckUrl is { Length: > 0 } url ? new Uri(url, UriKind.RelativeOrAbsolute) : b.AckUrl,
        AckAppKey = AckAppKey ?? b.AckAppKey,
        Seed = Seed ?? b.Seed,
    };
}
