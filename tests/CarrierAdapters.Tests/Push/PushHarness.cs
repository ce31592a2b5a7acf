using System.Collections.Concurrent;
using System.Security.Cryptography;
using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators.Push;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters.Tests.Push;

/// <summary>The real push simulators on loopback, with adapters pointed at them as an app's settings would.</summary>
internal sealed class PushHarness : IAsyncDisposable
{
    private readonly string _directory;

    private PushHarness(PushSimulatorHost host, PushSimulatorEndpoints endpoints, string directory, TimeProvider time, CapturedLogs logs)
    {
        Host = host;
        Endpoints = endpoints;
        _directory = directory;
        Time = time;
        Logs = logs;
    }

    public PushSimulatorHost Host { get; }

    public PushSimulatorEndpoints Endpoints { get; }

    public TimeProvider Time { get; }

    /// <summary>Everything the simulators and the adapters logged, at every level.</summary>
    public CapturedLogs Logs { get; }

    public HttpClient Http { get; } = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }) { Timeout = Timeout.InfiniteTimeSpan };

    public static async Task<PushHarness> StartAsync(TimeProvider? time = null, PushBehaviour? behaviour = null)
    {
        time ??= TimeProvider.System;
        var directory = Directory.CreateTempSubdirectory("loa-push-tests-").FullName;
        var logs = new CapturedLogs();
        var host = new PushSimulatorHost(
            Options.Create(new PushSimulatorOptions { CredentialsDirectory = directory, Behaviour = behaviour ?? new PushBehaviour() }),
            logs.Factory, time);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var endpoints = await host.StartAsync(deadline.Token);
        return new PushHarness(host, endpoints, directory, time, logs);
    }

    public PushAppOptions FcmOptions(Action<PushAppOptions>? adjust = null)
    {
        var options = new PushAppOptions
        {
            Provider = PushProvider.Fcm,
            BaseUrl = Endpoints.FcmBaseUrl.AbsoluteUri,
            ProjectId = Endpoints.ServiceAccount.ProjectId,
            ServiceAccountFile = Endpoints.ServiceAccount.File,
            Timeout = TimeSpan.FromSeconds(10),
        };
        adjust?.Invoke(options);
        return options;
    }

    public PushAppOptions ApnsOptions(Action<PushAppOptions>? adjust = null)
    {
        var options = new PushAppOptions
        {
            Provider = PushProvider.Apns,
            BaseUrl = Endpoints.ApnsBaseUrl.AbsoluteUri,
            TeamId = Endpoints.SigningKey.TeamId,
            KeyId = Endpoints.SigningKey.KeyId,
            KeyFile = Endpoints.SigningKey.File,
            BundleId = Endpoints.BundleId,
            Timeout = TimeSpan.FromSeconds(10),
        };
        adjust?.Invoke(options);
        return options;
    }

    public FcmAdapter Fcm(Action<PushAppOptions>? adjust = null)
    {
        var options = FcmOptions(adjust);
        return new FcmAdapter("loa", options, Http, FcmAccessToken.FromServiceAccountFile(options.ServiceAccountFile!, Time),
            Logs.Factory.CreateLogger<FcmAdapter>(), Time);
    }

    public (ApnsAdapter Adapter, ApnsProviderToken Jwt) Apns(Action<PushAppOptions>? adjust = null)
    {
        var options = ApnsOptions(adjust);
        var jwt = ApnsProviderToken.FromKeyFile(options.KeyFile!, options.KeyId!, options.TeamId!, Time);
        return (new ApnsAdapter("loa", options, Http, jwt, Logs.Factory.CreateLogger<ApnsAdapter>(), Time), jwt);
    }

    /// <summary>An FCM registration token of the usual shape (~160 characters), registered unless told otherwise.</summary>
    public string FcmToken(bool registered = true, params string[] topics)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_')
                    + ":APA91b" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(64));
        if (registered)
            Host.Tokens.Register(token, topics);
        return token;
    }

    /// <summary>An APNs device token: 64 hex digits.</summary>
    public string ApnsToken(bool registered = true)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        if (registered)
            Host.Tokens.Register(token);
        return token;
    }

    private int _number;

    /// <param name="topics">The targets are topic names, not device tokens.</param>
    public CarrierBatch Batch(IEnumerable<string> to, string kind = "warning", TimeSpan? expiresIn = null, string campaign = "c-17", bool topics = false)
    {
        var number = Interlocked.Increment(ref _number);
        var messages = to.Select((t, i) => new OutgoingMessage($"b{number}-m{i + 1}", t, "Canh bao lu quet tai Lao Cai", SmsEncoding.Ucs2, 1) { Topic = topics }).ToArray();
        return new CarrierBatch($"push-batch-{number}", "loa", messages, ReceiptUrl: null)
        {
            Kind = kind,
            ExpiresAt = expiresIn is { } e ? Time.GetUtcNow() + e : null,
            Title = "Canh bao khan cap",
            Link = new Uri("https://canhbao.example.vn/v/abc123"),
            CollapseKey = campaign,
            Campaign = campaign,
        };
    }

    public static async Task<SubmitOutcome> SubmitAsync(ICarrierAdapter adapter, CarrierBatch batch)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await adapter.SubmitAsync(batch, deadline.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Http.Dispose();
        Logs.Factory.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Every log line written through its factory, formatted, for checks on what reaches logs.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public CapturedLogs() => Factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    public ILoggerFactory Factory { get; }

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception}");
    }
}
