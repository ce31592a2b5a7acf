using System.Net;
using System.Security.Cryptography;
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
/// admin endpoints of <see cref="SimulatorAdminApi"/> (stats, arrivals, behaviour). This file is the
/// host's life cycle and configuration; the batch endpoint is CarrierSimulatorHost.Batches.cs, the SMSC
/// side CarrierSimulatorHost.Smsc.cs.
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
        var app = LoopbackHost.CreateBuilder(typeof(CarrierSimulatorHost), _loggerFactory, kestrel => kestrel.Listen(IPAddress.Loopback, _options.Port)).Build();
        app.MapPost("/{carrierId}/sms/batches", SubmitAsync);
        app.MapSimulatorAdmin(this);
        app.MapSmscAdmin(this);
        return app;
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
