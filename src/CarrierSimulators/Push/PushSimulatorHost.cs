using System.Net;
using Loa.CarrierAdapters.Push;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Loa.CarrierSimulators.Push;

/// <summary>
/// Where the started simulators listen and the credentials they accept: what a push app's settings
/// (<c>Loa:Push:Apps:&lt;app&gt;</c>) need to reach them.
/// </summary>
/// <param name="FcmBaseUrl">An app's <c>BaseUrl</c> for <c>Provider = Fcm</c> (h2c).</param>
/// <param name="ApnsBaseUrl">An app's <c>BaseUrl</c> for <c>Provider = Apns</c> (h2c).</param>
/// <param name="AdminUrl">HTTP/1.1: <c>/token</c> (the service account's <c>token_uri</c>) and <c>/admin/push/...</c>.</param>
public sealed record PushSimulatorEndpoints(
    Uri FcmBaseUrl,
    Uri ApnsBaseUrl,
    Uri AdminUrl,
    FcmServiceAccount ServiceAccount,
    ApnsSigningKey SigningKey,
    string BundleId)
{
    /// <summary>The settings of an app on these simulators, keyed as configuration reads them.</summary>
    public IReadOnlyDictionary<string, string?> Settings(string app, PushProvider provider)
    {
        var key = $"{PushAppOptions.Section}:{app}";
        return provider == PushProvider.Fcm
            ? new Dictionary<string, string?>
            {
                [$"{key}:Provider"] = "Fcm",
                [$"{key}:BaseUrl"] = FcmBaseUrl.AbsoluteUri,
                [$"{key}:ProjectId"] = ServiceAccount.ProjectId,
                [$"{key}:ServiceAccountFile"] = ServiceAccount.File,
            }
            : new Dictionary<string, string?>
            {
                [$"{key}:Provider"] = "Apns",
                [$"{key}:BaseUrl"] = ApnsBaseUrl.AbsoluteUri,
                [$"{key}:TeamId"] = SigningKey.TeamId,
                [$"{key}:KeyId"] = SigningKey.KeyId,
                [$"{key}:KeyFile"] = SigningKey.File,
                [$"{key}:BundleId"] = BundleId,
            };
    }
}

/// <summary>
/// The simulated FCM and APNs, one small Kestrel server on loopback: an HTTP/2 cleartext port for the
/// sends (APNs speaks nothing else, and Kestrel serves h2c only on an HTTP/2-only endpoint) and an
/// HTTP/1.1 port for the OAuth token endpoint and the admin API (Google's auth library speaks 1.1).
/// Starting writes throwaway credentials that only these simulators accept.
/// </summary>
public sealed partial class PushSimulatorHost : IHostedService, IAsyncDisposable
{
    private readonly PushSimulatorOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SimulatedPhones _phones;
    private readonly FcmSimulator _fcm;
    private readonly ApnsSimulator _apns;
    private readonly TaskCompletionSource<PushSimulatorEndpoints> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _app;
    private int _state;

    /// <exception cref="InvalidOperationException">A behaviour setting under <c>Loa:Simulators:Push:Behaviour</c> is out of range.</exception>
    public PushSimulatorHost(IOptions<PushSimulatorOptions> options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        _options = options.Value;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _log = _loggerFactory.CreateLogger<PushSimulatorHost>();
        _time = time ?? TimeProvider.System;
        var problems = _options.Behaviour.Problems();
        if (problems.Count > 0)
            throw new InvalidOperationException(string.Join(" ", problems.Select(p => $"{PushSimulatorOptions.Section}:Behaviour:{p.Property} {p.Problem}")));

        foreach (var token in _options.Tokens)
            Tokens.Register(token);
        _phones = new SimulatedPhones(_time, _loggerFactory.CreateLogger<SimulatedPhones>(), _stopping.Token);
        _fcm = new FcmSimulator(new SimulatedPushProvider("fcm", _options.Behaviour, _time), Tokens, _phones, _options.ProjectId, _time,
            _loggerFactory.CreateLogger<FcmSimulator>());
        _apns = new ApnsSimulator(new SimulatedPushProvider("apns", _options.Behaviour, _time), Tokens, _phones, _options.BundleId, _time);
    }

    /// <summary>The devices both simulated providers know.</summary>
    public PushTokenRegistry Tokens { get; } = new();

    public PushStats Stats(PushProvider provider) => Provider(provider).Stats;

    public PushBehaviour GetBehaviour(PushProvider provider) => Provider(provider).Behaviour;

    /// <summary>Applies from the next request on, and restarts the provider's random draws.</summary>
    /// <exception cref="ArgumentException">The behaviour has <see cref="PushBehaviour.Problems"/>.</exception>
    public void SetBehaviour(PushProvider provider, PushBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        var problems = behaviour.Problems();
        if (problems.Count > 0)
            throw new ArgumentException("The behaviour is not usable: " + string.Join(" ", problems.Select(p => $"{p.Property} {p.Problem}")), nameof(behaviour));
        Provider(provider).Behaviour = behaviour;
    }

    public void Behave(PushProvider provider, Func<PushBehaviour, PushBehaviour> change) =>
        SetBehaviour(provider, change(GetBehaviour(provider)));

    /// <summary>Both providers' phones acknowledge to <paramref name="ackUrl"/> with the app key, at these shares.</summary>
    public void Acknowledge(Uri? ackUrl, string? appKey, double receivedRatio = 1, double openedRatio = 0)
    {
        foreach (var provider in new[] { PushProvider.Fcm, PushProvider.Apns })
            Behave(provider, b => b with { AckUrl = ackUrl, AckAppKey = appKey, ReceivedRatio = receivedRatio, OpenedRatio = openedRatio });
    }

    /// <summary>FCM access tokens issued so far stop working: the adapter's next send gets 401.</summary>
    public void RevokeAccessTokens() => _fcm.RevokeAccessTokens();

    /// <summary>The endpoints, once started.</summary>
    public Task<PushSimulatorEndpoints> EndpointsAsync(CancellationToken cancellationToken) => _started.Task.WaitAsync(cancellationToken);

    async Task IHostedService.StartAsync(CancellationToken cancellationToken) => await StartOnceAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

    private readonly Lock _startGate = new();
    private Task<PushSimulatorEndpoints>? _starting;

    /// <summary>
    /// Starts the simulators unless already started this way, and says where they are. The embedded
    /// default needs them when a push app's settings are first read (options validation runs before
    /// hosted services start), and again as a hosted service: both get the one start.
    /// </summary>
    public Task<PushSimulatorEndpoints> StartOnceAsync()
    {
        lock (_startGate)
            return _starting ??= StartAsync(CancellationToken.None);
    }

    /// <summary>Listens on loopback, writes the credentials, and says where everything is.</summary>
    public async Task<PushSimulatorEndpoints> StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            throw new InvalidOperationException("The push simulators were already started (or stopped); a host runs once.");
        try
        {
            var app = Build();
            _app = app;
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var urls = app.Urls.Select(u => new Uri(u)).ToArray();
            var h2 = new Uri($"http://127.0.0.1:{urls[0].Port}/");
            var h1 = new Uri($"http://127.0.0.1:{urls[1].Port}/");

            var directory = string.IsNullOrWhiteSpace(_options.CredentialsDirectory)
                ? Directory.CreateTempSubdirectory("loa-push-").FullName
                : _options.CredentialsDirectory;
            var account = PushCredentials.WriteServiceAccount(directory, _options.ProjectId, new Uri(h1, "token"));
            var key = PushCredentials.WriteSigningKey(directory, _options.TeamId);
            _fcm.Trust(account);
            _apns.Trust(key);

            var endpoints = new PushSimulatorEndpoints(new Uri(h2, "fcm"), new Uri(h2, "apns"), h1, account, key, _options.BundleId);
            _started.TrySetResult(endpoints);
            Log.Listening(_log, urls[0].Port, urls[1].Port);
            return endpoints;
        }
        catch (Exception ex)
        {
            _started.TrySetException(ex);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_app is { } app)
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _phones.WhenAllPostedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The shutdown deadline wins over waiting for phones to notice the stop.
        }
    }

    public async ValueTask DisposeAsync()
    {
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await StopAsync(deadline.Token).ConfigureAwait(false);
        if (_app is { } app)
            await app.DisposeAsync().ConfigureAwait(false);
        _phones.Dispose();
        _stopping.Dispose();
    }

    /// <returns>False when there is nobody left to answer: the client hung up.</returns>
    internal static async Task<bool> WaitAsync(HttpContext context, TimeSpan wait, TimeProvider time)
    {
        try
        {
            await Task.Delay(wait, time, context.RequestAborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    internal SimulatedPushProvider Provider(PushProvider provider) => provider switch
    {
        PushProvider.Fcm => _fcm.Provider,
        PushProvider.Apns => _apns.Provider,
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "No such simulated provider."),
    };

    private WebApplication Build()
    {
        var builder = LoopbackHost.CreateBuilder(typeof(PushSimulatorHost), _loggerFactory, kestrel =>
        {
            // FCM's per-project quota is 10,000/s, and the perf run must not be bound by streams here.
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            kestrel.Listen(IPAddress.Loopback, _options.Port, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1);
        });
        // A provider is another process: its requests are not Loa's to trace. Kestrel's hosting layer takes
        // its ActivitySource and DiagnosticListener from this container, and under names no listener asks
        // for, a host that embeds the simulators records no server span per simulated notification (the
        // client side records none either: TelemetrySetup).
        builder.Services.AddSingleton(_ => new System.Diagnostics.ActivitySource("Loa.Simulators.Push"));
        builder.Services.AddSingleton(_ => new System.Diagnostics.DiagnosticListener("Loa.Simulators.Push"));

        var app = builder.Build();
        app.MapPost("/token", _fcm.TokenAsync);
        app.MapPost("/fcm/v1/projects/{project}/messages:send", _fcm.SendAsync);
        app.MapPost("/apns/3/device/{token}", _apns.SendAsync);
        app.MapPushSimulatorAdmin(this);
        return app;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Push simulators listening on 127.0.0.1:{Http2Port} (h2c: FCM, APNs) and 127.0.0.1:{Http1Port} (token, admin)")]
        public static partial void Listening(ILogger logger, int http2Port, int http1Port);
    }
}
