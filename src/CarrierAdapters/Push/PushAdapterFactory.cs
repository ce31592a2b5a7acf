using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters.Push;

/// <summary>
/// The one place a push app's adapter is chosen: FCM or APNs by <c>Loa:Push:Apps:&lt;app&gt;:Provider</c>.
/// One adapter per app for the life of the host, since each holds its credential's cache (an OAuth
/// token, a provider JWT) and its HTTP/2 connection: asking again returns the same adapter.
/// </summary>
public sealed class PushAdapterFactory(
    IOptionsMonitor<PushAppOptions> apps,
    IHttpClientFactory http,
    ILoggerFactory? logs = null,
    TimeProvider? time = null)
{
    /// <summary>The named HttpClient push uses: HTTP/2 with extra connections when one's streams run out.</summary>
    public const string HttpClientName = "loa-push";

    /// <summary>
    /// Marks a notification's own request. Push has no batch call, so a batch of 500 is 500 requests:
    /// telemetry leaves these out and lets the batch's <c>carrier submit</c> span stand for them (a
    /// recorded client span each cost as much CPU as the rest of the adapter, perf/README "Push to devices").
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> NotificationRequest = new("loa.push.notification");

    private readonly ConcurrentDictionary<string, Lazy<ICarrierAdapter>> _adapters = new(StringComparer.OrdinalIgnoreCase);

    /// <summary><c>push-&lt;app&gt;</c>: the carrier id a push app's deliveries and lane go by.</summary>
    public static string CarrierIdOf(string app) => Contracts.Channels.PushLanePrefix + app.ToLowerInvariant();

    /// <exception cref="InvalidOperationException">The app is not configured, or its credential cannot be read.</exception>
    public Task<ICarrierAdapter> CreateAsync(string app, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(app);
        cancellationToken.ThrowIfCancellationRequested();
        var lazy = _adapters.GetOrAdd(app, name => new Lazy<ICarrierAdapter>(() => Create(name), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return Task.FromResult(lazy.Value);
        }
        catch
        {
            // A failed creation is not cached: a credential file fixed in place is picked up next time.
            _adapters.TryRemove(new KeyValuePair<string, Lazy<ICarrierAdapter>>(app, lazy));
            throw;
        }
    }

    private ICarrierAdapter Create(string app)
    {
        var options = apps.Get(app);
        if (PushSettingsValidation.Problems(app, options) is { Count: > 0 } problems)
            throw new InvalidOperationException(string.Join(" ", problems));

        var client = http.CreateClient(HttpClientName);
        client.Timeout = Timeout.InfiniteTimeSpan; // each request has options.Timeout of its own
        var clock = time ?? TimeProvider.System;
        var loggers = logs ?? NullLoggerFactory.Instance;
        return options.Provider switch
        {
            PushProvider.Fcm => new FcmAdapter(app, options, client,
                FcmAccessToken.FromServiceAccountFile(options.ServiceAccountFile!, clock), loggers.CreateLogger<FcmAdapter>(), clock),
            PushProvider.Apns => new ApnsAdapter(app, options, client,
                ApnsProviderToken.FromKeyFile(options.KeyFile!, options.KeyId!, options.TeamId!, clock), loggers.CreateLogger<ApnsAdapter>(), clock),
            _ => throw new InvalidOperationException($"{PushAppOptions.Section}:{app}:Provider is '{options.Provider}', which Loa cannot send with."),
        };
    }
}
