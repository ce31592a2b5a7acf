using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loa.CarrierSimulators;

/// <summary>
/// The five carriers of <see cref="CarrierIds.All"/>, faked by one small Kestrel server on loopback
/// that speaks the batch interface of api.md: <c>POST /{carrierId}/sms/batches</c>, receipts
/// posted back signed, with the faults of each carrier's <see cref="SimulatorBehaviour"/>; and the
/// admin endpoints of <see cref="SimulatorAdminApi"/> (stats, arrivals, behaviour).
/// </summary>
public sealed partial class CarrierSimulatorHost : IHostedService, IAsyncDisposable, ISimulatedCarriers
{
    private const int NotStarted = 0, Started = 1, Stopped = 2;

    private readonly SimulatorOptions _options;
    private readonly IOptionsMonitor<CarrierOptions> _carriers;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, SimulatedCarrier> _simulated;
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ReceiptSender _receipts;
    private WebApplication? _app;
    private int _state;
    private int _disposed;

    /// <param name="carriers">Named options, one per carrier id (credential, receipt secret, batch size).</param>
    /// <param name="time">Clock for latencies, held answers, receipt delays and times, and the per-second counts.</param>
    /// <exception cref="InvalidOperationException">A behaviour setting under <c>Loa:Simulators</c> is out of range.</exception>
    public CarrierSimulatorHost(
        IOptions<SimulatorOptions> options,
        IOptionsMonitor<CarrierOptions> carriers,
        ILoggerFactory loggerFactory,
        TimeProvider? time = null)
    {
        _options = options.Value;
        _carriers = carriers;
        _loggerFactory = loggerFactory;
        _log = loggerFactory.CreateLogger<CarrierSimulatorHost>();
        _time = time ?? TimeProvider.System;

        var runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        _simulated = CarrierIds.All.ToDictionary(
            id => id,
            id => new SimulatedCarrier(id, runId, _options.IdempotencyKeysKept, _options.ArrivalsKept, Configured(_options, id)),
            StringComparer.Ordinal);
        Stats = new SimulatorStats(_simulated.Values.Select(c => (c.Id, c.Stats)));
        _smscConfigured = ConfiguredSmscs();
        _receipts = new ReceiptSender(_options, _time, loggerFactory.CreateLogger<ReceiptSender>(), _stopping.Token);
    }

    public SimulatorStats Stats { get; }

    /// <summary><c>http://127.0.0.1:{port}/{carrierId}</c>, once the server listens.</summary>
    public async Task<Uri> GetBaseUrlAsync(string carrierId, CancellationToken ct)
    {
        if (!_simulated.ContainsKey(carrierId))
            throw new ArgumentException($"No simulated carrier '{carrierId}'.", nameof(carrierId));
        var port = await _listening.Task.WaitAsync(ct).ConfigureAwait(false);
        return new Uri($"http://127.0.0.1:{port}/{carrierId}");
    }

    Task<Uri> ISimulatedCarriers.HttpBaseUrlAsync(string carrierId, CancellationToken cancellationToken) => GetBaseUrlAsync(carrierId, cancellationToken);

    public SimulatorBehaviour GetBehaviour(string carrierId) => Carrier(carrierId).Behaviour;

    /// <summary>The behaviour the carrier started with: built-in defaults, then <c>Loa:Simulators</c>, then its own settings.</summary>
    public SimulatorBehaviour GetConfiguredBehaviour(string carrierId) => Carrier(carrierId).Startup;

    /// <summary>
    /// Applies from the next batch on; batches already accepted keep the behaviour they were accepted
    /// under. Restarts the carrier's random draws (from <see cref="SimulatorBehaviour.Seed"/> if set).
    /// </summary>
    /// <exception cref="ArgumentException">The behaviour has <see cref="SimulatorBehaviour.Problems"/>.</exception>
    public void SetBehaviour(string carrierId, SimulatorBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        var carrier = Carrier(carrierId);
        var problems = behaviour.Problems();
        if (problems.Count > 0)
            throw new ArgumentException(
                "The behaviour is not usable: " + string.Join(" ", problems.Select(p => $"{p.Property} {p.Problem}")), nameof(behaviour));
        carrier.Behaviour = behaviour;
        Log.BehaviourSet(_log, carrierId, behaviour);
    }

    internal bool TryGetCarrier(string carrierId, out SimulatedCarrier carrier) =>
        _simulated.TryGetValue(carrierId, out carrier!);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _state, Started, NotStarted) != NotStarted)
            throw new InvalidOperationException("The carrier simulators were already started (or stopped); a host runs once.");

        try
        {
            var app = Build();
            _app = app;
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var port = new Uri(app.Urls.First()).Port;
            _listening.TrySetResult(port);
            Log.Listening(_log, port, _simulated.Count);
        }
        catch (Exception ex)
        {
            _listening.TrySetException(ex);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, Stopped) != Started)
        {
            _listening.TrySetException(new InvalidOperationException("The carrier simulators are not running."));
            return;
        }

        // Receipts still waiting for their delay are dropped, and held answers let go: a stopped
        // carrier sends nothing more.
        await _stopping.CancelAsync().ConfigureAwait(false);
        await StopSmscsAsync().ConfigureAwait(false);
        if (_app is { } app)
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _receipts.WhenAllPostedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown deadline wins over waiting for receipt posts to notice the stop.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await StopAsync(deadline.Token).ConfigureAwait(false);
        if (_app is { } app)
            await app.DisposeAsync().ConfigureAwait(false);
        _receipts.Dispose();
        _stopping.Dispose();
    }

    /// <summary>The carrier's behaviour from configuration, refused at startup with the key to fix when out of range.</summary>
    private static SimulatorBehaviour Configured(SimulatorOptions options, string carrierId)
    {
        foreach (var named in options.Carriers.Keys)
        {
            if (!CarrierIds.All.Contains(named, StringComparer.OrdinalIgnoreCase))
                throw new InvalidOperationException(
                    $"{SimulatorOptions.Section}:Carriers:{named} names no simulated carrier; the ids are {string.Join(", ", CarrierIds.All)}.");
        }

        var own = options.CarrierSettings(carrierId);
        string Key(string property) =>
            own is not null && typeof(SimulatedCarrierOptions).GetProperty(property)?.GetValue(own) is not null
                ? $"{SimulatorOptions.Section}:Carriers:{carrierId}:{property}"
                : $"{SimulatorOptions.Section}:{property}";

        SimulatorBehaviour behaviour;
        try
        {
            behaviour = SimulatorBehaviour.From(options, carrierId);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{Key(nameof(SimulatorBehaviour.ReceiptStatus))}: {ex.Message}", ex);
        }
        var problems = behaviour.Problems();
        if (problems.Count > 0)
            throw new InvalidOperationException(
                $"Simulated carrier {carrierId}: " + string.Join(" ", problems.Select(p => $"{Key(p.Property)} {p.Problem}")));
        return behaviour;
    }

    private WebApplication Build()
    {
        // The empty builder reads no appsettings, environment or command line: the simulators must
        // not pick up the surrounding app's URLs or Kestrel settings.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(CarrierSimulatorHost).Assembly.GetName().Name,
        });
        builder.Services.AddSingleton(_loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, _options.Port);
        });

        var app = builder.Build();
        app.MapPost("/{carrierId}/sms/batches", SubmitAsync);
        app.MapSimulatorAdmin(this);
        app.MapSmscAdmin(this);
        return app;
    }

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

    private SimulatedCarrier Carrier(string carrierId) =>
        _simulated.TryGetValue(carrierId, out var carrier)
            ? carrier
            : throw new ArgumentException($"No simulated carrier '{carrierId}'.", nameof(carrierId));

    // Batch ids and counts only: message bodies and numbers never reach the log.
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Carrier simulators listening on 127.0.0.1:{Port} for {Carriers} carriers")]
        public static partial void Listening(ILogger logger, int port, int carriers);

        [LoggerMessage(2, LogLevel.Debug, "Simulated {CarrierId} accepted batch {BatchId} with {Count} messages")]
        public static partial void Accepted(ILogger logger, string carrierId, string batchId, int count);

        [LoggerMessage(3, LogLevel.Debug, "Simulated {CarrierId} answered a repeat of idempotency key {IdempotencyKey}")]
        public static partial void Repeat(ILogger logger, string carrierId, string idempotencyKey);

        [LoggerMessage(4, LogLevel.Information, "Simulated {CarrierId} refused a submit: missing or wrong credential")]
        public static partial void Unauthorized(ILogger logger, string carrierId);

        [LoggerMessage(5, LogLevel.Debug, "Simulated {CarrierId} answered batch {BatchId} with a simulated {Status}")]
        public static partial void ServerError(ILogger logger, string carrierId, string batchId, int status);

        [LoggerMessage(6, LogLevel.Debug, "Simulated {CarrierId} throttled batch {BatchId}: above {PartsPerSecond} parts per second")]
        public static partial void Throttled(ILogger logger, string carrierId, string batchId, int partsPerSecond);

        [LoggerMessage(7, LogLevel.Debug, "Simulated {CarrierId} accepted batch {BatchId} but holds its answer for {Hold}")]
        public static partial void Held(ILogger logger, string carrierId, string batchId, TimeSpan hold);

        [LoggerMessage(8, LogLevel.Information, "Simulated {CarrierId} behaviour set: {Behaviour}")]
        public static partial void BehaviourSet(ILogger logger, string carrierId, SimulatorBehaviour behaviour);
    }
}
