namespace Loa.CarrierAdapters.Push;

public enum PushProvider
{
    Fcm,
    Apns,
}

/// <summary>
/// One app's push settings, under <c>Loa:Push:Apps:&lt;app&gt;</c>. The defaults live here (and in
/// <see cref="Defaults"/>) so that the API host and a standalone dispatcher send at the same rate.
/// </summary>
public sealed class PushAppOptions
{
    public const string Section = "Loa:Push:Apps";

    /// <summary>FCM's own per-project quota: 600,000 messages a minute.</summary>
    public const int FcmDefaultRatePerSecond = 10_000;

    /// <summary>
    /// Apple publishes no number; it asks for few connections with many streams and throttles with
    /// 429 when a provider pushes too fast. 4,000/s is what one connection of 1,000 streams carries
    /// at ~250 ms a round trip, and the lane slows on 429 anyway.
    /// </summary>
    public const int ApnsDefaultRatePerSecond = 4_000;

    public const string FcmProductionUrl = "https://fcm.googleapis.com";
    public const string ApnsProductionUrl = "https://api.push.apple.com";

    public PushProvider Provider { get; set; } = PushProvider.Fcm;

    /// <summary>
    /// Where the provider's protocol is spoken: FCM's or Apple's production host by default, or any
    /// server that speaks it (the simulators; <c>https://api.sandbox.push.apple.com</c> for development builds).
    /// An <c>http://</c> URL is spoken as HTTP/2 cleartext (h2c), for the simulators on loopback.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>FCM: the Firebase project id in <c>/v1/projects/{project}/messages:send</c>.</summary>
    public string? ProjectId { get; set; }

    /// <summary>FCM: the service account JSON; its <c>token_uri</c> says where access tokens come from.</summary>
    public string? ServiceAccountFile { get; set; }

    /// <summary>APNs: the team id (the JWT's <c>iss</c>).</summary>
    public string? TeamId { get; set; }

    /// <summary>APNs: the key id of the .p8 key (the JWT's <c>kid</c>).</summary>
    public string? KeyId { get; set; }

    /// <summary>APNs: the .p8 signing key (PKCS#8 PEM of a P-256 key).</summary>
    public string? KeyFile { get; set; }

    /// <summary>APNs: the app's bundle id, sent as <c>apns-topic</c>.</summary>
    public string? BundleId { get; set; }

    /// <summary>Notifications per second the lane keeps to; 0 takes the provider's default.</summary>
    public int RatePerSecond { get; set; }

    /// <summary>
    /// FCM only: campaigns send to this app's topics, one notification per province and language
    /// (<c>&lt;app&gt;-&lt;province&gt;-&lt;language&gt;</c>, e.g. <c>loa-01-vi</c>), not one per device. The planner reads
    /// it; the adapter sends each message where it says (<see cref="OutgoingMessage.Topic"/>).
    /// </summary>
    public bool UseTopics { get; set; }

    /// <summary>How long one notification's request may take before its fate is unknown.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests in flight at once per app: HTTP/2 streams, multiplexed over few connections.</summary>
    public int MaxConcurrentStreams { get; set; } = 100;

    /// <summary>
    /// Send lanes for this app (1 to 64), each with its own queue and RatePerSecond / Lanes, sharing the
    /// app's streams: while one lane's batch is at the provider, another's is claimed and its tokens read.
    /// An emergency waits behind its own lane's batch in flight, which two lanes sharing the streams make
    /// slower: with the provider in the same process two lanes gained 2-12 % and doubled the emergency's p99
    /// (perf/README, "Push lanes"), hence 1.
    /// </summary>
    public int Lanes { get; set; } = 1;

    /// <summary>The rate to keep to: <see cref="RatePerSecond"/>, or the provider's default when it is 0.</summary>
    public int EffectiveRatePerSecond =>
        RatePerSecond > 0 ? RatePerSecond
        : Provider == PushProvider.Apns ? ApnsDefaultRatePerSecond
        : FcmDefaultRatePerSecond;

    /// <summary>The base URL to use: <see cref="BaseUrl"/>, or the provider's production host.</summary>
    public Uri EffectiveBaseUrl =>
        new(string.IsNullOrWhiteSpace(BaseUrl)
            ? Provider == PushProvider.Apns ? ApnsProductionUrl : FcmProductionUrl
            : BaseUrl);
}
