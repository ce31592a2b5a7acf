namespace Loa.CarrierSimulators.Push;

/// <summary>
/// How the simulated push providers act, and how the simulated phones answer. Read once per request,
/// so that a test or the admin endpoint can swap it mid-run. The defaults accept everything at once
/// and post no acknowledgements.
/// </summary>
public sealed record PushBehaviour
{
    public static readonly TimeSpan LongestDuration = TimeSpan.FromDays(1);

    /// <summary>Wait before each answer.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Notifications taken per wall-clock second (per provider); above it 429 with <c>Retry-After</c>. 0 is unlimited.</summary>
    public int MaxPerSecond { get; init; }

    /// <summary>What a 429's <c>Retry-After</c> says, in whole seconds.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Share of requests answered <see cref="ServerErrorStatus"/> (FCM UNAVAILABLE / APNs ServiceUnavailable) without taking anything.</summary>
    public double ServerErrorRatio { get; init; }

    public int ServerErrorStatus { get; init; } = 503;

    /// <summary>Share of requests refused with a 400 that says nothing about the device (FCM INVALID_ARGUMENT, APNs BadMessageId).</summary>
    public double ErrorRatio { get; init; }

    /// <summary>Tokens not registered are taken as if they were (for load runs whose devices the simulator never saw).</summary>
    public bool AcceptUnknownTokens { get; init; }

    /// <summary>How long an FCM access token lives (the answer's <c>expires_in</c>); Google's is an hour.</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Share of accepted notifications whose phone posts <c>received</c>.</summary>
    public double ReceivedRatio { get; init; }

    /// <summary>Share of accepted notifications whose phone also posts <c>opened</c> (only those that were received).</summary>
    public double OpenedRatio { get; init; }

    public TimeSpan ReceivedDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan OpenedDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Where phones post acknowledgements: Loa's base URL (<c>/api/v1/devices/{token}/acks</c> is appended). None: no acks.</summary>
    public Uri? AckUrl { get; init; }

    /// <summary>The app's API key (role <c>app</c>), sent as <c>Authorization: Bearer</c> with every ack.</summary>
    public string? AckAppKey { get; init; }

    /// <summary>Seeds the random draws when the behaviour is set, so that a run repeats exactly.</summary>
    public int? Seed { get; init; }

    /// <summary>What is wrong with this behaviour, by property name; empty when it can be used.</summary>
    public IReadOnlyList<(string Property, string Problem)> Problems()
    {
        var problems = new List<(string, string)>();
        void Ratio(string property, double value)
        {
            if (!(value is >= 0 and <= 1))
                problems.Add((property, "must be between 0 and 1."));
        }
        void Duration(string property, TimeSpan value)
        {
            if (value < TimeSpan.Zero || value > LongestDuration)
                problems.Add((property, $"must be between 0 and {LongestDuration.TotalMilliseconds:0} ms."));
        }

        Duration(nameof(Latency), Latency);
        if (MaxPerSecond < 0)
            problems.Add((nameof(MaxPerSecond), "must be at least 0 (0 is unlimited)."));
        if (RetryAfterSeconds < 0)
            problems.Add((nameof(RetryAfterSeconds), "must be at least 0."));
        Ratio(nameof(ServerErrorRatio), ServerErrorRatio);
        if (ServerErrorStatus is < 500 or > 599)
            problems.Add((nameof(ServerErrorStatus), "must be a 5xx status code."));
        Ratio(nameof(ErrorRatio), ErrorRatio);
        if (AccessTokenLifetime < TimeSpan.FromSeconds(1) || AccessTokenLifetime > LongestDuration)
            problems.Add((nameof(AccessTokenLifetime), "must be between 1 s and a day."));
        Ratio(nameof(ReceivedRatio), ReceivedRatio);
        Ratio(nameof(OpenedRatio), OpenedRatio);
        Duration(nameof(ReceivedDelay), ReceivedDelay);
        Duration(nameof(OpenedDelay), OpenedDelay);
        if (AckUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
            problems.Add((nameof(AckUrl), "must be an absolute http or https URL."));
        return problems;
    }
}

/// <summary>
/// <c>Loa:Simulators:Push</c>: the simulated providers' identities (what the generated credentials
/// name) and their starting <see cref="Behaviour"/>.
/// </summary>
public sealed class PushSimulatorOptions
{
    public const string Section = "Loa:Simulators:Push";

    /// <summary>0 takes a free loopback port.</summary>
    public int Port { get; set; }

    public string ProjectId { get; set; } = "loa-simulated";

    public string TeamId { get; set; } = "LOASIMTEAM";

    public string BundleId { get; set; } = "vn.gov.loa";

    /// <summary>Where the throwaway credentials are written; empty: a new folder under the temp directory.</summary>
    public string? CredentialsDirectory { get; set; }

    /// <summary>Device tokens known from the start.</summary>
    public List<string> Tokens { get; set; } = [];

    public PushBehaviour Behaviour { get; set; } = new();
}
