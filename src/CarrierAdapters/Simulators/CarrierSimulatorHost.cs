using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Loa.CarrierAdapters.HttpBatch;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters.Simulators;

/// <summary>
/// The five carriers of <see cref="CarrierIds.All"/>, faked by one small Kestrel server on loopback
/// that speaks the batch interface of api.md: <c>POST /{carrierId}/sms/batches</c>, receipts
/// posted back signed, and <c>GET /admin/stats</c>.
/// </summary>
public sealed partial class CarrierSimulatorHost : IHostedService, IAsyncDisposable
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
    private readonly HttpClient _receiptClient;
    private readonly SemaphoreSlim _receiptSlots;
    private readonly ConcurrentDictionary<Task, byte> _receiptPosts = new();
    private WebApplication? _app;
    private int _state;
    private int _disposed;

    /// <param name="carriers">Named options, one per carrier id (credential, receipt secret, batch size).</param>
    /// <param name="time">Clock for receipt delays, receipt times and the per-second counts.</param>
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
        var behaviour = SimulatorBehaviour.From(_options);
        var keysKept = Math.Max(1, _options.IdempotencyKeysKept);
        _simulated = CarrierIds.All.ToDictionary(
            id => id, id => new SimulatedCarrier(id, runId, keysKept, behaviour), StringComparer.Ordinal);
        Stats = new SimulatorStats(_simulated.Values.Select(c => (c.Id, c.Stats)));

        _receiptClient = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        {
            // Each attempt has its own deadline (ReceiptTimeout); the client-wide one would only interfere.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _receiptSlots = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentReceiptPosts));
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

    public SimulatorBehaviour GetBehaviour(string carrierId) => Carrier(carrierId).Behaviour;

    /// <summary>Applies from the next batch on; batches already accepted keep the behaviour they were accepted under.</summary>
    public void SetBehaviour(string carrierId, SimulatorBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        Carrier(carrierId).Behaviour = behaviour;
    }

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

        // Receipts still waiting for their delay are dropped: a stopped carrier sends nothing more.
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_app is { } app)
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_receiptPosts.Keys).WaitAsync(cancellationToken).ConfigureAwait(false);
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
        _receiptClient.Dispose();
        _receiptSlots.Dispose();
        _stopping.Dispose();
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
        app.MapGet("/admin/stats", context => TypedResults.Json(Stats.Snapshot(), WireJson.Options).ExecuteAsync(context));
        return app;
    }

    private async Task SubmitAsync(HttpContext context)
    {
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

        var idempotencyKey = context.Request.Headers["Idempotency-Key"].ToString();
        if (idempotencyKey.Length == 0)
            idempotencyKey = null;
        if (idempotencyKey is not null && carrier.TryGetAnswer(idempotencyKey, out var earlier))
        {
            await Repeat(context, carrier, idempotencyKey, earlier);
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

        var answer = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (idempotencyKey is not null && carrier.Claim(idempotencyKey, answer.Task) is { } raced)
        {
            await Repeat(context, carrier, idempotencyKey, raced);
            return;
        }

        var behaviour = carrier.Behaviour;
        byte[] body;
        string[] carrierMessageIds;
        try
        {
            (body, carrierMessageIds) = carrier.Accept(request, _time.GetUtcNow().ToUnixTimeSeconds());
            answer.SetResult(body);
        }
        catch (Exception ex)
        {
            if (idempotencyKey is not null)
                carrier.Forget(idempotencyKey);
            answer.SetException(ex);
            throw;
        }

        Log.Accepted(_log, carrierId, request.BatchId, carrierMessageIds.Length);
        ScheduleReceipts(carrier, request.BatchId, new Uri(request.ReceiptUrl), carrierMessageIds, behaviour, configured.ReceiptSecret);
        await WriteAnswer(context, body);
    }

    private async Task Repeat(HttpContext context, SimulatedCarrier carrier, string idempotencyKey, Task<byte[]> earlier)
    {
        var body = await earlier;
        carrier.Stats.RecordRepeat();
        Log.Repeat(_log, carrier.Id, idempotencyKey);
        await WriteAnswer(context, body);
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

    private void ScheduleReceipts(
        SimulatedCarrier carrier, string batchId, Uri receiptUrl, string[] carrierMessageIds,
        SimulatorBehaviour behaviour, string secret)
    {
        // Task.Run: nothing of the receipt work may run inline before the submit's answer is written.
        var post = Task.Run(() => PostReceiptsAsync(carrier, batchId, receiptUrl, carrierMessageIds, behaviour, secret));
        _receiptPosts.TryAdd(post, 0);
        post.ContinueWith(
            static (done, posts) => ((ConcurrentDictionary<Task, byte>)posts!).TryRemove(done, out _),
            _receiptPosts, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task PostReceiptsAsync(
        SimulatedCarrier carrier, string batchId, Uri receiptUrl, string[] carrierMessageIds,
        SimulatorBehaviour behaviour, string secret)
    {
        var stopping = _stopping.Token;
        var attempts = Math.Max(1, _options.ReceiptAttempts);
        try
        {
            if (behaviour.ReceiptDelay > TimeSpan.Zero)
                await Task.Delay(behaviour.ReceiptDelay, _time, stopping).ConfigureAwait(false);

            var body = RenderReceipts(carrierMessageIds, behaviour.ReceiptStatus);
            var signature = ReceiptSignature.Sign(body, secret);
            string? failure = null;
            for (var attempt = 1; attempt <= attempts; attempt++)
            {
                failure = await TryPostAsync(receiptUrl, body, signature, stopping).ConfigureAwait(false);
                if (failure is null)
                {
                    carrier.Stats.RecordReceiptsPosted(carrierMessageIds.Length);
                    Log.ReceiptsPosted(_log, carrier.Id, batchId, carrierMessageIds.Length, attempt);
                    return;
                }
                if (attempt < attempts)
                {
                    Log.ReceiptAttemptFailed(_log, carrier.Id, batchId, attempt, failure);
                    var backoff = _options.ReceiptRetryDelay * Math.Pow(2, attempt - 1);
                    if (backoff > TimeSpan.Zero)
                        await Task.Delay(backoff, _time, stopping).ConfigureAwait(false);
                }
            }
            carrier.Stats.RecordReceiptsAbandoned(carrierMessageIds.Length);
            Log.ReceiptsAbandoned(_log, carrier.Id, batchId, carrierMessageIds.Length, attempts, failure);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            carrier.Stats.RecordReceiptsAbandoned(carrierMessageIds.Length);
        }
        catch (Exception ex)
        {
            // A receipt post runs unobserved; whatever escapes here would otherwise vanish.
            carrier.Stats.RecordReceiptsAbandoned(carrierMessageIds.Length);
            Log.ReceiptsCrashed(_log, ex, carrier.Id, batchId);
        }
    }

    /// <returns>Null when the receipt URL took the receipts, else what went wrong.</returns>
    private async Task<string?> TryPostAsync(Uri receiptUrl, byte[] body, string signature, CancellationToken stopping)
    {
        await _receiptSlots.WaitAsync(stopping).ConfigureAwait(false);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            if (_options.ReceiptTimeout > TimeSpan.Zero)
                deadline.CancelAfter(_options.ReceiptTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, receiptUrl)
            {
                Content = new ByteArrayContent(body),
            };
            request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
            request.Headers.TryAddWithoutValidation(ReceiptSignature.Header, signature);
            using var response = await _receiptClient.SendAsync(request, deadline.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (HttpRequestException ex)
        {
            return $"connection failed ({ex.HttpRequestError})";
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return "timeout";
        }
        finally
        {
            _receiptSlots.Release();
        }
    }

    private byte[] RenderReceipts(string[] carrierMessageIds, string status)
    {
        var at = _time.GetUtcNow();
        var error = status == "delivered" ? null : $"simulated {status}";
        var receipts = new Receipt[carrierMessageIds.Length];
        for (var i = 0; i < receipts.Length; i++)
            receipts[i] = new Receipt(carrierMessageIds[i], status, at, error);
        return JsonSerializer.SerializeToUtf8Bytes(receipts, WireJson.Options);
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

        [LoggerMessage(5, LogLevel.Debug, "Simulated {CarrierId} posted {Count} receipts for batch {BatchId} (attempt {Attempt})")]
        public static partial void ReceiptsPosted(ILogger logger, string carrierId, string batchId, int count, int attempt);

        [LoggerMessage(6, LogLevel.Information, "Simulated {CarrierId} receipt post for batch {BatchId} failed (attempt {Attempt}): {Failure}")]
        public static partial void ReceiptAttemptFailed(ILogger logger, string carrierId, string batchId, int attempt, string failure);

        [LoggerMessage(7, LogLevel.Warning, "Simulated {CarrierId} gave up {Count} receipts for batch {BatchId} after {Attempts} attempts: {Failure}")]
        public static partial void ReceiptsAbandoned(ILogger logger, string carrierId, string batchId, int count, int attempts, string? failure);

        [LoggerMessage(8, LogLevel.Error, "Simulated {CarrierId} receipt post for batch {BatchId} crashed")]
        public static partial void ReceiptsCrashed(ILogger logger, Exception exception, string carrierId, string batchId);
    }
}
