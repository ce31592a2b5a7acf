using System.Collections.Concurrent;

namespace Loa.CarrierSimulators.Push;

/// <summary>One notification as a simulated provider took it: what a test checks the adapter sent.</summary>
/// <param name="Target">The device token, or <c>/topics/&lt;name&gt;</c>.</param>
/// <param name="Priority">FCM <c>android.priority</c> (<c>high</c>/<c>normal</c>) or APNs <c>apns-priority</c> (<c>10</c>/<c>5</c>).</param>
/// <param name="Ttl">FCM <c>android.ttl</c> (<c>3600s</c>) or APNs <c>apns-expiration</c> (unix seconds).</param>
public sealed record PushArrival(
    string Provider,
    string Target,
    string ProviderMessageId,
    string? Title,
    string? Body,
    string? Priority,
    string? Ttl,
    string? CollapseKey,
    string? Campaign,
    string? Url,
    string? PushType,
    string? ApnsTopic,
    DateTimeOffset At);

/// <summary>The simulated providers' counters (thread-safe), and the last arrivals (bounded).</summary>
public sealed class PushStats
{
    private const int ArrivalsKept = 10_000;
    private const string TopicPrefix = "/topics/";

    private readonly ConcurrentDictionary<string, int> _perTarget = new(StringComparer.Ordinal);
    // Kept apart from the tokens so that a snapshot, polled while a million devices are pushed to, reads the
    // few topics and not every target.
    private readonly ConcurrentDictionary<string, int> _perTopic = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _firstPerCampaign = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Target, string Campaign), int> _perCampaign = new();
    private readonly ConcurrentQueue<PushArrival> _arrivals = new();
    private readonly ConcurrentDictionary<string, byte> _providerTokens = new(StringComparer.Ordinal);
    private long _accepted, _duplicates, _unregistered, _throttled, _serverErrors, _refused, _unauthorized;
    private long _accessTokensIssued, _accessTokensRefused, _acksPosted, _acksFailed;

    public void RecordAccepted(PushArrival arrival)
    {
        Interlocked.Increment(ref _accepted);
        _perTarget.AddOrUpdate(arrival.Target, 1, (_, n) => n + 1);
        if (arrival.Target.StartsWith(TopicPrefix, StringComparison.Ordinal))
            _perTopic.AddOrUpdate(arrival.Target[TopicPrefix.Length..], 1, (_, n) => n + 1);
        if (arrival.Campaign is { } campaign)
        {
            if (_perCampaign.AddOrUpdate((arrival.Target, campaign), 1, (_, n) => n + 1) > 1)
                Interlocked.Increment(ref _duplicates);
            // Requests are served concurrently, so the earliest stamp wins, not the first to get here.
            _firstPerCampaign.AddOrUpdate(campaign, arrival.At, (_, at) => arrival.At < at ? arrival.At : at);
        }
        _arrivals.Enqueue(arrival);
        while (_arrivals.Count > ArrivalsKept && _arrivals.TryDequeue(out _))
        {
        }
    }

    public void RecordUnregistered() => Interlocked.Increment(ref _unregistered);

    public void RecordThrottled() => Interlocked.Increment(ref _throttled);

    public void RecordServerError() => Interlocked.Increment(ref _serverErrors);

    public void RecordRefused() => Interlocked.Increment(ref _refused);

    public void RecordUnauthorized() => Interlocked.Increment(ref _unauthorized);

    public void RecordAccessToken(bool issued) => Interlocked.Increment(ref issued ? ref _accessTokensIssued : ref _accessTokensRefused);

    /// <summary>A provider JWT (APNs) seen for the first time: how often the adapter signs a new one.</summary>
    public void RecordProviderToken(string jwt) => _providerTokens.TryAdd(jwt, 0);

    public void RecordAck(bool posted) => Interlocked.Increment(ref posted ? ref _acksPosted : ref _acksFailed);

    public int AcceptedFor(string target) => _perTarget.TryGetValue(target, out var n) ? n : 0;

    /// <summary>
    /// When the first notification of <paramref name="campaign"/> was taken, or null: unlike <see cref="Arrivals"/>,
    /// which keeps only the last 10,000, it is not lost under a larger push, and reading it copies nothing.
    /// </summary>
    public DateTimeOffset? FirstArrivalOf(string campaign) => _firstPerCampaign.TryGetValue(campaign, out var at) ? at : null;

    public IReadOnlyList<PushArrival> Arrivals => _arrivals.ToArray();

    public PushStatsSnapshot Snapshot() => new(
        Interlocked.Read(ref _accepted), Interlocked.Read(ref _duplicates), Interlocked.Read(ref _unregistered),
        Interlocked.Read(ref _throttled), Interlocked.Read(ref _serverErrors), Interlocked.Read(ref _refused),
        Interlocked.Read(ref _unauthorized), Interlocked.Read(ref _accessTokensIssued), Interlocked.Read(ref _accessTokensRefused),
        _providerTokens.Count, Interlocked.Read(ref _acksPosted), Interlocked.Read(ref _acksFailed),
        new Dictionary<string, int>(_perTopic, StringComparer.Ordinal));

    public void Reset()
    {
        _perTarget.Clear();
        _perTopic.Clear();
        _firstPerCampaign.Clear();
        _perCampaign.Clear();
        _arrivals.Clear();
        _providerTokens.Clear();
        Interlocked.Exchange(ref _accepted, 0);
        Interlocked.Exchange(ref _duplicates, 0);
        Interlocked.Exchange(ref _unregistered, 0);
        Interlocked.Exchange(ref _throttled, 0);
        Interlocked.Exchange(ref _serverErrors, 0);
        Interlocked.Exchange(ref _refused, 0);
        Interlocked.Exchange(ref _unauthorized, 0);
        Interlocked.Exchange(ref _accessTokensIssued, 0);
        Interlocked.Exchange(ref _accessTokensRefused, 0);
        Interlocked.Exchange(ref _acksPosted, 0);
        Interlocked.Exchange(ref _acksFailed, 0);
    }
}

/// <summary>
/// What <c>GET /admin/push/{provider}/stats</c> shows. <see cref="Duplicates"/> counts notifications
/// of a campaign taken more than once for the same device or topic; <see cref="ProviderTokens"/> the
/// distinct APNs JWTs seen.
/// </summary>
public sealed record PushStatsSnapshot(
    long Accepted,
    long Duplicates,
    long Unregistered,
    long Throttled,
    long ServerErrors,
    long Refused,
    long Unauthorized,
    long AccessTokensIssued,
    long AccessTokensRefused,
    int ProviderTokens,
    long AcksPosted,
    long AcksFailed,
    IReadOnlyDictionary<string, int> AcceptedPerTopic);
